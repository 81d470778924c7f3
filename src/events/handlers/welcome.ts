/**
 * The greeting on `follow` and on `join`: by reply only (free), never by push. It runs after the
 * event's transaction has committed, and that commits once per event (a redelivery is the same
 * inbox row, already done; a cron retry reruns only an event that did not commit), so a follow or
 * a join is greeted at most once. Too late for the reply token (a retry after the window): nothing.
 */
import { textMessages } from '../../line/messages';
import { sendMessages, type BotChat } from '../../line/outbound';
import type { AfterCommit, EventDeps } from '../types';

export function sendWelcome(
  deps: EventDeps,
  chat: BotChat,
  text: string,
  replyToken: string | null,
  eventAt: Date,
): AfterCommit | undefined {
  if (!replyToken) return undefined;
  return async () => {
    await sendMessages(deps, { chat, messages: textMessages(text), reply: { token: replyToken, eventAt }, push: null });
  };
}
