/**
 * What keeps the NAS from being filled or written outside NAS_ROOT: the daily cap per LINE sender
 * (NAS_SYNC_DAILY_BYTES_PER_USER, per Asia/Taipei day; the file waits with its reason and is copied
 * the next day), and symlinks planted under NAS_ROOT, which must not redirect a write or a delete.
 * Against the real local Postgres (its clock decides the Taipei day) and the LINE emulator.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusCounts } from '../src/claim.ts';
import { PARTIAL_DIR } from '../src/download.ts';
import { formatStatus } from '../src/progress.ts';
import { lineFiles } from '@linebot-edge/shared/schema';
import { fileOf, listFiles, setupNasSync, type NasSyncFixture } from './nas-sync-support.ts';

const KiB = 1024;
const CAP = 100 * KiB;
const WAIT_REASON = 'daily limit of 100 KiB per sender reached; copied after 00:00 Asia/Taipei';

let fx: NasSyncFixture;
let outside: string;
let nextId = 920000000000000000n;
const newId = () => String(++nextId);
let nextUser = 0;
/** A sender of its own for each test: the cap is per sender and per day. */
const newUser = () => `U${String(++nextUser).padStart(32, 'c')}`;

beforeAll(async () => {
  fx = await setupNasSync('guards');
  outside = await mkdtemp(join(tmpdir(), 'nas-outside-'));
});
afterAll(async () => {
  expect(fx.emulator.violations()).toEqual([]);
  await fx.close();
  await rm(outside, { recursive: true, force: true });
});

/** Seeds an image of `size` bytes sent by `user` in a 1:1 chat. */
async function image(user: string, size: number): Promise<string> {
  const id = newId();
  fx.emulator.state.content.set(id, { body: Buffer.alloc(size, id.at(-1)), contentType: 'image/jpeg' });
  await fx.seed({ messageId: id, chat: { user } });
  return id;
}

/** The file's next_sync_at, and whether it is the next 00:00 in Taipei by the database's clock (compared there, to the microsecond). */
const dueAtNextTaipeiMidnight = async (messageId: string) =>
  (
    await fx.db.execute<{ ok: boolean; at: string }>(sql`
      SELECT next_sync_at = (date_trunc('day', now() AT TIME ZONE 'Asia/Taipei') + interval '1 day') AT TIME ZONE 'Asia/Taipei' AS ok,
             to_char(next_sync_at AT TIME ZONE 'Asia/Taipei', 'HH24:MI:SS.US') AS at
        FROM line_files WHERE ${fileOf(messageId)}`)
  ).rows[0];

const capped = (options: Parameters<NasSyncFixture['syncOnce']>[0] = {}) =>
  fx.syncOnce({ dailyBytesPerSender: CAP, ...options });
const onNas = async (id: string) => (await fx.listNas()).filter((f) => f.includes(id));

