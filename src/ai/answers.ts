/**
 * An AI answer's record (`line_ai_answers`): created in the asking event's transaction, so a
 * redelivered or retried event never asks twice; the Workflow then works from it.
 */
import { and, count, eq, gte, sql } from 'drizzle-orm';
import type { Database, Queryable, Transaction } from '../db/client';
import { lineAiAnswers, lineMessages, lineUsers } from '../db/schema';
import { sha256Hex } from '../lib/hex';
import { taipeiMidnightSql, taipeiTodaySql } from '../lib/taipei';

/** The Workflow instance of the answer to an event: derived from the event, so a second create is refused. */
export const instanceIdFor = async (webhookEventId: string) => `answer-${(await sha256Hex(webhookEventId)).slice(0, 48)}`;


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
    .where(and(eq(lineAiAnswers.lineUserId, answer.lineUserPk), gte(lineAiAnswers.createdAt, taipeiMidnightSql(taipeiTodaySql))));
  if (today >= dailyLimit) {
    // One notice per day: the first refused question of the day sets the date.
    const noticed = await tx
      .update(lineUsers)
      .set({ aiLimitNoticeOn: sql`${taipeiTodaySql}` })
      .where(and(eq(lineUsers.id, answer.lineUserPk), sql`${lineUsers.aiLimitNoticeOn} IS DISTINCT FROM ${taipeiTodaySql}`))
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

/** A finished step's result, kept so a restarted run repeats no Claude call and no send. */
export async function readStep<T>(db: Queryable, answerId: string, name: string): Promise<T | undefined> {
  const [row] = await db
    .select({ value: sql<T | null>`${lineAiAnswers.steps} -> ${name}` })
    .from(lineAiAnswers)
    .where(eq(lineAiAnswers.id, answerId));
  return row?.value ?? undefined;
}

/**
 * Keeps a finished step's result, unless the question has been unsent meanwhile: the unsend redacted
 * the steps kept so far, and a result written after it would bring the text back. The row is locked
 * first, in its own statement: an UPDATE that waited for the unsend's lock would still judge
 * "unsent" by the snapshot it started with, so the check runs only once the lock is held.
 */
export async function writeStep(db: Database | Transaction, answerId: string, name: string, value: unknown): Promise<void> {
  const unsent = sql`EXISTS (SELECT 1 FROM ${lineMessages} WHERE ${lineMessages.id} = ${lineAiAnswers.questionMessageId} AND ${lineMessages.unsentAt} IS NOT NULL)`;
  await db.transaction(async (tx) => {
    await tx.select({ id: lineAiAnswers.id }).from(lineAiAnswers).where(eq(lineAiAnswers.id, answerId)).for('update');
    await tx
      .update(lineAiAnswers)
      .set({
        steps: sql`CASE WHEN ${unsent} THEN ${lineAiAnswers.steps} ELSE ${lineAiAnswers.steps} || jsonb_build_object(${name}::text, ${JSON.stringify(value ?? null)}::jsonb) END`,
        status: sql`CASE WHEN ${lineAiAnswers.status} = 'pending' THEN 'running' ELSE ${lineAiAnswers.status} END`,
        progressAt: sql`now()`,
      })
      .where(eq(lineAiAnswers.id, answerId));
  });
}

/** A step still working (a Claude call may take minutes): the backstop must not take it for stalled. */
export async function touchAnswer(db: Queryable, answerId: string): Promise<void> {
  await db.update(lineAiAnswers).set({ progressAt: sql`now()` }).where(eq(lineAiAnswers.id, answerId));
}

export async function finishAnswer(db: Queryable, answerId: string, fields: Partial<typeof lineAiAnswers.$inferInsert>): Promise<void> {
  await db
    .update(lineAiAnswers)
    .set({ ...fields, finishedAt: sql`now()`, progressAt: sql`now()` })
    .where(eq(lineAiAnswers.id, answerId));
}
