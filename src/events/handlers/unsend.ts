/**
 * `unsend`: LINE asks bots to delete what the sender took back, and the project removes the text and
 * media everywhere it kept them, in the event's transaction:
 * - the message row: content cleared, the raw message's content keys removed, `unsent_at` set (if the
 *   unsend overtakes its message, a tombstone row keeps the message from being stored);
 * - the inbox payload of every event that carried the message (the message itself, each edit);
 * - AI answers to it (question cleared, kept steps redacted), and later answers of the same chat and
 *   the bot's later replies there, where they quoted the text (the answers' history held it);
 * - its file: the name cleared, the NAS copy flagged for the sync job to delete, and after the commit
 *   the thumbnail deleted from R2 (best effort: a failure is logged, the event stays done).
 */
import { and, eq, gte, isNull, or, sql } from 'drizzle-orm';
import type { Transaction } from '../../db/client';
import { lineAiAnswers, lineFiles, lineMessages } from '@linebot-edge/shared/schema';
import { fromLineTimestamp } from '../../lib/time';
import { str } from '../../lib/values';
import { thumbnailKeyOf } from '../../nas/thumbnails';
import {
  carriedMessages,
  containsAny,
  needlesOf,
  quotedNeedles,
  redactJson,
  redactPayloads,
  redactText,
  textsOf,
  withoutContent,
} from '../redact';
import { sourceOf, sourceTypeOf, type EventDeps, type EventHandler } from '../types';

export const handleUnsend: EventHandler = async (event, deps) => {
  const messageId = str((event.unsend as { messageId?: unknown } | undefined)?.messageId);
  if (!messageId) return;
  const source = sourceOf(event);
  const at = fromLineTimestamp(event.timestamp, new Date());

  return async (tx) => {
    // What the text was: the stored message and every event that carried it (an edit replaced the
    // stored text, the original is still in its message event's payload).
    const [stored] = await tx
      .select({
        id: lineMessages.id,
        content: lineMessages.content,
        rawMessage: lineMessages.rawMessage,
        lineUserId: lineMessages.lineUserId,
        lineGroupId: lineMessages.lineGroupId,
        sentAt: lineMessages.sentAt,
      })
      .from(lineMessages)
      .where(eq(lineMessages.messageId, messageId))
      .for('update');
    const carried = await carriedMessages(tx, messageId);

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
          rawMessage: withoutContent(lineMessages.rawMessage),
          unsentAt: sql`coalesce(${lineMessages.unsentAt}, ${at.toISOString()}::timestamptz)`,
        },
      });
    await redactPayloads(tx, messageId);
    if (!stored) return;

    const texts = [stored.content, ...textsOf(stored.rawMessage), ...carried.flatMap(textsOf)];
    await redactAnswers(tx, stored, texts);
    const files = await tx
      .select({ id: lineFiles.id, thumbnailR2Key: lineFiles.thumbnailR2Key })
      .from(lineFiles)
      .where(eq(lineFiles.messageId, stored.id))
      .for('update');
    if (files.length === 0) return;
    await tx
      .update(lineFiles)
      .set({
        fileName: null,
        syncError: null,
        thumbnailR2Key: null,
        removeRequestedAt: sql`coalesce(${lineFiles.removeRequestedAt}, now())`,
        updatedAt: sql`now()`,
      })
      .where(eq(lineFiles.messageId, stored.id));
    // The thumbnail's key is also derived from the id: an upload that stored the object but had not
    // yet recorded it is deleted too (its record is then refused, src/nas/thumbnails.ts).
    const keys = [
      ...new Set(files.flatMap((f) => [thumbnailKeyOf(f.id), ...(f.thumbnailR2Key ? [f.thumbnailR2Key] : [])])),
    ];
    return () => deleteObjects(deps, keys);
  };
};

interface StoredMessage {
  id: string;
  lineUserId: string | null;
  lineGroupId: string | null;
  sentAt: Date;
}

