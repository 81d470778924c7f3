/**
 * The durable inbox: redelivery changes nothing, failures are recorded and retried by the Cron
 * Trigger, rows end `dead` after their last attempt, a dead worker's rows are recovered, the
 * ack budget is honoured, and an unreachable database gets 503.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { lineGroups, lineMessages, lineUsers, lineWebhookEvents } from '@linebot-edge/shared/schema';
import { MAX_ATTEMPTS } from '../src/inbox/status';
import { createLogger } from '../src/lib/log';
import { openServices } from '../src/services';
import { recordAndProcess } from '../src/webhook/ack';
import worker from '../src/index';
import { withDb } from './support/db';
import { addFault, lineRequests, violations } from './support/emulator';
import { event, newId, postEvents, postWebhook, textEvent } from './support/line';
import { inboxKey } from '../src/inbox/record';

const started = Date.now();

const inboxRow = (webhookEventId: string) =>
  withDb(
    async (db) =>
      (await db.select().from(lineWebhookEvents).where(eq(lineWebhookEvents.webhookEventId, webhookEventId)))[0],
  );
const messageRow = (messageId: string) =>
  withDb(async (db) => (await db.select().from(lineMessages).where(eq(lineMessages.messageId, messageId)))[0]);

/** Runs the Cron Trigger now. */
async function runCron() {
  const ctx = createExecutionContext();
  const controller = createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' });
  await worker.scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
}

/**
 * Lets one row's backoff run out. (Moving the cron's clock instead would also make other test
 * files' rows due or "stuck" while they are being processed: all files share one database.)
 */
const makeDue = (webhookEventId: string) =>
  withDb((db) =>
    db
      .update(lineWebhookEvents)
      .set({ nextAttemptAt: sql`now() - interval '1 second'` })
      .where(eq(lineWebhookEvents.webhookEventId, webhookEventId)),
  );

describe('redelivery', () => {
  it('a whole body redelivered (same ids, isRedelivery: true) leaves every table unchanged', async () => {
    const userId = newId.user();
    const groupId = newId.group();
    const events = [
      event('join', { userId: '', groupId }, { replyToken: newId.replyToken() }),
      textEvent({ userId, groupId }, 'first'),
      event('follow', { userId }, { replyToken: newId.replyToken() }),
      event('unsend', { userId, groupId }, { unsend: { messageId: 'not-yet-seen' + userId } }),
    ];
    expect((await postEvents(events)).status).toBe(200);

    const snapshot = () =>
      withDb(async (db) => ({
        users: await db.select().from(lineUsers).where(eq(lineUsers.lineUserId, userId)),
        groups: await db.select().from(lineGroups).where(eq(lineGroups.lineGroupId, groupId)),
        messages: await db
          .select()
          .from(lineMessages)
          .where(inArray(lineMessages.messageId, [(events[1]!.message as { id: string }).id, 'not-yet-seen' + userId])),
        inbox: await db
          .select()
          .from(lineWebhookEvents)
          .where(
            inArray(
              lineWebhookEvents.webhookEventId,
              events.map((e) => e.webhookEventId),
            ),
          ),
      }));
    const before = await snapshot();
    expect(before.inbox.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
    const callsBefore = (await lineRequests(userId)).length + (await lineRequests(groupId)).length;

    const redelivered = events.map((e) => ({ ...e, deliveryContext: { isRedelivery: true } }));
    const res = await postEvents(redelivered);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ recorded: 0, duplicates: 4 });
    expect(await snapshot()).toEqual(before);
    expect((await lineRequests(userId)).length + (await lineRequests(groupId)).length).toBe(callsBefore);
  });

  it('the same event twice in one body is recorded and processed once', async () => {
    const ev = textEvent({ userId: newId.user() }, 'twice');
    const res = await postEvents([ev, ev]);
    expect(await res.json()).toMatchObject({ recorded: 1, duplicates: 1 });
    expect((await messageRow(ev.message.id))?.content).toBe('twice');
  });

  it('events without a webhookEventId get a stable key, so an identical redelivery is a duplicate', async () => {
    const ev: Record<string, unknown> = { ...textEvent({ userId: newId.user() }, 'no id') };
    delete ev.webhookEventId;
    expect(await (await postEvents([ev])).json()).toMatchObject({ recorded: 1 });
    expect(await (await postEvents([ev])).json()).toMatchObject({ recorded: 0, duplicates: 1 });
  });
});

