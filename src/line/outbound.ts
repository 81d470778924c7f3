/**
 * The one way the bot sends messages into a chat: command replies, AI answers, NAS file messages
 * and their failure notices, answers to taps on buttons, and whatever comes next all go through
 * `sendMessages`. It guarantees, for every caller alike:
 *
 * - **Reply or push.** A reply (free) while the event's reply token is good (REPLY_WINDOW_MS after
 *   the event), else a push (counted against the LINE plan). A caller that may not push (a tap
 *   answered late is not answered) says so with `push: null`.
 * - **No push after a reply that may have gone out.** The reply is marked attempted, durably, before
 *   it is sent (`reply.markAttempted`, the caller's own column). A rerun that finds it marked replies
 *   again: LINE refuses a used token (400), which counts as sent, and nothing is pushed. (A reply
 *   cut off before LINE got it, rerun after its token expired, is lost: never twice, over always.)
 * - **A push once.** Its `X-Line-Retry-Key` comes from what is being answered (`push.key`), so a
 *   rerun's push is answered 409 with what LINE sent the first time, which counts as sent.
 * - **Both sides of the chat.** Every message LINE reports as sent becomes one `is_from_bot` row of
 *   `line_messages`, keyed by LINE's message id: a 409 or a rerun adds no second row. A console
 *   operator's message names them (`sent_by_operator`).
 * - **A quota refusal said so.** A push LINE refuses with 429 "You have reached your monthly
 *   limit." (the plan's messages are used up: no retry helps until the month or the plan changes)
 *   is logged as `line.quota_exceeded` and returned as `refused: 'quota'`, not thrown, and kept as
 *   one row of line_push_refusals (the console counts them per month).
 * - **A rate limit retried.** Any other 429 still answered after the client's retries (LINE's
 *   per-second limit, "The API rate limit has been exceeded. Try again later.", or words we do not
 *   know: a retry beats a dropped message) is logged once as `line.rate_limited` and thrown like a
 *   5xx, so the caller's own retry applies (the same retry key: nothing goes out twice). Every
 *   other failure is thrown to the caller too.
 */
import { eq, sql } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../db/client';
import { lineGroups, lineMessages, linePushRefusals, lineUsers } from '@linebot-edge/shared/schema';
import type { Logger } from '../lib/log';
import { MAX_MESSAGES_PER_REQUEST, type LineClient, type Message, type SentMessages } from './client';
import { LineApiError } from './errors';
import { chunk, derivedRetryKey } from './messages';

/** LINE's reply tokens expire about a minute after the event; a reply is tried only this soon after it (a margin for the request itself). */
export const REPLY_WINDOW_MS = 50_000;

/** Where the bot speaks. A 1:1 chat is identified by its user, as LINE's `source` does. */
export type BotChat = { type: 'user'; lineUserPk: string } | { type: 'group' | 'room'; chatPk: string };

export interface OutboundDeps {
  db: Database;
  line: LineClient;
  log: Logger;
}

export interface ReplyTo {
  /** The reply token of the event being answered; null: it had none, push. */
  token: string | null;
  /** LINE's time of that event: the token is tried until REPLY_WINDOW_MS after it. */
  eventAt: Date;
  /** An earlier run already marked a reply with this token attempted (it may have gone out). */
  attempted?: boolean;
  /**
   * Marks the reply attempted, durably, before it is sent; resolves false when another run had
   * marked it first. Omitted where nothing can run the same send twice (a command's reply runs
   * once, after its event's transaction committed once).
   */
  markAttempted?: () => Promise<boolean>;
}

export interface PushTo {
  /** The LINE id the push goes to (`U…`, `C…`, `R…`). */
  to: string;
  /** What is being answered, e.g. `nas-send:<request id>:file`: the retry keys derive from it. */
  key: string;
}

export interface Outbound {
  chat: BotChat;
  messages: Message[];
  /** What line_messages keeps instead of `messages`: the same messages with secrets taken out (share-link tokens). */
  recorded?: Message[];
  reply?: ReplyTo;
  /** Null: never push (a reply or nothing). */
  push: PushTo | null;
  /** A console operator sending as the bot (Access e-mail or `token:<session>`): kept on the is_from_bot rows. */
  sentByOperator?: string;
  now?: number;
}

