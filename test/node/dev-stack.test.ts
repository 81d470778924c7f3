/**
 * `npm run dev` end to end: the orchestrator starts (embedded PGlite in a fresh folder, random
 * ports, wrangler dev), messages sent with the sender's library land in the embedded database
 * and the emulator sees the calls they cause, one SIGINT stops everything, and the data is still
 * there on the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeedFile } from '../../scripts/line-emulator/index.ts';
import { build, deliver, Directory, type Target } from '../../scripts/line/index.ts';
import { localChannelSecret } from '../../scripts/local/dev-vars.ts';
import { startEmbeddedPostgres } from '../../scripts/local/embedded-postgres.ts';
import { DEFAULT_SEED_FILE, PROJECT_ROOT } from '../../scripts/local/paths.ts';
import type { StackState } from '../../scripts/local/state.ts';

const tmp = mkdtempSync(join(tmpdir(), 'linebot-dev-test-'));
const dataDir = join(tmp, 'pgdata');
const stateFile = join(tmp, 'dev-stack.json');
const directory = new Directory(readSeedFile(DEFAULT_SEED_FILE));

let dev: ChildProcess;
let output = '';
let state: StackState;
let target: Target;
let exited: Promise<number | null>;

beforeAll(async () => {
  dev = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/dev.ts', '--port', '0', '--emulator-port', '0', '--proxy-port', '0', '--db-port', '0', '--data-dir', dataDir, '--state-file', stateFile],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '' } },
  );
  dev.stdout!.on('data', (d: Buffer) => (output += d));
  dev.stderr!.on('data', (d: Buffer) => (output += d));
  exited = new Promise((resolve) => dev.once('exit', (code) => resolve(code)));
  // Ready once it has written where it runs.
  const deadline = Date.now() + 60_000;
  while (!existsSync(stateFile)) {
    if (Date.now() > deadline || dev.exitCode !== null) throw new Error(`npm run dev did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  state = JSON.parse(readFileSync(stateFile, 'utf8')) as StackState;
  // .dev.vars is created from the example on first run: the secret the Worker checks.
  target = { webhookUrl: state.webhookUrl, channelSecret: localChannelSecret(), emulatorUrl: state.emulatorUrl, databaseUrl: state.databaseUrl };
}, 90_000);

afterAll(async () => {
  if (dev.exitCode === null) dev.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const emulatorRequests = async (since: number) =>
  ((await (await fetch(`${state.emulatorUrl}/__emulator/requests?since=${since}`)).json()) as { requests: Array<{ method: string; path: string; status: number }> })
    .requests;

describe('npm run dev', () => {
  it('prints where everything is', () => {
    expect(output).toMatch(/linebot-edge is up in/);
    expect(output).toMatch(/Worker {9}http:\/\/localhost:\d+/);
    expect(output).toMatch(/embedded PGlite \(new data in /);
    expect(state.databaseUrl).toMatch(/^postgres:\/\/.*@127\.0\.0\.1:\d+\/postgres$/);
  });

  it('stores a text message sent with the sender, and looks the group up on the emulator', async () => {
    const alice = directory.user('alice');
    const ops = directory.chat('group', 'ops');
    const body = build.webhookBody(directory.botUserId, [build.text(build.inGroup(ops.id, alice.userId), 'hello @bob', directory.mentionable())]);
    const since = Date.now();
    const { delivery, report } = await deliver(target, body);

    expect(delivery.status).toBe(200);
    expect(delivery.response).toMatchObject({ ok: true, recorded: 1 });
    expect(report?.events[0]?.inbox?.status).toBe('done');
    expect(report?.events[0]?.stored[0]).toMatchObject({ message_type: 'text', content: 'hello @bob', from: 'Alice Chen', in: 'Tower B – Site Ops' });

    // Straight from the embedded database, too.
    const db = new pg.Client({ connectionString: state.databaseUrl });
    await db.connect();
    try {
      const id = (body.events[0]!.message as { id: string }).id;
      const { rows } = await db.query('select content, raw_message from line_messages where message_id = $1', [id]);
      expect(rows[0]?.content).toBe('hello @bob');
      expect(rows[0]?.raw_message.mention.mentionees[0]).toMatchObject({ index: 6, length: 4, type: 'user', userId: directory.user('bob').userId });
    } finally {
      await db.end();
    }

    const calls = await emulatorRequests(since);
    expect(calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      `GET /v2/bot/group/${ops.id}/member/${alice.userId} 200`,
      `GET /v2/bot/group/${ops.id}/summary 200`,
      `GET /v2/bot/group/${ops.id}/members/count 200`,
    ]);
    expect(((await (await fetch(`${state.emulatorUrl}/__emulator/violations`)).json()) as { violations: unknown[] }).violations).toEqual([]);
  });

  it('serves media bytes a sender attached, and records the file for the NAS sync', async () => {
    const bob = directory.user('bob');
    const event = build.media(build.inUser(bob.userId), 'image');
    const id = (event.message as { id: string }).id;
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const { report } = await deliver(target, build.webhookBody(directory.botUserId, [event]), {
      attachments: [{ messageId: id, bytes, contentType: 'image/png' }],
    });
    expect(report?.events[0]?.stored[0]).toMatchObject({ message_type: 'image', file_type: 'image', sync_status: 'pending' });
    const content = await fetch(`${state.emulatorUrl}/v2/bot/message/${id}/content`, { headers: { authorization: 'Bearer t' } });
    expect(content.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(bytes);
  });

  it('takes a redelivery as a duplicate', async () => {
    const body = build.webhookBody(directory.botUserId, [build.sticker(build.inUser(directory.user('carol').userId))]);
    expect((await deliver(target, body)).delivery.response).toMatchObject({ recorded: 1, duplicates: 0 });
    const again = await deliver(target, build.redelivery(body));
    expect(again.delivery.response).toMatchObject({ recorded: 0, duplicates: 1 });
  });

  it('stops everything on one SIGINT, and keeps the data for the next start', async () => {
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped\./);
    expect(existsSync(stateFile)).toBe(false);
    await expect(fetch(`${state.workerUrl}/healthz`)).rejects.toThrow(); // wrangler and workerd are gone
    await expect(fetch(`${state.emulatorUrl}/__emulator/health`)).rejects.toThrow();

    const again = await startEmbeddedPostgres({ dataDir });
    try {
      expect(again.created).toBe(false);
      const db = new pg.Client({ connectionString: again.url });
      await db.connect();
      const { rows } = await db.query(`select count(*)::int as n from line_messages`);
      await db.end();
      expect(rows[0]?.n).toBe(3);
    } finally {
      await again.close();
    }
  });
});
