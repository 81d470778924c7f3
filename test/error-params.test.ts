/**
 * A failed query's parameters (binding codes, reply tokens, message text) never reach a log line or
 * a stored error: drizzle's message carries them ("Failed query: <sql>\nparams: <values>"); what is
 * written keeps the SQL and Postgres' own message, with any parameter it quotes cut out.
 */
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { lineWebhookEvents } from '@linebot-edge/shared/schema';
import { describeError, errorText } from '@linebot-edge/shared/error-text';
import { createLogger } from '../src/lib/log';
import { withDb } from './support/db';
import { newId, postEvents, textEvent } from './support/line';

const secretLike = () => `SECRET${crypto.randomUUID().replace(/-/g, '')}`;

async function failingQuery(secret: string): Promise<Error> {
  return withDb(async (db) => {
    try {
      await db.execute(sql`select ${secret}::uuid as id`);
    } catch (err) {
      return err as Error;
    }
    throw new Error('the query did not fail');
  });
}

describe('describeError on a real failing query', () => {
  it('keeps the SQL and Postgres’ message, never a parameter (not even the one Postgres quotes)', async () => {
    const secret = secretLike();
    const err = await failingQuery(secret);
    // The test can fail: drizzle's own message has the parameter, and so has Postgres'.
    expect(err.message).toContain(secret);
    expect(String((err.cause as Error).message)).toContain(secret);

    const described = describeError(err);
    expect(JSON.stringify(described)).not.toContain(secret);
    expect(described.message).toBe('Failed query: select $1::uuid as id');
    expect(described.cause).toMatchObject({
      code: '22P02',
      message: expect.stringContaining('invalid input syntax for type uuid'),
    });
    expect(errorText(err)).not.toContain(secret);
    expect(errorText(err)).toContain('Failed query: select $1::uuid as id: invalid input syntax for type uuid');
    // Wrapped in another error's message (as a Workflow's NonRetryableError does): the tail goes too.
    expect(JSON.stringify(describeError(new Error(err.message)))).not.toContain(secret);
  });
});

describe('a failed event', () => {
  it('last_error and the log line keep the failed query and Postgres’ message, not the message text it carried', async () => {
    const secret = secretLike();
    const trigger = `refuse_${newId.replyToken().slice(0, 12)}`;
    // A real failure inside the handler's INSERT: a trigger refuses rows carrying this test's marker.
    await withDb(async (db) => {
      await db.execute(
        sql.raw(
          `CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test trigger'; END $$`,
        ),
      );
      await db.execute(
        sql.raw(
          `CREATE TRIGGER ${trigger} BEFORE INSERT ON line_messages FOR EACH ROW WHEN (NEW.content LIKE '%${secret}%') EXECUTE FUNCTION ${trigger}()`,
        ),
      );
    });
    const lines: string[] = [];
    const spies = (['log', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(' '))),
    );
    const ev = textEvent({ userId: newId.user(), groupId: newId.group() }, `the code is ${secret}`);
    try {
      expect((await postEvents([ev])).status).toBe(200);
    } finally {
      for (const s of spies) s.mockRestore();
      await withDb(async (db) => {
        await db.execute(sql.raw(`DROP TRIGGER ${trigger} ON line_messages`));
        await db.execute(sql.raw(`DROP FUNCTION ${trigger}()`));
      });
    }
    const [row] = await withDb((db) =>
      db.select().from(lineWebhookEvents).where(eq(lineWebhookEvents.webhookEventId, ev.webhookEventId)),
    );
    expect(row!.status).toBe('failed');
    expect(row!.lastError).toContain('Failed query: ');
    expect(row!.lastError).toContain('refused by the test trigger');
    expect(row!.lastError).not.toContain(secret);
    const failed = lines.filter((l) => l.includes('event.failed'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain('refused by the test trigger');
    for (const line of lines) expect(line).not.toContain(secret);
  });
});

describe('log lines', () => {
  it('describe an Error anywhere in the fields, top level or nested, and write plain fields as they are', async () => {
    const secret = secretLike();
    const err = await failingQuery(secret);
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      const log = createLogger({ requestId: 'r1' });
      log.info('plain', { events: 1, atIntake: true });
      log.info('top', { error: err });
      log.info('nested', { results: [{ error: err }] });
    } finally {
      spy.mockRestore();
    }
    const [plain, top, nested] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(plain).toMatchObject({ level: 'info', msg: 'plain', requestId: 'r1', events: 1, atIntake: true });
    expect(JSON.stringify(top!.error)).toContain('Failed query: ');
    expect((nested!.results as { error: unknown }[])[0]!.error).toEqual(top!.error);
    for (const line of lines) expect(line).not.toContain(secret);
  });
});
