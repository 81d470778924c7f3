/**
 * A tap on a late answer's 取得回答 button (postback `answer:<answer id>`, src/ai/late.ts), routed
 * here by postback.ts. Who may fetch what is `answerTapFor` (src/access/policy.ts), decided from
 * the stored answer, never from the data beyond its id: only the asker's tap in the answer's chat.
 *
 * The answer goes by reply with the tap's own reply token (free, whenever the tap comes). It is
 * claimed once, in the event's transaction, by a conditional UPDATE of `delivered_at` (not yet
 * delivered, the notice sent, the answer waiting, the question not unsent): a second tap, or the
 * same tap processed twice, finds it claimed and is told so. A claim whose reply could not be
 * attempted (the tap processed after its token's window) is given back, so a later tap delivers.
 * Before the answer is ready a tap is told so, with the button again. A refused tap changes nothing.
 */
import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import { answerTapFor } from '../../access/policy';
import { lateAnswerMessage } from '../../ai/late';
import { answerMessagesFor, audienceOf, type AnswerSent } from '../../ai/send';
import { lineAiAnswers, lineMessages } from '@linebot-edge/shared/schema';
import { fromLineTimestamp } from '../../lib/time';
import { str } from '../../lib/values';
import type { Message } from '../../line/client';
import { textMessages } from '../../line/messages';
import { sendMessages, type BotChat } from '../../line/outbound';
import { say } from '../../messages/catalog';
import { botLanguage } from '../../messages/language';
import { loadTapper } from '../participants';
import { chatOf, sourceOf, type Apply, type EventDeps } from '../types';
import type { WebhookEventObject } from '../../line/webhook-body';

/** The answer the send step kept for a tap (`send answer` or, when Claude failed, `send apology`). */
const waitingSql = sql<
  AnswerSent['waiting'] | null
>`coalesce(${lineAiAnswers.steps} -> 'send answer' -> 'waiting', ${lineAiAnswers.steps} -> 'send apology' -> 'waiting')`;
const unsentSql = sql<boolean>`exists (select 1 from ${lineMessages} where ${lineMessages.id} = ${lineAiAnswers.questionMessageId} and ${lineMessages.unsentAt} is not null)`;

export async function handleAnswerTap(
  event: WebhookEventObject,
  deps: EventDeps,
  answerId: string | null,
): Promise<Apply | undefined> {
  const source = sourceOf(event);
  const chat = chatOf(source);
  const log = deps.log.child({ answerId });
  // Edited or forged data, or a source the bot cannot tell: refused, silently.
  if (!answerId || !source.userId || (source.type !== 'user' && !chat)) {
    log.warn('late_answer.tap_refused', { reason: 'malformed' });
    return;
  }
  const { tapper, chatPk } = await loadTapper(deps.db, source.userId, chat);
  if (chat && chatPk === null) return;
  const [answer] = await deps.db
    .select({
      id: lineAiAnswers.id,
      lineUserPk: lineAiAnswers.lineUserId,
      chatPk: lineAiAnswers.lineGroupId,
      questionMessageId: lineAiAnswers.questionMessageId,
      quoteToken: lineAiAnswers.quoteToken,
      noticeSent: sql<boolean>`${lineAiAnswers.lateNoticeAt} is not null`,
      delivered: sql<boolean>`${lineAiAnswers.deliveredAt} is not null`,
      ready: sql<boolean>`${waitingSql} is not null`,
      unsent: unsentSql,
    })
    .from(lineAiAnswers)
    .where(eq(lineAiAnswers.id, answerId));

  const decision = answerTapFor({
    tapper: { lineUserPk: tapper?.id ?? null, bound: tapper?.userId != null },
    chatPk,
    answer: answer ?? null,
  });
  log.info('late_answer.tapped', { decision: decision.kind });

  const lang = botLanguage(tapper?.language);
  const tap = { token: str(event.replyToken), eventAt: fromLineTimestamp(event.timestamp, new Date()) };
  const botChat: BotChat | null =
    chatPk !== null ? { type: chat!.type, chatPk } : tapper ? { type: 'user', lineUserPk: tapper.id } : null;
  /** One reply to the tap, while its token is valid; a tap processed late is not answered (never pushed). */
  const reply =
    (messages: Message[]): Apply =>
    async () => {
      if (!botChat) return;
      return async () => {
        await sendMessages(deps, { chat: botChat, messages, reply: tap, push: null });
      };
    };

  switch (decision.kind) {
    case 'unknown':
    case 'ignore':
      return;
    case 'notAsker':
      return reply(textMessages(say(lang, 'lateAnswer.notAsker')));
    case 'withdrawn':
      return reply(textMessages(say(lang, 'lateAnswer.withdrawn')));
    case 'alreadyDelivered':
      return reply(textMessages(say(lang, 'lateAnswer.alreadyDelivered')));
    case 'notReady':
      return reply([lateAnswerMessage(answerId, lang, 'lateAnswer.notReady')]);
    case 'deliver':
      break;
  }
  const a = answer!;
  return async (tx) => {
    // Claimed once, by condition (Postgres decides): a second tap finds it delivered.
    const [claimed] = await tx
      .update(lineAiAnswers)
      .set({ deliveredAt: sql`now()`, sentBy: 'reply' })
      .where(
        and(
          eq(lineAiAnswers.id, a.id),
          eq(lineAiAnswers.lineUserId, tapper!.id),
          isNull(lineAiAnswers.deliveredAt),
          isNotNull(lineAiAnswers.lateNoticeAt),
          sql`${waitingSql} is not null`,
          sql`not ${unsentSql}`,
        ),
      )
      .returning({ waiting: waitingSql });
    if (!claimed?.waiting) return reply(textMessages(say(lang, 'lateAnswer.alreadyDelivered')))(tx);
    const waiting = claimed.waiting;
    return async () => {
      const audience = await audienceOf(deps, {
        id: a.id,
        lineUserId: a.lineUserPk,
        lineGroupId: a.chatPk,
        questionMessageId: a.questionMessageId,
      });
      // Unsent since the claim: the answer would quote it; nothing is delivered.
      if (audience.unsent) return;
      const messages = await answerMessagesFor(
        deps,
        { id: a.id, lineUserId: a.lineUserPk, lineGroupId: a.chatPk, quoteToken: a.quoteToken },
        waiting.text,
        waiting.kind,
        audience,
      );
      const sent = await sendMessages(deps, { chat: audience.chat, messages, reply: tap, push: null });
      if (sent.sentBy === 'reply') {
        log.info('late_answer.delivered', { messages: messages.length });
        return;
      }
      // Nothing went out (the tap's token was past its window): the next tap delivers it.
      await giveBack(deps, a.id);
    };
  };
}

async function giveBack(deps: EventDeps, answerId: string) {
  await deps.db
    .update(lineAiAnswers)
    .set({ deliveredAt: null, sentBy: null })
    .where(and(eq(lineAiAnswers.id, answerId), isNotNull(lineAiAnswers.deliveredAt)));
}
