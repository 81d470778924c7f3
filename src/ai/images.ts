/**
 * The asker's recent images, fetched from LINE's content API for the question. Not kept in the
 * Workflow's step results (up to 3 x 5 MB): fetched again by each Claude round instead.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { LineClient } from '../line/client';
import type { Logger } from '../lib/log';

/** Anthropic's 5 MB image limit counts the base64 text: 5 MiB of base64 is 3.75 MiB of bytes. */
const MAX_IMAGE_BYTES = (5 * 1024 * 1024 * 3) / 4;
const MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;
type MediaType = (typeof MEDIA_TYPES)[number];

export async function fetchImages(
  line: LineClient,
  log: Logger,
  lineMessageIds: string[],
): Promise<Anthropic.ImageBlockParam[]> {
  const blocks: Anthropic.ImageBlockParam[] = [];
  for (const id of lineMessageIds) {
    try {
      const res = await line.getMessageContent(id);
      // 202: LINE is still preparing it; a question does not wait for that.
      if (res.status !== 200) continue;
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (!MEDIA_TYPES.includes(type as MediaType) || declared > MAX_IMAGE_BYTES) {
        await res.body?.cancel();
        continue;
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.byteLength > MAX_IMAGE_BYTES) continue;
      blocks.push({ type: 'image', source: { type: 'base64', media_type: type as MediaType, data: toBase64(bytes) } });
    } catch (err) {
      // Gone (404/410) or LINE unreachable: the question goes without that image.
      log.warn('ai.image_unavailable', { lineMessageId: id, error: err });
    }
  }
  return blocks;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
