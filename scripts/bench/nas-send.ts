/**
 * Time from `/send n` to the file's message at LINE, through the whole local platform: the Worker
 * under `wrangler dev` (local R2), the nas-sync job beside it (woken by NOTIFY, polling every
 * second as the fallback), the sample NAS, and the LINE emulator (where "at LINE" is measured).
 *
 *   npx tsx scripts/bench/nas-send.ts [--sends 20] [--database-url postgres://...]
 *
 * By default a fresh database on the local PostgreSQL (127.0.0.1:5432, where LISTEN/NOTIFY works);
 * the sample NAS goes to a temp folder. Prints p50/p95 per kind (image: preview made and both
 * uploaded; PDF: a link) and how each was sent (reply within the reply window, else push).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { readSeedFile } from '../line-emulator/index.ts';
import * as build from '../line/events.ts';
import { Directory } from '../line/people.ts';
import { postWebhook } from '../line/send.ts';
import { createDatabase, dropDatabase } from '../lib/database.ts';
import { ensureDemoData } from '../local/demo.ts';
import { DEFAULT_SEED_FILE } from '../local/paths.ts';
import { ensureSampleNas } from '../local/sample-nas.ts';
import { startStack } from '../local/stack.ts';
import { percentile } from './percentile.ts';

const SECRET = 'bench-channel-secret';
const AGENT_TOKEN = 'bench-nas-agent-token-5a1e07c3f9d2';

const { values } = parseArgs({
  options: { sends: { type: 'string', default: '20' }, 'database-url': { type: 'string' } },
});
const sends = Number(values.sends);
if (!Number.isInteger(sends) || sends < 2) throw new Error('--sends must be a whole number >= 2');

const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `bench_nas_send_${process.pid}`;
const databaseUrl = values['database-url'] ?? (await createDatabase(adminUrl, dbName));
const nasDir = mkdtempSync(join(tmpdir(), 'bench-nas-'));
const seed = readSeedFile(DEFAULT_SEED_FILE);
const people = new Directory(seed);
const alice = people.user('alice');
const ops = people.chat('group', 'ops');

const nas = await ensureSampleNas(nasDir);
const stack = await startStack({
  worker: 'wrangler-dev',
  ports: { worker: 0, emulator: 0, proxy: 0, claude: 0 },
  databaseUrl,
  migrate: true,
  seed,
  secrets: {
    LINE_CHANNEL_SECRET: SECRET,
    LINE_CHANNEL_ACCESS_TOKEN: 'bench-token',
    ADMIN_API_TOKEN: 'bench-admin-token-6b2d90e4a17c3f58',
    ANTHROPIC_API_KEY: 'unused',
  },
  nas: { shares: nas.shares, mediaRoot: nas.mediaRoot, agentToken: AGENT_TOKEN, channelAccessToken: 'bench-token' },
});
const db = new pg.Client({ connectionString: databaseUrl });

try {
  await db.connect();
  await ensureDemoData(databaseUrl, seed);
  // The job's first walk fills the index.
  const indexed = Date.now();
  while ((await db.query('SELECT count(*)::int AS n FROM nas_files')).rows[0].n < 8) {
    if (Date.now() - indexed > 60_000) throw new Error('the nas-sync job indexed nothing within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }

  const say = async (text: string) => {
    const ev = build.text(build.inGroup(ops.id, alice.userId), text);
    const res = await postWebhook(stack.webhookUrl, SECRET, { destination: people.botUserId, events: [ev] });
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    return { ev, postedAt: Date.now() };
  };
  const botMessagesTo = () => stack.emulator.requests().filter((r) => /\/v2\/bot\/message\/(reply|push)$/.test(r.path));

  // Two lists: the sample's PDFs and its images (1 of each kind alternately).
  const results: Array<{ kind: 'image' | 'pdf'; ms: number; by: string }> = [];
  for (let i = 0; i < sends; i++) {
    const kind = i % 2 === 0 ? 'pdf' : 'image';
    const before = botMessagesTo().length;
    await say(kind === 'pdf' ? '/find 平面圖 type:pdf' : '/find 照片 type:jpg');
    await waitFor(() => botMessagesTo().length > before, 20_000, 'the /find answer');
    const afterFind = botMessagesTo().length;
    const { postedAt } = await say('/send 1');
    const sent = await waitFor(() => botMessagesTo().slice(afterFind)[0], 60_000, `the file of /send #${i + 1}`);
    const body = sent.body as { messages?: Array<{ type: string }> };
    results.push({ kind, ms: sent.at - postedAt, by: sent.path.endsWith('reply') ? 'reply' : 'push' });
    if ((body.messages?.[0]?.type === 'image') !== (kind === 'image'))
      throw new Error(`/send #${i + 1}: unexpected message ${JSON.stringify(body.messages?.[0])}`);
  }

  const violations = stack.emulator.violations().length;
  console.log(`\n/send -> message at the LINE emulator (${sends} sends, nas-sync woken by NOTIFY)`);
  for (const kind of ['pdf', 'image'] as const) {
    const ms = results
      .filter((r) => r.kind === kind)
      .map((r) => r.ms)
      .sort((a, b) => a - b);
    const by = results.filter((r) => r.kind === kind).map((r) => r.by);
    console.log(
      `  ${kind.padEnd(6)} n=${ms.length}  p50 ${percentile(ms, 0.5)} ms  p95 ${percentile(ms, 0.95)} ms  max ${ms.at(-1)} ms  reply ${by.filter((b) => b === 'reply').length} push ${by.filter((b) => b === 'push').length}`,
    );
  }
  console.log(`  LINE contract violations: ${violations}`);
} finally {
  await db.end().catch(() => {});
  await stack.stop();
  rmSync(nasDir, { recursive: true, force: true });
  if (!values['database-url']) await dropDatabase(adminUrl, dbName);
}

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
