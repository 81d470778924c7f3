/**
 * GET /admin/files/:id/preview: a thumbnail of an image or video message. The one the nas-sync
 * job uploaded of the NAS copy (R2 `thumbs/<id>`) when there is one, since it outlives LINE's copy;
 * else LINE's own preview streamed through the Worker (the page's CSP allows images from our
 * origin; LINE's data API needs the channel token, which never reaches the browser). Only raster image types pass, so a
 * preview can never be a document or an SVG that runs script; anything else is a 404.
 */
import { Hono } from 'hono';
import { getFile, hasLinePreview, isUnsentFile } from '../../domain/files';
import { thumbnailKey } from '../../nas/thumbnails';
import { lineClientOf } from '../../services';
import { isUuid } from '../forms';
import { renderMessage } from '../render';
import type { ConsoleEnv } from '../types';

const RASTER = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
/** LINE's previews are a few tens of KB; anything near this is not a preview. */
const MAX_PREVIEW_BYTES = 2 * 1024 * 1024;

export const fileRoutes = new Hono<ConsoleEnv>().get('/files/:id/preview', async (c) => {
  const id = c.req.param('id');
  const file = isUuid(id) ? await getFile(c.get('db'), id) : null;
  if (!file || !hasLinePreview(file)) return renderMessage(c, 404);
  // Unsent: never fetched from LINE again, never shown (the job has yet to mark it removed).
  if (await isUnsentFile(c.get('db'), id)) return renderMessage(c, 404);
  const key = await thumbnailKey(c.get('db'), id);
  if (key) {
    // Stored by the job as image/jpeg within the preview limit (src/routes/nas.ts). Missing (a
    // replacement upload that failed its checks): LINE's preview below.
    const thumb = await c.env.FILES.get(key);
    if (thumb) return c.body(thumb.body, 200, { 'Content-Type': 'image/jpeg' });
  }
  const line = lineClientOf(c.env);
  let res: Response;
  try {
    res = await line.getMessageContentPreview(file.lineMessageId);
  } catch (err) {
    // Gone from LINE, or LINE unreachable: the page shows the file's name instead.
    c.get('log').warn('console.preview_unavailable', { filePk: id, error: err });
    return renderMessage(c, 404);
  }
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const length = Number(res.headers.get('content-length') ?? '0');
  if (res.status !== 200 || !RASTER.has(type) || !(length <= MAX_PREVIEW_BYTES)) {
    await res.body?.cancel();
    return renderMessage(c, 404);
  }
  const body = await res.arrayBuffer();
  if (body.byteLength > MAX_PREVIEW_BYTES) return renderMessage(c, 404);
  return c.body(body, 200, { 'Content-Type': type });
});
