/**
 * Thumbnails of the NAS copies of LINE images (PUT /api/linebot/nas/files/:id/thumbnail): the NAS
 * is on-prem and out of the Worker's reach, so the nas-sync job uploads a small JPEG of each image
 * it syncs, and the console shows it after LINE has dropped the content. One object per file
 * (`thumbs/<line_files.id>`); a second upload replaces it.
 */
import { eq, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineFiles } from '@linebot-edge/shared/schema';
import { UploadError } from './upload';

export const thumbnailKeyOf = (fileId: string) => `thumbs/${fileId}`;

/** 404 unless the row exists, 409 unless it is an image the job has synced and nobody unsent. */
export async function assertThumbnailable(db: Queryable, id: string): Promise<void> {
  const [row] = await db
    .select({
      fileType: lineFiles.fileType,
      syncStatus: lineFiles.syncStatus,
      removeRequestedAt: lineFiles.removeRequestedAt,
    })
    .from(lineFiles)
    .where(eq(lineFiles.id, id));
  if (!row) throw new UploadError(404, 'not_found', `file ${id} not found`);
  if (row.fileType !== 'image')
    throw new UploadError(409, 'not_an_image', `file ${id} is a ${row.fileType}, not an image`);
  if (row.syncStatus !== 'synced' || row.removeRequestedAt) {
    throw new UploadError(
      409,
      'not_synced',
      `file ${id} is ${row.removeRequestedAt ? 'unsent' : row.syncStatus}, not synced`,
    );
  }
}

/** Records the stored thumbnail, if the file is still a synced image (an unsend may have come in between). */
export async function markThumbnailStored(db: Queryable, id: string, key: string): Promise<boolean> {
  const rows = await db
    .update(lineFiles)
    .set({ thumbnailR2Key: key, updatedAt: sql`now()` })
    .where(
      sql`${lineFiles.id} = ${id} AND ${lineFiles.fileType} = 'image' AND ${lineFiles.syncStatus} = 'synced' AND ${lineFiles.removeRequestedAt} IS NULL`,
    )
    .returning({ id: lineFiles.id });
  return rows.length === 1;
}

/**
 * The R2 key of the file's thumbnail, null when the job has uploaded none or the sender unsent the
 * image (LINE asks that what was taken back is not shown; the object itself stays in R2).
 */
export async function thumbnailKey(db: Queryable, id: string): Promise<string | null> {
  const [row] = await db
    .select({ key: lineFiles.thumbnailR2Key })
    .from(lineFiles)
    .where(sql`${lineFiles.id} = ${id} AND ${lineFiles.removeRequestedAt} IS NULL`);
  return row?.key ?? null;
}
