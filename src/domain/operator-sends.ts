/**
 * A console operator sending as the bot into one chat: a text, or a NAS file. The unit is one
 * `operator_sends` row whose id is the form submission's (a hidden field made when the page was
 * rendered, or derived for an announcement's chat), so a double submit or a retried request finds
 * the row and sends nothing twice:
 *
 * - **A text** goes by push through the outbound module with the retry key `console:<id>`: a
 *   second attempt is answered 409 by LINE, which counts as sent. The is_from_bot row names the
 *   operator; `sent` and the audit entry (`console.message_sent`) are written once, by the attempt
 *   that moves the row out of `sending`.
 * - **A file** becomes a NAS send request keyed `console:<id>` (the nas-sync job uploads it, the
 *   Worker pushes it: src/nas/deliver.ts, src/nas/operator-sends.ts settle the row). It must lie in
 *   what the operator may send into the chat (src/access/policy.ts `operatorNasScopeFor`), read now
 *   from the chat, whatever ids the form carried; the delivery checks it again.
 */
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { fileWithinScope, type NasScopeDecision } from '../access/policy';
import type { AuditActor } from '../audit/record';
import { recordAudit } from '../audit/record';
import type { Database, Queryable } from '../db/client';
import { LineApiError } from '../line/errors';
import { destinationOf, sendMessages, type OutboundDeps } from '../line/outbound';
import { CONSOLE_REQUEST_PREFIX } from '../nas/operator-sends';
import { createSendRequest } from '../nas/requests';
import { operatorNasScopeOf, type ConsoleChat } from '../nas/scope';
import { lineGroups, lineUsers, nasFiles, nasSendRequests, operatorSends } from '@linebot-edge/shared/schema';

export type { ConsoleChat } from '../nas/scope';

/** One LINE text message. */
export const MAX_OPERATOR_TEXT = 5000;

export type OperatorSendRow = typeof operatorSends.$inferSelect;

export type SendOutcome =
  /** Pushed now (or found pushed by an earlier attempt of the same submission). */
  | { kind: 'sent'; again: boolean }
  /** A file: asked of the NAS; the row becomes `sent` when the Worker pushes it. */
  | { kind: 'requested'; again: boolean }
  /**
   * LINE refused: `quota` (429, the monthly limit) or its status (429 too: its rate limit, then
   * `rateLimited`); the row is `failed`.
   */
  | { kind: 'failed'; error: string; rateLimited?: boolean }
  /** LINE did not answer (5xx, network): the row stays `sending`; the same submission may try again. */
  | { kind: 'unanswered' }
  /** The submission's id was used for another message or chat. */
  | { kind: 'conflict' }
  | { kind: 'chatNotFound' }
  | { kind: 'fileNotFound' }
  /** The file is not one the operator may send here; `why` as the scope decision says. */
  | { kind: 'outOfScope'; why: Exclude<NasScopeDecision['kind'], 'scope'> | 'outside_scope' }
  | { kind: 'tooLarge' };

/** A push's outcome, or LINE's refusal for the month's quota (429, the monthly limit): the row left `sending`, for the caller to fail or put back. */
export type PushOutcome = SendOutcome | { kind: 'quota' };

export interface SendInput {
  /** The submission's uuid: the row's id, and the source of the push's retry key. */
  id: string;
  operator: string;
  chat: ConsoleChat;
  announcementId?: string | null;
}

/** The row of a submission about to be sent: its text or its file's send request. */
const sendingRow = (
  input: SendInput,
  what: { text: string } | { nasSendRequestId: string | null },
): typeof operatorSends.$inferInsert => ({
  id: input.id,
  operator: input.operator,
  lineGroupId: input.chat.chatPk,
  lineUserId: input.chat.lineUserPk,
  announcementId: input.announcementId ?? null,
  ...what,
  status: 'sending',
});

/** The chat exists (a group or room row, or a LINE user row)? */
async function chatExists(db: Queryable, chat: ConsoleChat): Promise<boolean> {
  const rows =
    chat.chatPk !== null
      ? await db.select({ id: lineGroups.id }).from(lineGroups).where(eq(lineGroups.id, chat.chatPk))
      : await db.select({ id: lineUsers.id }).from(lineUsers).where(eq(lineUsers.id, chat.lineUserPk));
  return rows.length === 1;
}

const sameChat = (row: OperatorSendRow, chat: ConsoleChat) =>
  row.lineGroupId === chat.chatPk && row.lineUserId === chat.lineUserPk;

async function loadSend(db: Queryable, id: string): Promise<OperatorSendRow | undefined> {
  return (await db.select().from(operatorSends).where(eq(operatorSends.id, id)))[0];
}

/**
 * An audit entry of a message the operator sent, linked to the chat; never the text itself. A 1:1
 * chat's entry targets the LINE user (the audit screen's `lineUserId` filter finds it), the send
 * in its details; a group's targets the send, the group being the entry's chat.
 */