export interface Sent {
  /** Null: nothing went out (no reply possible and no push allowed, or the push was refused). */
  sentBy: 'reply' | 'push' | null;
  /** LINE's ids of the messages sent (empty when an earlier run's reply is what was sent). */
  messageIds: string[];
  /** LINE refused the push for the plan's monthly limit (429): logged as `line.quota_exceeded`. */
  refused?: 'quota';
}

export async function sendMessages(deps: OutboundDeps, out: Outbound): Promise<Sent> {
  const now = out.now ?? Date.now();
  const reply = out.reply;
  // A reply carries at most 5 messages; more go by push (with one key for all their requests).
  const replyable = reply?.token && out.messages.length <= MAX_MESSAGES_PER_REQUEST;
  if (replyable && (reply.attempted || now - reply.eventAt.getTime() < REPLY_WINDOW_MS)) {
    const attemptedBefore = reply.attempted === true || (reply.markAttempted ? !(await reply.markAttempted()) : false);
    try {
      const sent = await deps.line.replyMessage(reply.token!, out.messages);
      return { sentBy: 'reply', messageIds: await record(deps, out, [sent]) };
    } catch (err) {
      if (!(err instanceof LineApiError && err.status === 400)) throw err;
      // An earlier run's reply used the token: it was sent. Never push the same messages after it.
      if (attemptedBefore) return { sentBy: 'reply', messageIds: [] };
      // Refused the first time (the token expired meanwhile, or another message used it): push instead.
      deps.log.warn('line.reply_refused', { chat: chatRef(out.chat), error: err });
    }
  }
  if (!out.push) return { sentBy: null, messageIds: [] };
  try {
    const sent = await deps.line.pushMessage(out.push.to, out.messages, await derivedRetryKey(out.push.key, 0));
    return { sentBy: 'push', messageIds: await record(deps, out, sent) };
  } catch (err) {
    if (!(err instanceof LineApiError && err.status === 429)) throw err;
    // The chat and LINE's words, never the messages: an operator sees who went unanswered and why.
    const said = { chat: chatRef(out.chat), lineMessage: err.lineMessage, lineRequestId: err.requestId };
    if (!isMonthlyLimit(err)) {
      deps.log.warn('line.rate_limited', said);
      throw err;
    }
    deps.log.warn('line.quota_exceeded', said);
    await recordRefusal(deps, out.chat, out.push.key);
    return { sentBy: null, messageIds: [], refused: 'quota' };
  }
}

/** LINE's 429 for the month's messages used up, told from its rate limit by LINE's words (all LINE gives). */
const isMonthlyLimit = (err: LineApiError): boolean => /monthly limit/i.test(err.lineMessage ?? '');

/**
 * `markAttempted` for a row that keeps its own `reply_attempted_at` (an AI answer, a NAS send
 * request): set once, by a conditional UPDATE, so of two runs only one is told it was first.
 */
export const replyAttemptMark =
  (db: Database, table: PgTable & { id: AnyPgColumn; replyAttemptedAt: AnyPgColumn }, id: string) =>
  async (): Promise<boolean> => {
    const marked = await db.execute(
      sql`UPDATE ${table} SET ${sql.identifier(table.replyAttemptedAt.name)} = now() WHERE ${table.id} = ${id} AND ${table.replyAttemptedAt} IS NULL RETURNING 1`,
    );
    return marked.rows.length === 1;
  };

/**
 * One row per refused push, counted in the console's overview: what was being answered (the retry
 * key's source) and the chat's type, never the messages. A failed INSERT is logged, never thrown:
 * the refusal itself is the caller's outcome.
 */
async function recordRefusal(deps: OutboundDeps, chat: BotChat, pushKey: string): Promise<void> {
  try {
    await deps.db.insert(linePushRefusals).values({ pushKey: pushKey.slice(0, 200), chatType: chat.type });
  } catch (err) {
    deps.log.error('line.refusal_record_failed', { error: err, chat: chatRef(chat) });
  }
}

