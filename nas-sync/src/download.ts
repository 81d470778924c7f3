/**
 * One download: GET the content from LINE's data API and stream it into a temporary file on the
 * NAS (in `.nas-sync-partial/` under NAS_ROOT, so the final rename stays on one filesystem),
 * hashing as it goes. Memory stays flat whatever the size: the body is never held whole.
 *
 * fetch is used directly (not the Worker's src/line/client.ts): the job needs 202, 404 and 410 as answers rather
 * than errors, and it retries 429 / 5xx through the queue (next_sync_at) instead of sleeping in a
 * download slot.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { CapDecision } from './daily-cap.ts';
import { assertParentInsideRoot } from './fs.ts';
import { sanitizeSegment } from './paths.ts';
import { errorText } from '@linebot-edge/shared/error-text';

/** Temporary files live here, under NAS_ROOT (a rename across filesystems would be a copy). */
export const PARTIAL_DIR = '.nas-sync-partial';
const PARTIAL_SUFFIX = '.partial';

export type DownloadOutcome =
  | { kind: 'downloaded'; tempPath: string; size: number; sha256: string; contentType: string | null }
  /** 202: video or audio still being prepared by LINE. */
  | { kind: 'preparing' }
  /** 404 / 410: unsent, or expired at LINE. */
  | { kind: 'unavailable'; status: number; reason: string }
  /** `admit` refused the size LINE announced (Content-Length): nothing was written. */
  | { kind: 'refused'; size: number; decision: OverCap }
  /** Anything else that failed; `retryAfterMs` from LINE's Retry-After, `rateLimited` for 429. */
  | { kind: 'failed'; status: number; error: string; retryAfterMs?: number; rateLimited: boolean };

export interface DownloadOptions {
  dataApiBaseUrl: string;
  channelAccessToken: string;
  messageId: string;
  nasRoot: string;
  signal?: AbortSignal;
  /** Called for every chunk written (progress). */
  onBytes?: (n: number) => void;
  /**
   * Asked with the size LINE announces (Content-Length) before anything is written: the daily cap
   * per sender; anything but 'ok' refuses the download. Not asked when LINE sends no length.
   */
  admit?: (size: number) => Promise<CapDecision>;
}

const partialDir = (nasRoot: string): string => join(nasRoot, PARTIAL_DIR);

export async function downloadContent(o: DownloadOptions): Promise<DownloadOutcome> {
  const dir = partialDir(o.nasRoot);
  await mkdir(dir, { recursive: true });
  // Temp files are written and deleted here: the folder must be NAS_ROOT's on disk, not a symlink out.
  await assertParentInsideRoot(o.nasRoot, join(dir, PARTIAL_SUFFIX));
  // We hold the claim: any earlier temp file of this message is from a job that died.
  await removePartials(dir, o.messageId);

  const url = `${o.dataApiBaseUrl}/v2/bot/message/${encodeURIComponent(o.messageId)}/content`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${o.channelAccessToken}` }, signal: o.signal });
  } catch (e) {
    if (o.signal?.aborted) throw e;
    return { kind: 'failed', status: 0, error: `network error: ${describe(e)}`, rateLimited: false };
  }

  if (res.status === 200) {
    const announced = contentLength(res.headers);
    const decision = announced !== null && o.admit ? await o.admit(announced) : 'ok';
    if (decision !== 'ok') {
      await res.body?.cancel().catch(() => {});
      return { kind: 'refused', size: announced!, decision };
    }
    const tempPath = join(
      dir,
      `${partialPrefix(o.messageId)}${process.pid}-${randomBytes(4).toString('hex')}${PARTIAL_SUFFIX}`,
    );
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        o.onBytes?.(chunk.length);
        done(null, chunk);
      },
    });
    try {
      if (!res.body) throw new Error('200 without a body');
      const body = Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>);
      // `flush`: fsync before close, so the bytes are on the NAS before the rename makes them visible.
      await pipeline(body, tap, createWriteStream(tempPath, { flags: 'wx', flush: true }), { signal: o.signal });
      if (announced !== null && announced !== size) {
        throw new TruncatedError(`got ${size} bytes of ${announced} (connection cut short)`);
      }
    } catch (e) {
      await unlink(tempPath).catch(() => {});
      if (o.signal?.aborted) throw e;
      // The connection dropping mid-body is a network failure; a local write error is ours to report.
      return { kind: 'failed', status: 200, error: `download failed: ${describe(e)}`, rateLimited: false };
    }
    return {
      kind: 'downloaded',
      tempPath,
      size,
      sha256: hash.digest('hex'),
      contentType: res.headers.get('content-type'),
    };
  }

  const detail = await errorDetail(res);
  if (res.status === 202) return { kind: 'preparing' };
  if (res.status === 404 || res.status === 410) {
    const why =
      res.status === 410 ? 'expired or deleted at LINE' : 'not found at LINE (unsent, expired or never there)';
    return {
      kind: 'unavailable',
      status: res.status,
      reason: `HTTP ${res.status}: ${why}${detail ? ` (${detail})` : ''}`,
    };
  }
  return {
    kind: 'failed',
    status: res.status,
    error: `HTTP ${res.status}${detail ? `: ${detail}` : ''}`,
    retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
    rateLimited: res.status === 429,
  };
}

type OverCap = Exclude<CapDecision, 'ok'>;

class TruncatedError extends Error {}

function contentLength(headers: Headers): number | null {
  const raw = headers.get('content-length');
  const n = raw === null ? NaN : Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** `{safeMessageId}.` : every temp file of a message starts with it. */
const partialPrefix = (messageId: string): string => `${sanitizeSegment(messageId)}.`;

async function removePartials(dir: string, messageId: string): Promise<void> {
  const prefix = partialPrefix(messageId);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(prefix) && name.endsWith(PARTIAL_SUFFIX)) await unlink(join(dir, name)).catch(() => {});
  }
}

/**
 * At start: temp files nobody has written to for `olderThanMs` belong to jobs that died (a live
 * download touches its file continuously, so other running jobs' files are left alone).
 */
export async function sweepStalePartials(nasRoot: string, olderThanMs: number): Promise<number> {
  const dir = partialDir(nasRoot);
  await assertParentInsideRoot(nasRoot, join(dir, PARTIAL_SUFFIX));
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith(PARTIAL_SUFFIX)) continue;
    const path = join(dir, name);
    const st = await stat(path).catch(() => null);
    if (st && Date.now() - st.mtimeMs > olderThanMs) {
      await unlink(path).catch(() => {});
      removed++;
    }
  }
  return removed;
}

async function errorDetail(res: Response): Promise<string> {
  try {
    const text = (await res.text()).slice(0, 500);
    try {
      const body = JSON.parse(text) as { message?: unknown };
      if (typeof body.message === 'string') return body.message;
    } catch {
      // not JSON
    }
    return text.replace(/\s+/g, ' ').trim().slice(0, 200);
  } catch {
    return '';
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * An error in one line for logs and `sync_error`: the Worker's own description (a failed query
 * keeps its SQL and Postgres' message, never its parameters).
 */
export const describe = (e: unknown): string => errorText(e);
