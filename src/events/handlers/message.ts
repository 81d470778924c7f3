/**
 * `message`: store the sender, the chat, the message and (for media LINE hosts) a `line_files`
 * row whose `nas_path` the on-prem sync job fills in later.
 *
 * The message's and the file's UUIDs are made here, not by the database, so both rows can name
 * each other (`line_files.message_id`, `line_messages.file_id`) within one statement.
 */
import { sql } from 'drizzle-orm';
import { mayRespond, respondToText } from '../../bot/respond';
import { pushAsBot, replyAsBot, type BotChat } from '../../bot/send';
import { lineFiles, lineMessages } from '../../db/schema';
import { fromLineTimestamp } from '../../lib/time';
import { num, str } from '../../lib/values';
import { derivedRetryKey, textMessages } from '../../line/messages';
import { prepareParticipants } from '../participants';
import { chatOf, sourceOf, sourceTypeOf, type EventHandler } from '../types';

/** A message object as received: the seven known types and whatever LINE adds next. */
export type MessageObject = { id?: unknown; type?: unknown } & Record<string, unknown>;

export const handleMessage: EventHandler = async (event, deps) => {
  const message = event.message as MessageObject | undefined;
  if (!message || typeof message.id !== 'string' || !message.id) {
    deps.log.warn('event.message_without_id', { eventType: event.type });
    return;
  }
  const messageId = message.id;
  const source = sourceOf(event);
  const chat = chatOf(source);
  // A source LINE did not describe fully (or a new source type) gets no answer: never bind from it.
  const chatType = chat ? chat.type : source.type === 'user' ? ('user' as const) : null;
  const participants = await prepareParticipants(deps, source.userId, chat);
  const replyToken = str(event.replyToken);
  const text = message.type === 'text' && typeof message.text === 'string' ? message.text : null;
  const mentioned = mentionsBot(message);
  const file = fileOf(message);
  const messagePk = crypto.randomUUID();
  const filePk = file ? crypto.randomUUID() : null;

  const row = (userPk: string | null, chatPk: string | null): typeof lineMessages.$inferInsert => ({
    id: messagePk,
    messageId,
    fileId: filePk,
    lineUserId: userPk,
    lineGroupId: chatPk,
    sourceType: sourceTypeOf(source),
    messageType: typeof message.type === 'string' ? message.type.slice(0, 32) : 'unknown',
    content: contentOf(message),
    replyToken,
    quoteToken: str(message.quoteToken),
    quotedMessageId: str(message.quotedMessageId),
    rawMessage: message,
    sentAt: fromLineTimestamp(event.timestamp, new Date()),
  });

  // The common case (a known sender in a known group, nothing for the bot to answer): the
  // message, its file and the inbox row's `done` in one statement.
  const resolved = participants.resolved;
  const mayAnswer = (userPk: string | null) =>
    text !== null && !!replyToken && userPk !== null && chatType !== null && mayRespond(text, chatType, mentioned);
  if (resolved && !mayAnswer(resolved.userPk)) {
    return {
      oneStatement: (markDone) => {
        const insertMessage = deps.db
          .insert(lineMessages)
          .values(row(resolved.userPk, resolved.chatPk))
          .onConflictDoNothing({ target: lineMessages.messageId })
          .returning({ id: lineMessages.id });
        // The file only when the message was inserted now (not a redelivery, not a tombstone).
        const insertFile = file
          ? sql`, f as (insert into ${lineFiles} (id, message_id, file_type, file_name, file_size, duration)
                select ${filePk}::uuid, m.id, ${file.fileType}::varchar, ${file.fileName ?? null}::varchar, ${file.fileSize ?? null}::bigint, ${file.duration ?? null}::integer
                from m on conflict (message_id) do nothing)`
          : sql``;
        // getSQL(): embedded as SQL, not as a parenthesised subquery.
        return sql`with m as (${insertMessage.getSQL()})${insertFile} ${markDone}`;
      },
    };
  }

  return async (tx) => {
    const { userPk, chatPk } = await participants.apply(tx);
    const inserted = await tx
      .insert(lineMessages)
      .values(row(userPk, chatPk))
      // Already stored (redelivery), or unsent before it arrived (a tombstone row exists).
      .onConflictDoNothing({ target: lineMessages.messageId })
      .returning({ id: lineMessages.id });

    if (inserted.length === 0) return;

    if (file) await tx.insert(lineFiles).values({ id: filePk!, messageId: messagePk, ...file });

    // Commands and binding: decided and applied in this transaction, answered after it commits.
    if (!mayAnswer(userPk)) return;
    const reply = await respondToText(tx, { text: text!, chatType: chatType!, lineUserPk: userPk!, chatPk, mentionsBot: mentioned });
    if (!reply) return;
    const messages = textMessages(reply);
    const botChat: BotChat = chatPk !== null && chat ? { type: chat.type, chatPk } : { type: 'user', lineUserPk: userPk! };
    const replyable = Date.now() - fromLineTimestamp(event.timestamp, new Date()).getTime() < REPLY_TOKEN_LIFETIME_MS;
    if (replyable) return () => replyAsBot(deps, botChat, replyToken!, messages);
    // Processed late (a cron retry): the reply token has expired, so push instead. The retry key
    // comes from the event, so LINE delivers it once however often this runs.
    const to = chat?.id ?? source.userId!;
    return async () =>
      pushAsBot(deps, botChat, to, messages, await derivedRetryKey(`${str(event.webhookEventId) ?? messageId}:answer`, 0));
  };
};

/** LINE's reply tokens expire about a minute after the event; leave a margin for the request itself. */
const REPLY_TOKEN_LIFETIME_MS = 50_000;

/** LINE marks a mention of the bot itself with `isSelf`. */
function mentionsBot(message: MessageObject): boolean {
  const mentionees = (message.mention as { mentionees?: Array<{ isSelf?: unknown }> } | undefined)?.mentionees;
  return Array.isArray(mentionees) && mentionees.some((m) => m?.isSelf === true);
}

/** The searchable text of a message. */
export function contentOf(message: MessageObject): string | null {
  switch (message.type) {
    case 'text':
      return str(message.text);
    case 'file':
      return str(message.fileName);
    case 'location':
      return [str(message.title), str(message.address)].filter(Boolean).join('\n') || null;
    case 'sticker': {
      const text = str(message.text);
      if (text) return text;
      const keywords = Array.isArray(message.keywords) ? message.keywords.filter((k) => typeof k === 'string') : [];
      return keywords.length > 0 ? keywords.join(', ') : null;
    }
    default:
      return null;
  }
}

type FileFields = Omit<typeof lineFiles.$inferInsert, 'id' | 'messageId'>;

/** Media hosted by LINE: every file, and image/video/audio unless an external provider hosts it. */
export function fileOf(message: MessageObject): FileFields | null {
  const type = message.type;
  if (type === 'file') {
    return { fileType: 'file', fileName: str(message.fileName), fileSize: num(message.fileSize) };
  }
  if (type === 'image' || type === 'video' || type === 'audio') {
    const provider = message.contentProvider as { type?: unknown } | undefined;
    if (provider?.type !== 'line') return null;
    return { fileType: type, duration: num(message.duration) };
  }
  return null;
}
