/**
 * `npm run nas-sync` as an operator runs it: the CLI in a child process (plain Node stripping the
 * types, as the npm script and the systemd unit run it), its configuration errors, JSON log lines,
 * `--status`, `--retry-failed`, two copies at once, and the continuous mode picking up new rows
 * and stopping cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTIAL_DIR } from '../src/download.ts';
import { lineFiles } from '@linebot-edge/shared/schema';
import { fileOf, jsonLines, ROOT, runNode, setupNasSync, TOKEN, type NasSyncFixture } from './nas-sync-support.ts';

const MAIN = 'nas-sync/src/main.ts';
const GROUP = 'C11112222333344445555666677778888';
const USER = 'U11112222333344445555666677778888';

let fx: NasSyncFixture;
let env: Record<string, string>;
let nextId = 800000000000000000n;
const newId = () => String(++nextId);

beforeAll(async () => {
  fx = await setupNasSync('cli');
  env = {
    DATABASE_URL: fx.databaseUrl,
    LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
    LINE_DATA_API_BASE_URL: fx.emulator.url,
    NAS_ROOT: fx.nasRoot,
  };
});
afterAll(() => fx.close());

describe('configuration', () => {
  it('names every missing or wrong setting and exits 2', async () => {
    const r = await runNode([MAIN, '--once'], { NAS_ROOT: 'relative/path' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DATABASE_URL is not set');
    expect(r.stderr).toContain('LINE_CHANNEL_ACCESS_TOKEN is not set');
    expect(r.stderr).toContain('NAS_ROOT must be an absolute path');

    const gone = await runNode([MAIN, '--once'], { ...env, NAS_ROOT: join(fx.nasRoot, 'not-mounted') });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('NAS_ROOT does not exist (is the NAS mounted?)');

    const bad = await runNode([MAIN, '--concurrency', 'lots'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--concurrency must be a whole number');
  });

  it('refuses to start (exit status 1) when NAS_ROOT and a share lie inside one another, saying which', async () => {
    const r = await runNode([MAIN, '--once'], { ...env, NAS_SHARES: `line:${fx.nasRoot}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nas-sync: refusing to start: NAS_ROOT and NAS_SHARES overlap');
    expect(r.stderr).toContain(`NAS_ROOT ${fx.nasRoot} and share line ${fx.nasRoot} are the same folder`);
    expect(r.stdout).toBe(''); // nothing started
  });

  it('a daily cap out of range is clamped and logged at start, not replaced by the default', async () => {
    const r = await runNode([MAIN, '--once'], { ...env, NAS_SYNC_DAILY_BYTES_PER_USER: '5' });
    expect(r.code, r.stderr).toBe(0);
    const clamped = jsonLines(r.stderr).find((l) => l.event === 'nas_sync.setting_clamped');
    expect(clamped).toMatchObject({ level: 'warn' });
    expect(clamped!.warning).toContain(
      'NAS_SYNC_DAILY_BYTES_PER_USER 5 is outside 1048576 (1 MiB) to 1099511627776 (1 TiB): using 1048576 (1 MiB)',
    );
  });

  it('--help prints the usage', async () => {
    const r = await runNode([MAIN, '--help'], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--status');
    expect(r.stdout).toContain('--no-listen');
    expect(r.stdout).toContain('NAS_ROOT');
  });
});

describe('--once', () => {
  it('syncs what is due and logs one JSON line per file (not a TTY), never the token', async () => {
    const a = newId();
    const b = newId();
    fx.emulator.state.content.set(a, { body: Buffer.from('image a'), contentType: 'image/png' });
    fx.emulator.state.content.set(b, { body: Buffer.from('%PDF b'), contentType: 'application/pdf' });
    await fx.seed({ messageId: a, chat: { group: GROUP }, userId: USER });
    await fx.seed({ messageId: b, fileType: 'file', fileName: '議事録.pdf', chat: { user: USER } });

    const r = await runNode([MAIN, '--once', '--concurrency', '2'], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    const files = lines.filter((l) => l.event === 'nas_sync.file');
    expect(files).toHaveLength(2);
    expect(files.find((l) => l.messageId === a)).toMatchObject({
      level: 'info',
      outcome: 'synced',
      fileType: 'image',
      nasPath: `groups/${GROUP}/images/2025-06-01/${a}.png`,
      bytes: 7,
      mimeType: 'image/png',
    });
    expect(files.find((l) => l.messageId === b)).toMatchObject({
      outcome: 'synced',
      nasPath: `users/${USER}/files/2025-06-01/${b}_議事録.pdf`,
    });
    expect(lines.at(-1)).toMatchObject({ event: 'nas_sync.stopped', synced: 2 });
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(await readFile(join(fx.nasRoot, `users/${USER}/files/2025-06-01/${b}_議事録.pdf`), 'utf8')).toBe('%PDF b');
  });

  it('two copies at once download every file exactly once', async () => {
    const ids = Array.from({ length: 16 }, newId);
    for (const id of ids) {
      fx.emulator.state.content.set(id, { body: Buffer.alloc(200_000, id.at(-1)), contentType: 'image/jpeg' });
      await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
    }
    const [r1, r2] = await Promise.all([runNode([MAIN, '--once'], env), runNode([MAIN, '--once'], env)]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    for (const id of ids) expect(fx.contentRequests(id), id).toBe(1);
    const synced = [...jsonLines(r1.stdout), ...jsonLines(r2.stdout)].filter(
      (l) => l.event === 'nas_sync.file' && l.outcome === 'synced',
    );
    expect(synced.map((l) => l.messageId).sort()).toEqual([...ids].sort());
  });
});

describe('--status and --retry-failed', () => {
  it('prints the counts to monitor (text and --json), and queues failed rows again', async () => {
    const failed = newId();
    const unavailable = newId();
    const waiting = newId();
    for (const id of [failed, unavailable, waiting])
      await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
    await fx.db
      .update(lineFiles)
      .set({ syncStatus: 'failed', syncAttempts: 8, syncError: 'HTTP 500: boom' })
      .where(fileOf(failed));
    await fx.db.update(lineFiles).set({ syncStatus: 'unavailable', syncError: 'HTTP 410' }).where(fileOf(unavailable));
    await fx.db
      .update(lineFiles)
      .set({ nextSyncAt: sql`now() + interval '1 hour'`, syncAttempts: 1 })
      .where(fileOf(waiting));

    const statusEnv = { DATABASE_URL: fx.databaseUrl }; // --status needs nothing else
    const json = await runNode([MAIN, '--status', '--json'], statusEnv);
    expect(json.code, json.stderr).toBe(0);
    const counts = JSON.parse(json.stdout) as Record<string, number>;
    expect(counts).toMatchObject({
      waiting: 1,
      due: 0,
      retrying: 1,
      inProgress: 0,
      dailyLimited: 0,
      failed: 1,
      unavailable: 1,
      removalPending: 0,
    });
    expect(counts.synced).toBe(18); // the 2 + 16 files of the tests above
    expect(counts.oldestWaitingSeconds).toBeGreaterThanOrEqual(0);

    const text = await runNode([MAIN, '--status'], statusEnv);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^waiting\s+1 \(due now 0/m);
    expect(text.stdout).toMatch(/^failed\s+1$/m);
    expect(text.stdout).toMatch(/^daily limit\s+0 waiting for 00:00 Asia\/Taipei/m);
    expect(text.stdout).toMatch(/^unavailable\s+1$/m);
    expect(text.stdout).toContain(`failed ${failed} (8 attempts): HTTP 500: boom`);

    const retry = await runNode([MAIN, '--retry-failed'], statusEnv);
    expect(retry.stdout).toContain('1 failed row(s) queued again');
    expect(await fx.file(failed)).toMatchObject({ syncStatus: 'pending', syncAttempts: 0, nextSyncAt: null });
  });
});

describe('continuous mode', () => {
  it('picks up rows as they arrive and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN, '--poll-interval', '0.2'], {
      cwd: ROOT,
      // The 4 GiB download below is over the default daily cap of 1 GiB; 1 TiB is the most allowed.
      env: { PATH: process.env.PATH ?? '', ...env, NAS_SYNC_DAILY_BYTES_PER_USER: String(1024 ** 4) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const big = newId();
    const partials = () => readdirSync(join(fx.nasRoot, PARTIAL_DIR), { withFileTypes: false }).map(String);
    const waitFor = async (what: () => boolean, label: string) => {
      const deadline = Date.now() + 20_000;
      while (!what()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await waitFor(() => stdout.includes('nas_sync.started') && stdout.includes('nas_sync.listening'), 'start');
      const id = newId();
      await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
      await waitFor(() => stdout.includes(`"messageId":"${id}"`), 'the new row');
      expect((await fx.file(id)).syncStatus).toBe('synced');
      // Unsend while running: the next poll deletes the copy.
      const path = join(fx.nasRoot, (await fx.file(id)).nasPath!);
      await fx.db.update(lineFiles).set({ removeRequestedAt: sql`now()` }).where(fileOf(id));
      await waitFor(() => stdout.includes('nas_sync.removed'), 'the removal');
      await expect(readFile(path)).rejects.toThrow(/ENOENT/);

      // SIGTERM in the middle of a big download: the claim is given back, the temp file removed.
      fx.emulator.state.content.set(big, { generate: { size: 4 * 1024 ** 3, seed: 3 }, contentType: 'video/mp4' });
      await fx.seed({ messageId: big, fileType: 'video', chat: { group: GROUP }, userId: USER });
      await waitFor(() => partials().some((f) => f.startsWith(`${big}.`)), 'the big download to start');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const lines = jsonLines(stdout);
    expect(lines.at(-1)).toMatchObject({ event: 'nas_sync.stopped', released: 1 });
    expect(lines.find((l) => l.messageId === big)).toMatchObject({ outcome: 'released' });
    expect(stdout).toContain('"signal":"SIGTERM"');
    expect(await fx.file(big)).toMatchObject({
      syncStatus: 'pending',
      syncClaimedAt: null,
      syncAttempts: 0,
      nasPath: null,
    });
    expect(partials()).toEqual([]);
  });
});