function auditSend(
  db: Queryable,
  actor: AuditActor,
  input: SendInput,
  details: Record<string, unknown>,
): Promise<void> {
  const user = input.chat.lineUserPk;
  return recordAudit(db, {
    ...actor,
    action: 'console.message_sent',
    lineGroupId: input.chat.chatPk,
    ...(user ? { targetType: 'line_user', targetId: user } : { targetType: 'operator_send', targetId: input.id }),
    details: {
      ...(user ? { operatorSendId: input.id } : {}),
      ...(input.announcementId ? { announcementId: input.announcementId } : {}),
      ...details,
    },
  });
}

/**
 * Pushes a text as the bot, once per submission id. The row is written first (`sending`); a
 * rerun of the same id pushes again with the same retry key (LINE answers 409: sent) until the row
 * is settled, and a settled row is answered from the row.
 */
export async function sendTextAsBot(
  deps: OutboundDeps,
  input: SendInput & { text: string },
  actor: AuditActor,
): Promise<SendOutcome> {
  const { db } = deps;
  if (!(await chatExists(db, input.chat))) return { kind: 'chatNotFound' };
  const inserted = await db
    .insert(operatorSends)
    .values(sendingRow(input, { text: input.text }))
    .onConflictDoNothing({ target: operatorSends.id })
    .returning({ id: operatorSends.id });
  if (inserted.length === 0) {
    const row = await loadSend(db, input.id);
    if (!row || !sameChat(row, input.chat) || row.text !== input.text || row.nasSendRequestId !== null)
      return { kind: 'conflict' };
    if (row.status === 'sent') return { kind: 'sent', again: true };
    if (row.status === 'failed') return { kind: 'failed', error: row.error ?? 'failed' };
  }
  const outcome = await pushText(deps, input, actor);
  if (outcome.kind !== 'quota') return outcome;
  // One chat's message: refused for good this month, the operator is told so.
  await settle(db, input.id, { status: 'failed', error: 'quota' });
  return { kind: 'failed', error: 'quota' };
}

/**
 * The push of a `sending` row and its settling: the attempt that settles it audits it. A quota
 * refusal settles nothing (`quota`): a single send fails, an announcement pauses.
 */
export async function pushText(
  deps: OutboundDeps,
  input: SendInput & { text: string },
  actor: AuditActor,
): Promise<PushOutcome> {
  const { db } = deps;
  const { chat, to } = await destinationOf(db, input.chat);
  let error: string;
  let rateLimited = false;
  try {
    const sent = await sendMessages(deps, {
      chat,
      messages: [{ type: 'text', text: input.text }],
      push: { to, key: `${CONSOLE_REQUEST_PREFIX}${input.id}` },
      sentByOperator: input.operator,
    });
    if (sent.sentBy === 'push') {
      const settled = await db.transaction(async (tx) => {
        const rows = await settle(tx, input.id, { status: 'sent' });
        if (rows === 1) await auditSend(tx, actor, input, { kind: 'text', textLength: input.text.length });
        return rows;
      });
      return { kind: 'sent', again: settled === 0 };
    }
    if (sent.refused === 'quota') return { kind: 'quota' };
    error = 'not sent';
  } catch (err) {
    // A 429 thrown is LINE's rate limit (its monthly limit is `refused`): failed, for the operator to
    // send again (an announcement's "retry failed chats" keeps the row's retry key: never twice).
    rateLimited = err instanceof LineApiError && err.status === 429;
    if (!(err instanceof LineApiError) || (err.isRetryable && !rateLimited)) {
      deps.log.warn('console.send_unanswered', { operatorSendId: input.id, error: err });
      return { kind: 'unanswered' };
    }
    error = `LINE refused the message (${err.status}${rateLimited ? ': rate limit, try again later' : ''})`;
  }
  await settle(db, input.id, { status: 'failed', error });
  return rateLimited ? { kind: 'failed', error, rateLimited } : { kind: 'failed', error };
}

/** Moves a row out of pending/sending, once; how many rows it moved (0: already settled). */
export async function settle(
  db: Queryable,
  id: string,
  outcome: { status: 'sent' } | { status: 'failed'; error: string },
): Promise<number> {
  const rows = await db
    .update(operatorSends)
    .set({
      status: outcome.status,
      error: outcome.status === 'failed' ? outcome.error : null,
      sentAt: outcome.status === 'sent' ? sql`now()` : null,
    })
    .where(and(eq(operatorSends.id, id), inArray(operatorSends.status, ['pending', 'sending'])))
    .returning({ id: operatorSends.id });
  return rows.length;
}

/** What the operator may send into the chat now, and whether this file is in it; the file row if so. */
async function fileForChat(
  db: Queryable,
  chat: ConsoleChat,
  fileId: string,
): Promise<{ ok: true; file: typeof nasFiles.$inferSelect } | { ok: false; outcome: SendOutcome }> {
  const [file] = await db.select().from(nasFiles).where(eq(nasFiles.id, fileId));
  if (!file) return { ok: false, outcome: { kind: 'fileNotFound' } };
  const decision = await operatorNasScopeOf(db, chat);
  if (decision.kind !== 'scope') return { ok: false, outcome: { kind: 'outOfScope', why: decision.kind } };
  if (!fileWithinScope(decision.scope, file))
    return { ok: false, outcome: { kind: 'outOfScope', why: 'outside_scope' } };
  return { ok: true, file };
}

