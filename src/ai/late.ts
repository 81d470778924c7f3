/**
 * Late answers by button (AI_LATE_ANSWER=button): when Claude's answer is not ready before the
 * question's reply window closes, the bot spends the reply token on a short "still working" message
 * with a 取得回答 button (postback `answer:<answer id>`) instead of pushing the answer later (a push
 * counts against the LINE plan, in a group once per member). The answer then waits in its row's
 * kept send step; a tap on the button brings a fresh reply token and the answer goes by reply, free
 * (src/events/handlers/answer-tap.ts).
 *
 * Exactly once: the notice claims the question's reply token by the same conditional UPDATE that
 * marks an answer's reply attempted (`reply_attempted_at`), setting `late_notice_at` with it; a
 * retried or restarted step finds the token claimed and sends nothing. Whichever claims the token
 * first, the notice or the answer's own reply, is the only one to use it.
 */
import type { messagingApi } from '@line/bot-sdk';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { lineAiAnswers } from '@linebot-edge/shared/schema';
import { isUuid } from '../lib/uuid';
import { REPLY_WINDOW_MS, sendMessages, type OutboundDeps } from '../line/outbound';
import { say, type BotLang } from '../messages/catalog';
import type { AnswerRow } from './answers';
import { audienceOf } from './send';

/**
 * The notice goes this long after the question: the reply window (50 s, itself a margin under
 * LINE's minute) less 10 s, so that a notice whose step was just starting still gets in.
 */
export const LATE_NOTICE_AFTER_MS = REPLY_WINDOW_MS - 10_000;

const PREFIX = 'answer:';

/** A postback the 取得回答 button could have sent (anything else is not an answer tap). */
export const isAnswerData = (data: unknown): data is string => typeof data === 'string' && data.startsWith(PREFIX);

/** The answer id in a button's data, or null for anything the bot never sends (edited or forged data). */
export function answerIdOf(data: unknown): string | null {
  if (!isAnswerData(data)) return null;
  const id = data.slice(PREFIX.length);
  // Exactly as the bot wrote it (Postgres prints ids in lower case): any other spelling was edited.
  return isUuid(id) && id === id.toLowerCase() ? id : null;
}

/** The notice, or the "not ready yet" answer to an early tap: a short text and the 取得回答 button again. */
export function lateAnswerMessage(
  answerId: string,
  lang: BotLang,
  key: 'lateAnswer.working' | 'lateAnswer.notReady',
): messagingApi.FlexMessage {
  const text = say(lang, key, { button: say(lang, 'lateAnswer.button') });
  return {
    type: 'flex',
    altText: text,
    contents: {
      type: 'bubble',
      body: { type: 'box', layout: 'vertical', contents: [{ type: 'text', text, wrap: true, size: 'sm' }] },
      footer: {
        type: 'box',
        layout: 'vertical',
        contents: [
          {
            type: 'button',
            style: 'primary',
            height: 'sm',
            action: {
              type: 'postback',
              label: say(lang, 'lateAnswer.button'),
              data: `${PREFIX}${answerId}`,
              displayText: say(lang, 'lateAnswer.button'),
            },
          },
        ],
      },
    },
  };
}

/**
 * Claims the question's reply token for the notice: marks the reply attempted and the notice sent in
 * one conditional UPDATE (Postgres' clock), only while nothing has claimed the token yet.
 */
async function claimTokenForNotice(deps: OutboundDeps, answerId: string): Promise<boolean> {
  const claimed = await deps.db
    .update(lineAiAnswers)
    .set({ replyAttemptedAt: sql`now()`, lateNoticeAt: sql`now()` })
    .where(and(eq(lineAiAnswers.id, answerId), isNull(lineAiAnswers.replyAttemptedAt)))
    .returning({ id: lineAiAnswers.id });
  return claimed.length === 1;
}

/**
 * Sends the notice by reply with the question's token, if the token is still good and unclaimed.
 * True when it went out. A notice LINE refused (the token was dead after all) gives the token's
 * claim back, so the answer goes by push as it would have. A notice cut off in flight stays
 * claimed: never twice, over always, as for every reply (src/line/outbound.ts).
 */
async function sendLateNotice(deps: OutboundDeps, row: AnswerRow, now = Date.now()): Promise<boolean> {
  if (!row.replyToken || now - row.eventAt.getTime() >= REPLY_WINDOW_MS) return false;
  const audience = await audienceOf(deps, row);
  if (audience.unsent) return false;
  if (!(await claimTokenForNotice(deps, row.id))) return false;
  const sent = await sendMessages(deps, {
    chat: audience.chat,
    messages: [lateAnswerMessage(row.id, audience.lang, 'lateAnswer.working')],
    // Marked above; `now` is the instant the window was judged by, so the module cannot judge it closed.
    reply: { token: row.replyToken, eventAt: row.eventAt },
    push: null,
    now,
  });
  if (sent.sentBy === 'reply') {
    deps.log.info('ai.late_notice_sent', { answerId: row.id });
    return true;
  }
  await deps.db
    .update(lineAiAnswers)
    .set({ replyAttemptedAt: null, lateNoticeAt: null })
    .where(eq(lineAiAnswers.id, row.id));
  return false;
}

/**
 * While a step of a button-mode answer works (asking Claude, running a tool): a timer that sends the
 * notice at LATE_NOTICE_AFTER_MS after the question, unless the step is over first. `stop` clears it
 * and waits for a notice in flight, so the step ends only once the notice is decided; it says
 * whether the timer fired (the notice was tried: later steps of the run need not arm it again).
 */
export function armLateNotice(
  deps: OutboundDeps,
  row: AnswerRow,
  now = Date.now(),
): { stop: () => Promise<boolean> } | null {
  if (!row.replyToken || row.replyAttemptedAt !== null || row.lateNoticeAt !== null) return null;
  const sinceEvent = now - row.eventAt.getTime();
  if (sinceEvent >= REPLY_WINDOW_MS) return null;
  let sending: Promise<unknown> | undefined;
  const timer = setTimeout(
    () => {
      // Never fails the step: a notice that could not go out leaves the answer to be pushed.
      sending = sendLateNotice(deps, row).catch((err: unknown) =>
        deps.log.warn('ai.late_notice_failed', { answerId: row.id, error: err }),
      );
    },
    Math.max(0, LATE_NOTICE_AFTER_MS - sinceEvent),
  );
  return {
    stop: async () => {
      clearTimeout(timer);
      await sending;
      return sending !== undefined;
    },
  };
}
