/**
 * The overview's NAS send figures: files the bot sent into chats today (Asia/Taipei, by the
 * request's `sent_at`, from the database's clock like the other figures) and share links that
 * still open (neither revoked nor expired: the share links screen's `active`).
 */
import { sql } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { nasSendRequests, shareLinks } from '@linebot-edge/shared/schema';
import { taipeiMidnightSql, taipeiTodaySql } from '../lib/taipei';

export interface NasSendFigures {
  sentToday: number;
  activeLinks: number;
}

export async function nasSendFigures(db: Queryable): Promise<NasSendFigures> {
  const { rows } = await db.execute<{ sent_today: string | number; active_links: string | number }>(sql`
    SELECT
      (SELECT count(*) FROM ${nasSendRequests}
        WHERE ${nasSendRequests.status} = 'sent' AND ${nasSendRequests.sentAt} >= ${taipeiMidnightSql(taipeiTodaySql)}
          AND ${nasSendRequests.sentAt} < ${taipeiMidnightSql(sql`${taipeiTodaySql} + 1`)}) AS sent_today,
      (SELECT count(*) FROM ${shareLinks} WHERE ${shareLinks.revokedAt} IS NULL AND ${shareLinks.expiresAt} > now()) AS active_links`);
  return { sentToday: Number(rows[0]?.sent_today ?? 0), activeLinks: Number(rows[0]?.active_links ?? 0) };
}
