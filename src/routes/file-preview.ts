/**
 * `GET /p/:token` (also HEAD): the preview of a NAS image in a `/find` list, the URL of the Flex
 * message's image (src/nas/preview-urls.ts). A token this deployment did not sign is a 404 at the
 * cost of one HMAC, before the database is asked (so guessing needs no limiter: there is nothing
 * to find by trying); a signed one is served only while its grant holds (src/nas/file-previews.ts),
 * else the same 404. The body is the JPEG the job made (at most 1 MiB), with the share links'
 * headers: nosniff, a sandboxing CSP, no referrer.
 */
import { Hono, type Context } from 'hono';
import { config } from '../config';
import { openDb } from '../db/client';
import type { AppEnv } from '../http/types';
import { servablePreviewKey } from '../nas/file-previews';
import { previewUrlKey, readPreviewToken } from '../nas/preview-urls';
import { gone, SECURITY_HEADERS, unavailable } from './share';

type Ctx = Context<AppEnv>;

async function serve(c: Ctx) {
  const key = await previewUrlKey(config(c.env).secrets.nasAgentToken);
  const grant = key ? await readPreviewToken(key, c.req.param('token') ?? '') : null;
  if (!grant) return gone(c, 404, 'share.notFound');
  const handle = openDb(c.env, c.get('log'));
  try {
    let r2Key: string | null;
    try {
      r2Key = await servablePreviewKey(handle.db, grant);
    } catch (err) {
      return unavailable(c, 'preview.lookup_failed', err);
    }
    if (!r2Key) return gone(c, 404, 'share.notFound');
    const head = c.req.method === 'HEAD';
    const object = head ? await c.env.FILES.head(r2Key) : await c.env.FILES.get(r2Key);
    if (!object) return gone(c, 404, 'share.notFound');
    return new Response(head ? null : (object as R2ObjectBody).body, {
      status: 200,
      headers: {
        ...SECURITY_HEADERS,
        'content-type': 'image/jpeg',
        'content-disposition': 'inline; filename="preview.jpg"',
        'content-length': String(object.size),
        etag: object.httpEtag,
        'last-modified': object.uploaded.toUTCString(),
      },
    });
  } finally {
    c.executionCtx.waitUntil(handle.close());
  }
}

export const filePreview = new Hono<AppEnv>().on(['GET', 'HEAD'], '/:token', serve);
