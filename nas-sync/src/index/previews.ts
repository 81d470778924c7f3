/**
 * /find's previews of the company shares' images: after each round of walks the job makes a small
 * JPEG (the same as a sent image's preview: 240 px, at most 1 MB, sharp with its pixel limit) of
 * indexed images that have none, or one of an older version of the file, and uploads it to the
 * Worker (PUT /api/linebot/nas/nas-files/:id/preview) naming the `modified_at` it was made from;
 * the Worker keeps it only if the index still says exactly that.
 *
 * Bounded per round (`limit`): files a `/find` listed lately first (someone is looking at them:
 * the next search shows their pictures), then the newest (what people search for most), so a share
 * of 100,000 photos fills in over many rounds instead of stalling one. Files it cannot make a
 * preview of (not decodable, over the pixel limit) or the Worker refused are not tried again at the
 * same version while the process runs (remembered in memory; a restart tries them once more).
 * Sources over NAS_PREVIEW_SOURCE_MAX_BYTES, and empty ones, are never read.
 */
import { NAS_PREVIEW_EXTENSIONS, NAS_PREVIEW_SOURCE_MAX_BYTES } from '@linebot-edge/shared/upload-contract';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { nasFilePreviews, nasFiles, nasSearchLists } from '@linebot-edge/shared/schema';
import type { Database } from '../db.ts';
import { describe } from '../download.ts';
import { quietReporter, type Reporter } from '../progress.ts';
import { makePreview } from '../send/preview.ts';
import type { WorkerClient } from '../send/upload.ts';
import { modifiedAtOf, resolveInShare } from './resolve.ts';
import type { Share } from './shares.ts';

const DEFAULT_PREVIEWS_PER_ROUND = 200;
const UPLOAD_TIMEOUT_MS = 60_000;

export interface FilePreviewOptions {
  database: Database;
  shares: readonly Share[];
  client: WorkerClient;
  /** Previews tried per round; default DEFAULT_PREVIEWS_PER_ROUND. */
  limit?: number;
  /** `<file id>@<modified_at>` of versions not to try again (kept across rounds by the caller). */
  given?: Set<string>;
  signal?: AbortSignal;
  reporter?: Reporter;
}

interface PreviewRound {
  /** Uploaded and recorded. */
  made: number;
  /** sharp could not make one (or the file could not be read). */
  failed: number;
  /** The file on disk is not the indexed one any more (or gone): the next walk updates the row. */
  changed: number;
  /** The Worker said no (409 stale, 404 gone from the index, ...). */
  refused: number;
  /** The Worker could not be reached: the round stopped there. */
  unreachable: boolean;
  ms: number;
}

type Wanted = {
  id: string;
  share: string;
  path: string;
  size: string;
  modified_at: string;
  mtime_ms: string;
};

/** The files to make previews of, most wanted first. */
async function wanted(database: Database, shares: readonly Share[], limit: number, given: Set<string>) {
  const r = await database.db.execute<Wanted>(sql`
    SELECT f.id, f.share, f.path, f.size,
      to_char(f.modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS modified_at,
      floor(extract(epoch FROM f.modified_at) * 1000)::bigint AS mtime_ms
    FROM ${nasFiles} f LEFT JOIN ${nasFilePreviews} p ON p.nas_file_id = f.id
    WHERE f.share = ANY(${sql.param(shares.map((s) => s.name))}::text[])
      AND f.extension = ANY(${sql.param([...NAS_PREVIEW_EXTENSIONS])}::text[])
      AND f.size > 0 AND f.size <= ${NAS_PREVIEW_SOURCE_MAX_BYTES}
      AND (p.nas_file_id IS NULL OR p.modified_at <> f.modified_at)
      AND NOT (f.id::text || '@' || to_char(f.modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        = ANY(${sql.param([...given])}::text[])
    ORDER BY f.id::text IN (SELECT jsonb_array_elements_text(l.file_ids) FROM ${nasSearchLists} l) DESC,
      f.modified_at DESC, f.id
    LIMIT ${limit}`);
  return r.rows;
}

type Made = { jpeg: Buffer } | 'changed' | 'failed';

/** The preview of the file as indexed: opened once (O_NOFOLLOW on its realpath inside the share), checked against the row, read, resized. */
async function previewOf(shares: readonly Share[], row: Wanted): Promise<Made> {
  const resolved = await resolveInShare(shares, row.share, row.path);
  if ('problem' in resolved) return resolved.problem === 'unreadable' ? 'failed' : 'changed';
  let handle;
  try {
    handle = await open(resolved.absolute, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return 'changed';
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size !== Number(row.size) || modifiedAtOf(st).getTime() !== Number(row.mtime_ms))
      return 'changed';
    const bytes = await handle.readFile();
    if (bytes.length !== st.size) return 'changed';
    return { jpeg: await makePreview(bytes) };
  } catch {
    return 'failed';
  } finally {
    await handle.close();
  }
}

/** One round: up to `limit` previews made and uploaded, one at a time. */
export async function makeFilePreviews(options: FilePreviewOptions): Promise<PreviewRound> {
  const started = Date.now();
  const reporter = options.reporter ?? quietReporter();
  const given = options.given ?? new Set<string>();
  const round: PreviewRound = { made: 0, failed: 0, changed: 0, refused: 0, unreachable: false, ms: 0 };
  const signal = options.signal ?? new AbortController().signal;
  const rows = await wanted(options.database, options.shares, options.limit ?? DEFAULT_PREVIEWS_PER_ROUND, given);
  for (const row of rows) {
    if (signal.aborted) break;
    const version = `${row.id}@${row.modified_at}`;
    const made = await previewOf(options.shares, row);
    if (made === 'changed') {
      round.changed++;
      continue;
    }
    if (made === 'failed') {
      round.failed++;
      given.add(version);
      continue;
    }
    const { jpeg } = made;
    const answer = await options.client.filePreview(
      row.id,
      row.modified_at,
      {
        open: () => jpeg,
        length: jpeg.length,
        contentType: 'image/jpeg',
        sha256: createHash('sha256').update(jpeg).digest('hex'),
      },
      signal,
      UPLOAD_TIMEOUT_MS,
    );
    if (answer.kind === 'ok') {
      round.made++;
    } else if (answer.kind === 'rejected') {
      round.refused++;
      given.add(version);
      reporter.log('info', 'nas_preview.refused', {
        share: row.share,
        path: row.path,
        status: answer.status,
        code: answer.code,
      });
    } else {
      round.unreachable = true;
      reporter.log('warn', 'nas_preview.unreachable', { error: answer.error, tries: answer.tries });
      break;
    }
  }
  round.ms = Date.now() - started;
  if (rows.length > 0) reporter.log('info', 'nas_preview.round', { ...round, wanted: rows.length });
  return round;
}

/** runIndexer's after-round step, logging instead of throwing (the index matters more than its pictures). */
export async function previewRound(options: FilePreviewOptions): Promise<void> {
  try {
    await makeFilePreviews(options);
  } catch (e) {
    if (!options.signal?.aborted)
      (options.reporter ?? quietReporter()).log('warn', 'nas_preview.failed', { error: describe(e) });
  }
}
