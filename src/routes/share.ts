/**
 * Share links: `GET /s/:token` (the file) and `GET /s/:token/preview` (an image's preview), also
 * HEAD. Streamed from R2, with single byte ranges (206/416). Files run no script on our origin:
 * only images, video, audio and PDF are served inline, anything else as an attachment, and
 * anything a browser could execute (HTML, SVG, XML, scripts) as application/octet-stream, always
 * with nosniff and a sandboxing CSP. Guessing tokens is limited per client (see below).
 */
import { Hono, type Context } from 'hono';
import { openDb } from '../db/client';
import type { AppEnv } from '../http/types';
import { countDownload, findShareLink } from '../nas/share-links';
import { say, type BotMessageKey } from '../messages/catalog';
import { browserLanguage } from '../messages/language';
import { essence } from '../nas/upload';
import { clientOf } from '../security/limiter';

type Ctx = Context<AppEnv>;

const INLINE =
  /^(image\/(jpeg|png|gif|webp|avif|bmp|heic|heif)|video\/[a-z0-9.+-]+|audio\/[a-z0-9.+-]+|application\/pdf)$/;
/** Attachments keep their type when a browser would never run it; anything else is octet-stream. */
const PASSIVE =
  /^(text\/(plain|csv)|application\/(zip|gzip|x-7z-compressed|x-rar-compressed|vnd\.rar|x-tar|msword|rtf|octet-stream|vnd\.[a-z0-9.-]+(?<!xml))|image\/(tiff|x-icon|vnd\.[a-z0-9.-]+)|font\/[a-z0-9.+-]+|model\/[a-z0-9.+-]+)$/;

export function servedType(contentType: string): { type: string; inline: boolean } {
  const e = essence(contentType);
  if (INLINE.test(e) && !e.includes('xml')) return { type: e, inline: true };
  if (PASSIVE.test(e)) return { type: e.startsWith('text/') ? contentType : e, inline: false };
  return { type: 'application/octet-stream', inline: false };
}

