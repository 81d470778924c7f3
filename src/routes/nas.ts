/**
 * The on-prem nas-sync job's side of sending NAS files (`/api/linebot/nas/*`, bearer
 * NAS_AGENT_TOKEN): it uploads a claimed request's preview and file, or reports why it cannot,
 * a thumbnail of each LINE image it synced (for the console), and a preview of each indexed NAS
 * image (for /find).
 * Answers follow the upload contract: `{"status": ...}`, errors `{"error": "<code>", "message": "..."}`.
 * Refusals come in the contract's order: 503 (token not configured), 429 (limited), 401, 404 (malformed id), 411, 400, 413, then by the row:
 * 404, 409, 422.
 */
import {
  failureReasons,
  PREVIEW_MAX_BYTES,
  SOURCE_MODIFIED_AT_HEADER,
  type FailureReason,
} from '@linebot-edge/shared/upload-contract';
import { Hono, type Context } from 'hono';
import { config } from '../config';
import { openDb } from '../db/client';
import type { AppEnv } from '../http/types';
import { languageOfLineUser } from '../messages/language';
import { deliverInBackground, failureText } from '../nas/deliver';
import {
  assertPreviewable,
  currentPreviewKey,
  filePreviewKeyOf,
  parseModifiedAt,
  recordFilePreview,
} from '../nas/file-previews';
import { jpegSize } from '../nas/jpeg-size';
import { assertThumbnailable, markThumbnailStored, thumbnailKeyOf } from '../nas/thumbnails';
import {
  assertUploading,
  essence,
  loadSendRequest,
  markFailed,
  markPreviewStored,
  markUploaded,
  r2KeyOf,
  readSmallUpload,
  storeUpload,
  uploadHeaders,
  UploadError,
  type UploadKind,
} from '../nas/upload';
import { refuseBearer } from '../security/bearer';
import { clientOf } from '../security/limiter';
import { openServices, type Services } from '../services';
import { isUuid } from '../lib/uuid';

type Ctx = Context<AppEnv>;

const MAX_FAILURE_BODY_BYTES = 4096;

const refuse = (c: Ctx, status: UploadError['status'] | 429 | 503, error: string, message: string) =>
  c.json({ error, message }, status);

/** Runs `fn` with services, turning UploadErrors into the contract's answers; the pool closes after `background`. */
async function withServices(
  c: Ctx,
  fn: (services: Services, background: (p: Promise<void>) => void) => Promise<Response>,
) {
  const services = openServices(c.env, c.get('log'));
  const pending: Promise<void>[] = [];
  try {
    return await fn(services, (p) => pending.push(p));
  } catch (err) {
    if (err instanceof UploadError) return refuse(c, err.status, err.code, err.message);
    throw err;
  } finally {
    c.executionCtx.waitUntil(Promise.allSettled(pending).then(() => services.close()));
  }
}

function requestId(c: Ctx, what = 'send request'): string {
  const id = c.req.param('id') ?? '';
  if (!isUuid(id)) throw new UploadError(404, 'not_found', `unknown ${what}`);
  return id.toLowerCase();
}

/** The origin the job uploaded to: a share link's last-resort base. */
const uploadOrigin = (c: Ctx) => new URL(c.req.url).origin;

