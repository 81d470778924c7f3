/**
 * Inbox retention (INBOX_RETENTION_DAYS): the Cron Trigger purges the payloads of done events
 * received more than N days ago (times as Postgres writes them), in small batches; failed and dead
 * events keep theirs (the setting's bounds: test/settings.test.ts); the admin API (against its
 * OpenAPI document) and the console show a purged event without its payload.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { lineWebhookEvents } from '@linebot-edge/shared/schema';
import worker from '../src/index';
import { purgeInboxPayloads } from '../src/inbox/retention';
import { contract, seedInboxEvent, type Contract } from './support/admin';
import { operator, page } from './support/console';
import { withDb } from './support/db';

let api: Contract;
beforeAll(async () => {
  api = await contract();
});

/** Seeds an inbox row received `days` ago by Postgres' clock. */
async function receivedDaysAgo(days: number, fields: Parameters<typeof seedInboxEvent>[0] = {}) {
  const row = await seedInboxEvent({ status: 'done', ...fields });
  await withDb((db) =>
    db
      .update(lineWebhookEvents)
      .set({ receivedAt: sql`now() - make_interval(days => ${days}::int)` })
      .where(eq(lineWebhookEvents.id, row.id)),
  );
  return row;
}

const rowsOf = (ids: number[]) =>
  withDb((db) =>
    db.select().from(lineWebhookEvents).where(inArray(lineWebhookEvents.id, ids)).orderBy(lineWebhookEvents.id),
  );

async function runCron(extra: Partial<Env> = {}) {
  const ctx = createExecutionContext();
  await worker.scheduled!(
    createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }),
    { ...env, ...extra },
    ctx,
  );
  await waitOnExecutionContext(ctx);
}

describe('the cron purges old done payloads', () => {
  it('done and older than 30 days: payload NULL, purge time set, key, type, times and status kept; newer or failed ones untouched', async () => {
    const old = await receivedDaysAgo(31);
    const recent = await receivedDaysAgo(29);
    const failed = await receivedDaysAgo(31, { status: 'failed', lastError: 'LINE answered 500' });
    const dead = await receivedDaysAgo(40, { status: 'dead' });
    await runCron({ INBOX_RETENTION_DAYS: '30' });

    const [o, r, f, d] = await rowsOf([old.id, recent.id, failed.id, dead.id]);
    expect(o).toMatchObject({
      payload: null,
      webhookEventId: old.webhookEventId,
      eventType: 'postback',
      status: 'done',
    });
    expect(o!.payloadPurgedAt).toBeInstanceOf(Date);
    for (const kept of [r, f, d]) {
      expect(kept!.payload).not.toBeNull();
      expect(kept!.payloadPurgedAt).toBeNull();
    }
    // The purge time is Postgres' now(), after the row was received.
    const purgedLate = await withDb((db) =>
      db.execute<{ ok: boolean }>(
        sql`SELECT payload_purged_at > received_at + interval '30 days' AS ok FROM line_webhook_events WHERE id = ${old.id}`,
      ),
    );
    expect(purgedLate.rows).toEqual([{ ok: true }]);

    // A shorter retention reaches the 29-day-old one.
    await runCron({ INBOX_RETENTION_DAYS: '7' });
    expect((await rowsOf([recent.id]))[0]!.payload).toBeNull();
  });

  it('the admin API (per its OpenAPI document) and the console show a purged event without its payload; it cannot be retried', async () => {
    const eventType = `test.purged.${crypto.randomUUID().slice(0, 8)}`;
    const row = await receivedDaysAgo(60, { eventType });
    await runCron({ INBOX_RETENTION_DAYS: '30' });
    const res = await api.call('GET', `/events?status=done&eventType=${eventType}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({ id: row.id, status: 'done', payload: null, payloadPurgedAt: expect.any(String) }),
    ]);
    const { cookie } = await operator();
    const html = await page(`/inbox?status=done&eventType=${eventType}`, cookie, 'en');
    expect(html).toContain(`#${row.id}`);
    expect(html).toContain('Event payload removed after the retention period.');
    expect((await api.call('POST', `/events/${row.id}/retry`)).status).toBe(409);
  });

  it('in batches: a run purges at most its statements × batch, oldest first', async () => {
    // Far older than anything else in the shared database, so only these rows qualify. They are
    // `invalid` (which no Cron run touches) until the transaction below makes them `done`: another
    // file's Cron run, whose purge takes any old done row, cannot take them first.
    const rows = [];
    for (let i = 0; i < 5; i++) rows.push(await receivedDaysAgo(3400 + i, { status: 'invalid' }));
    const ids = rows.map((r) => r.id);
    const { first, nullAfterFirst, second } = await withDb((db) =>
      db.transaction(async (tx) => {
        await tx.update(lineWebhookEvents).set({ status: 'done' }).where(inArray(lineWebhookEvents.id, ids));
        const first = await purgeInboxPayloads(tx, 3399, { batch: 2, statements: 1 });
        const purged = await tx
          .select({ id: lineWebhookEvents.id })
          .from(lineWebhookEvents)
          .where(and(inArray(lineWebhookEvents.id, ids), isNull(lineWebhookEvents.payload)));
        const second = await purgeInboxPayloads(tx, 3399, { batch: 2, statements: 4 });
        return { first, nullAfterFirst: purged.map((r) => r.id).sort(), second };
      }),
    );
    expect(first).toBe(2);
    // The two oldest (3404 and 3403 days) went first.
    expect(nullAfterFirst).toEqual([ids[4]!, ids[3]!].sort());
    expect(second).toBe(3);
    expect((await rowsOf(ids)).every((r) => r.payload === null)).toBe(true);
  });
});
