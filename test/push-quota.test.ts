/**
 * The push quota in view: LINE's quota and use fetched from the emulator and cached in the one
 * line_push_quota row for at most 10 minutes (ages by the database's clock), the cached figures
 * (or "unknown") when LINE does not answer, a push LINE refuses with 429 counted through a real
 * flow (a NAS file delivered by push), and the figures on the console's overview and in the admin API.
 *
 * Test files share the database and the emulator: only this file writes the quota row's age, the
 * emulator's limit stays far above what the other files push, and LINE calls are counted on this
 * file's own client.
 */
import { env } from 'cloudflare:test';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linePushQuota, linePushRefusals } from '@linebot-edge/shared/schema';
import {
  lineMonthOf,
  lineMonthStartOf,
  type PushQuota,
  pushQuota,
  QUOTA_CACHE_SECONDS,
  UNKNOWN_FIGURES,
} from '../src/domain/push-quota';
import { createLineClient } from '../src/line/client';
import { createLogger } from '../src/lib/log';
import { adminFetch, expectJson } from './support/admin';
import { operator, page } from './support/console';
import { withDb } from './support/db';
import { refusePushesForQuota } from './support/emulator';
import { bytesOf, seedSendRequest, upload } from './support/nas';

const control = (path: string, init?: RequestInit) => fetch(`${env.LINE_API_BASE_URL}/__emulator${path}`, init);
const setEmulatorQuota = (quota: Record<string, unknown>) =>
  control('/quota', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(quota) });
const emulatorQuota = async () =>
  (await (await control('/quota')).json()) as { type: string; value?: number; totalUsage: number };

/** This file's own LINE client, counting its quota calls. */
function countingLine(apiBaseUrl = env.LINE_API_BASE_URL) {
  const calls: string[] = [];
  const line = createLineClient({
    channelAccessToken: 'test-channel-access-token',
    apiBaseUrl,
    maxRetries: 0,
    onRequest: ({ path }) => calls.push(path),
  });
  return { line, calls };
}

const read = (line = countingLine().line) => withDb((db) => pushQuota({ db, line, log: createLogger() }));

/** Makes the cached row `age` old by the database's clock (an interval literal, never JS time). */
const ageRow = (age: string) =>
  withDb((db) =>
    db
      .update(linePushQuota)
      .set({ fetchedAt: sql`now() - ${age}::interval` })
      .where(eq(linePushQuota.id, 1)),
  );

/** The row as fresh figures from LINE, for the screens. */
const cacheFigures = (row: { quotaType: string; quotaValue: number | null; totalUsage: number }) =>
  withDb((db) =>
    db
      .insert(linePushQuota)
      .values({ id: 1, ...row, fetchedAt: sql`now()` })
      .onConflictDoUpdate({ target: linePushQuota.id, set: { ...row, fetchedAt: sql`now()` } }),
  );

// Far above what the whole suite pushes: no other file's push is refused for it.
const LIMIT = 10_000_000;
beforeAll(async () => {
  expect((await setEmulatorQuota({ type: 'limited', value: LIMIT })).status).toBe(200);
});
afterAll(async () => {
  await setEmulatorQuota({ type: 'none' });
});