/**
 * AI answers to the message: question cleared, steps and tool calls redacted. Later answers in the
 * same chat and the bot's later messages there: the text replaced where they quote it.
 */
async function redactAnswers(tx: Transaction, message: StoredMessage, texts: (string | null)[]) {
  const own = await tx
    .select({ id: lineAiAnswers.id, question: lineAiAnswers.question })
    .from(lineAiAnswers)
    .where(eq(lineAiAnswers.questionMessageId, message.id))
    .for('update');
  const needles = needlesOf([...texts, ...own.map((a) => a.question)]);
  const quoted = quotedNeedles(needles);
  // The chat the message was in: a group or room, or a 1:1 chat (no group, the user's messages and the bot's to them).
  const inChat = message.lineGroupId
    ? {
        answers: eq(lineAiAnswers.lineGroupId, message.lineGroupId),
        messages: eq(lineMessages.lineGroupId, message.lineGroupId),
      }
    : message.lineUserId
      ? {
          answers: and(isNull(lineAiAnswers.lineGroupId), eq(lineAiAnswers.lineUserId, message.lineUserId)),
          messages: and(isNull(lineMessages.lineGroupId), eq(lineMessages.lineUserId, message.lineUserId)),
        }
      : null;

  const answers = await tx
    .select({
      id: lineAiAnswers.id,
      question: lineAiAnswers.question,
      steps: lineAiAnswers.steps,
      toolCalls: lineAiAnswers.toolCalls,
    })
    .from(lineAiAnswers)
    .where(
      or(
        eq(lineAiAnswers.questionMessageId, message.id),
        inChat && quoted.length > 0
          ? and(
              inChat.answers,
              gte(lineAiAnswers.createdAt, message.sentAt),
              or(
                containsAny(sql`${lineAiAnswers.steps}`, quoted, 'jsonb'),
                containsAny(sql`${lineAiAnswers.toolCalls}`, quoted, 'jsonb'),
                containsAny(sql`${lineAiAnswers.question}`, quoted, 'text'),
              ),
            )
          : undefined,
      ),
    )
    .for('update');
  const ownIds = new Set(own.map((a) => a.id));
  for (const a of answers) {
    const isOwn = ownIds.has(a.id);
    const use = isOwn ? needles : quoted;
    await tx
      .update(lineAiAnswers)
      .set({
        question: isOwn ? '' : redactText(a.question, use),
        steps: redactJson(a.steps, use),
        toolCalls: redactJson(a.toolCalls, use),
      })
      .where(eq(lineAiAnswers.id, a.id));
  }

  if (!inChat || quoted.length === 0) return;
  const replies = await tx
    .select({ id: lineMessages.id, content: lineMessages.content, rawMessage: lineMessages.rawMessage })
    .from(lineMessages)
    .where(
      and(
        inChat.messages,
        eq(lineMessages.isFromBot, true),
        gte(lineMessages.sentAt, message.sentAt),
        or(
          containsAny(sql`${lineMessages.content}`, quoted, 'text'),
          containsAny(sql`${lineMessages.rawMessage}`, quoted, 'jsonb'),
        ),
      ),
    )
    .for('update');
  for (const r of replies) {
    await tx
      .update(lineMessages)
      .set({
        content: r.content === null ? null : redactText(r.content, quoted),
        rawMessage: redactJson(r.rawMessage, quoted),
      })
      .where(eq(lineMessages.id, r.id));
  }
}

/** After the commit: the file's R2 objects, best effort (the event is done whatever happens here). */
async function deleteObjects(deps: EventDeps, keys: string[]) {
  if (!deps.files) {
    deps.log.warn('unsend.no_files_binding', { keys: keys.length });
    return;
  }
  try {
    await deps.files.delete(keys);
    deps.log.info('unsend.objects_deleted', { keys });
  } catch (err) {
    deps.log.warn('unsend.objects_delete_failed', { keys, error: err });
  }
}
