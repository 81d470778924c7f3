/**
 * The AI answers' log (one row of line_ai_answers per answer) and what they cost: tokens per
 * Asia/Taipei day and per chat. The management API's `/ai-logs` and `/ai-usage` and the console's
 * AI screens read them here.
 */
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineAiAnswers, lineGroups } from '@linebot-edge/shared/schema';
import { TAIPEI_SQL, taipeiDate } from '../lib/taipei';
import { invalidField } from '../api/errors';
import { chat, chatFilters, sender } from './chat-filters';
import { decodeCursor, newestFirst, olderThan, paginate } from '../api/cursor';
import { addDays, daysBetween, FIRST_DAY, iso } from '../api/dates';
import { QUESTION_PREVIEW } from '../api/schemas';

const a = lineAiAnswers;

export const DEFAULT_DAYS = 30;
export const MAX_DAYS = 366;

/**
 * The report's days, defaults applied: `to` today, `from` 29 days before `to` (not before the
 * first day there is). A range the other end makes impossible names the field the caller gave
 * (the other one was a default). Throws a 400 ApiError for an impossible range.
 */
function usageRange(q: { from?: string; to?: string }) {
  const to = q.to ?? taipeiDate(new Date());
  const monthBack = addDays(to, -(DEFAULT_DAYS - 1));
  // Not into year 0000, which Postgres does not have; four-digit years compare as text.
  // biome-ignore lint/complexity/useMathMinMax: the days are ISO strings, not numbers.
  const from = q.from ?? (monthBack < FIRST_DAY ? FIRST_DAY : monthBack);
  const span = daysBetween(from, to);
  if (span < 0) {
    throw q.to
      ? invalidField('query', 'to', 'must not be before from')
      : invalidField('query', 'from', 'must not be after today (Asia/Taipei)');
  }
  if (span >= MAX_DAYS)
    throw invalidField('query', q.from ? 'from' : 'to', `the range covers at most ${MAX_DAYS} days`);
  return { from, to };
}

/** The columns the log shows; not the Workflow's memo (`steps`) nor the reply and quote tokens. */
const logColumns = {
  id: a.id,
  webhookEventId: a.webhookEventId,
  // By characters (code points) in Postgres: no emoji cut in half, and the full text never leaves the database.
  question: sql<string>`left(${a.question}, ${QUESTION_PREVIEW})`,
  status: a.status,
  outcome: a.outcome,
  model: a.model,
  inputTokens: a.inputTokens,
  outputTokens: a.outputTokens,
  cacheCreationInputTokens: a.cacheCreationInputTokens,
  cacheReadInputTokens: a.cacheReadInputTokens,
  latencyMs: a.latencyMs,
  stopReason: a.stopReason,
  toolCalls: a.toolCalls,
  requestIds: a.requestIds,
  sentBy: a.sentBy,
  error: a.error,
  restarts: a.restarts,
  createdAt: a.createdAt,
  finishedAt: a.finishedAt,
};

/**
 * The JSON columns are written by the answer's Workflow: read them defensively so one odd row
 * cannot break the list. A tool call's input is left out (the model's arguments, quoting the chat).
 */
const toolCallsOf = (v: unknown) =>
  (Array.isArray(v) ? v : [])
    .filter((t): t is Record<string, unknown> => t !== null && typeof t === 'object')
    .map((t) => ({ name: typeof t.name === 'string' ? t.name : '(unnamed)', ok: t.ok === true }));
const stringsOf = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
const sentByOf = (v: string | null): 'reply' | 'push' | null => (v === 'reply' || v === 'push' ? v : null);

export interface AiLogQuery {
  groupId?: string;
  lineUserId?: string;
  before?: string;
  limit: number;
}

export type AiLogItem = Awaited<ReturnType<typeof listAiLogs>>['items'][number];

/** AI answers, newest first, keyset-paged. */
export async function listAiLogs(db: Queryable, q: AiLogQuery) {
  const cursor = decodeCursor(q.before, 'uuid');
  const where = chatFilters(q, a);
  if (cursor) where.push(olderThan(a.createdAt, a.id, cursor));
  const rows = await db
    .select({
      a: logColumns,
      userLineId: sender.lineUserId,
      userName: sender.displayName,
      groupLineId: chat.lineGroupId,
      groupName: chat.name,
    })
    .from(a)
    .innerJoin(sender, eq(sender.id, a.lineUserId))
    .leftJoin(chat, eq(chat.id, a.lineGroupId))
    .where(and(...where))
    .orderBy(...newestFirst(a.createdAt, a.id))
    .limit(q.limit + 1);
  const { items, nextCursor } = paginate(rows, q.limit, (r) => ({ at: r.a.createdAt, id: r.a.id }));
  return {
    items: items.map(({ a: r, ...who }) => ({
      id: r.id,
      webhookEventId: r.webhookEventId,
      lineGroupId: who.groupLineId,
      groupName: who.groupName,
      lineUserId: who.userLineId,
      userName: who.userName,
      question: r.question,
      status: r.status,
      outcome: r.outcome,
      model: r.model,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      cacheCreationInputTokens: r.cacheCreationInputTokens,
      cacheReadInputTokens: r.cacheReadInputTokens,
      latencyMs: r.latencyMs,
      stopReason: r.stopReason,
      toolCalls: toolCallsOf(r.toolCalls),
      requestIds: stringsOf(r.requestIds),
      sentBy: sentByOf(r.sentBy),
      error: r.error,
      restarts: r.restarts,
      createdAt: r.createdAt.toISOString(),
      finishedAt: iso(r.finishedAt),
    })),
    nextCursor,
  };
}

