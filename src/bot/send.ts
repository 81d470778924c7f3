/**
 * The bot's own messages: sent by reply (free, while the reply token is valid) or by push (counted
 * against the LINE plan, always with a retry key), then recorded in `line_messages` with
 * `is_from_bot = true`, so a chat's history in the database has both sides.
 *
 * One row per message LINE reports as sent, keyed by the id LINE returned in `sentMessages`: a
 * retried push (409 to its retry key, carrying the same ids) adds nothing. A refused reply or push
 * throws before anything is recorded.
 */
import type { Queryable } from '../db/client';
import { lineMessages } from '../db/schema';
import type { EventDeps } from '../events/types';
import { MAX_MESSAGES_PER_REQUEST, type Message, type SentMessages } from '../line/client';
import { chunk } from '../line/messages';

/** Where the bot speaks. A 1:1 chat is identified by its user, as LINE's `source` does. */
export type BotChat = { type: 'user'; lineUserPk: string } | { type: 'group' | 'room'; chatPk: string };

type SendDeps = Pick<EventDeps, 'db' | 'line' | 'log'>;

/** `recorded`: what the history keeps instead of `messages` (the same messages with secrets taken out, e.g. share-link tokens). */
export async function replyAsBot(deps: SendDeps, chat: BotChat, replyToken: string, messages: Message[], recorded = messages): Promise<void> {
  const sent = await deps.line.replyMessage(replyToken, messages);
  await record(deps, chat, recorded, [sent]);
}

/** `retryKey` must come from what is being answered (the event), so a rerun pushes nothing new. */
export async function pushAsBot(deps: SendDeps, chat: BotChat, to: string, messages: Message[], retryKey: string, recorded = messages): Promise<void> {
  const sent = await deps.line.pushMessage(to, messages, retryKey);
  await record(deps, chat, recorded, sent);
}

/** The searchable text: a textV2's `{placeholders}` (the mention of the asker) are left out, `{{` `}}` are braces. */
function contentOf(message: Message): string | null {
  if (message.type === 'text') return message.text;
  if (message.type === 'textV2') {
    return message.text.replace(/\{\{|\}\}|\{[A-Za-z0-9_]+\} ?/g, (m) => (m === '{{' ? '{' : m === '}}' ? '}' : ''));
  }
  return null;
}

async function record(deps: SendDeps, chat: BotChat, messages: Message[], sent: SentMessages[]) {
  try {
    await recordBotMessages(deps.db, chat, messages, sent);
  } catch (err) {
    // Sent but not recorded: never resend for that (the user has the message); the log keeps the ids.
    const ids = sent.flatMap((s) => s.sentMessages.map((m) => m.id));
    deps.log.error('bot.record_failed', { error: err, sentMessageIds: ids });
  }
}

/** `sent[i]` is LINE's answer to batch i of `messages` (5 per request), its entries in message order. */
export async function recordBotMessages(db: Queryable, chat: BotChat, messages: Message[], sent: SentMessages[]): Promise<void> {
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
          sentAt: now,
        } satisfies typeof lineMessages.$inferInsert,
      ];
    }),
  );
  if (rows.length === 0) return;
  await db.insert(lineMessages).values(rows).onConflictDoNothing({ target: lineMessages.messageId });
}