async function upload(c: Ctx, kind: UploadKind) {
  let id: string;
  let headers;
  try {
    id = requestId(c);
    headers = uploadHeaders(c.req.raw.headers, kind, config(c.env).nasSendMaxBytes);
  } catch (err) {
    if (err instanceof UploadError) return refuse(c, err.status, err.code, err.message);
    throw err;
  }
  return withServices(c, async ({ db, line, log }, background) => {
    const row = await loadSendRequest(db, id);
    assertUploading(row, id);
    if (kind === 'file' && headers.length !== row.size) {
      throw new UploadError(
        422,
        'size_mismatch',
        `the request is for ${row.size} bytes, Content-Length is ${headers.length}`,
      );
    }
    const key = r2KeyOf(id, kind);
    const object = await storeUpload(c.env.FILES, key, c.req.raw.body, headers);
    if (kind === 'preview') {
      if (!(await markPreviewStored(db, id, key)))
        throw new UploadError(409, 'not_uploading', `send request ${id} is no longer open for upload`);
      log.info('nas.preview_stored', { sendRequestId: id, size: object.size });
      return c.json({ status: 'stored' }, 200);
    }
    const baseUrl = config(c.env).publicBaseUrl ?? uploadOrigin(c);
    const uploaded = await markUploaded(db, id, {
      r2Key: key,
      contentType: headers.contentType,
      sha256: headers.sha256,
      baseUrl,
    });
    if (!uploaded) {
      // A racing upload of the same request moved it first: its object (same key, same bytes)
      // stays. Anything else (the backstop gave up on the job meanwhile): nothing is kept.
      const now = await loadSendRequest(db, id);
      if (now?.status !== 'uploaded' && now?.status !== 'sent') await c.env.FILES.delete(key);
      throw new UploadError(409, 'not_uploading', `send request ${id} is no longer open for upload`);
    }
    log.info('nas.file_uploaded', { sendRequestId: id, size: object.size, contentType: headers.contentType });
    background(deliverInBackground({ db, line, log }, id, { env: c.env, origin: uploadOrigin(c) }));
    return c.json({ status: 'uploaded' }, 200);
  });
}

/** A JPEG of a synced LINE image's NAS copy, under the preview's limits; replaces any earlier one. */
async function thumbnail(c: Ctx) {
  let id: string;
  let headers;
  try {
    id = requestId(c, 'file');
    headers = uploadHeaders(c.req.raw.headers, 'preview', PREVIEW_MAX_BYTES);
    if (essence(headers.contentType) !== 'image/jpeg')
      throw new UploadError(400, 'invalid_header', 'a thumbnail is image/jpeg');
  } catch (err) {
    if (err instanceof UploadError) return refuse(c, err.status, err.code, err.message);
    throw err;
  }
  return withServices(c, async ({ db, log }) => {
    await assertThumbnailable(db, id);
    const key = thumbnailKeyOf(id);
    const object = await storeUpload(c.env.FILES, key, c.req.raw.body, { ...headers, contentType: 'image/jpeg' });
    if (!(await markThumbnailStored(db, id, key))) {
      await c.env.FILES.delete(key);
      throw new UploadError(409, 'not_synced', `file ${id} is no longer a synced image`);
    }
    log.info('nas.thumbnail_stored', { fileId: id, size: object.size });
    return c.json({ status: 'stored' }, 200);
  });
}

/**
 * A JPEG preview of an indexed NAS image (`/find` shows it), made from the file as it was at
 * SOURCE_MODIFIED_AT_HEADER: kept only while the index still has the file at exactly that time
 * (409 `stale` otherwise, nothing kept). Read whole (at most 1 MiB) so its pixel size comes from its
 * own frame header (422 `not_a_jpeg` without one). Replaces the file's earlier preview.
 */
async function filePreview(c: Ctx) {
  let id: string;
  let headers;
  let modifiedMicros: bigint | null;
  try {
    id = requestId(c, 'nas file');
    headers = uploadHeaders(c.req.raw.headers, 'preview', PREVIEW_MAX_BYTES);
    if (essence(headers.contentType) !== 'image/jpeg')
      throw new UploadError(400, 'invalid_header', 'a preview is image/jpeg');
    modifiedMicros = parseModifiedAt(c.req.header(SOURCE_MODIFIED_AT_HEADER));
    if (modifiedMicros === null)
      throw new UploadError(
        400,
        'invalid_header',
        `${SOURCE_MODIFIED_AT_HEADER} must be the file's modified_at in UTC, e.g. 2026-11-20T06:30:00.123456Z`,
      );
  } catch (err) {
    if (err instanceof UploadError) return refuse(c, err.status, err.code, err.message);
    throw err;
  }
  const micros = modifiedMicros;
  return withServices(c, async ({ db, log }, background) => {
    await assertPreviewable(db, id, micros);
    const bytes = await readSmallUpload(c.req.raw.body, headers);
    const size = jpegSize(bytes);
    if (!size) throw new UploadError(422, 'not_a_jpeg', 'the body is not a JPEG with a frame header');
    const key = filePreviewKeyOf(id, headers.sha256);
    const bucket = c.env.FILES;
    await bucket.put(key, bytes, { sha256: headers.sha256, httpMetadata: { contentType: 'image/jpeg' } });
    const { recorded, replacedKey } = await recordFilePreview(db, id, micros, {
      r2Key: key,
      bytes: bytes.length,
      ...size,
    });
    if (!recorded) {
      // The walk changed or removed the file meanwhile. The same bytes may already be its preview.
      if ((await currentPreviewKey(db, id)) !== key) await bucket.delete(key);
      throw new UploadError(409, 'stale', `nas file ${id} has changed or left the index since the preview was made`);
    }
    if (replacedKey) background(bucket.delete(replacedKey));
    log.info('nas.file_preview_stored', { nasFileId: id, size: bytes.length, ...size });
    return c.json({ status: 'stored', ...size }, 200);
  });
}