/** RFC 5987 attr-chars stay, every other UTF-8 byte is %XX (a lone surrogate becomes U+FFFD). */
function rfc5987(value: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(value)) {
    const ch = String.fromCharCode(b);
    out += /[A-Za-z0-9!#$&+\-.^_`|~]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `inline|attachment; filename="<ASCII>"; filename*=UTF-8''<encoded>` (RFC 6266). */
export function contentDisposition(fileName: string, inline: boolean): string {
  const name = fileName.replace(/[\u0000-\u001f\u007f/\\]/g, '_') || 'file';
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["%]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${rfc5987(name)}`;
}

export type ByteRange = { offset: number; length: number };

/**
 * A single `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `size`: the range, 'unsatisfiable'
 * (416), or null for no range (absent, malformed or several: the whole file, as RFC 9110 allows).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d{0,16})\s*-\s*(\d{0,16})\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    const length = Math.min(n, size);
    return { offset: size - length, length };
  }
  const start = Number(m[1]);
  if (start >= size) return 'unsatisfiable';
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  if (end < start) return null;
  return { offset: start, length: Math.min(end, size - 1) - start + 1 };
}

export const SECURITY_HEADERS = {
  'cache-control': 'private, max-age=0',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; sandbox",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'cross-origin',
};

/** 404, 410, 429 and 503 in a few words (Traditional Chinese unless the browser prefers English), as a tiny page. */
export function gone(c: Ctx, status: 404 | 410 | 429 | 503, key: BotMessageKey) {
  const lang = browserLanguage(c.req.header('accept-language'));
  const text = say(lang, key);
  const body = `<!doctype html><meta charset="utf-8"><title>${text}</title><p>${text}</p>\n`;
  return new Response(c.req.method === 'HEAD' ? null : body, {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** The database is away: a moment's outage, not a broken link. Say so, and when to try again. */
export function unavailable(c: Ctx, event: string, err: unknown) {
  c.get('log').error(event, { error: err });
  const res = gone(c, 503, 'share.unavailable');
  res.headers.set('retry-after', '30');
  return res;
}

// ---- guessing links ----------------------------------------------------------------------------
//
// Lookups of unknown tokens are counted per client by the Workers Rate Limiting binding
// SHARE_LINK_LIMITER (30 a minute). Only misses count: a video played by range requests looks its
// link up many times and must not be limited. Once the binding says a client is over, this isolate
// refuses that client's lookups for a minute before touching the database (the binding has no way
// to ask without counting, so the refusal itself is remembered here). Another isolate of the same
// location learns it at that client's first miss there.

export const SHARE_MISS_LIMIT = { limit: 30, periodSeconds: 60 };
/** Clients this isolate refuses until the given time (ms); bounded, the oldest refusal goes first. */
const refusedClients = new Map<string, number>();
const MAX_REFUSED_CLIENTS = 10_000;

function refusedFor(client: string, now: number): number {
  const until = refusedClients.get(client);
  if (until === undefined) return 0;
  if (until > now) return Math.ceil((until - now) / 1000);
  refusedClients.delete(client);
  return 0;
}

/** Counts a miss; false when the client is past the limit (and is refused from now on). */
async function countMiss(c: Ctx, client: string): Promise<boolean> {
  let success = true;
  try {
    ({ success } = await c.env.SHARE_LINK_LIMITER.limit({ key: `share-miss:${client}` }));
  } catch (err) {
    // The limiter unavailable must not break links that work; the miss itself is a 404 anyway.
    c.get('log').warn('share.limiter_failed', { error: err });
  }
  if (success) return true;
  if (refusedClients.size >= MAX_REFUSED_CLIENTS) refusedClients.delete(refusedClients.keys().next().value!);
  refusedClients.set(client, Date.now() + SHARE_MISS_LIMIT.periodSeconds * 1000);
  c.get('log').warn('share.guessing_limited', { client });
  return false;
}

function limited(c: Ctx, seconds: number) {
  const res = gone(c, 429, 'share.tooMany');
  res.headers.set('retry-after', String(seconds));
  return res;
}

async function serve(c: Ctx, which: 'file' | 'preview') {
  const token = c.req.param('token') ?? '';
  const client = clientOf(c.req.header('cf-connecting-ip'));
  const wait = refusedFor(client, Date.now());
  if (wait > 0) return limited(c, wait);
  const handle = openDb(c.env, c.get('log'));
  let after: Promise<unknown> = Promise.resolve();
  try {
    let link;
    try {
      link = await findShareLink(handle.db, token);
    } catch (err) {
      return unavailable(c, 'share.lookup_failed', err);
    }
    if (!link) {
      if (!(await countMiss(c, client))) return limited(c, SHARE_MISS_LIMIT.periodSeconds);
      return gone(c, 404, 'share.notFound');
    }
    if (link.state !== 'active') return gone(c, 410, link.state === 'revoked' ? 'share.revoked' : 'share.expired');
    const key = which === 'file' ? link.r2Key : link.previewR2Key;
    if (!key) return gone(c, 404, 'share.noPreview');

    const bucket = c.env.FILES;
    const head = c.req.method === 'HEAD';
    // The file's size is the link's; a preview's is only known to R2.
    const meta = which === 'file' ? { size: link.size } : await bucket.head(key);
    if (!meta) return gone(c, 410, 'share.fileGone');
    const range = parseRange(c.req.header('range'), meta.size);
    if (range === 'unsatisfiable') {
      return c.body(null, 416, {
        ...SECURITY_HEADERS,
        'content-range': `bytes */${meta.size}`,
        'accept-ranges': 'bytes',
      });
    }
    const object = head ? await bucket.head(key) : await bucket.get(key, range ? { range } : {});
    if (!object) return gone(c, 410, 'share.fileGone');
    const { type, inline } = servedType(
      which === 'file' ? link.contentType : (object.httpMetadata?.contentType ?? 'image/jpeg'),
    );
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'content-type': type,
      'content-disposition': contentDisposition(
        which === 'file' ? link.fileName : `preview-${link.fileName}.jpg`,
        inline,
      ),
      'accept-ranges': 'bytes',
      etag: object.httpEtag,
      'last-modified': object.uploaded.toUTCString(),
      'content-length': String(range ? range.length : object.size),
    };
    if (range) headers['content-range'] = `bytes ${range.offset}-${range.offset + range.length - 1}/${object.size}`;
    if (!head && which === 'file' && (!range || range.offset === 0)) {
      after = countDownload(handle.db, link.id).catch((err) =>
        c.get('log').warn('share.count_failed', { shareLinkId: link.id, error: err }),
      );
    }
    const body = head ? null : (object as R2ObjectBody).body;
    return new Response(body, { status: range ? 206 : 200, headers });
  } finally {
    // The download count is written after the response; the pool closes once it is.
    c.executionCtx.waitUntil(after.finally(() => handle.close()));
  }
}

export const share = new Hono<AppEnv>()
  .on(['GET', 'HEAD'], '/:token', (c) => serve(c, 'file'))
  .on(['GET', 'HEAD'], '/:token/preview', (c) => serve(c, 'preview'));