describe('entries of events that are no event', () => {
  it('are kept as `invalid` beside their valid neighbours, which are processed; a redelivery adds nothing', async () => {
    const before = textEvent({ userId: newId.user() }, 'valid before');
    const after = textEvent({ userId: newId.user() }, 'valid after');
    // Each unique: an invalid entry is keyed by its content, so the same `null` from another test would be a duplicate.
    const mark = newId.event();
    const damaged = [
      { ...textEvent({ userId: newId.user() }, 'x'), type: 5 },
      Date.now() + Math.random(),
      `text ${mark}`,
      { type: '', mark },
      [1, 2, mark],
      { type: ['message'], mark },
    ];
    const body = JSON.stringify({ destination: { not: 'a string' }, events: [before, ...damaged, after] });
    for (const round of [1, 2]) {
      const res = await postWebhook(body);
      const answer = await res.json();
      expect(res.status).toBe(200);
      expect(answer).toMatchObject(
        round === 1 ? { recorded: 2, invalid: 6, duplicates: 0 } : { recorded: 0, invalid: 0, duplicates: 8 },
      );
    }
    for (const ev of [before, after]) {
      expect((await inboxRow(ev.webhookEventId))?.status).toBe('done');
      expect((await messageRow(ev.message.id))?.content).toBe(ev.message.text);
    }
    const keys = await Promise.all(damaged.map((d) => inboxKey(d)));
    const rows = await withDb((db) =>
      db.select().from(lineWebhookEvents).where(inArray(lineWebhookEvents.webhookEventId, keys)),
    );
    expect(rows).toHaveLength(damaged.length);
    for (const row of rows) {
      expect(row).toMatchObject({
        status: 'invalid',
        eventType: '(invalid)',
        attempts: 0,
        destination: '{"not":"a string"}',
      });
      expect(row.lastError).toMatch(/^events\[\d\] is not an object with a non-empty string "type"$/);
    }
    expect(rows.map((r) => r.payload)).toEqual(expect.arrayContaining(damaged.slice(1)));
    // Never retried by the cron.
    await runCron();
    const again = await withDb((db) =>
      db
        .select({ status: lineWebhookEvents.status })
        .from(lineWebhookEvents)
        .where(inArray(lineWebhookEvents.webhookEventId, keys)),
    );
    expect(again.every((r) => r.status === 'invalid')).toBe(true);
  });

  it('a body that is not JSON or has no events array is still a 400', async () => {
    for (const body of ['not json', '{"events":{}}', '[]', '{"destination":"U1"}']) {
      expect((await postWebhook(body)).status, body).toBe(400);
    }
  });
});

