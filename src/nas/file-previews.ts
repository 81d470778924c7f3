/**
 * Previews of indexed NAS images for `/find` lists and the AI's offers (`nas_file_previews`): the on-prem job makes a small
 * JPEG of an image file and uploads it (PUT /api/linebot/nas/nas-files/:id/preview) naming the
 * `modified_at` it was made from; the Worker keeps it in R2 under `nas-previews/<file id>/<sha256>`
 * and records it only while the index still has the file at exactly that time. A preview is fresh
 * while its `modified_at` equals the file's; a changed file's preview is stale (not shown) until
 * the job remakes it, and the remake deletes the object it replaces. A file leaving the index
 * takes its row with it (ON DELETE CASCADE); its object, unreachable from then on, is deleted by
 * the Cron Trigger's sweep (`sweepFilePreviews`).
 */
import { NAS_PREVIEW_EXTENSIONS } from '@linebot-edge/shared/upload-contract';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { nasFilePreviews, nasFiles } from '@linebot-edge/shared/schema';
import { isUuid } from '../lib/uuid';
import { PREVIEW_URL_TTL_DAYS, previewBase, previewUrl, signPreviewToken, type PreviewGrant } from './preview-urls';
import type { NasConfig } from './requests';
import { scopeCondition } from './search';
import { nasScopeOf } from './scope';
import { UploadError } from './upload';

const FILE_PREVIEW_PREFIX = 'nas-previews/';
export const filePreviewKeyOf = (fileId: string, sha256: string) => `${FILE_PREVIEW_PREFIX}${fileId}/${sha256}`;

/** `nas_files.modified_at` as a timestamptz from microseconds since the epoch (exact below 2^53). */
const fromMicros = (micros: bigint) =>
  sql`(timestamptz 'epoch' + ${micros.toString()}::bigint * interval '1 microsecond')`;
/** Its inverse: extract(epoch) is numeric (exact) since Postgres 14. */
const microsOf = (column: typeof nasFiles.modifiedAt) => sql<string>`(extract(epoch from ${column}) * 1000000)::bigint`;

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z$/;

/**
 * SOURCE_MODIFIED_AT_HEADER (`2026-11-20T06:30:00.123456Z`: UTC, up to microseconds, years
 * 1970-9999) as microseconds since the epoch; null for anything else, an impossible date included.
 */
export function parseModifiedAt(value: string | undefined): bigint | null {
  const m = value === undefined ? null : ISO_UTC.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(ms).getUTCDate() !== d) return null; // 2026-02-30
  return BigInt(ms) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0'));
}

const isPreviewExtension = (extension: string) => NAS_PREVIEW_EXTENSIONS.includes(extension);

/** 404 unless the file is indexed, 409 unless it is an image the job may preview and still at `modifiedMicros`. */
export async function assertPreviewable(db: Queryable, id: string, modifiedMicros: bigint): Promise<void> {
  const [row] = await db
    .select({
      extension: nasFiles.extension,
      same: sql<boolean>`${nasFiles.modifiedAt} = ${fromMicros(modifiedMicros)}`,
    })
    .from(nasFiles)
    .where(eq(nasFiles.id, id));
  if (!row) throw new UploadError(404, 'not_found', `nas file ${id} is not indexed`);
  if (!isPreviewExtension(row.extension))
    throw new UploadError(409, 'not_an_image', `nas file ${id} (.${row.extension}) gets no preview`);
  if (!row.same) throw new UploadError(409, 'stale', `nas file ${id} has changed since the preview was made`);
}

export interface StoredPreview {
  r2Key: string;
  bytes: number;
  width: number;
  height: number;
}

/**
 * Records the preview if the file is still indexed at `modifiedMicros` (one statement: a walk
 * updating the row meanwhile makes it record nothing). Returns whether it was recorded and the key
 * of the object it replaced, if any.
 */
export async function recordFilePreview(
  db: Queryable,
  id: string,
  modifiedMicros: bigint,
  p: StoredPreview,
): Promise<{ recorded: boolean; replacedKey: string | null }> {
  const result = await db.execute<{ old_key: string | null }>(sql`
    WITH old AS (SELECT r2_key FROM ${nasFilePreviews} WHERE nas_file_id = ${id})
    INSERT INTO ${nasFilePreviews} (nas_file_id, modified_at, r2_key, bytes, width, height, created_at)
    SELECT f.id, f.modified_at, ${p.r2Key}, ${p.bytes}, ${p.width}, ${p.height}, now()
    FROM ${nasFiles} f WHERE f.id = ${id} AND f.modified_at = ${fromMicros(modifiedMicros)}
    ON CONFLICT (nas_file_id) DO UPDATE SET
      modified_at = excluded.modified_at, r2_key = excluded.r2_key, bytes = excluded.bytes,
      width = excluded.width, height = excluded.height, created_at = excluded.created_at
    RETURNING (SELECT r2_key FROM old) AS old_key`);
  const row = result.rows[0];
  if (!row) return { recorded: false, replacedKey: null };
  return { recorded: true, replacedKey: row.old_key !== null && row.old_key !== p.r2Key ? row.old_key : null };
}

/** The key a file's preview row names now, if it has one. */
export async function currentPreviewKey(db: Queryable, id: string): Promise<string | null> {
  const [row] = await db
    .select({ key: nasFilePreviews.r2Key })
    .from(nasFilePreviews)
    .where(eq(nasFilePreviews.nasFileId, id));
  return row?.key ?? null;
}

/**
 * Grants for the listed files (`/find`'s, an answer's offers) that are images with a fresh preview: the file's
 * modification time and the expiry, by Postgres' clock, for their preview URLs.
 */
