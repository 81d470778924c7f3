/**
 * The on-prem job's uploads (PUT /api/linebot/nas/send-requests/:id/{preview,file}): the headers
 * are checked before a byte is read, the body is streamed into R2 (never buffered: files go up to
 * NAS_SEND_MAX_BYTES), and R2 checks the SHA-256 the job declared, so a corrupted or truncated body
 * leaves nothing behind. The request's status moves with conditional UPDATEs only, so a replayed or
 * racing upload can never move it twice.
 */
import { PREVIEW_CONTENT_TYPES, PREVIEW_MAX_BYTES, SHA256_HEADER } from '@linebot-edge/shared/upload-contract';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { nasSendRequests } from '@linebot-edge/shared/schema';
import { sha256Hex } from '../lib/hex';

export type UploadKind = 'file' | 'preview';

export const r2KeyOf = (requestId: string, kind: UploadKind) => `sends/${requestId}/${kind}`;

/** A refusal in the contract's shape: `{"error": "<code>", "message": "..."}` with its status. */
export class UploadError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 411 | 413 | 422,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface UploadHeaders {
  length: number;
  sha256: string;
  contentType: string;
}

/** `type/subtype` with optional `; name=value` parameters, as a file's Content-Type is stored. */
const MEDIA_TYPE =
  /^([a-z0-9][a-z0-9!#$&^_.+-]{0,126})\/([a-z0-9][a-z0-9!#$&^_.+-]{0,126})((?:\s*;\s*[a-z0-9!#$&^_.+-]+=(?:[a-z0-9!#$&^_.+-]+|"[^"\\\u0000-\u001f\u007f]*"))*)\s*$/i;

/** The media type without parameters, lower case. */
export const essence = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();

/**
 * What an upload must declare, in the order the contract refuses: 411 without a length, 400 for a
 * malformed header, 413 over the limit. Nothing here reads the body.
 */
export function uploadHeaders(headers: Headers, kind: UploadKind, maxBytes: number): UploadHeaders {
  const lengthHeader = headers.get('content-length');
  if (lengthHeader === null) throw new UploadError(411, 'length_required', 'Content-Length is required');
  if (!/^\d{1,16}$/.test(lengthHeader.trim()))
    throw new UploadError(400, 'invalid_header', 'Content-Length must be a decimal number of bytes');
  const length = Number(lengthHeader.trim());
  const sha256 = headers.get(SHA256_HEADER)?.trim() ?? '';
  if (!/^[0-9a-f]{64}$/.test(sha256))
    throw new UploadError(400, 'invalid_header', 'X-Content-SHA256 must be 64 lowercase hex digits');
  const rawType = headers.get('content-type')?.trim() ?? '';
  const m = rawType.length <= 255 ? MEDIA_TYPE.exec(rawType) : null;
  if (!m) throw new UploadError(400, 'invalid_header', 'Content-Type must be a media type (type/subtype)');
  const contentType = `${m[1]!.toLowerCase()}/${m[2]!.toLowerCase()}${m[3]!.trim() ? `; ${m[3]!.replace(/^\s*;\s*/, '').replace(/\s*;\s*/g, '; ')}` : ''}`;
  if (kind === 'preview' && !PREVIEW_CONTENT_TYPES.includes(essence(contentType))) {
    throw new UploadError(400, 'invalid_header', 'a preview is image/jpeg (or image/png)');
  }
  const limit = kind === 'preview' ? PREVIEW_MAX_BYTES : maxBytes;
  if (length > limit) throw new UploadError(413, 'payload_too_large', `${kind} larger than ${limit} bytes`);
  if (length === 0 && kind === 'preview') throw new UploadError(400, 'invalid_header', 'an empty preview');
  return { length, sha256, contentType };
}

/** R2's answer to a SHA-256 that does not match the body (error 10037, also in Miniflare). */
const isDigestMismatch = (err: unknown) => /\b10037\b|SHA-256 checksum/i.test(String((err as Error)?.message ?? err));

/**
 * Streams `body` into R2 under `key`. A FixedLengthStream gives R2 the declared length (it needs a
 * known one) and errors when the body is longer or shorter than declared; R2 verifies the SHA-256.
 * On any mismatch the object is deleted (nothing is kept) and a 422 thrown.
 */
export async function storeUpload(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array> | null,
  h: UploadHeaders,
): Promise<R2Object> {
  const fixed = new FixedLengthStream(h.length);
  let received = 0;
  const counting = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength;
      // Longer than declared: stop here rather than let R2 see the excess.
      if (received > h.length)
        throw new UploadError(422, 'size_mismatch', `body longer than Content-Length ${h.length}`);
      controller.enqueue(chunk);
    },
    flush() {
      if (received !== h.length)
        throw new UploadError(422, 'size_mismatch', `received ${received} bytes, Content-Length said ${h.length}`);
    },
  });
  const piped = (body ?? new Response('').body!)
    .pipeThrough(counting)
    .pipeTo(fixed.writable)
    .catch(() => undefined);
  try {
    const object = await bucket.put(key, fixed.readable, {
      sha256: h.sha256,
      httpMetadata: { contentType: h.contentType },
    });
    await piped;
    return object;
  } catch (err) {
    await piped;
    // Whatever R2 may have kept of it goes (a real R2 keeps nothing of a failed PUT).
    await bucket.delete(key).catch(() => undefined);
    if (isDigestMismatch(err))
      throw new UploadError(422, 'sha256_mismatch', 'the body does not match X-Content-SHA256');
    if (received !== h.length)
      throw new UploadError(422, 'size_mismatch', `received ${received} bytes, Content-Length said ${h.length}`);
    throw err;
  }
}

