/**
 * The continuous job woken by Postgres LISTEN/NOTIFY (migration 0001_notify_pending_files): with a
 * poll interval of a minute, a row inserted while the job sleeps is downloaded within a second or
 * two; without the listener it is not; a listener connection that is cut is logged, reconnected
 * after a backoff and keeps waking the job; stopping closes it.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { openDatabase } from '../src/db.ts';
import { quietReporter, type FileEvent } from '../src/progress.ts';
import { runSync, type SyncOptions } from '../src/sync.ts';
import { fileOf, setupNasSync, TOKEN, type NasSyncFixture } from './nas-sync-support.ts';

const GROUP = 'C99998888777766665555444433332222';
const USER = 'U99998888777766665555444433332222';
/** Far longer than any wait below: a file synced in time was not found by polling. */
const LONG_POLL_MS = 60_000;

let fx: NasSyncFixture;
let nextId = 700000000000000000n;
const newId = () => String(++nextId);

beforeAll(async () => {
  fx = await setupNasSync('listen');
});
afterAll(async () => {
  expect(fx.emulator.violations()).toEqual([]);
  await fx.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a woken job may take to sync a new row; the poll interval is 60 s. */
const WAKE_MS = 6_000;

async function waitFor(what: () => boolean | Promise<boolean>, ms: number, label: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${label}`);
    await sleep(20);
  }
}

type LogLine = { level: string; event: string } & Record<string, unknown>;

/** A continuous job (library call) with a minute between polls, collecting its log lines and file events. */
function startJob(options: Partial<SyncOptions> = {}) {
  const logs: LogLine[] = [];
  const events: FileEvent[] = [];
  const controller = new AbortController();
  const done = runSync({
    databaseUrl: fx.databaseUrl,
    channelAccessToken: TOKEN,
    dataApiBaseUrl: fx.emulator.url,
    nasRoot: fx.nasRoot,
    pollIntervalMs: LONG_POLL_MS,
    signal: controller.signal,
    reporter: quietReporter({
      file: (e) => events.push(e),
      log: (level, event, fields) => logs.push({ level, event, ...fields }),
    }),
    ...options,
  });
  const count = (event: string) => logs.filter((l) => l.event === event).length;
  return {
    logs,
    events,
    count,
    /** Started, listening (when `listening`), and past the polls it makes at start: asleep for a minute. */
    async idle(listening: boolean) {
      await waitFor(() => count('nas_sync.started') > 0, 10_000, 'the job to start');
      if (listening) await waitFor(() => count('nas_sync.listening') > 0, 10_000, 'the listener');
      await sleep(300);
    },
    async stop() {
      controller.abort(new Error('test over'));
      return done;
    },
  };
}

const synced = async (id: string) => (await fx.file(id)).syncStatus === 'synced';
const listenerConnections = async () =>
  (
    await fx.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'linebot-nas-sync-listen'`,
    )
  ).rows[0]!.n;

describe('LISTEN/NOTIFY', () => {
  it('a row inserted while the job sleeps (poll interval 60 s) is downloaded at once; stopping closes the listener', async () => {
    const job = startJob();
    try {
      await job.idle(true);
      expect(job.logs.find((l) => l.event === 'nas_sync.started')).toMatchObject({ listen: true });
      expect(await listenerConnections()).toBe(1);

      const id = newId();
      const started = Date.now();
      await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
      // Well inside the 60 s poll interval (generous for a loaded CI machine; it takes well under 1 s).
      await waitFor(() => synced(id), WAKE_MS, 'the NOTIFY to wake the job');
      expect(Date.now() - started).toBeLessThan(WAKE_MS);
      expect(job.events.find((e) => e.messageId === id)).toMatchObject({ outcome: 'synced' });

      // Rows arriving one after another, some while the job is busy with the previous ones.
      const more = [newId(), newId(), newId()];
      for (const m of more) await fx.seed({ messageId: m, chat: { user: USER } });
      await waitFor(async () => (await Promise.all(more.map(synced))).every(Boolean), WAKE_MS, 'the next rows');
    } finally {
      const summary = await job.stop();
      expect(summary.errors).toBe(0);
    }
    await waitFor(async () => (await listenerConnections()) === 0, 2_000, 'the listener connection to close');
    expect(job.logs.filter((l) => l.level !== 'info')).toEqual([]);
  });

  it('with listen: false (same 60 s interval) the row waits for the next poll', async () => {
    const job = startJob({ listen: false });
    const id = newId();
    try {
      await job.idle(false);
      expect(job.logs.find((l) => l.event === 'nas_sync.started')).toMatchObject({ listen: false });
      expect(await listenerConnections()).toBe(0);
      await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
      // As long as the listening job is given: the difference is the NOTIFY, not luck.
      await sleep(WAKE_MS);
      expect(fx.contentRequests(id)).toBe(0);
      expect((await fx.file(id)).syncStatus).toBe('pending');
    } finally {
      await job.stop();
    }
    // The next test's job picks it up at its first poll; leave it out of the way.
    await fx.db.execute(sql`UPDATE line_files SET sync_status = 'failed' WHERE ${fileOf(id)}`);
  });

  it('an open database without a URL (test seam): no listener', async () => {
    const database = openDatabase(fx.databaseUrl, { max: 2 });
    const job = startJob({ databaseUrl: undefined, database });
    try {
      await job.idle(false);
      expect(job.logs.find((l) => l.event === 'nas_sync.started')).toMatchObject({ listen: false });
      expect(await listenerConnections()).toBe(0);
    } finally {
      await job.stop();
      await database.end();
    }
  });

  it('a cut listener connection is logged, reconnected after a backoff, and wakes the job again', async () => {
    const job = startJob();
    try {
      await job.idle(true);
      await fx.db.execute(
        sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'linebot-nas-sync-listen'`,
      );
      await waitFor(() => job.count('nas_sync.listen_lost') === 1, 5_000, 'the loss to be logged');
      expect(job.logs.find((l) => l.event === 'nas_sync.listen_lost')).toMatchObject({
        level: 'warn',
        retryInMs: 1_000,
      });
      // Back after the first backoff step (1 s).
      await waitFor(() => job.count('nas_sync.listening') === 2, 5_000, 'the reconnect');
      expect(job.count('nas_sync.listen_lost')).toBe(1);
      await sleep(300);

      const id = newId();
      await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
      await waitFor(() => synced(id), WAKE_MS, 'the NOTIFY on the new connection');
    } finally {
      const summary = await job.stop();
      expect(summary.errors).toBe(0);
    }
    // (the server process exits just after the client's Terminate message)
    await waitFor(async () => (await listenerConnections()) === 0, 2_000, 'the listener connection to close');
  });

  it('the CLI listens by default; --no-listen turns it off', () => {
    const env = { DATABASE_URL: fx.databaseUrl, LINE_CHANNEL_ACCESS_TOKEN: TOKEN, NAS_ROOT: fx.nasRoot };
    expect(parseConfig([], env).listen).toBe(true);
    expect(parseConfig(['--no-listen'], env).listen).toBe(false);
  });
});