describe('the daily cap per sender', () => {
  it('copies up to the cap; the next file waits for 00:00 Taipei with its reason, attempts unchanged, not even downloaded whole', async () => {
    const alice = newUser();
    const bob = newUser();
    const [a1, a2, a3] = [await image(alice, 40 * KiB), await image(alice, 40 * KiB), await image(alice, 40 * KiB)];
    const b1 = await image(bob, 90 * KiB);

    const { events } = await capped({ concurrency: 1 }); // oldest first: a3 is the one over
    for (const id of [a1, a2, b1]) expect((await fx.file(id)).syncStatus, id).toBe('synced');
    const waiting = await fx.file(a3);
    expect(waiting).toMatchObject({
      syncStatus: 'pending',
      syncAttempts: 0,
      syncError: WAIT_REASON,
      nasPath: null,
      syncClaimedAt: null,
    });
    expect(await dueAtNextTaipeiMidnight(a3)).toEqual({ ok: true, at: '00:00:00.000000' });
    expect(events.find((e) => e.messageId === a3)).toMatchObject({ outcome: 'daily_limit', error: WAIT_REASON });
    // Refused on LINE's Content-Length: asked once, nothing written, no temp file left.
    expect(fx.contentRequests(a3)).toBe(1);
    expect(await onNas(a3)).toEqual([]);

    // Visible to the operator: --status counts it.
    const counts = await statusCounts(fx.db, 300_000);
    expect(counts.dailyLimited).toBe(1);
    expect(formatStatus(counts)).toMatch(/^daily limit\s+1 waiting for 00:00 Asia\/Taipei/m);

    // Not due again today: another run leaves it.
    await capped();
    expect(fx.contentRequests(a3)).toBe(1);

    // The next Taipei day: yesterday's copies no longer count, and the file is due.
    await fx.db.execute(
      sql`UPDATE line_files SET synced_at = synced_at - interval '1 day' WHERE synced_at IS NOT NULL`,
    );
    await fx.db.update(lineFiles).set({ nextSyncAt: sql`now() - interval '1 second'` }).where(fileOf(a3));
    await capped();
    expect(await fx.file(a3)).toMatchObject({
      syncStatus: 'synced',
      syncError: null,
      syncAttempts: 0,
      fileSize: 40 * KiB,
    });
    expect((await statusCounts(fx.db, 300_000)).dailyLimited).toBe(0);
  });

  it('is checked again when the copy is recorded (another job may have copied meanwhile): the download is discarded', async () => {
    const carol = newUser();
    const first = await image(carol, 50 * KiB);
    const second = await image(carol, 1 * KiB);
    const { events } = await capped({
      concurrency: 1,
      hooks: {
        beforeRename: async ({ file }) => {
          // While `first` was downloading, another job copied 60 KiB of carol's today.
          if (file.messageId === first) {
            await fx.db
              .update(lineFiles)
              .set({ syncStatus: 'synced', syncedAt: sql`now()`, fileSize: 60 * KiB })
              .where(fileOf(second));
          }
        },
      },
    });
    expect(events.find((e) => e.messageId === first)).toMatchObject({ outcome: 'daily_limit' });
    expect(await fx.file(first)).toMatchObject({
      syncStatus: 'pending',
      syncError: WAIT_REASON,
      syncAttempts: 0,
      nasPath: null,
    });
    expect(await onNas(first)).toEqual([]);
    expect(await readdir(join(fx.nasRoot, PARTIAL_DIR))).toEqual([]);
  });

  it('two jobs at once copy no more than the cap together (the check and the copy take turns per sender)', async () => {
    const dave = newUser();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await image(dave, 40 * KiB));
    // Two jobs, each with a pool of its own. Every download passes the early check (nothing
    // copied yet) and then waits, so all six are recorded at about the same time.
    const job = () =>
      capped({
        concurrency: 3,
        pollIntervalMs: 20,
        hooks: { beforeRename: () => new Promise((r) => setTimeout(r, 100)) },
      });
    const events = (await Promise.all([job(), job()])).flatMap((run) => run.events);
    const rows = await Promise.all(ids.map((id) => fx.file(id)));
    expect(rows.filter((r) => r.syncStatus === 'synced')).toHaveLength(2);
    expect(rows.filter((r) => r.syncStatus === 'pending' && r.syncError === WAIT_REASON)).toHaveLength(4);
    expect(
      events
        .filter((e) => ids.includes(e.messageId))
        .map((e) => e.outcome)
        .sort(),
    ).toEqual(['daily_limit', 'daily_limit', 'daily_limit', 'daily_limit', 'synced', 'synced']);
    expect((await fx.listNas()).filter((f) => ids.some((id) => f.includes(id)))).toHaveLength(2);
  });

  it('a single file larger than the whole cap fails at once, saying what to change', async () => {
    const erin = newUser();
    const big = await image(erin, 120 * KiB);
    const { events } = await capped();
    const row = await fx.file(big);
    expect(row).toMatchObject({ syncStatus: 'failed', nasPath: null });
    expect(row.syncError).toBe(
      '120 KiB is more than the daily limit of 100 KiB per sender: it can never be copied; raise NAS_SYNC_DAILY_BYTES_PER_USER, then run --retry-failed',
    );
    expect(events.find((e) => e.messageId === big)).toMatchObject({ outcome: 'failed' });
    expect(await onNas(big)).toEqual([]);
  });

  it('group media counts for the member who sent it', async () => {
    const frank = newUser();
    const group = 'C' + 'f'.repeat(32);
    const mine = await image(frank, 80 * KiB);
    const id = newId();
    fx.emulator.state.content.set(id, { body: Buffer.alloc(40 * KiB, 1), contentType: 'image/jpeg' });
    await fx.seed({ messageId: id, chat: { group }, userId: frank });
    await capped({ concurrency: 1 });
    expect((await fx.file(mine)).syncStatus).toBe('synced');
    expect(await fx.file(id)).toMatchObject({ syncStatus: 'pending', syncError: WAIT_REASON });
  });
});