/**
 * A small upload (a preview: at most PREVIEW_MAX_BYTES, checked by `uploadHeaders`) read whole, for
 * the Worker to look at before storing it: 422 when it is longer or shorter than declared or does
 * not match its SHA-256.
 */
export async function readSmallUpload(body: ReadableStream<Uint8Array> | null, h: UploadHeaders): Promise<Uint8Array> {
  const out = new Uint8Array(h.length);
  let received = 0;
  if (body) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (received + value.byteLength > h.length) {
        await reader.cancel().catch(() => undefined);
        throw new UploadError(422, 'size_mismatch', `body longer than Content-Length ${h.length}`);
      }
      out.set(value, received);
      received += value.byteLength;
    }
  }
  if (received !== h.length)
    throw new UploadError(422, 'size_mismatch', `received ${received} bytes, Content-Length said ${h.length}`);
  if ((await sha256Hex(out)) !== h.sha256)
    throw new UploadError(422, 'sha256_mismatch', 'the body does not match X-Content-SHA256');
  return out;
}

export type SendRequestRow = typeof nasSendRequests.$inferSelect;

export async function loadSendRequest(db: Queryable, id: string): Promise<SendRequestRow | null> {
  const [row] = await db.select().from(nasSendRequests).where(eq(nasSendRequests.id, id));
  return row ?? null;
}

/** 409 unless the job holds the request (status uploading). */
export function assertUploading(row: SendRequestRow | null, id: string): asserts row is SendRequestRow {
  if (!row) throw new UploadError(404, 'not_found', `send request ${id} not found`);
  if (row.status !== 'uploading')
    throw new UploadError(409, 'not_uploading', `send request ${id} is ${row.status}, not open for upload`);
}

export async function markPreviewStored(db: Queryable, id: string, key: string): Promise<boolean> {
  const rows = await db
    .update(nasSendRequests)
    .set({ previewR2Key: key, updatedAt: sql`now()` })
    .where(and(eq(nasSendRequests.id, id), eq(nasSendRequests.status, 'uploading')))
    .returning({ id: nasSendRequests.id });
  return rows.length === 1;
}

/**
 * uploading -> uploaded, exactly once (null when it was not uploading any more). A request that
 * names no public base URL gets the one its link will use (PUBLIC_BASE_URL, else the origin the
 * job uploaded to), so the Cron backstop can build the same link later.
 */
export async function markUploaded(
  db: Queryable,
  id: string,
  file: { r2Key: string; contentType: string; sha256: string; baseUrl: string },
): Promise<SendRequestRow | null> {
  const [row] = await db
    .update(nasSendRequests)
    .set({
      status: 'uploaded',
      r2Key: file.r2Key,
      contentType: file.contentType,
      sha256: file.sha256,
      uploadedAt: sql`now()`,
      updatedAt: sql`now()`,
      publicBaseUrl: sql`coalesce(${nasSendRequests.publicBaseUrl}, ${file.baseUrl})`,
    })
    .where(and(eq(nasSendRequests.id, id), eq(nasSendRequests.status, 'uploading')))
    .returning();
  return row ?? null;
}

/** -> failed with the asker's explanation, exactly once, from the given statuses (null otherwise). */
export async function markFailed(
  db: Queryable,
  id: string,
  error: string,
  from: Array<SendRequestRow['status']> = ['uploading'],
): Promise<SendRequestRow | null> {
  const [row] = await db
    .update(nasSendRequests)
    .set({ status: 'failed', error, updatedAt: sql`now()` })
    .where(and(eq(nasSendRequests.id, id), inArray(nasSendRequests.status, from)))
    .returning();
  return row ?? null;
}