async function failure(c: Ctx) {
  let id: string;
  try {
    id = requestId(c);
  } catch (err) {
    return refuse(c, (err as UploadError).status, (err as UploadError).code, (err as UploadError).message);
  }
  const length = Number(c.req.header('content-length') ?? NaN);
  if (length > MAX_FAILURE_BODY_BYTES)
    return refuse(c, 413, 'payload_too_large', `body larger than ${MAX_FAILURE_BODY_BYTES} bytes`);
  let reason: unknown;
  try {
    const text = await c.req.text();
    if (text.length > MAX_FAILURE_BODY_BYTES)
      return refuse(c, 413, 'payload_too_large', `body larger than ${MAX_FAILURE_BODY_BYTES} bytes`);
    reason = (JSON.parse(text) as { reason?: unknown } | null)?.reason;
  } catch {
    return refuse(c, 400, 'invalid_body', 'the body must be JSON {"reason": "..."}');
  }
  if (typeof reason !== 'string' || !(failureReasons as readonly string[]).includes(reason)) {
    return refuse(c, 400, 'invalid_body', `reason must be one of ${failureReasons.join(', ')}`);
  }
  return withServices(c, async ({ db, line, log }, background) => {
    const row = await loadSendRequest(db, id);
    assertUploading(row, id);
    const text = failureText(
      await languageOfLineUser(db, row.lineUserId),
      reason as FailureReason,
      row,
      config(c.env).nasSendMaxBytes,
    );
    const failed = await markFailed(db, id, text);
    if (!failed) throw new UploadError(409, 'not_uploading', `send request ${id} is no longer open`);
    log.info('nas.request_failed', { sendRequestId: id, reason });
    background(deliverInBackground({ db, line, log }, id, { env: c.env, origin: uploadOrigin(c) }));
    return c.json({ status: 'failed' }, 200);
  });
}

/**
 * `Authorization: Bearer <NAS_AGENT_TOKEN>` behind the shared limiter (../security/limiter.ts): 503
 * when the token is unset or too short, 429 (with Retry-After) once limited, 401 when wrong.
 */
async function requireAgentToken(c: Ctx, next: () => Promise<void>) {
  const log = c.get('log');
  let handle: ReturnType<typeof openDb> | undefined;
  let refusal;
  try {
    refusal = await refuseBearer({
      secret: 'NAS_AGENT_TOKEN',
      expected: config(c.env).secrets.nasAgentToken,
      header: c.req.header('authorization'),
      surface: 'nas',
      via: 'nas',
      client: clientOf(c.req.header('cf-connecting-ip')),
      path: c.req.path,
      log,
      db: () => {
        handle ??= openDb(c.env, log);
        return handle.db;
      },
    });
  } finally {
    if (handle) c.executionCtx.waitUntil(handle.close());
  }
  if (refusal) {
    // The job retries a 429 (after Retry-After) and a 503.
    if (refusal.status === 429) c.header('Retry-After', String(refusal.retryAfterSeconds));
    return refuse(c, refusal.status, refusal.code, refusal.message);
  }
  await next();
}

export const nas = new Hono<AppEnv>()
  .use('*', requireAgentToken)
  .put('/send-requests/:id/preview', (c) => upload(c, 'preview'))
  .put('/send-requests/:id/file', (c) => upload(c, 'file'))
  .post('/send-requests/:id/failure', failure)
  .put('/files/:id/thumbnail', thumbnail)
  .put('/nas-files/:id/preview', filePreview);
