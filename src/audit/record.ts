/**
 * Writing the audit trail (`audit_log`, append-only). Every surface records through `recordAudit`,
 * inside the transaction of the change it records where there is one, so an entry exists exactly
 * when the change does. Details are facts (a path, keywords, a count), never secrets or message text.
 */
import { eq } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { auditLog, lineUsers, type AuditVia } from '@linebot-edge/shared/schema';

/** The actions the trail knows; the admin API's `action` filter and the console list them. */
export const auditActions = [
  // NAS files that leave the NAS, and searches (keywords and result count, not the results).
  'nas.search',
  'nas.send_requested',
  'nas.file_sent',
  'nas.send_refused',
  'ai.file_offered',
  // Bindings of LINE users to accounts, of groups to projects.
  'binding.code_issued',
  'binding.bound',
  'binding.unbound',
  'group.project_set',
  'group.settings_changed',
  // Projects and memberships.
  'project.created',
  'project.changed',
  'project.member_set',
  'project.member_removed',
  'account.changed',
  // Share links.
  'share_link.revoked',
  // The AI taken over in a chat by an operator (paused, resumed).
  'ai.paused',
  'ai.resumed',
  // The bot's operator-edited texts (bot_texts).
  'bot_text.changed',
  'bot_text.reset',
  // Messages an operator sent as the bot from the console, into one chat or as an announcement
  // (and an announcement paused for the quota resumed, its failed chats retried).
  'console.message_sent',
  'console.announcement_sent',
  'console.announcement_resumed',
  'console.announcement_retried',
  // Credentials.
  'console.sign_in',
  'console.sign_in_refused',
  'auth.rate_limited',
] as const;
export type AuditAction = (typeof auditActions)[number];

export interface AuditEntry {
  action: AuditAction;
  via: AuditVia;
  actorUserId?: number | null;
  actorLineUserId?: string | null;
  operator?: string | null;
  lineGroupId?: string | null;
  targetType?: string | null;
  targetId?: string | number | null;
  client?: string | null;
  details?: Record<string, unknown>;
}

export async function recordAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    action: entry.action,
    via: entry.via,
    actorUserId: entry.actorUserId ?? null,
    actorLineUserId: entry.actorLineUserId ?? null,
    operator: entry.operator?.slice(0, 256) ?? null,
    lineGroupId: entry.lineGroupId ?? null,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId == null ? null : String(entry.targetId),
    client: entry.client?.slice(0, 64) ?? null,
    details: entry.details ?? {},
  });
}

/** Who acts and from where: an entry less what was done to what. Surfaces build it once per request. */
export type AuditActor = Pick<AuditEntry, 'via' | 'actorUserId' | 'actorLineUserId' | 'operator' | 'client'>;

/** A LINE user acting in a chat (a command), with their account if bound. */
export const chatActor = (lineUserPk: string, userId: number | null | undefined): AuditActor => ({
  via: 'chat',
  actorLineUserId: lineUserPk,
  actorUserId: userId ?? null,
});

/** The account a LINE user is bound to now (users.id), or null: who acted, for the audit trail. */
export async function accountIdOf(db: Queryable, lineUserPk: string | null): Promise<number | null> {
  if (lineUserPk === null) return null;
  const [row] = await db.select({ userId: lineUsers.userId }).from(lineUsers).where(eq(lineUsers.id, lineUserPk));
  return row?.userId ?? null;
}