describe('failures and retries', () => {
  it('a LINE API 500 leaves the event failed (nothing half-written); a later cron run completes it', async () => {
    const userId = newId.user();
    const groupId = newId.group();
    // Fails the first try and both of the client's own retries.
    await addFault({
      path: `/v2/bot/group/${groupId}/member/${userId}`,
      status: 500,
      body: { message: 'boom' },
      times: 3,
    });
    const ev = textEvent({ userId, groupId }, 'survives an outage');
    const warnings: string[] = [];
    const spy = vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void warnings.push(String(line)));
    try {
      expect((await postEvents([ev])).status).toBe(200);
    } finally {
      spy.mockRestore();
    }
    // The log says what LINE said, with the request id LINE support asks for.
    const logged = warnings
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'event.failed' && l.webhookEventId === ev.webhookEventId);
    expect(logged?.error).toMatchObject({ name: 'LineApiError', status: 500, requestId: expect.any(String) });

    const failed = await inboxRow(ev.webhookEventId);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed?.lastError).toContain('500');
    expect(failed?.nextAttemptAt?.getTime()).toBeGreaterThan(Date.now() + 30_000);
    expect(await messageRow(ev.message.id)).toBeUndefined();

    // Not due yet: a cron run now leaves it alone.
    await runCron();
    expect((await inboxRow(ev.webhookEventId))?.status).toBe('failed');

    await makeDue(ev.webhookEventId);
    await runCron();
    expect(await inboxRow(ev.webhookEventId)).toMatchObject({ status: 'done', attempts: 2, lastError: null });
    expect((await messageRow(ev.message.id))?.content).toBe('survives an outage');
  });

  it('a database error inside the handler rolls back, marks the event failed, and a retry completes it', async () => {
    const ev = textEvent({ userId: newId.user() }, 'db hiccup');
    const messageId = ev.message.id;
    const fn = sql.raw(`fail_message_${messageId}`);
    await withDb(async (db) => {
      await db.execute(sql`create function ${fn}() returns trigger language plpgsql as $$
        begin if new.message_id = '${sql.raw(messageId)}' then raise exception 'injected failure'; end if; return new; end $$`);
      await db.execute(sql`create trigger ${fn} before insert on line_messages for each row execute function ${fn}()`);
    });
    try {
      expect((await postEvents([ev])).status).toBe(200);
      const failed = await inboxRow(ev.webhookEventId);
      expect(failed?.status).toBe('failed');
      expect(failed?.lastError).toContain('injected failure');
      // The transaction rolled back: not even the sender was written.
      expect(await messageRow(messageId)).toBeUndefined();
      expect(
        await withDb((db) =>
          db
            .select()
            .from(lineUsers)
            .where(eq(lineUsers.lineUserId, (ev.source as { userId: string }).userId)),
        ),
      ).toEqual([]);
    } finally {
      await withDb(async (db) => {
        await db.execute(sql`drop trigger if exists ${fn} on line_messages`);
        await db.execute(sql`drop function if exists ${fn}()`);
      });
    }
    await makeDue(ev.webhookEventId);
    await runCron();
    expect((await inboxRow(ev.webhookEventId))?.status).toBe('done');
    expect((await messageRow(messageId))?.content).toBe('db hiccup');
  });

  it('an event that keeps failing ends dead after its last attempt', async () => {
    const userId = newId.user();
    const groupId = newId.group();
    await addFault({ path: `/v2/bot/group/${groupId}/summary`, status: 503, body: { message: 'down' }, times: 1000 });
    const ev = textEvent({ userId, groupId }, 'doomed');
    await postEvents([ev]);
    expect((await inboxRow(ev.webhookEventId))?.status).toBe('failed');
    // Fast-forward to the last attempt instead of waiting hours of backoff.
    await withDb((db) =>
      db
        .update(lineWebhookEvents)
        .set({ attempts: MAX_ATTEMPTS - 1, nextAttemptAt: new Date() })
        .where(eq(lineWebhookEvents.webhookEventId, ev.webhookEventId)),
    );
    await runCron();
    const dead = await inboxRow(ev.webhookEventId);
    expect(dead).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS, nextAttemptAt: null });
    expect(dead?.lastError).toContain('503');
    await makeDue(ev.webhookEventId);
    await runCron();
    expect((await inboxRow(ev.webhookEventId))?.attempts).toBe(MAX_ATTEMPTS);
  });

  it('an event stuck in processing (its worker died) is picked up by the cron', async () => {
    const ev = textEvent({ userId: newId.user() }, 'orphaned');
    await withDb((db) =>
      db.insert(lineWebhookEvents).values({
        webhookEventId: ev.webhookEventId,
        eventType: 'message',
        payload: ev,
        status: 'processing',
        lockedAt: new Date(Date.now() - 10 * 60_000),
      }),
    );
    await runCron();
    expect(await inboxRow(ev.webhookEventId)).toMatchObject({ status: 'done', attempts: 2 });
    expect((await messageRow(ev.message.id))?.content).toBe('orphaned');
  });
});