describe("the month's quota from LINE, cached for at most 10 minutes", () => {
  it('asks LINE when nothing is cached, keeps the answer, and answers from it within 10 minutes', async () => {
    await withDb((db) => db.delete(linePushQuota));
    const before = await emulatorQuota();
    const first = countingLine();
    const fetched = await read(first.line);
    const after = await emulatorQuota();
    expect(first.calls.sort()).toEqual(['/v2/bot/message/quota', '/v2/bot/message/quota/consumption']);
    expect(fetched).toMatchObject({ type: 'limited', value: LIMIT, stale: false, ageSeconds: 0, level: 'ok' });
    // Other files push meanwhile: LINE's use is between what the emulator said before and after.
    expect(fetched.totalUsage).toBeGreaterThanOrEqual(before.totalUsage);
    expect(fetched.totalUsage).toBeLessThanOrEqual(after.totalUsage);
    expect(fetched.month).toMatch(/^\d{4}-\d\d$/);
    const [row] = await withDb((db) => db.select().from(linePushQuota));
    expect(row).toMatchObject({ id: 1, quotaType: 'limited', quotaValue: LIMIT, totalUsage: fetched.totalUsage });

    const second = countingLine();
    expect(await read(second.line)).toMatchObject({ type: 'limited', totalUsage: fetched.totalUsage, stale: false });
    expect(second.calls).toEqual([]);

    await ageRow('9 minutes 50 seconds');
    const nearlyStale = countingLine();
    const cached = await read(nearlyStale.line);
    expect(nearlyStale.calls).toEqual([]);
    expect(cached.ageSeconds).toBeGreaterThanOrEqual(590);
    expect(cached.ageSeconds).toBeLessThan(QUOTA_CACHE_SECONDS);
  });

  it('asks LINE again once the figures are 10 minutes old', async () => {
    await read();
    await setEmulatorQuota({ type: 'limited', value: LIMIT + 1 });
    await ageRow(`${QUOTA_CACHE_SECONDS} seconds`);
    const again = countingLine();
    const fresh = await read(again.line);
    expect(again.calls.sort()).toEqual(['/v2/bot/message/quota', '/v2/bot/message/quota/consumption']);
    expect(fresh).toMatchObject({ value: LIMIT + 1, ageSeconds: 0, stale: false });
    const [row] = await withDb((db) =>
      db.select({ age: sql<number>`extract(epoch FROM now() - ${linePushQuota.fetchedAt})` }).from(linePushQuota),
    );
    expect(Number(row!.age)).toBeLessThan(60);
    await setEmulatorQuota({ type: 'limited', value: LIMIT });
  });

  it('when LINE does not answer: the cached figures with their age, or unknown', async () => {
    await cacheFigures({ quotaType: 'limited', quotaValue: 1234, totalUsage: 56 });
    await ageRow('25 minutes');
    // Nothing listens on port 9 (discard): the LINE calls fail at once.
    const down = countingLine('http://127.0.0.1:9');
    const cached = await read(down.line);
    expect(down.calls.length).toBeGreaterThan(0);
    expect(cached).toMatchObject({ type: 'limited', value: 1234, totalUsage: 56, percentUsed: 4, stale: true });
    expect(cached.ageSeconds).toBeGreaterThanOrEqual(25 * 60);
    expect(cached.ageSeconds).toBeLessThan(26 * 60);

    await withDb((db) => db.delete(linePushQuota));
    const unknown = await read(countingLine('http://127.0.0.1:9').line);
    expect(unknown).toMatchObject({ ...UNKNOWN_FIGURES, stale: true });
    expect(Object.values(UNKNOWN_FIGURES).every((v) => v === null)).toBe(true);
    await read();
  });

  it('warns from 80% and says when the quota is used up; no limit is no percentage', async () => {
    const cases: Array<[string, number | null, number, Partial<PushQuota>]> = [
      ['limited', 1000, 799, { percentUsed: 79, level: 'ok' }],
      ['limited', 1000, 800, { percentUsed: 80, level: 'warning' }],
      ['limited', 1000, 999, { percentUsed: 99, level: 'warning' }],
      ['limited', 1000, 1000, { percentUsed: 100, level: 'exhausted' }],
      ['limited', 0, 0, { percentUsed: 100, level: 'exhausted' }],
      ['none', null, 5000, { percentUsed: null, level: 'ok', value: null }],
    ];
    for (const [quotaType, quotaValue, totalUsage, expected] of cases) {
      await cacheFigures({ quotaType, quotaValue, totalUsage });
      const q = countingLine();
      expect(await read(q.line), `${totalUsage} of ${quotaValue}`).toMatchObject({ ...expected, totalUsage });
      expect(q.calls).toEqual([]);
    }
  });
});

describe('a push LINE refuses for quota (429)', () => {
  it('is counted for the month: a NAS file delivered by push, refused, one row, the count up', async () => {
    const before = (await read()).refusedThisMonth;
    // The reply window is over: the file goes by push, which LINE refuses (three tries: two retries).
    const { request, user } = await seedSendRequest({
      name: 'quota.pdf',
      size: 100,
      eventAt: new Date(Date.now() - 120_000),
    });
    await refusePushesForQuota(user!.lineUserId, 3);
    expect((await upload(request.id, 'file', bytesOf(100))).status).toBe(200);

    const rows = await withDb((db) =>
      db
        .select()
        .from(linePushRefusals)
        .where(eq(linePushRefusals.pushKey, `nas-send:${request.id}:file`)),
    );
    expect(rows).toEqual([expect.objectContaining({ chatType: 'user' })]);
    // Other files' refusals may land meanwhile: at least this one more.
    const after = (await read()).refusedThisMonth;
    expect(after).toBeGreaterThanOrEqual(before + 1);
  });
});

