/**
 * An AI answer (or the apology when none could be had) as LINE messages, sent into its chat
 * exactly once by the outbound module (src/line/outbound.ts): by reply while the question's token
 * is good, else by push keyed by the event; the answer's `reply_attempted_at` marks the reply.
 * With AI_LATE_ANSWER=button, an answer whose token went to the "still working" notice
 * (./late.ts) is not sent: it waits in the send step's kept result for a tap on the notice's button.
 */
import { eq, sql } from 'drizzle-orm';
import { lineAiAnswers, lineGroups, lineMessages, lineUsers } from '@linebot-edge/shared/schema';
import type { Message } from '../line/client';
import { previewUrlsFor } from '../nas/file-previews';
import type { NasConfig } from '../nas/requests';
import { MAX_TEXT_LENGTH, splitText } from '../line/messages';
import { replyAttemptMark, sendMessages, type BotChat, type OutboundDeps, type Sent } from '../line/outbound';
import type { BotLang } from '../messages/catalog';
import { botLanguage } from '../messages/language';
import type { AnswerRow } from './answers';
import type { LateAnswerMode } from './config';
import { offerMessage, offersOf, type OfferOfAnswer } from './offers';

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
    pieces[maxMessages - 1] =
      `${splitText(pieces[maxMessages - 1]!, MAX_TEXT_LENGTH - 1 - prefix.length)[0]!.slice(0, -1)}…`;
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

/** The NAS settings too: the offers' previews are signed with them, on their origin. */
type SendDeps = OutboundDeps & { nas: NasConfig };

/**
 * Whether the question was unsent, and whom the answer goes to (the chat, LINE's id to push to, the
 * asker's LINE id for the mention and language), and what has claimed the question's reply token
 * (as Postgres has it now, not as the run read the row): one round trip, not five.
 */
export async function audienceOf(
  deps: OutboundDeps,
  row: Pick<AnswerRow, 'id' | 'lineUserId' | 'lineGroupId' | 'questionMessageId'>,
) {
  const [a] = await deps.db
    .select({
      unsentAt: lineMessages.unsentAt,
      replyAttemptedAt: lineAiAnswers.replyAttemptedAt,
      lateNoticeAt: lineAiAnswers.lateNoticeAt,
      askerLineId: lineUsers.lineUserId,
      language: lineUsers.language,
      chatLineId: lineGroups.lineGroupId,
      chatType: lineGroups.sourceType,
    })
    .from(lineMessages)
    .innerJoin(lineUsers, eq(lineUsers.id, row.lineUserId))
    .innerJoin(lineAiAnswers, eq(lineAiAnswers.id, row.id))
    .leftJoin(lineGroups, row.lineGroupId === null ? sql`false` : eq(lineGroups.id, row.lineGroupId))
    .where(eq(lineMessages.id, row.questionMessageId));
  if (!a) throw new Error(`answer ${row.id}: its question or asker is gone`);
  if (row.lineGroupId !== null && a.chatLineId === null) throw new Error(`chat ${row.lineGroupId} is gone`);
  const chat: BotChat =
    row.lineGroupId === null
      ? { type: 'user', lineUserPk: row.lineUserId }
      : { type: a.chatType as 'group' | 'room', chatPk: row.lineGroupId };
  return {
    unsent: a.unsentAt !== null,
    replyAttempted: a.replyAttemptedAt !== null,
    lateNotice: a.lateNoticeAt !== null,
    chat,
    to: a.chatLineId ?? a.askerLineId,
    askerLineId: a.askerLineId,
    lang: botLanguage(a.language),
  };
}

/** What the send step keeps: what went out, or (button) the answer waiting for a tap. */
export interface AnswerSent extends Sent {
  /** The notice took the reply token: this is sent by reply to a tap on its button (./late.ts). */
  waiting?: { text: string; kind: AnswerKind };
}

type AnswerKind = 'answer' | 'apology';

/** The notice's claim of the token won over the answer's own (another run of the same answer). */
class TokenTakenByNotice extends Error {}

export async function sendAnswer(
  deps: SendDeps,
  row: AnswerRow,
  text: string,
  kind: AnswerKind,
  late: LateAnswerMode = 'push',
  now = Date.now(),
): Promise<AnswerSent> {
  const audience = await audienceOf(deps, row);
  // The asker took the question back while Claude worked: nothing is sent (an answer would quote it).
  if (audience.unsent) {
    deps.log.info('ai.question_unsent', { answerId: row.id });
    return { sentBy: null, messageIds: [] };
  }
  const waiting: AnswerSent = { sentBy: null, messageIds: [], waiting: { text, kind } };
  if (late === 'button' && audience.lateNotice) return waiting;
  const { chat, to } = audience;
  const messages = await answerMessagesFor(deps, row, text, kind, audience);
  const mark = replyAttemptMark(deps.db, lineAiAnswers, row.id);
  try {
    return await sendMessages(deps, {
      chat,
      messages,
      reply: {
        token: row.replyToken,
        eventAt: row.eventAt,
        attempted: audience.replyAttempted,
        markAttempted:
          late === 'button'
            ? async () => {
                if (await mark()) return true;
                if ((await audienceOf(deps, row)).lateNotice) throw new TokenTakenByNotice();
                return false;
              }
            : mark,
      },
      push: { to, key: `${row.webhookEventId}:${kind}` },
      now,
    });
  } catch (err) {
    if (err instanceof TokenTakenByNotice) return waiting;
    throw err;
  }
}

/**
 * The answer's messages for its chat: the text (quoting the question, mentioning a group's asker)
 * and its offers, each image with its preview as `/find` would show it to this asker in this chat.
 */
export async function answerMessagesFor(
  deps: SendDeps,
  row: Pick<AnswerRow, 'id' | 'lineUserId' | 'lineGroupId' | 'quoteToken'>,
  text: string,
  kind: AnswerKind,
  audience: { askerLineId: string; lang: BotLang },
): Promise<Message[]> {
  const mention = row.lineGroupId ? audience.askerLineId : null;
  // An apology offers nothing: the answer those offers belonged to was never given.
  const offers = kind === 'answer' ? await offersOf(deps.db, row.id) : [];
  const messages = answerMessages(text, {
    quoteToken: row.quoteToken,
    mentionUserId: mention,
    maxMessages: offers.length > 0 ? MAX_ANSWER_MESSAGES - 1 : MAX_ANSWER_MESSAGES,
  });
  if (offers.length > 0) messages.push(offerMessage(offers, audience.lang, await offerPreviews(deps, row, offers)));
  return messages;
}

/** The preview URLs of the offers (by offer id), signed for the answer's asker and chat. */
async function offerPreviews(
  deps: SendDeps,
  row: Pick<AnswerRow, 'lineUserId' | 'lineGroupId'>,
  offers: OfferOfAnswer[],
): Promise<Map<string, string>> {
  const files = offers.flatMap((o) => (o.file ? [o.file] : []));
  const urls = await previewUrlsFor(
    deps.db,
    { lineUserPk: row.lineUserId, chatPk: row.lineGroupId, nas: deps.nas },
    files,
  );
  const previews = new Map<string, string>();
  for (const o of offers) if (o.file && urls.has(o.file.id)) previews.set(o.id, urls.get(o.file.id)!);
  return previews;
}
