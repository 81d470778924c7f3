/**
 * PgBouncer in front of a local Postgres, as Neon's pooled endpoint is in production: transaction
 * pooling and a password-protected role, so the Worker connects exactly as it does against Neon
 * (password login, `pipelineConnect: 'password'`: startup, password and first query in one flight).
 *
 * Debian's `pgbouncer` package provides the binary (`.ci/run` and `scripts/install-system-packages.sh`
 * install it). It refuses to run as root, so as root it is started with `-u postgres`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../local/ports.ts';

export const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

/** The role the Worker logs in as through the pooler (a password role, like Neon's). */
export const POOLED_ROLE = { user: 'linebot_app', password: 'linebot-app-local-password' };

export interface PgBouncer {
  port: number;
  /** `postgres://user:password@127.0.0.1:port/<database>`: the Worker's DATABASE_URL through the pooler. */
  urlFor(database: string): string;
  close(): Promise<void>;
}

export function pgbouncerAvailable(): boolean {
  return spawnSync(PGBOUNCER_BIN, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure the pooled role exists (with its password) on the Postgres behind `adminUrl`.
 * Databases the Worker uses should be owned by it (`CREATE DATABASE ... OWNER linebot_app`), as
 * a Neon database is owned by its role.
 */
export async function ensurePooledRole(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [POOLED_ROLE.user]);
    const verb = rowCount ? 'ALTER' : 'CREATE';
    // Identifiers and the password are constants of this file, not input.
    await client.query(`${verb} ROLE ${POOLED_ROLE.user} LOGIN PASSWORD '${POOLED_ROLE.password}'`);
  } catch (e) {
    // Two test runs creating the role at the same moment: the other one won.
    if ((e as { code?: string }).code !== '23505' && (e as { code?: string }).code !== '42710') throw e;
  } finally {
    await client.end();
  }
}

export interface PgBouncerOptions {
  /** Where Postgres listens. */
  postgresHost?: string;
  postgresPort?: number;
  port?: number;
  /** Server connections per database and user (Neon's pooler allows many more; locally 20 is plenty). */
  poolSize?: number;
}

export async function startPgBouncer(options: PgBouncerOptions = {}): Promise<PgBouncer> {
  if (!pgbouncerAvailable()) {
    throw new Error(
      `pgbouncer not found at ${PGBOUNCER_BIN}: install Debian's package (apt-get install pgbouncer) or run scripts/install-system-packages.sh`,
    );
  }
  const port = options.port || (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'linebot-pgbouncer-'));
  // Readable by the postgres user it switches to when started as root.
  chmodSync(dir, 0o755);
  const ini = join(dir, 'pgbouncer.ini');
  const users = join(dir, 'userlist.txt');
  writeFileSync(users, `"${POOLED_ROLE.user}" "${POOLED_ROLE.password}"\n`, { mode: 0o644 });
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${options.postgresHost ?? '127.0.0.1'} port=${options.postgresPort ?? 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      // Cleartext from the client, as Neon's proxy takes it: what lets the driver pipeline its login.
      'auth_type = plain',
      `auth_file = ${users}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      `default_pool_size = ${options.poolSize ?? 20}`,
      'ignore_startup_parameters = extra_float_digits,options',
      'logfile =',
      'pidfile =',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const asRoot = process.getuid?.() === 0;
  const child = spawn(PGBOUNCER_BIN, [...(asRoot ? ['-u', 'postgres'] : []), ini], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  await waitForListening(port, child, () => stderr);

  return {
    port,
    urlFor: (database) => `postgres://${POOLED_ROLE.user}:${POOLED_ROLE.password}@127.0.0.1:${port}/${database}`,
    close: async () => {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited (${child.exitCode}): ${log()}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`pgbouncer did not listen on ${port} within 10 s: ${log()}`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    // SIGINT: PgBouncer's "safe shutdown" waits for clients; SIGTERM closes at once.
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
  });
}
