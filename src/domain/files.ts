/**
 * Files (media LINE hosts) with their NAS sync state: the management API's `GET /files`, the
 * console's file list and a group's files, and the files of a page of messages (the timeline).
 */
import { and, eq, inArray, isNotNull, or } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineFiles, lineMessages, type FileSyncStatus } from '@linebot-edge/shared/schema';
import { chat, chatFilters, sender } from './chat-filters';
import { decodeCursor, newestFirst, olderThan, paginate } from '../api/cursor';

export interface FileQuery {
  /** One file by our UUID (the caller checks the form). */
  id?: string;
  groupId?: string;
  lineUserId?: string;
  fileType?: string;
  syncStatus?: FileSyncStatus;
  before?: string;
  limit: number;
}

export type FileItem = Awaited<ReturnType<typeof listFiles>>['items'][number];

export async function listFiles(db: Queryable, q: FileQuery) {
  const cursor = decodeCursor(q.before, 'uuid');
  const where = chatFilters(q, lineMessages);
  if (q.id !== undefined) where.push(eq(lineFiles.id, q.id));
  if (q.fileType) where.push(eq(lineFiles.fileType, q.fileType));
  if (q.syncStatus) where.push(eq(lineFiles.syncStatus, q.syncStatus));
  if (cursor) where.push(olderThan(lineFiles.createdAt, lineFiles.id, cursor));
  const rows = await db
    .select({
      f: lineFiles,
      lineMessageId: lineMessages.messageId,
      sentAt: lineMessages.sentAt,
      userLineId: sender.lineUserId,
      groupLineId: chat.lineGroupId,
    })
    .from(lineFiles)
    .innerJoin(lineMessages, eq(lineMessages.id, lineFiles.messageId))
    .leftJoin(sender, eq(sender.id, lineMessages.lineUserId))
    .leftJoin(chat, eq(chat.id, lineMessages.lineGroupId))
    .where(and(...where))
    .orderBy(...newestFirst(lineFiles.createdAt, lineFiles.id))
    .limit(q.limit + 1);
  const { items, nextCursor } = paginate(rows, q.limit, (r) => ({ at: r.f.createdAt, id: r.f.id }));
  return {
    items: items.map((r) => ({
      id: r.f.id,
      messageId: r.f.messageId,
      lineMessageId: r.lineMessageId,
      fileType: r.f.fileType,
      fileName: r.f.fileName,
      fileSize: r.f.fileSize,
      mimeType: r.f.mimeType,
      duration: r.f.duration,
      nasPath: shownNasPath(r.f),
      syncStatus: r.f.syncStatus,
      // Why a file waits or failed (the nas-sync job's words, e.g. its sender's daily limit).
      syncError: r.f.syncStatus === 'pending' || r.f.syncStatus === 'failed' ? r.f.syncError : null,
      lineUserId: r.userLineId,
      lineGroupId: r.groupLineId,
      sentAt: r.sentAt.toISOString(),
      createdAt: r.f.createdAt.toISOString(),
    })),
    nextCursor,
  };
}

export async function getFile(db: Queryable, id: string): Promise<FileItem | null> {
  return (await listFiles(db, { id, limit: 1 })).items[0] ?? null;
}

/**
 * Whether LINE can still show a preview of the file: images and videos LINE has not told us are
 * gone, and not unsent. The NAS copy is on-prem and out of the Worker's reach, so the console shows
 * the thumbnail the nas-sync job uploaded of it (src/nas/thumbnails.ts), else LINE's preview.
 */
export const hasLinePreview = (f: { fileType: string; syncStatus: FileSyncStatus }) =>
  (f.fileType === 'image' || f.fileType === 'video') && f.syncStatus !== 'unavailable' && f.syncStatus !== 'removed';

/**
 * The NAS path as shown: none once unsent. A file message's copy is named after the file
 * (`{messageId}_{fileName}`), and the row keeps the path only until the sync job has deleted it.
 */
const shownNasPath = (f: { nasPath: string | null; removeRequestedAt: Date | null }) =>
  f.removeRequestedAt ? null : f.nasPath;

/**
 * Whether the file's message was unsent (or the file flagged for removal): LINE asks that what was
 * taken back is not shown, so nothing of it is previewed, neither a stored thumbnail nor LINE's copy.
 */
export async function isUnsentFile(db: Queryable, id: string): Promise<boolean> {
  const [row] = await db
    .select({ id: lineFiles.id })
    .from(lineFiles)
    .innerJoin(lineMessages, eq(lineMessages.id, lineFiles.messageId))
    .where(and(eq(lineFiles.id, id), or(isNotNull(lineFiles.removeRequestedAt), isNotNull(lineMessages.unsentAt))));
  return row !== undefined;
}

export interface FileSummary {
  id: string;
  fileType: string;
  fileName: string | null;
  fileSize: number | null;
  syncStatus: FileSyncStatus;
  nasPath: string | null;
}

/** The files of the given messages (by their `line_messages.id`), keyed by message id. */
export async function filesOfMessages(db: Queryable, messageIds: string[]): Promise<Map<string, FileSummary>> {
  if (messageIds.length === 0) return new Map();
  const rows = await db
    .select({
      messageId: lineFiles.messageId,
      id: lineFiles.id,
      fileType: lineFiles.fileType,
      fileName: lineFiles.fileName,
      fileSize: lineFiles.fileSize,
      syncStatus: lineFiles.syncStatus,
      nasPath: lineFiles.nasPath,
      removeRequestedAt: lineFiles.removeRequestedAt,
    })
    .from(lineFiles)
    .where(inArray(lineFiles.messageId, messageIds));
  return new Map(
    rows.map(({ messageId, removeRequestedAt, ...f }) => [
      messageId,
      { ...f, nasPath: shownNasPath({ ...f, removeRequestedAt }) },
    ]),
  );
}
