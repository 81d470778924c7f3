/**
 * `message`: store the sender, the chat, the message and (for media LINE hosts) a `line_files`
 * row whose `nas_path` the on-prem sync job fills in later.
 */
import { lineFiles, lineMessages } from '../../db/schema';
import { fromLineTimestamp } from '../../lib/time';
import { num, str } from '../../lib/values';
import { respondToText } from '../../bot/respond';
import { textMessages } from '../../line/messages';
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
  const participants = await prepareParticipants(deps, source.userId, chat);

  return async (tx) => {
    const { userPk, chatPk } = await participants(tx);
    const inserted = await tx
      .insert(lineMessages)
      .values({
        messageId,
        lineUserId: userPk,
        lineGroupId: chatPk,
        sourceType: sourceTypeOf(source),
        messageType: typeof message.type === 'string' ? message.type.slice(0, 32) : 'unknown',
        content: contentOf(message),
        replyToken: str(event.replyToken),
        quoteToken: str(message.quoteToken),
        quotedMessageId: str(message.quotedMessageId),
        rawMessage: message,
        sentAt: fromLineTimestamp(event.timestamp, new Date()),
      })
      // Already stored (redelivery), or unsent before it arrived (a tombstone row exists).
      .onConflictDoNothing({ target: lineMessages.messageId })
      .returning({ id: lineMessages.id });

    if (inserted.length === 0) return;

    const file = fileOf(message);
    if (file) {
      await tx
        .insert(lineFiles)
        .values({ messageId, ...file })
        .onConflictDoNothing({ target: lineFiles.messageId });
    }

    // Commands and binding: decided and applied in this transaction, answered after it commits.
    const replyToken = str(event.replyToken);
    if (message.type !== 'text' || typeof message.text !== 'string' || userPk === null || !replyToken) return;
    const chatType = source.type === 'group' || source.type === 'room' ? source.type : 'user';
    const reply = await respondToText(tx, { text: message.text, chatType, lineUserPk: userPk, chatPk, mentionsBot: mentionsBot(message) });
    if (reply) return () => deps.line.replyMessage(replyToken, textMessages(reply)).then(() => undefined);
  };
};

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

type FileFields = Omit<typeof lineFiles.$inferInsert, 'messageId'>;

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
