/**
 * An AI answer's record (`line_ai_answers`): created in the asking event's transaction, so a
 * redelivered or retried event never asks twice; the Workflow then works from it.
 */
import { and, count, eq, gte, sql } from 'drizzle-orm';
import type { Queryable, Transaction } from '../db/client';
import { lineAiAnswers, lineMessages, lineUsers } from '@linebot-edge/shared/schema';
import { sha256Hex } from '../lib/hex';
import { taipeiMidnightSql, taipeiTodaySql } from '../lib/taipei';

/** The Workflow instance of the answer to an event: derived from the event, so a second create is refused. */
export const instanceIdFor = async (webhookEventId: string) =>
  `answer-${(await sha256Hex(webhookEventId)).slice(0, 48)}`;

export interface NewAnswer {
  webhookEventId: string;
  questionMessagePk: string;
  lineUserPk: string;
  chatPk: string | null;
  question: string;
  replyToken: string | null;
  quoteToken: string | null;
  eventAt: Date;
}

export type StartResult =
  | { kind: 'started'; answerId: string; instanceId: string }
  /** Over the daily limit: `notify` once a day, silence after that. */
  | { kind: 'limited'; notify: boolean }
  /** Already asked (a redelivery that got this far). */
  | { kind: 'exists' };

export async function startAnswer(tx: Transaction, answer: NewAnswer, dailyLimit: number): Promise<StartResult> {
  const [{ today } = { today: 0 }] = await tx
    .select({ today: count() })
    .from(lineAiAnswers)
    .where(
      and(
        eq(lineAiAnswers.lineUserId, answer.lineUserPk),
        gte(lineAiAnswers.createdAt, taipeiMidnightSql(taipeiTodaySql)),
      ),
    );
  if (today >= dailyLimit) {
    // One notice per day: the first refused question of the day sets the date.
    const noticed = await tx
      .update(lineUsers)
      .set({ aiLimitNoticeOn: sql`${taipeiTodaySql}` })
      .where(
        and(eq(lineUsers.id, answer.lineUserPk), sql`${lineUsers.aiLimitNoticeOn} IS DISTINCT FROM ${taipeiTodaySql}`),
      )
      .returning({ id: lineUsers.id });
    return { kind: 'limited', notify: noticed.length > 0 };
  }
  const instanceId = await instanceIdFor(answer.webhookEventId);
  const [row] = await tx
    .insert(lineAiAnswers)
    .values({
      webhookEventId: answer.webhookEventId,
      instanceId,
      questionMessageId: answer.questionMessagePk,
      lineUserId: answer.lineUserPk,
      lineGroupId: answer.chatPk,
      question: answer.question,
      replyToken: answer.replyToken,
      quoteToken: answer.quoteToken,
      eventAt: answer.eventAt,
    })
    .onConflictDoNothing({ target: lineAiAnswers.webhookEventId })
    .returning({ id: lineAiAnswers.id });
  return row ? { kind: 'started', answerId: row.id, instanceId } : { kind: 'exists' };
}

export type AnswerRow = typeof lineAiAnswers.$inferSelect;

export async function loadAnswer(db: Queryable, answerId: string): Promise<AnswerRow | undefined> {
  const [row] = await db.select().from(lineAiAnswers).where(eq(lineAiAnswers.id, answerId));
  return row;
}

/** A finished step's result, kept (in the row as read) so a restarted run repeats no Claude call and no send. */
export function keptStep<T>(row: Pick<AnswerRow, 'steps'>, name: string): T | undefined {
  const steps = row.steps as Record<string, T | null> | null;
  return steps?.[name] ?? undefined;
}

/**
 * Keeps a finished step's result, unless the question has been unsent meanwhile: the unsend redacted
 * the steps kept so far, and a result written after it would bring the text back.
 *
 * One statement, one round trip. The question's row is read with FOR SHARE first (a MATERIALIZED
 * CTE): an unsend that has changed it but not yet committed is waited for, and the locking read then
 * sees its `unsent_at` (READ COMMITTED locking reads take the newest version); an unsend that has
 * not yet changed it waits for this statement, and then redacts what it wrote. A plain subquery
 * would judge "unsent" by the statement's snapshot, taken before the wait. The unsend locks the
 * message before the answer, as this does: no deadlock.
 */
export async function writeStep(db: Queryable, answerId: string, name: string, value: unknown): Promise<void> {
  await db.execute(sql`
    WITH question AS MATERIALIZED (
      SELECT ${lineMessages.unsentAt} AS unsent_at
      FROM ${lineMessages} JOIN ${lineAiAnswers} ON ${lineAiAnswers.questionMessageId} = ${lineMessages.id}
      WHERE ${lineAiAnswers.id} = ${answerId}
      FOR SHARE OF ${lineMessages}
    )
    UPDATE ${lineAiAnswers} SET
      steps = CASE WHEN EXISTS (SELECT 1 FROM question WHERE unsent_at IS NOT NULL) THEN ${lineAiAnswers.steps}
        ELSE ${lineAiAnswers.steps} || jsonb_build_object(${name}::text, ${JSON.stringify(value ?? null)}::jsonb) END,
      status = CASE WHEN ${lineAiAnswers.status} = 'pending' THEN 'running' ELSE ${lineAiAnswers.status} END,
      progress_at = now()
    WHERE ${lineAiAnswers.id} = ${answerId}`);
}

/** A step still working (a Claude call may take minutes): the backstop must not take it for stalled. */
export async function touchAnswer(db: Queryable, answerId: string): Promise<void> {
  await db.update(lineAiAnswers).set({ progressAt: sql`now()` }).where(eq(lineAiAnswers.id, answerId));
}

export async function finishAnswer(
  db: Queryable,
  answerId: string,
  fields: Partial<typeof lineAiAnswers.$inferInsert>,
): Promise<void> {
  await db
    .update(lineAiAnswers)
    .set({ ...fields, finishedAt: sql`now()`, progressAt: sql`now()` })
    .where(eq(lineAiAnswers.id, answerId));
}
