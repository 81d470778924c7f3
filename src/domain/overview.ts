/**
 * The figures of the console's overview screen, as plain functions of the database: two
 * statements, one for the counts and one for the 30-day series. "Today" is the company's day
 * (Asia/Taipei), taken from the database's clock, as the AI usage report and the daily AI limit
 * count it.
 */
import { sql } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { TAIPEI_SQL, taipeiMidnightSql, taipeiTodaySql } from '../lib/taipei';
import {
  lineAiAnswers,
  lineFiles,
  lineGroups,
  lineMessages,
  lineUsers,
  lineWebhookEvents,
} from '@linebot-edge/shared/schema';
import { nasSendFigures, type NasSendFigures } from './overview-nas';
import type { PushQuota } from './push-quota';

export const CHART_DAYS = 30;

export interface OverviewFigures {
  lineUsers: number;
  groups: { active: number; total: number };
  messagesToday: number;
  inbox: { failed: number; dead: number };
  /** Files waiting for the NAS sync job: the same definition as `nas-sync --status`'s `waiting`. */
  nas: { waiting: number; oldestWaitingSeconds: number | null };
  ai: { answers: number; inputTokens: number; outputTokens: number };
  /** Files sent from the NAS today and share links still open (./overview-nas.ts). */
  nasSends?: NasSendFigures;
}

export interface DayCount {
  /** `YYYY-MM-DD`, Asia/Taipei. */
  day: string;
  messages: number;
}

const n = (v: unknown) => Number(v ?? 0);

export async function overviewFigures(db: Queryable): Promise<OverviewFigures> {
  const waiting = sql`${lineFiles.syncStatus} = 'pending' AND ${lineFiles.removeRequestedAt} IS NULL`;
  const { rows } = await db.execute<Record<string, string | number | null>>(sql`
    SELECT
      (SELECT count(*) FROM ${lineUsers}) AS line_users,
      (SELECT count(*) FROM ${lineGroups}) AS groups_total,
      (SELECT count(*) FROM ${lineGroups} WHERE ${lineGroups.isActive}) AS groups_active,
      (SELECT count(*) FROM ${lineMessages}
        WHERE ${lineMessages.sentAt} >= ${taipeiMidnightSql(taipeiTodaySql)} AND ${lineMessages.sentAt} < ${taipeiMidnightSql(sql`${taipeiTodaySql} + 1`)}) AS messages_today,
      inbox.failed, inbox.dead, nas.waiting, nas.oldest_waiting_seconds,
      ai.answers, ai.input_tokens, ai.output_tokens
    FROM
      (SELECT count(*) FILTER (WHERE ${lineWebhookEvents.status} = 'failed') AS failed,
              count(*) FILTER (WHERE ${lineWebhookEvents.status} = 'dead') AS dead
         FROM ${lineWebhookEvents} WHERE ${lineWebhookEvents.status} IN ('failed', 'dead')) AS inbox,
      (SELECT count(*) AS waiting,
              floor(extract(epoch FROM now() - min(${lineFiles.createdAt}))) AS oldest_waiting_seconds
         FROM ${lineFiles} WHERE ${waiting}) AS nas,
      (SELECT count(*) AS answers,
              coalesce(sum(${lineAiAnswers.inputTokens}), 0) AS input_tokens,
              coalesce(sum(${lineAiAnswers.outputTokens}), 0) AS output_tokens
         FROM ${lineAiAnswers} WHERE ${lineAiAnswers.createdAt} >= ${taipeiMidnightSql(taipeiTodaySql)}) AS ai`);
  const r = rows[0] ?? {};
  return {
    lineUsers: n(r.line_users),
    groups: { active: n(r.groups_active), total: n(r.groups_total) },
    messagesToday: n(r.messages_today),
    inbox: { failed: n(r.failed), dead: n(r.dead) },
    nas: {
      waiting: n(r.waiting),
      oldestWaitingSeconds: r.oldest_waiting_seconds == null ? null : Math.max(0, n(r.oldest_waiting_seconds)),
    },
    ai: { answers: n(r.answers), inputTokens: n(r.input_tokens), outputTokens: n(r.output_tokens) },
  };
}

/**
 * Messages (both sides of every chat) per Taipei day, the last `days` days up to today, oldest
 * first, days without messages included as 0. Counted by LINE's time (`sent_at`, indexed).
 */
export async function messagesPerDay(db: Queryable, days = CHART_DAYS): Promise<DayCount[]> {
  const first = sql`${taipeiTodaySql} - ${days - 1}::int`;
  const { rows } = await db.execute<{ day: string; messages: string | number }>(sql`
    WITH counts AS (
      SELECT (${lineMessages.sentAt} AT TIME ZONE ${TAIPEI_SQL})::date AS day, count(*) AS messages
        FROM ${lineMessages}
       WHERE ${lineMessages.sentAt} >= ${taipeiMidnightSql(first)} AND ${lineMessages.sentAt} < ${taipeiMidnightSql(sql`${taipeiTodaySql} + 1`)}
       GROUP BY 1
    )
    SELECT to_char(d::date, 'YYYY-MM-DD') AS day, coalesce(counts.messages, 0) AS messages
      FROM generate_series((${first})::timestamp, (${taipeiTodaySql})::timestamp, interval '1 day') AS d
      LEFT JOIN counts ON counts.day = d::date
     ORDER BY d`);
  return rows.map((r) => ({ day: r.day, messages: n(r.messages) }));
}

export interface Overview {
  figures: OverviewFigures;
  perDay: DayCount[];
  /** This month's push quota and the refused pushes (./push-quota.ts: asks LINE, so added by the caller). */
  pushQuota?: PushQuota;
}

export async function loadOverview(db: Queryable): Promise<Overview> {
  // One after the other: a request's pool has one connection.
  const figures = await overviewFigures(db);
  figures.nasSends = await nasSendFigures(db);
  return { figures, perDay: await messagesPerDay(db) };
}
