/**
 * `npm run bench:profile`: where the Worker's CPU goes on the ack path.
 *
 * The bench's pooled setup (a fresh database owned by the pooled role, PgBouncer in transaction
 * mode, the deploy bundle on Miniflare, the WebSocket proxy, the LINE emulator), then V8's sampling
 * profiler attached to workerd's inspector while the load generator sends signed webhook bodies.
 * Prints self time by module of the bundle (esbuild marks each module with a `// path` comment)
 * and the hottest functions; writes the raw .cpuprofile for Chrome's DevTools.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:profile -- --mix group-text --duration 10
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { createDatabase, dropDatabase, migrateDatabase } from '../lib/database.ts';
import { ensurePooledRole, POOLED_ROLE, startPgBouncer } from '../lib/pgbouncer.ts';
import { freePort, UserError } from '../local/ports.ts';
import { isLocalUrl, startStack } from '../local/stack.ts';
import { runLoadChild } from './children.ts';
import type { Mix } from './workload.ts';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const SECRET = 'bench-channel-secret';

async function main() {
  const { values } = parseArgs({
    options: {
      mix: { type: 'string', default: 'group-text' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '20' },
      top: { type: 'string', default: '25' },
      out: { type: 'string', default: '' },
    },
  });
  const given = process.env.DATABASE_URL;
  if (!given || !isLocalUrl(given))
    throw new UserError('bench:profile needs DATABASE_URL pointing at a local PostgreSQL');
  const mix = values.mix as Mix;
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const tmp = mkdtempSync(join(tmpdir(), 'linebot-profile-'));
  const name = `linebot_profile_${Date.now()}`;
  const stops: Array<() => Promise<unknown>> = [];
  try {
    await ensurePooledRole(given);
    const directUrl = await createDatabase(given, name, POOLED_ROLE.user);
    stops.push(() => dropDatabase(given, name));
    const owner = new URL(directUrl);
    [owner.username, owner.password] = [POOLED_ROLE.user, POOLED_ROLE.password];
    await migrateDatabase(owner.toString());
    const u = new URL(given);
    const bouncer = await startPgBouncer({ postgresHost: u.hostname, postgresPort: Number(u.port || 5432) });
    stops.unshift(() => bouncer.close());
    const inspector = await freePort('127.0.0.1');
    const bundleDir = join(tmp, 'bundle');
    const stack = await startStack({
      worker: 'miniflare',
      ports: { worker: 0, emulator: 0, proxy: 0, database: 0, inspector },
      databaseUrl: bouncer.urlFor(name),
      migrate: false,
      secrets: {
        LINE_CHANNEL_SECRET: SECRET,
        LINE_CHANNEL_ACCESS_TOKEN: 'bench-access-token',
        ADMIN_API_TOKEN: 'bench-admin-token-6b2d90e4a17c3f58',
      },
      bundleDir,
    });
    stops.unshift(() => stack.stop());

    // Warm the isolate (JIT, first connections) before sampling.
    await runLoadChild({
      url: stack.webhookDirectUrl ?? stack.webhookUrl,
      secret: SECRET,
      mix,
      connections: Number(values.connections),
      durationSec: 2,
    });
    const targets = (await (await fetch(`http://127.0.0.1:${inspector}/json/list`)).json()) as Array<{
      id: string;
      title: string;
      webSocketDebuggerUrl: string;
    }>;
    say(`inspector targets: ${targets.map((t) => t.title || t.id).join(', ')}`);
    // Our Worker's isolate only: every isolate shares workerd's thread, and a profiler attached to
    // several attributes the same moments to each of them.
    const ours = targets.filter((t) => t.title.includes('core:user:'));
    if (ours.length === 0) throw new Error("no core:user: target in workerd's inspector");
    const sessions = await Promise.all(ours.map((t) => cdp(t.webSocketDebuggerUrl)));
    for (const s of sessions) {
      await s.send('Profiler.enable');
      await s.send('Profiler.setSamplingInterval', { interval: 200 });
      await s.send('Profiler.start');
    }
    say(`profiling ${values.duration} s of ${mix} at ${values.connections} connections ...`);
    const load = await runLoadChild({
      url: stack.webhookDirectUrl ?? stack.webhookUrl,
      secret: SECRET,
      mix,
      connections: Number(values.connections),
      durationSec: Number(values.duration),
    });
    // Let waitUntil work drain into the profile too: it is CPU the ack path causes.
    await new Promise((r) => setTimeout(r, 3000));
    const profiles: Profile[] = [];
    for (const s of sessions) {
      profiles.push(((await s.send('Profiler.stop')) as { profile: Profile }).profile);
      s.close();
    }
    const acked = load.statuses['200'] ?? 0;
    say(`acked ${acked} (${(acked / load.durationSec).toFixed(0)}/s)`);
    const bundle = readFileSync(join(bundleDir, 'index.js'), 'utf8');
    report(profiles, moduleOfLine(bundle), Number(values.top), acked);
    if (values.out) {
      writeFileSync(
        values.out,
        JSON.stringify(profiles.reduce((a, b) => (a.samples.length >= b.samples.length ? a : b))),
      );
      say(`wrote ${values.out}`);
    }
  } finally {
    for (const s of stops) await s().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** esbuild writes `// src/db/client.ts` (or a node_modules path) above each module's code. */
function moduleOfLine(bundle: string): (line: number) => string {
  const starts: Array<[number, string]> = [];
  bundle.split('\n').forEach((text, i) => {
    const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(text);
    if (m) starts.push([i, m[1]!]);
  });
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(bundle prelude)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]![0] <= line) {
        found = starts[mid]![1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

function report(profiles: Profile[], moduleOf: (line: number) => string, top: number, acked: number) {
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const p of profiles) {
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const dt = p.timeDeltas[i] ?? 0;
      const f = nodes.get(id)!.callFrame;
      const native = f.url === '' ? `(${f.functionName || 'native'})` : '';
      const ours = f.url.endsWith('index.js');
      const mod = native || (ours ? packageOf(moduleOf(f.lineNumber)) : f.url);
      if (f.functionName === '(idle)' || f.functionName === '(program)') return;
      total += dt;
      byModule.set(mod, (byModule.get(mod) ?? 0) + dt);
      const fn = `${f.functionName || '(anonymous)'} ${native ? '' : ours ? moduleOf(f.lineNumber) : f.url}:${f.lineNumber + 1}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
    });
  }
  const print = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(
        `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000 / Math.max(1, acked)).toFixed(3)} ms/ack  ${k}`,
      );
    }
  };
  console.log(
    `JavaScript self time sampled in workerd: ${(total / 1000).toFixed(0)} ms, ${(total / 1000 / Math.max(1, acked)).toFixed(3)} ms per acked event (idle and (program) excluded)`,
  );
  print('By module (node_modules by package)', byModule);
  print('Hottest functions', byFunction);
}

const packageOf = (path: string) => {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? m[1]! : path;
};

function cdp(url: string) {
  const ws = new WebSocket(url);
  let next = 1;
  const waiting = new Map<number, (v: unknown) => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (msg.id) waiting.get(msg.id)?.(msg.result);
  });
  const open = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return open.then(() => ({
    send: (method: string, params: object = {}) =>
      new Promise<unknown>((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  }));
}

main().catch((e: unknown) => {
  console.error(e instanceof UserError ? e.message : e);
  process.exit(1);
});
