/**
 * Sending an AI answer (or the apology when none could be had) into its chat, exactly once.
 *
 * By reply while the reply token is valid (free), else by push (counted against the LINE plan)
 * with an `X-Line-Retry-Key` derived from the event, so a rerun is answered 409 and sends nothing.
 * A reply is marked as attempted before it is sent: a rerun whose reply LINE refuses (a used token
 * is refused) knows the first went out and does not push the same answer again.
 */
import { eq, sql } from 'drizzle-orm';
import { pushAsBot, replyAsBot, type BotChat } from '../bot/send';
import { lineAiAnswers, lineGroups, lineMessages, lineUsers } from '../db/schema';
import type { EventDeps } from '../events/types';
import type { Message } from '../line/client';
import { LineApiError } from '../line/errors';
import { derivedRetryKey, MAX_TEXT_LENGTH, REPLY_WINDOW_MS, splitText } from '../line/messages';
import type { AnswerRow } from './answers';
import { offerMessage, offersOf } from './offers';

/** LINE takes at most 5 messages per reply (the offers' message included); an answer never needs a second push for its tail. */
export const MAX_ANSWER_MESSAGES = 5;

const MENTION = '{asker}';

/**
 * The answer as LINE messages: split at 5000 UTF-16 units, at most `maxMessages` (default 5; the last cut with an
 * ellipsis), every one quoting the question; in a group the first one mentions the asker.
 */
export function answerMessages(
  text: string,
  options: { quoteToken: string | null; mentionUserId: string | null; maxMessages?: number },
): Message[] {
  const maxMessages = options.maxMessages ?? MAX_ANSWER_MESSAGES;
  const prefix = options.mentionUserId ? `${MENTION} ` : '';
  const pieces = splitText(text, MAX_TEXT_LENGTH - prefix.length);
  // In a textV2, `{` and `}` open placeholders: the model's own braces are doubled, which may make
  // the first piece too long; what no longer fits moves to the front of the second.
  if (prefix) {
    while (pieces[0]!.length > 1 && prefix.length + escapeBraces(pieces[0]!).length > MAX_TEXT_LENGTH) {
      const cut = pieces[0]!.length - Math.max(1, prefix.length + escapeBraces(pieces[0]!).length - MAX_TEXT_LENGTH);
      const safeCut = /[\uD800-\uDBFF]/.test(pieces[0]![cut - 1] ?? '') ? cut - 1 : cut;
      const tail = pieces[0]!.slice(safeCut);
      pieces[0] = pieces[0]!.slice(0, safeCut);
      if (pieces.length > 1 && pieces[1]!.length + tail.length <= MAX_TEXT_LENGTH) pieces[1] = tail + pieces[1];
      else pieces.splice(1, 0, tail);
    }
  }
  if (pieces.length > maxMessages) {
    pieces.length = maxMessages;
    pieces[maxMessages - 1] = `${splitText(pieces[maxMessages - 1]!, MAX_TEXT_LENGTH - 1 - prefix.length)[0]!.slice(0, -1)}…`;
  }
  const quote = options.quoteToken ? { quoteToken: options.quoteToken } : {};
  return pieces.map((piece, i): Message => {
    if (i === 0 && options.mentionUserId) {
      return {
        type: 'textV2',
        text: `${prefix}${escapeBraces(piece)}`,
        substitution: { asker: { type: 'mention', mentionee: { type: 'user', userId: options.mentionUserId } } },
        ...quote,
      } as Message;
    }
    return { type: 'text', text: piece, ...quote } as Message;
  });
}

const escapeBraces = (s: string) => s.replace(/[{}]/g, (b) => b + b);

type SendDeps = Pick<EventDeps, 'db' | 'line' | 'log'>;

/** Where the answer goes, read from the answer's own row (never from the model). */
async function destination(deps: SendDeps, row: AnswerRow) {
  const [asker] = await deps.db.select({ lineUserId: lineUsers.lineUserId }).from(lineUsers).where(eq(lineUsers.id, row.lineUserId));
  if (!asker) throw new Error(`answer ${row.id}: its asker is gone`);
  if (!row.lineGroupId) return { chat: { type: 'user', lineUserPk: row.lineUserId } as BotChat, to: asker.lineUserId, mention: null };
  const [group] = await deps.db
    .select({ lineGroupId: lineGroups.lineGroupId, sourceType: lineGroups.sourceType })
    .from(lineGroups)
    .where(eq(lineGroups.id, row.lineGroupId));
  if (!group) throw new Error(`answer ${row.id}: its chat is gone`);
  return { chat: { type: group.sourceType, chatPk: row.lineGroupId } as BotChat, to: group.lineGroupId, mention: asker.lineUserId };
}

async function questionUnsent(deps: SendDeps, row: AnswerRow): Promise<boolean> {
  const [m] = await deps.db.select({ unsentAt: lineMessages.unsentAt }).from(lineMessages).where(eq(lineMessages.id, row.questionMessageId));
  return m?.unsentAt != null;
}

export async function sendAnswer(deps: SendDeps, row: AnswerRow, text: string, kind: 'answer' | 'apology', now = Date.now()) {
  // The asker took the question back while Claude worked: nothing is sent (an answer would quote it).
  if (await questionUnsent(deps, row)) {
    deps.log.info('ai.question_unsent', { answerId: row.id });
    return { sentBy: null };
  }
  const { chat, to, mention } = await destination(deps, row);
  // An apology offers nothing: the answer those offers belonged to was never given.
  const offers = kind === 'answer' ? await offersOf(deps.db, row.id) : [];
  const messages = answerMessages(text, {
    quoteToken: row.quoteToken,
    mentionUserId: mention,
    maxMessages: offers.length > 0 ? MAX_ANSWER_MESSAGES - 1 : MAX_ANSWER_MESSAGES,
  });
  if (offers.length > 0) messages.push(offerMessage(offers));

  const attemptedBefore = row.replyAttemptedAt !== null;
  if (row.replyToken && (attemptedBefore || now - row.eventAt.getTime() < REPLY_WINDOW_MS)) {
    if (!attemptedBefore) {
      await deps.db.update(lineAiAnswers).set({ replyAttemptedAt: sql`now()` }).where(eq(lineAiAnswers.id, row.id));
    }
    try {
      await replyAsBot(deps, chat, row.replyToken, messages);
      return { sentBy: 'reply' as const };
    } catch (err) {
      const refused = err instanceof LineApiError && err.status === 400;
      // An earlier run's reply used the token: it was sent. Never push the same answer after it.
      if (refused && attemptedBefore) return { sentBy: 'reply' as const };
      // Refused the first time (the token expired while Claude thought): push instead.
      if (!refused) throw err;
      deps.log.warn('ai.reply_refused', { answerId: row.id, error: err });
    }
  }
  await pushAsBot(deps, chat, to, messages, await derivedRetryKey(`${row.webhookEventId}:${kind}`, 0));
  return { sentBy: 'push' as const };
}
