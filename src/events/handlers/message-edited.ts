/**
 * `messageEdited` (group chats): the newest edit wins. Edits may arrive out of order, so an edit
 * applies only when its timestamp is newer than the one that produced the stored content, and
 * never to a message already unsent. An edit that overtakes its message stores the message.
 */
import { and, isNull, lt, or, sql } from 'drizzle-orm';
import { lineMessages } from '@linebot-edge/shared/schema';
import { redactPayloadsIfUnsent } from '../redact';
import { fromLineTimestamp } from '../../lib/time';
import { prepareParticipants } from '../participants';
import { chatOf, sourceOf, sourceTypeOf, type EventHandler } from '../types';
import { contentOf, type MessageObject } from './message';

export const handleMessageEdited: EventHandler = async (event, deps) => {
  const message = event.message as MessageObject | undefined;
  if (!message || typeof message.id !== 'string' || !message.id) return;
  const source = sourceOf(event);
  const participants = await prepareParticipants(deps, source.userId, chatOf(source));
  const at = fromLineTimestamp(event.timestamp, new Date());
  const editTimestamp = at.getTime();
  const content = contentOf(message);

  return async (tx) => {
    const { userPk, chatPk } = await participants.apply(tx);
    await tx
      .insert(lineMessages)
      .values({
        messageId: message.id as string,
        lineUserId: userPk,
        lineGroupId: chatPk,
        sourceType: sourceTypeOf(source),
        messageType: typeof message.type === 'string' ? message.type.slice(0, 32) : 'unknown',
        content,
        rawMessage: message,
        sentAt: at,
        editedAt: at,
        editTimestamp,
      })
      .onConflictDoUpdate({
        target: lineMessages.messageId,
        set: { content, rawMessage: message, editedAt: at, editTimestamp },
        setWhere: and(
          isNull(lineMessages.unsentAt),
          or(isNull(lineMessages.editTimestamp), lt(lineMessages.editTimestamp, sql`${editTimestamp}`)),
        ),
      });
    // An edit of a message already unsent: its payload (the edited text) is not kept either.
    await redactPayloadsIfUnsent(tx, message.id as string);
  };
};
