/**
 * The preview LINE shows for an image message (previewImageUrl): a JPEG at most 240 px on the long
 * side and at most 1 MB, EXIF orientation applied (LINE does not rotate), transparency on white.
 */
import { PREVIEW_MAX_BYTES, PREVIEW_MAX_PX } from '@linebot-edge/shared/upload-contract';
import sharp from 'sharp';

/**
 * Largest image sharp opens, in pixels (its default, 268402689, lets a small PNG of a huge blank
 * canvas make it decode gigabytes). 50 MP still takes every 48 MP phone photo (8000 x 6000); a
 * bigger one gets no preview or thumbnail: the sync keeps the file, the sender sends it as a file.
 */
export const MAX_INPUT_PIXELS = 50_000_000;

/** Throws if `image` cannot be decoded (a corrupt file, not the type its name says, over MAX_INPUT_PIXELS). */
export async function makePreview(image: Uint8Array): Promise<Buffer> {
  let out: Buffer | undefined;
  for (const quality of [80, 60, 40, 20]) {
    out = await sharp(image, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS })
      .rotate()
      .resize(PREVIEW_MAX_PX, PREVIEW_MAX_PX, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality })
      .toBuffer();
    if (out.length <= PREVIEW_MAX_BYTES) return out;
  }
  throw new Error(`preview still larger than ${PREVIEW_MAX_BYTES} bytes at the lowest quality (${out?.length} bytes)`);
}