/** The chat as the logs name it: its type and row id. */
const chatRef = (chat: BotChat) => ({ type: chat.type, id: chat.type === 'user' ? chat.lineUserPk : chat.chatPk });

/**
 * The chat of a user (and, in a group or room, its row) and the LINE id a push goes to, read from
 * their rows: never from a model, a form or a postback.
 */
export async function destinationOf(
  db: Database,
  where: { lineUserPk: string | null; chatPk: string | null },
): Promise<{ chat: BotChat; to: string }> {
  if (where.chatPk === null) {
    if (where.lineUserPk === null) throw new Error('a destination needs a chat or a user');
    const [user] = await db
      .select({ lineUserId: lineUsers.lineUserId })
      .from(lineUsers)
      .where(eq(lineUsers.id, where.lineUserPk));
    if (!user) throw new Error(`line user ${where.lineUserPk} is gone`);
    return { chat: { type: 'user', lineUserPk: where.lineUserPk }, to: user.lineUserId };
  }
  const [group] = await db
    .select({ lineGroupId: lineGroups.lineGroupId, sourceType: lineGroups.sourceType })
    .from(lineGroups)
    .where(eq(lineGroups.id, where.chatPk));
  if (!group) throw new Error(`chat ${where.chatPk} is gone`);
  return { chat: { type: group.sourceType as 'group' | 'room', chatPk: where.chatPk }, to: group.lineGroupId };
}

/** The searchable text: a textV2's `{placeholders}` (the mention of the asker) are left out, `{{` `}}` are braces. */
function contentOf(message: Message): string | null {
  if (message.type === 'text') return message.text;
  if (message.type === 'textV2') {
    return message.text.replace(/\{\{|\}\}|\{[A-Za-z0-9_]+\} ?/g, (m) => (m === '{{' ? '{' : m === '}}' ? '}' : ''));
  }
  return null;
}

/** Records what was sent; the ids LINE gave. A failed INSERT is logged, never resent for (the user has the message). */
async function record(deps: OutboundDeps, out: Outbound, sent: SentMessages[]): Promise<string[]> {
  const ids = sent.flatMap((s) => s.sentMessages.map((m) => m.id));
  try {
    await recordBotMessages(deps.db, out.chat, out.recorded ?? out.messages, sent, out.sentByOperator ?? null);
  } catch (err) {
    deps.log.error('bot.record_failed', { error: err, sentMessageIds: ids });
  }
  return ids;
}

/**
 * One row per message LINE reports as sent: `sent[i]` is LINE's answer to batch i of `messages`
 * (5 per request), its entries in message order. Keyed by LINE's message id, so a 409's
 * `sentMessages` (the same ids) add nothing.
 */
async function recordBotMessages(
  db: Database,
  chat: BotChat,
  messages: Message[],
  sent: SentMessages[],
  sentByOperator: string | null,
): Promise<void> {
  const now = new Date();
  const rows = chunk(messages, MAX_MESSAGES_PER_REQUEST).flatMap((batch, i) =>
    batch.flatMap((message, j) => {
      const sentMessage = sent[i]?.sentMessages[j];
      if (!sentMessage?.id) return [];
      return [
        {
          messageId: sentMessage.id,
          isFromBot: true,
          lineUserId: chat.type === 'user' ? chat.lineUserPk : null,
          lineGroupId: chat.type === 'user' ? null : chat.chatPk,
          sourceType: chat.type,
          messageType: message.type,
          content: contentOf(message),
          quoteToken: sentMessage.quoteToken ?? null,
          rawMessage: message,
          sentByOperator: sentByOperator?.slice(0, 256) ?? null,
          sentAt: now,
        } satisfies typeof lineMessages.$inferInsert,
      ];
    }),
  );
  if (rows.length === 0) return;
  await db.insert(lineMessages).values(rows).onConflictDoNothing({ target: lineMessages.messageId });
}