describe("LINE's month is Japan's", () => {
  // LINE's quota resets on the 1st at 00:00 JST, which is 15:00 UTC on the last day of the month before.
  it.each([
    ['2026-11-30 14:59:59.999999+00', '2026-11', '2026-10-31 15:00:00+00'],
    ['2026-11-30 15:00:00+00', '2026-12', '2026-11-30 15:00:00+00'],
    // Still New Year's Eve in Taipei, already January for LINE.
    ['2026-12-31 23:30:00+08', '2027-01', '2026-12-31 15:00:00+00'],
    ['2026-12-31 22:59:59+08', '2026-12', '2026-11-30 15:00:00+00'],
    ['2027-01-01 00:30:00+09', '2027-01', '2026-12-31 15:00:00+00'],
  ])('at %s the month is %s, begun at %s', async (at, month, start) => {
    const [row] = await withDb(async (db) => {
      const t = sql`${at}::timestamptz`;
      const { rows } = await db.execute<{ month: string; starts: boolean }>(
        sql`SELECT ${lineMonthOf(t)} AS month, ${lineMonthStartOf(t)} = ${start}::timestamptz AS starts`,
      );
      return rows;
    });
    expect(row).toEqual({ month, starts: true });
  });

  it("a refusal a microsecond before the month began, by Postgres' clock, is last month's", async () => {
    const key = `month-edge:${crypto.randomUUID()}`;
    const start = lineMonthStartOf(sql`now()`);
    const thisMonth = await withDb(async (db) => {
      await db.insert(linePushRefusals).values([
        { pushKey: `${key}:before`, chatType: 'user', refusedAt: sql`${start} - interval '1 microsecond'` },
        { pushKey: `${key}:at`, chatType: 'user', refusedAt: start },
      ]);
      // The predicate the count uses (readNow's), on this test's two rows only.
      return db
        .select({ pushKey: linePushRefusals.pushKey })
        .from(linePushRefusals)
        .where(sql`${linePushRefusals.pushKey} LIKE ${`${key}:%`} AND ${linePushRefusals.refusedAt} >= ${start}`);
    });
    expect(thisMonth).toEqual([{ pushKey: `${key}:at` }]);
    expect((await read()).refusedThisMonth).toBeGreaterThanOrEqual(1);
  });
});

describe('on the console and in the admin API', () => {
  it("the overview shows the month's quota, use, percentage and refusals, and warns at 80%", async () => {
    await cacheFigures({ quotaType: 'limited', quotaValue: 1000, totalUsage: 850 });
    const { cookie } = await operator();
    const html = await page('', cookie);
    const card = /<div class="card" data-figure="push-quota"[\s\S]*?<\/div>/.exec(html)![0];
    expect(card).toContain('data-level="warning"');
    expect(card).toContain('本月推播額度');
    expect(card).toContain('85%');
    expect(card).toContain('已用 850／1,000 則');
    expect(card).toContain('接近上限：已用 85%');
    expect(card).toMatch(/本月被 LINE 拒絕的推播 \d+/);

    await cacheFigures({ quotaType: 'limited', quotaValue: 1000, totalUsage: 1000 });
    const full = await page('', cookie, 'en');
    expect(full).toContain('data-level="exhausted"');
    expect(full).toContain('Used up: LINE refuses pushes until next month');

    await cacheFigures({ quotaType: 'limited', quotaValue: 1000, totalUsage: 10 });
    const calm = await page('', cookie);
    expect(calm).toContain('data-level="ok"');
    expect(calm).not.toContain('接近上限');
  });

  it('GET /api/linebot/admin/push-quota: the same figures', async () => {
    await cacheFigures({ quotaType: 'limited', quotaValue: 2000, totalUsage: 1700 });
    const body = await expectJson<PushQuota>(await adminFetch('GET', '/push-quota'), 200);
    expect(body).toMatchObject({
      type: 'limited',
      value: 2000,
      totalUsage: 1700,
      percentUsed: 85,
      level: 'warning',
      stale: false,
    });
    expect(body.refusedThisMonth).toBeGreaterThanOrEqual(0);
    expect((await adminFetch('GET', '/push-quota', { token: null })).status).toBe(401);
  });
});