describe('the ack', () => {
  it('503 when the database is unreachable, so LINE can redeliver', async () => {
    const ev = textEvent({ userId: newId.user() }, 'nowhere to go');
    const res = await postEvents([ev], { env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' } });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'database_unavailable' } });
    expect(await inboxRow(ev.webhookEventId)).toBeUndefined();
  });

  it('503 for group chatter too, with no fallback tried against a dead database', async () => {
    const ev = textEvent({ userId: newId.user(), groupId: newId.group() }, 'chatter, nowhere to go');
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const res = await postEvents([ev], { env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' } });
      expect(res.status).toBe(503);
      const messages = warnings.mock.calls.map((c) => JSON.parse(String(c[0])).msg);
      expect(messages).not.toContain('webhook.intake_statement_failed');
    } finally {
      warnings.mockRestore();
    }
    expect(await inboxRow(ev.webhookEventId)).toBeUndefined();
  });

  it('past the ack budget the answer goes out and the INSERT and processing finish in waitUntil', async () => {
    const ev = textEvent({ userId: newId.user() }, 'slow database');
    const log = createLogger({ test: 'ack-budget' });
    const services = openServices(env, log);
    const pending: Promise<unknown>[] = [];
    const result = await recordAndProcess({ events: [ev] }, services, (p) => pending.push(p), log, 0);
    expect(result.status).toBe('deferred');
    await Promise.all(pending);
    expect((await inboxRow(ev.webhookEventId))?.status).toBe('done');
  });

  it('an INSERT that fails after the ack logs the events whole at error level', async () => {
    const ev = textEvent({ userId: newId.user() }, 'last copy in the log');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const log = createLogger({ test: 'ack-budget-fail' });
      const services = openServices({ ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' }, log);
      const pending: Promise<unknown>[] = [];
      const result = await recordAndProcess(
        { destination: 'Udest', events: [ev] },
        services,
        (p) => pending.push(p),
        log,
        0,
      );
      expect(result.status).toBe('deferred');
      await Promise.all(pending);
      const line = errors.mock.calls
        .map((c) => JSON.parse(String(c[0])))
        .find((l) => l.msg === 'webhook.record_failed_after_ack');
      expect(line).toMatchObject({ level: 'error', destination: 'Udest', events: [ev] });
    } finally {
      errors.mockRestore();
    }
  });

  it('GET /healthz reports the database', async () => {
    const ok = await worker.fetch(new Request('https://bot.example/healthz'), env, createExecutionContext());
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, database: 'ok' });
    const down = await worker.fetch(
      new Request('https://bot.example/healthz'),
      { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' },
      createExecutionContext(),
    );
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ ok: false, database: 'unreachable' });
  });
});

afterAll(async () => {
  const bad = (await violations()).filter((v) => v.at >= started);
  expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
});

describe('large bodies', () => {
  it('a signed body with 10,000 events is recorded whole (split below the 65,535-parameter limit)', async () => {
    const prefix = `B${Date.now().toString(36)}x`;
    const events = Array.from({ length: 10_000 }, (_, i) => ({ type: 'postback', webhookEventId: `${prefix}${i}` }));
    const res = await postEvents(events);
    expect(res.status).toBe(200);
    // Within the ack budget or past it (then finished in waitUntil): either way all of it lands.
    expect(['recorded', 'deferred']).toContain(((await res.json()) as { status: string }).status);
    const rows = await withDb((db) =>
      db.execute<{ n: number }>(
        sql`select count(*)::int as n from line_webhook_events where webhook_event_id like ${prefix + '%'} and status = 'done'`,
      ),
    );
    expect(rows.rows[0]?.n).toBe(10_000);
  }, 120_000);
});

describe('a write Postgres rolls back for a deadlock', () => {
  it('is run again at once: the event is done on its first attempt, its message stored once', async () => {
    const marker = `deadlock-${newId.event()}`;
    const name = `deadlock_once_${newId
      .replyToken()
      .slice(0, 10)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')}`;
    // The first INSERT of this test's message fails as a deadlock victim would (a sequence is not
    // rolled back, so only the first try is refused); the retry goes through.
    await withDb(async (db) => {
      await db.execute(sql.raw(`CREATE SEQUENCE ${name}`));
      await db.execute(
        sql.raw(
          `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF nextval('${name}') = 1 THEN RAISE EXCEPTION 'deadlock detected (test)' USING ERRCODE = '40P01'; END IF; RETURN NEW; END $$`,
        ),
      );
      await db.execute(
        sql.raw(
          `CREATE TRIGGER ${name} BEFORE INSERT ON line_messages FOR EACH ROW WHEN (NEW.content = '${marker}') EXECUTE FUNCTION ${name}()`,
        ),
      );
    });
    try {
      const ev = textEvent({ userId: newId.user() }, marker);
      expect((await postEvents([ev])).status).toBe(200);
      expect(await inboxRow(ev.webhookEventId)).toMatchObject({ status: 'done', attempts: 1, lastError: null });
      const stored = await withDb((db) =>
        db.select().from(lineMessages).where(eq(lineMessages.messageId, ev.message.id)),
      );
      expect(stored.map((m) => m.content)).toEqual([marker]);
      const tries = await withDb((db) =>
        db.execute<{ n: string }>(sql.raw(`SELECT last_value::text AS n FROM ${name}`)),
      );
      expect(tries.rows[0]!.n).toBe('2');
    } finally {
      await withDb(async (db) => {
        await db.execute(sql.raw(`DROP TRIGGER ${name} ON line_messages`));
        await db.execute(sql.raw(`DROP FUNCTION ${name}()`));
        await db.execute(sql.raw(`DROP SEQUENCE ${name}`));
      });
    }
  });
});
