/**
 * `unsend`: LINE asks bots to delete what the sender took back. The content and the text inside
 * the raw message are cleared, `unsent_at` set, and the file flagged so the sync job deletes its
 * NAS copy. If the unsend overtakes its message, a tombstone row keeps the message from being stored.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import { lineFiles, lineMessages } from '../../db/schema';
import { fromLineTimestamp } from '../../lib/time';
import { str } from '../../lib/values';
import { sourceOf, sourceTypeOf, type EventHandler } from '../types';

/** Keys of a message object that carry what the user wrote or sent. */
const CONTENT_KEYS = ['text', 'emojis', 'mention', 'fileName', 'title', 'address', 'latitude', 'longitude', 'keywords'];

export const handleUnsend: EventHandler = async (event) => {
  const messageId = str((event.unsend as { messageId?: unknown } | undefined)?.messageId);
  if (!messageId) return;
  const source = sourceOf(event);
  const at = fromLineTimestamp(event.timestamp, new Date());

  return async (tx) => {
    await tx
      .insert(lineMessages)
      .values({
        messageId,
        sourceType: sourceTypeOf(source),
        messageType: 'unsent',
        sentAt: at,
        unsentAt: at,
      })
      .onConflictDoUpdate({
        target: lineMessages.messageId,
        set: {
          content: null,
          rawMessage: sql`${lineMessages.rawMessage} - array[${sql.join(CONTENT_KEYS.map((k) => sql`${k}`), sql`, `)}]::text[]`,
          unsentAt: sql`coalesce(${lineMessages.unsentAt}, ${at.toISOString()}::timestamptz)`,
        },
      });
    await tx
      .update(lineFiles)
      .set({ removeRequestedAt: sql`coalesce(${lineFiles.removeRequestedAt}, now())`, updatedAt: sql`now()` })
      .where(inArray(lineFiles.messageId, tx.select({ id: lineMessages.id }).from(lineMessages).where(eq(lineMessages.messageId, messageId))));
  };
};