describe('symlinks planted under NAS_ROOT', () => {
  it("a chat's folder linked outside: nothing is written there, the file is failed at once with the reason", async () => {
    const group = 'C' + 'e'.repeat(32);
    await mkdir(join(fx.nasRoot, 'groups'), { recursive: true });
    await symlink(outside, join(fx.nasRoot, 'groups', group));
    const id = newId();
    await fx.seed({ messageId: id, chat: { group }, userId: newUser() });
    const { events } = await fx.syncOnce();
    const row = await fx.file(id);
    expect(row).toMatchObject({ syncStatus: 'failed', nasPath: null, syncAttempts: 1 });
    expect(row.syncError).toContain(
      `refused: the folder groups/${group}/images/2025-06-01 under NAS_ROOT resolves to ${outside}/images/2025-06-01, outside NAS_ROOT`,
    );
    expect(events.find((e) => e.messageId === id)).toMatchObject({ outcome: 'failed' });
    expect(await listFiles(outside)).toEqual([]);
    expect(await readdir(outside)).toEqual([]); // not even its folders
    expect(await readdir(join(fx.nasRoot, PARTIAL_DIR))).toEqual([]);
  });

  it("an unsent file's folder swapped for a link outside: the file there is not deleted, the reason is kept on the row", async () => {
    const user = newUser();
    const id = await image(user, 1 * KiB);
    await fx.syncOnce();
    const nasPath = (await fx.file(id)).nasPath!;
    const dayDir = join(fx.nasRoot, nasPath, '..');
    // Someone moves the folder away and links one outside in its place, holding a file of the same name.
    await rm(dayDir, { recursive: true });
    const target = join(outside, 'swapped');
    await mkdir(target);
    await writeFile(join(target, nasPath.split('/').at(-1)!), 'not ours to delete');
    await symlink(target, dayDir);

    await fx.db.update(lineFiles).set({ removeRequestedAt: sql`now()` }).where(fileOf(id));
    await fx.syncOnce();
    expect(await readFile(join(target, nasPath.split('/').at(-1)!), 'utf8')).toBe('not ours to delete');
    const row = await fx.file(id);
    expect(row).toMatchObject({ removedAt: null, nasPath });
    expect(row.syncError).toContain('outside NAS_ROOT');
    expect((await statusCounts(fx.db, 300_000)).removalPending).toBe(1);
    // Put right by the operator: the next pass removes it.
    await rm(dayDir);
    await fx.syncOnce();
    expect(await fx.file(id)).toMatchObject({ syncStatus: 'removed', nasPath: null });
  });

  it('the temp folder linked outside: the job stops at start, nothing written or deleted there', async () => {
    const nasRoot = await mkdtemp(join(tmpdir(), 'nas-root-partial-'));
    const target = join(outside, 'partials');
    await mkdir(target);
    await writeFile(join(target, `${newId()}.1-ab.partial`), 'old');
    await symlink(target, join(nasRoot, PARTIAL_DIR));
    const id = await image(newUser(), 1 * KiB);
    try {
      await expect(fx.syncOnce({ nasRoot, leaseMs: 1 })).rejects.toThrow(/\.nas-sync-partial .*outside NAS_ROOT/);
      expect(await readdir(target)).toHaveLength(1);
      expect(fx.contentRequests(id)).toBe(0);
    } finally {
      await rm(nasRoot, { recursive: true, force: true });
    }
    await fx.syncOnce();
    expect(existsSync(join(fx.nasRoot, (await fx.file(id)).nasPath!))).toBe(true);
  });
});