/** Sums over the answers of a group of rows; bigint in Postgres, exact as a JSON number up to 2^53. */
const figures = {
  answers: sql<number>`count(*)`.mapWith(Number),
  inputTokens: sql<number>`coalesce(sum(${a.inputTokens}), 0)`.mapWith(Number),
  outputTokens: sql<number>`coalesce(sum(${a.outputTokens}), 0)`.mapWith(Number),
  cacheCreationInputTokens: sql<number>`coalesce(sum(${a.cacheCreationInputTokens}), 0)`.mapWith(Number),
  cacheReadInputTokens: sql<number>`coalesce(sum(${a.cacheReadInputTokens}), 0)`.mapWith(Number),
};
export type UsageFigures = { [K in keyof typeof figures]: number };
const zero = (): UsageFigures => ({
  answers: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheCreationInputTokens: 0,
  cacheReadInputTokens: 0,
});
const add = (sum: UsageFigures, f: UsageFigures) => {
  for (const k of Object.keys(sum) as Array<keyof UsageFigures>) sum[k] += f[k];
  return sum;
};

/** Midnight in Taipei of the first day, and of the day after the last (a range the index serves). */
const inRange = (from: string, to: string) =>
  and(
    sql`${a.createdAt} >= (${from}::date)::timestamp AT TIME ZONE ${TAIPEI_SQL}`,
    sql`${a.createdAt} < (${to}::date + 1)::timestamp AT TIME ZONE ${TAIPEI_SQL}`,
  );

export type AiUsage = Awaited<ReturnType<typeof aiUsage>>;

/** Answers and tokens per day and per chat over the range (`usageRange` applied: may throw its 400). */
export async function aiUsage(db: Queryable, q: { from?: string; to?: string }) {
  const { from, to } = usageRange(q);
  const where = inRange(from, to);
  const day = sql<string>`to_char(${a.createdAt} AT TIME ZONE ${TAIPEI_SQL}, 'YYYY-MM-DD')`;
  const [perDay, perChat] = await Promise.all([
    db
      .select({ date: day, ...figures })
      .from(a)
      .where(where)
      .groupBy(day),
    // Grouped by the group's key, so its columns may be selected; every 1:1 answer falls in the one NULL group.
    db
      .select({
        lineGroupId: lineGroups.lineGroupId,
        groupName: lineGroups.name,
        sourceType: lineGroups.sourceType,
        ...figures,
      })
      .from(a)
      .leftJoin(lineGroups, eq(lineGroups.id, a.lineGroupId))
      .where(where)
      .groupBy(lineGroups.id)
      .orderBy(desc(figures.answers), asc(lineGroups.lineGroupId)),
  ]);
  const byDate = new Map(perDay.map(({ date, ...f }) => [date, f]));
  const days = Array.from({ length: daysBetween(from, to) + 1 }, (_, i) => {
    const date = addDays(from, i);
    return { date, ...(byDate.get(date) ?? zero()) };
  });
  return {
    from,
    to,
    totals: perDay.reduce((sum, { date: _date, ...f }) => add(sum, f), zero()),
    days,
    chats: perChat.map(({ sourceType, ...f }) => ({ ...f, chatType: sourceType ?? ('user' as const) })),
  };
}

/**
 * Answers and tokens per asker over the range, most answers first (the console's usage per user;
 * the API reports per chat).
 */
export async function aiUsagePerUser(db: Queryable, q: { from?: string; to?: string }, limit = 100) {
  const { from, to } = usageRange(q);
  return db
    .select({ id: sender.id, lineUserId: sender.lineUserId, displayName: sender.displayName, ...figures })
    .from(a)
    .innerJoin(sender, eq(sender.id, a.lineUserId))
    .where(inRange(from, to))
    .groupBy(sender.id)
    .orderBy(desc(figures.answers), asc(sender.lineUserId))
    .limit(limit);
}