async function previewGrantsFor(
  db: Queryable,
  asker: { lineUserPk: string; chatPk: string | null },
  fileIds: string[],
): Promise<Map<string, PreviewGrant>> {
  const grants = new Map<string, PreviewGrant>();
  if (fileIds.length === 0) return grants;
  const rows = await db
    .select({
      fileId: nasFiles.id,
      micros: microsOf(nasFiles.modifiedAt),
      expiresAt: sql<string>`extract(epoch from now() + make_interval(days => ${PREVIEW_URL_TTL_DAYS}))::bigint`,
    })
    .from(nasFiles)
    .innerJoin(nasFilePreviews, eq(nasFilePreviews.nasFileId, nasFiles.id))
    .where(
      and(
        inArray(nasFiles.id, fileIds),
        inArray(nasFiles.extension, [...NAS_PREVIEW_EXTENSIONS]),
        eq(nasFilePreviews.modifiedAt, nasFiles.modifiedAt),
      ),
    );
  for (const r of rows) {
    grants.set(r.fileId, {
      fileId: r.fileId,
      askerPk: asker.lineUserPk,
      chatPk: asker.chatPk,
      modifiedMicros: BigInt(r.micros),
      expiresAt: Number(r.expiresAt),
    });
  }
  return grants;
}

/**
 * The preview URLs of the listed images that have a fresh preview, signed for this asker in this
 * chat: `/find`'s list and the AI's offers alike. None without a signing key or an https origin
 * (`nas.publicBaseUrl`: PUBLIC_BASE_URL, else the webhook's; unknown, no previews).
 */
export async function previewUrlsFor(
  db: Queryable,
  ask: { lineUserPk: string; chatPk: string | null; nas: NasConfig },
  files: { id: string; extension: string }[],
): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  const images = files.filter((f) => isPreviewExtension(f.extension)).map((f) => f.id);
  const base = images.length > 0 ? previewBase(ask.nas.publicBaseUrl) : null;
  // The key is derived only when there is something to sign.
  const key = base ? await ask.nas.previewKey?.() : null;
  if (!base || !key) return urls;
  for (const grant of (await previewGrantsFor(db, ask, images)).values())
    urls.set(grant.fileId, previewUrl(base, await signPreviewToken(key, grant)));
  return urls;
}

/**
 * The R2 key to serve for a preview URL's grant, or null when the grant no longer holds: expired
 * (Postgres' clock), the file gone from the index or changed since, its preview not fresh, or the
 * asker's NAS scope in that chat (the one policy, read afresh) no longer covering it.
 */
export async function servablePreviewKey(db: Queryable, grant: PreviewGrant): Promise<string | null> {
  if (![grant.fileId, grant.askerPk, ...(grant.chatPk ? [grant.chatPk] : [])].every(isUuid)) return null;
  const [row] = await db
    .select({ key: nasFilePreviews.r2Key, live: sql<boolean>`now() < to_timestamp(${grant.expiresAt})` })
    .from(nasFiles)
    .innerJoin(nasFilePreviews, eq(nasFilePreviews.nasFileId, nasFiles.id))
    .where(
      and(
        eq(nasFiles.id, grant.fileId),
        eq(nasFiles.modifiedAt, fromMicros(grant.modifiedMicros)),
        eq(nasFilePreviews.modifiedAt, nasFiles.modifiedAt),
      ),
    );
  if (!row?.live) return null;
  const decision = await nasScopeOf(db, { lineUserPk: grant.askerPk, chatPk: grant.chatPk });
  if (decision.kind !== 'scope') return null;
  const [inScope] = await db
    .select({ id: nasFiles.id })
    .from(nasFiles)
    .where(and(eq(nasFiles.id, grant.fileId), scopeCondition(decision.scope)));
  return inScope ? row.key : null;
}

/** Objects younger than this are never swept: an upload stores its object before its row. */
const SWEEP_GRACE_MS = 60 * 60_000;

/**
 * One page (up to 1000 keys) of `nas-previews/` after `startAfter`: objects no row names (their
 * file left the index, or an upload stored one and was refused) are deleted. The Cron Trigger
 * sweeps a page from a random point every run, so no cursor is kept and every object is visited
 * now and then. Returns how many were looked at and deleted.
 */
export async function sweepFilePreviews(
  db: Queryable,
  bucket: R2Bucket,
  startAfter: string,
  now = Date.now(),
): Promise<{ listed: number; deleted: number }> {
  const page = await bucket.list({ prefix: FILE_PREVIEW_PREFIX, startAfter, limit: 1000 });
  const old = page.objects.filter((o) => o.uploaded.getTime() < now - SWEEP_GRACE_MS).map((o) => o.key);
  if (old.length === 0) return { listed: page.objects.length, deleted: 0 };
  // The key names its file: look the rows up by primary key.
  const ids = [...new Set(old.map((k) => k.slice(FILE_PREVIEW_PREFIX.length).split('/')[0]!).filter(isUuid))];
  const named =
    ids.length === 0
      ? []
      : await db
          .select({ key: nasFilePreviews.r2Key })
          .from(nasFilePreviews)
          .where(inArray(nasFilePreviews.nasFileId, ids));
  const keep = new Set(named.map((r) => r.key));
  const orphans = old.filter((k) => !keep.has(k));
  if (orphans.length > 0) await bucket.delete(orphans);
  return { listed: page.objects.length, deleted: orphans.length };
}

/** A random point in `nas-previews/` (keys start with a file's UUID) for the next sweep's page. */
export const randomSweepStart = () =>
  `${FILE_PREVIEW_PREFIX}${[...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