export type FileInput = SendInput & { fileId: string; sendMaxBytes: number; publicBaseUrl: string | null };

/** The file, if the operator may send it into the chat now and it is not too large. */
export async function checkedFile(
  db: Queryable,
  input: FileInput,
): Promise<{ ok: true; file: typeof nasFiles.$inferSelect } | { ok: false; outcome: SendOutcome }> {
  const checked = await fileForChat(db, input.chat, input.fileId);
  if (checked.ok && checked.file.size > input.sendMaxBytes) return { ok: false, outcome: { kind: 'tooLarge' } };
  return checked;
}

/** The NAS send request of a submission (key `console:<id>`, no reply token: by push); its id, or null when it exists already. */
export async function requestFile(
  db: Queryable,
  input: FileInput,
  file: typeof nasFiles.$inferSelect,
): Promise<string | null> {
  const request = await createSendRequest(db, {
    requestKey: `${CONSOLE_REQUEST_PREFIX}${input.id}`,
    file,
    lineUserPk: input.chat.lineUserPk,
    chatPk: input.chat.chatPk,
    replyToken: null,
    eventAt: new Date(),
    publicBaseUrl: input.publicBaseUrl,
  });
  return request.id;
}

export const auditFile = (db: Queryable, actor: AuditActor, input: SendInput, file: typeof nasFiles.$inferSelect) =>
  auditSend(db, actor, input, { kind: 'file', share: file.share, path: file.path, size: file.size });

/**
 * Asks the NAS to send a file into the chat, once per submission id: the send request (key
 * `console:<id>`, no reply token: it goes by push) and the `sending` row in one transaction.
 */
export async function sendFileAsBot(db: Database, input: FileInput, actor: AuditActor): Promise<SendOutcome> {
  if (!(await chatExists(db, input.chat))) return { kind: 'chatNotFound' };
  const existing = await loadSend(db, input.id);
  if (existing) return answerFromRow(db, existing, input);
  const checked = await checkedFile(db, input);
  if (!checked.ok) return checked.outcome;
  const created = await db.transaction(async (tx) => {
    const request = await requestFile(tx, input, checked.file);
    if (!request) return false;
    await tx.insert(operatorSends).values(sendingRow(input, { nasSendRequestId: request }));
    await auditFile(tx, actor, input, checked.file);
    return true;
  });
  if (created) return { kind: 'requested', again: false };
  // A concurrent submission of the same form made it first.
  const row = await loadSend(db, input.id);
  return row ? answerFromRow(db, row, input) : { kind: 'conflict' };
}

/** A file submission whose row exists: the same file into the same chat is answered from it, anything else is a conflict. */
async function answerFromRow(
  db: Queryable,
  row: OperatorSendRow,
  input: SendInput & { fileId: string },
): Promise<SendOutcome> {
  if (!sameChat(row, input.chat) || row.nasSendRequestId === null) return { kind: 'conflict' };
  const [request] = await db
    .select({ nasFileId: nasSendRequests.nasFileId })
    .from(nasSendRequests)
    .where(eq(nasSendRequests.id, row.nasSendRequestId));
  if (request?.nasFileId !== input.fileId) return { kind: 'conflict' };
  if (row.status === 'failed') return { kind: 'failed', error: row.error ?? 'failed' };
  return row.status === 'sent' ? { kind: 'sent', again: true } : { kind: 'requested', again: true };
}

export interface OperatorSendItem {
  id: string;
  operator: string;
  text: string | null;
  fileName: string | null;
  status: OperatorSendRow['status'];
  error: string | null;
  announcementId: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** The latest sends into one chat (newest first), with the file's name for a file. */
export async function latestSends(db: Queryable, chat: ConsoleChat, limit = 10): Promise<OperatorSendItem[]> {
  return db
    .select({
      id: operatorSends.id,
      operator: operatorSends.operator,
      text: operatorSends.text,
      fileName: nasSendRequests.name,
      status: operatorSends.status,
      error: operatorSends.error,
      announcementId: operatorSends.announcementId,
      createdAt: operatorSends.createdAt,
      sentAt: operatorSends.sentAt,
    })
    .from(operatorSends)
    .leftJoin(nasSendRequests, eq(nasSendRequests.id, operatorSends.nasSendRequestId))
    .where(
      chat.chatPk !== null
        ? eq(operatorSends.lineGroupId, chat.chatPk)
        : and(eq(operatorSends.lineUserId, chat.lineUserPk), isNull(operatorSends.lineGroupId)),
    )
    .orderBy(desc(operatorSends.createdAt), desc(operatorSends.id))
    .limit(limit);
}
