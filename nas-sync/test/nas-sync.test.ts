/**
 * The nas-sync job against the real local Postgres and the LINE emulator's content endpoint:
 * files land where they should with the right bytes and metadata, 202 / 404 / 410 / 429 / 5xx are
 * handled as the issue says, a crash between download and rename leaves nothing behind, unsend
 * removes the NAS copy, and two jobs at once never download a file twice.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimFiles } from '../src/claim.ts';
import { databaseNow } from '../src/db.ts';
import { PARTIAL_DIR } from '../src/download.ts';
import { quietReporter, type FileEvent } from '../src/progress.ts';
import { runSync } from '../src/sync.ts';
import { lineFiles } from '@linebot-edge/shared/schema';
import { fileOf, runNode, setupNasSync, TOKEN, type NasSyncFixture } from './nas-sync-support.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const GROUP = 'Ca56f94637cc4347f90a25382909b24b9';
const ROOM = 'Ra8dbf4e6a1b3c2d1e0f9a8b7c6d5e4f3';
const USER = 'U4af4980629aaaaaaaaaaaaaaaaaaaaaa';
const contentPath = (id: string) => `/v2/bot/message/${id}/content`;

let fx: NasSyncFixture;
let nextId = 900000000000000000n;
const newId = () => String(++nextId);

beforeAll(async () => {
  fx = await setupNasSync('main');
});
afterAll(async () => {
  expect(fx.emulator.violations()).toEqual([]);
  await fx.close();
});

const partials = async () => (await readdir(join(fx.nasRoot, PARTIAL_DIR)).catch(() => [] as string[])).sort();

describe('downloads', () => {
  it('copies an image from a group chat to groups/{groupId}/images/{date}/{messageId}.jpg with size, type and hash', async () => {
    const id = newId();
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.from('a tiny jpeg'),
      Buffer.from([0xff, 0xd9]),
    ]);
    fx.emulator.state.content.set(id, { body: bytes, contentType: 'image/jpeg' });
    await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER, sentAt: new Date('2025-03-04T15:59:00Z') }); // 23:59 in Asia/Taipei

    const { events } = await fx.syncOnce();

    const expectedPath = `groups/${GROUP}/images/2025-03-04/${id}.jpg`;
    expect(events.find((e) => e.messageId === id)).toMatchObject({
      outcome: 'synced',
      nasPath: expectedPath,
      bytes: bytes.length,
    });
    expect(await readFile(join(fx.nasRoot, expectedPath))).toEqual(bytes);
    const row = await fx.file(id);
    expect(row).toMatchObject({
      nasPath: expectedPath,
      fileSize: bytes.length,
      mimeType: 'image/jpeg',
      sha256: sha256(bytes),
      syncStatus: 'synced',
      syncAttempts: 0,
      syncError: null,
      syncClaimedAt: null,
    });
    expect(row.syncedAt).toBeInstanceOf(Date);
    expect(fx.contentRequests(id)).toBe(1);
    // The token went to LINE as a bearer token.
    const req = fx.emulator.requests().find((r) => r.path === contentPath(id))!;
    expect(req.headers.authorization).toBe('Bearer ***');
    expect(await partials()).toEqual([]);

    // Synced rows are never fetched again.
    await fx.syncOnce();
    expect(fx.contentRequests(id)).toBe(1);
  });

  it('files 1:1 chats under users/{userId} and rooms under groups/{roomId}', async () => {
    const dm = newId();
    const room = newId();
    fx.emulator.state.content.set(dm, { body: Buffer.from('video bytes'), contentType: 'video/mp4' });
    fx.emulator.state.content.set(room, { body: Buffer.from('audio bytes'), contentType: 'audio/m4a' });
    await fx.seed({ messageId: dm, fileType: 'video', chat: { user: USER }, sentAt: new Date('2025-06-01T00:00:00Z') });
    await fx.seed({
      messageId: room,
      fileType: 'audio',
      chat: { room: ROOM },
      userId: USER,
      sentAt: new Date('2025-06-02T12:00:00Z'),
    });

    await fx.syncOnce();

    expect((await fx.file(dm)).nasPath).toBe(`users/${USER}/videos/2025-06-01/${dm}.mp4`);
    expect((await fx.file(room)).nasPath).toBe(`groups/${ROOM}/audios/2025-06-02/${room}.m4a`);
    expect(await readFile(join(fx.nasRoot, `users/${USER}/videos/2025-06-01/${dm}.mp4`), 'utf8')).toBe('video bytes');
  });

  it('keeps a file its own name, made safe: no ../ escape, reserved characters replaced, CJK intact', async () => {
    const evil = newId();
    const cjk = newId();
    const bare = newId();
    fx.emulator.state.content.set(evil, { body: Buffer.from('#!/bin/sh\necho pwned\n'), contentType: 'text/x-sh' });
    fx.emulator.state.content.set(cjk, {
      body: Buffer.from('PK spreadsheet'),
      contentType: 'application/octet-stream',
    });
    fx.emulator.state.content.set(bare, { body: Buffer.from('%PDF-1.7'), contentType: 'application/pdf' });
    await fx.seed({
      messageId: evil,
      fileType: 'file',
      fileName: '../../../etc/cron.d/<job>:run?.sh',
      chat: { group: GROUP },
      userId: USER,
    });
    await fx.seed({
      messageId: cjk,
      fileType: 'file',
      fileName: '第3四半期 見積書 (最終).xlsx',
      chat: { group: GROUP },
      userId: USER,
    });
    await fx.seed({ messageId: bare, fileType: 'file', fileName: 'CON', chat: { group: GROUP }, userId: USER });

    await fx.syncOnce();

    const day = `groups/${GROUP}/files/2025-06-01`;
    expect((await fx.file(evil)).nasPath).toBe(`${day}/${evil}__job__run_.sh`);
    expect((await fx.file(cjk)).nasPath).toBe(`${day}/${cjk}_第3四半期 見積書 (最終).xlsx`);
    // A reserved device name is defused; a name without an extension takes the Content-Type's.
    expect((await fx.file(bare)).nasPath).toBe(`${day}/${bare}__CON.pdf`);
    expect(await readFile(join(fx.nasRoot, `${day}/${cjk}_第3四半期 見積書 (最終).xlsx`), 'utf8')).toBe(
      'PK spreadsheet',
    );
    // Everything the job wrote is inside NAS_ROOT, under the chat's folder.
    for (const f of await fx.listNas()) expect(f.startsWith('groups/') || f.startsWith('users/')).toBe(true);
    expect(existsSync(join(fx.nasRoot, '..', 'etc'))).toBe(false);
  });
});

describe("LINE's answers", () => {
  it('202 (still preparing): tried again later, without holding up other files; then 200', async () => {
    const video = newId();
    const other = newId();
    fx.emulator.state.content.set(video, { body: Buffer.from('the finished video'), contentType: 'video/mp4' });
    fx.emulator.state.faults.push({ method: 'GET', path: contentPath(video), status: 202, body: '', times: 1 });
    await fx.seed({ messageId: video, fileType: 'video', chat: { group: GROUP }, userId: USER });
    await fx.seed({ messageId: other, chat: { group: GROUP }, userId: USER });

    const first = await fx.syncOnce({ preparingDelayMs: 60_000, concurrency: 1 });
    expect(first.events.find((e) => e.messageId === video)).toMatchObject({ outcome: 'preparing', status: 202 });
    expect(first.events.find((e) => e.messageId === other)).toMatchObject({ outcome: 'synced' });
    const waiting = await fx.file(video);
    expect(waiting).toMatchObject({ syncStatus: 'pending', syncAttempts: 0, nasPath: null, syncClaimedAt: null });
    expect(waiting.syncError).toMatch(/202/);
    expect(waiting.nextSyncAt!.getTime()).toBeGreaterThan(Date.now() + 50_000);

    // Not due yet: a run now leaves it alone.
    await fx.syncOnce();
    expect(fx.contentRequests(video)).toBe(1);

    // A minute later (moved forward in the database rather than waited for):
    await fx.db.update(lineFiles).set({ nextSyncAt: sql`now()` }).where(fileOf(video));
    const second = await fx.syncOnce();
    expect(second.events.find((e) => e.messageId === video)).toMatchObject({ outcome: 'synced' });
    expect(fx.contentRequests(video)).toBe(2);
    expect(await fx.file(video)).toMatchObject({ syncStatus: 'synced', syncError: null, nextSyncAt: null });
  });

  it.each([410, 404])(
    '%i (unsent or expired): marked unavailable with the reason and never asked again',
    async (status) => {
      const id = newId();
      fx.emulator.state.faults.push({ method: 'GET', path: contentPath(id), status, body: { message: 'Not found' } });
      await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });

      const { events } = await fx.syncOnce();
      expect(events.find((e) => e.messageId === id)).toMatchObject({ outcome: 'unavailable', status });
      const row = await fx.file(id);
      expect(row).toMatchObject({ syncStatus: 'unavailable', nasPath: null, syncAttempts: 0 });
      expect(row.syncError).toContain(`HTTP ${status}`);

      await fx.db.update(lineFiles).set({ nextSyncAt: null }).where(fileOf(id));
      await fx.syncOnce();
      expect(fx.contentRequests(id)).toBe(1);
    },
  );

  it('429 and 5xx: backs off (honouring Retry-After), and after N failures marks the row failed with its error', async () => {
    const id = newId();
    fx.emulator.state.faults.push({
      method: 'GET',
      path: contentPath(id),
      status: 429,
      times: 1,
      headers: { 'retry-after': '120' },
    });
    fx.emulator.state.faults.push({
      method: 'GET',
      path: contentPath(id),
      status: 503,
      body: { message: 'Service Unavailable' },
    });
    await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });

    const before = Date.now();
    const first = await fx.syncOnce({ maxAttempts: 3, retryBaseMs: 10 });
    expect(first.events.find((e) => e.messageId === id)).toMatchObject({ outcome: 'retry', status: 429, attempts: 1 });
    let row = await fx.file(id);
    expect(row).toMatchObject({ syncStatus: 'pending', syncAttempts: 1 });
    expect(row.nextSyncAt!.getTime()).toBeGreaterThanOrEqual(before + 119_000);

    const due = () => fx.db.update(lineFiles).set({ nextSyncAt: sql`now()` }).where(fileOf(id));
    await due();
    const second = await fx.syncOnce({ maxAttempts: 3, retryBaseMs: 10 });
    expect(second.events.find((e) => e.messageId === id)).toMatchObject({ outcome: 'retry', status: 503, attempts: 2 });

    await due();
    const third = await fx.syncOnce({ maxAttempts: 3, retryBaseMs: 10 });
    expect(third.events.find((e) => e.messageId === id)).toMatchObject({ outcome: 'failed', attempts: 3 });
    row = await fx.file(id);
    expect(row).toMatchObject({ syncStatus: 'failed', syncAttempts: 3, nextSyncAt: null, nasPath: null });
    expect(row.syncError).toBe('HTTP 503: Service Unavailable');

    // Failed rows stay put until someone queues them again.
    await fx.syncOnce();
    expect(fx.contentRequests(id)).toBe(3);
    fx.emulator.state.faults.length = 0;
    await fx.db.update(lineFiles).set({ syncStatus: 'pending', syncAttempts: 0 }).where(fileOf(id));
    await fx.syncOnce();
    expect((await fx.file(id)).syncStatus).toBe('synced');
  });
});

describe('crash safety', () => {
  it('a failure between download and rename leaves no file; the retry succeeds and leaves no temp file', async () => {
    const id = newId();
    const bytes = Buffer.from('x'.repeat(100_000));
    fx.emulator.state.content.set(id, { body: bytes, contentType: 'image/png' });
    await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
    const finalPath = join(fx.nasRoot, `groups/${GROUP}/images/2025-06-01/${id}.png`);

    let sawTemp = false;
    const first = await fx.syncOnce({
      retryBaseMs: 10,
      hooks: {
        beforeRename: async ({ tempPath }) => {
          sawTemp = (await readFile(tempPath)).equals(bytes);
          throw new Error('disk yanked before rename');
        },
      },
    });
    expect(sawTemp).toBe(true); // the whole file was in the temp file when the "crash" hit
    expect(first.events.find((e) => e.messageId === id)).toMatchObject({
      outcome: 'retry',
      error: 'disk yanked before rename',
    });
    expect(existsSync(finalPath)).toBe(false);
    expect(await partials()).toEqual([]);
    expect(await fx.file(id)).toMatchObject({ syncStatus: 'pending', nasPath: null, syncAttempts: 1 });

    await fx.db.update(lineFiles).set({ nextSyncAt: sql`now()` }).where(fileOf(id));
    await fx.syncOnce();
    expect(await readFile(finalPath)).toEqual(bytes);
    expect(await fx.file(id)).toMatchObject({ syncStatus: 'synced', sha256: sha256(bytes) });
    expect(await partials()).toEqual([]);
  });

  it('a process killed between download and rename leaves only a temp file; the next run takes over and cleans up', async () => {
    const id = newId();
    const bytes = Buffer.from('y'.repeat(300_000));
    fx.emulator.state.content.set(id, { body: bytes, contentType: 'image/jpeg' });
    await fx.seed({ messageId: id, chat: { user: USER } });
    const finalPath = join(fx.nasRoot, `users/${USER}/images/2025-06-01/${id}.jpg`);

    const child = await runNode(
      [
        'nas-sync/test/nas-sync-child.ts',
        'crash',
        JSON.stringify({
          databaseUrl: fx.databaseUrl,
          dataApiBaseUrl: fx.emulator.url,
          nasRoot: fx.nasRoot,
          token: TOKEN,
        }),
      ],
      {},
    );
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).toContain('about to rename');
    expect(existsSync(finalPath)).toBe(false);
    const left = await partials();
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^${id}\\..*\\.partial$`));
    const claimed = await fx.file(id);
    expect(claimed).toMatchObject({ syncStatus: 'pending', nasPath: null });
    expect(claimed.syncClaimedAt).toBeInstanceOf(Date);

    // A live claim is not taken over...
    await fx.syncOnce();
    expect(fx.contentRequests(id)).toBe(1);
    // ...an abandoned one is (the lease here is short; in production it is 5 minutes).
    await new Promise((r) => setTimeout(r, 250));
    const retry = await fx.syncOnce({ leaseMs: 200 });
    expect(retry.events.find((e) => e.messageId === id)).toMatchObject({ outcome: 'synced' });
    expect(await readFile(finalPath)).toEqual(bytes);
    expect(await fx.file(id)).toMatchObject({ syncStatus: 'synced', syncAttempts: 1, syncClaimedAt: null });
    expect(await partials()).toEqual([]);
    expect(fx.contentRequests(id)).toBe(2);
  });

  it('sweeps temp files abandoned long ago at start, and leaves fresh ones (another job may be writing them)', async () => {
    const dir = join(fx.nasRoot, PARTIAL_DIR);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '1.old.partial'), 'old');
    await writeFile(join(dir, '2.fresh.partial'), 'fresh');
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(join(dir, '1.old.partial'), hourAgo, hourAgo);
    await fx.syncOnce();
    expect(await partials()).toEqual(['2.fresh.partial']);
    await unlink(join(dir, '2.fresh.partial'));
  });
});

describe('unsend', () => {
  it('deletes the NAS copy of a synced file, clears nas_path and marks the row removed', async () => {
    const id = newId();
    await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
    await fx.syncOnce();
    const synced = await fx.file(id);
    const path = join(fx.nasRoot, synced.nasPath!);
    expect(existsSync(path)).toBe(true);

    await fx.db.update(lineFiles).set({ removeRequestedAt: sql`now()` }).where(fileOf(id));
    const removed: string[] = [];
    await fx.syncOnce({ reporter: quietReporter({ removal: (r) => removed.push(r.messageId) }) });

    expect(removed).toEqual([id]);
    expect(existsSync(path)).toBe(false);
    const row = await fx.file(id);
    expect(row).toMatchObject({ nasPath: null, syncStatus: 'removed' });
    expect(row.removedAt).toBeInstanceOf(Date);
  });

  it('never downloads a file unsent before the job got to it', async () => {
    const id = newId();
    await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
    await fx.db.update(lineFiles).set({ removeRequestedAt: sql`now()` }).where(fileOf(id));
    await fx.syncOnce();
    expect(fx.contentRequests(id)).toBe(0);
    expect(await fx.file(id)).toMatchObject({ syncStatus: 'removed', nasPath: null });
  });

  it('discards a download that finishes after the unsend arrived', async () => {
    const id = newId();
    await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
    const { events } = await fx.syncOnce({
      hooks: {
        beforeRename: async () => {
          // The Worker handles the unsend while the bytes are still in the temp file.
          await fx.db.update(lineFiles).set({ removeRequestedAt: sql`now()` }).where(fileOf(id));
        },
      },
    });
    expect(events.find((e) => e.messageId === id)).toMatchObject({ outcome: 'discarded' });
    expect((await fx.listNas()).filter((f) => f.includes(id))).toEqual([]);
    expect(await fx.file(id)).toMatchObject({ syncStatus: 'removed', nasPath: null });
  });
});

describe('several jobs at once', () => {
  // Once flaky under load (one file downloaded by neither job): a --once job with every slot busy
  // took its downloads finishing during the removal pass for an empty queue and stopped (fixed;
  // the test below makes that moment happen on purpose).
  it('two job instances (separate pools) on the same rows download each file exactly once', async () => {
    const ids = Array.from({ length: 24 }, newId);
    for (const [i, id] of ids.entries()) {
      fx.emulator.state.content.set(id, { body: Buffer.from(`file ${i} `.repeat(5_000)), contentType: 'image/jpeg' });
      await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
    }
    const eventsA: FileEvent[] = [];
    const eventsB: FileEvent[] = [];
    const job = (events: FileEvent[]) =>
      runSync({
        databaseUrl: fx.databaseUrl,
        channelAccessToken: TOKEN,
        dataApiBaseUrl: fx.emulator.url,
        nasRoot: fx.nasRoot,
        once: true,
        concurrency: 3,
        pollIntervalMs: 20,
        reporter: quietReporter({ file: (e) => events.push(e) }),
        // Each file takes a moment, so neither job can finish the whole queue before the other starts.
        hooks: { beforeRename: () => new Promise((r) => setTimeout(r, 15)) },
      });
    await Promise.all([job(eventsA), job(eventsB)]);

    for (const id of ids) expect(fx.contentRequests(id), id).toBe(1);
    const synced = [...eventsA, ...eventsB].filter((e) => ids.includes(e.messageId));
    expect(synced.map((e) => e.outcome)).toEqual(ids.map(() => 'synced'));
    expect(new Set(synced.map((e) => e.messageId)).size).toBe(ids.length);
    // Both jobs did some of the work.
    expect(eventsA.length).toBeGreaterThan(0);
    expect(eventsB.length).toBeGreaterThan(0);
    for (const id of ids) expect((await fx.file(id)).syncStatus).toBe('synced');
  });

  it('--once with every slot busy does not stop when its downloads finish during the removal pass', async () => {
    const ids = [newId(), newId(), newId()];
    for (const id of ids) await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
    let releaseRename!: () => void;
    const renameGate = new Promise<void>((r) => (releaseRename = r));
    let firstDone!: () => void;
    const firstFinished = new Promise<void>((r) => (firstDone = r));
    let renaming = false;
    let raced = false;
    const events: FileEvent[] = [];
    await fx.syncOnce({
      concurrency: 1,
      pollIntervalMs: 1,
      reporter: quietReporter({
        file: (e) => {
          events.push(e);
          if (e.messageId === ids[0]) firstDone();
        },
      }),
      hooks: {
        beforeRename: async ({ file }) => {
          if (file.messageId !== ids[0]) return;
          renaming = true;
          await renameGate;
        },
        // The only slot is busy, so the loop does not ask the queue this turn; the download ends
        // while the removal pass runs.
        beforeRemovals: async () => {
          if (!renaming || raced) return;
          raced = true;
          releaseRename();
          await firstFinished;
          await new Promise((r) => setTimeout(r, 100)); // its slot is freed just after its event
        },
      },
    });
    expect(raced).toBe(true);
    expect(events.filter((e) => ids.includes(e.messageId)).map((e) => e.outcome)).toEqual([
      'synced',
      'synced',
      'synced',
    ]);
    for (const id of ids) expect((await fx.file(id)).syncStatus).toBe('synced');
  });

  it('--once takes rows due at its start to the microsecond (times written by Postgres now(), not JS dates)', async () => {
    const id = newId();
    await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
    // Due exactly at the moment the run takes as its start, with microseconds a JS Date would drop.
    // (Postgres drops trailing zeros: more than 3 digits after the point means some below the millisecond.)
    let start: string;
    do start = await databaseNow(fx.db);
    while ((/\.(\d+)/.exec(start)?.[1] ?? '').length <= 3);
    await fx.db
      .update(lineFiles)
      .set({ nextSyncAt: sql`${start}::timestamptz` })
      .where(fileOf(id));
    const claimed = await claimFiles(fx.db, { limit: 100, leaseMs: 300_000, dueBefore: start });
    expect(claimed.map((c) => c.messageId)).toContain(id);
    // As a JS Date (milliseconds) the same start would not have reached it.
    await fx.db.update(lineFiles).set({ syncClaimedAt: null }).where(fileOf(id));
    expect(
      (await claimFiles(fx.db, { limit: 100, leaseMs: 300_000, dueBefore: new Date(start).toISOString() })).map(
        (c) => c.messageId,
      ),
    ).not.toContain(id);
    // Give back what these claims took (rows other tests left due).
    await fx.db.update(lineFiles).set({ syncClaimedAt: null }).where(sql`${lineFiles.syncStatus} = 'pending'`);
    await fx.db.update(lineFiles).set({ nextSyncAt: null }).where(fileOf(id));
  });

  it('a long download keeps its claim alive (heartbeat): a second job does not take it over', async () => {
    const id = newId();
    fx.emulator.state.content.set(id, { generate: { size: 96 * 1024 * 1024, seed: 7 }, contentType: 'video/mp4' });
    await fx.seed({ messageId: id, fileType: 'video', chat: { group: GROUP }, userId: USER });
    // The lease is far shorter than the download (about 2.5 s); only the heartbeat keeps the claim
    // fresh. Ten heartbeats a lease: a loaded machine (two test files at once) stalled a 30 ms
    // heartbeat past a 150 ms lease, and the rival rightly took the row over.
    const lease = { leaseMs: 600, heartbeatMs: 60 };
    let done = false;
    const first = fx.syncOnce(lease).finally(() => (done = true));
    let rivals = 0;
    while (!done) {
      await new Promise((r) => setTimeout(r, 40));
      if (!done) {
        await fx.syncOnce(lease);
        rivals++;
      }
    }
    const { events } = await first;
    expect(rivals).toBeGreaterThan(2);
    expect(events.find((e) => e.messageId === id)).toMatchObject({ outcome: 'synced', bytes: 96 * 1024 * 1024 });
    expect(fx.contentRequests(id)).toBe(1);
  });

  it('a job that stalled past its lease and lost its claim records nothing', async () => {
    const id = newId();
    await fx.seed({ messageId: id, chat: { group: GROUP }, userId: USER });
    const { events } = await fx.syncOnce({
      hooks: {
        beforeRename: async () => {
          // Another job took the row over meanwhile (its claim is newer).
          await fx.db.update(lineFiles).set({ syncClaimedAt: sql`clock_timestamp()` }).where(fileOf(id));
        },
      },
    });
    expect(events.find((e) => e.messageId === id)).toMatchObject({ outcome: 'claim_lost' });
    expect((await fx.listNas()).filter((f) => f.includes(id))).toEqual([]);
    expect(await fx.file(id)).toMatchObject({ syncStatus: 'pending', nasPath: null });
    await fx.db.update(lineFiles).set({ syncClaimedAt: null }).where(fileOf(id));
  });
});
