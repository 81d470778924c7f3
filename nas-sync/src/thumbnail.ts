/**
 * A thumbnail of each LINE image the sync writes to the NAS, uploaded to the Worker
 * (PUT /api/linebot/nas/files/:id/thumbnail) so the console can show the picture after LINE drops
 * its copy: the NAS is on-prem, out of the Worker's reach. The same JPEG as a sent image's preview
 * (240 px, at most 1 MB). Only when sending is configured (WORKER_URL, NAS_AGENT_TOKEN).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SendSetup } from './send/config.ts';
import { makePreview } from './send/preview.ts';
import { workerClient, type WorkerClient, type WorkerClientOptions } from './send/upload.ts';

export interface SyncedImage {
  /** `line_files.id`. */
  fileId: string;
  /** The NAS copy just written. */
  path: string;
  signal: AbortSignal;
}

const UPLOAD_TIMEOUT_MS = 60_000;

/** Makes and uploads the thumbnail; throws (for the caller to log) when either fails. */
async function uploadThumbnail(client: WorkerClient, image: SyncedImage): Promise<void> {
  const jpeg = await makePreview(await readFile(image.path));
  const sha256 = createHash('sha256').update(jpeg).digest('hex');
  const answer = await client.thumbnail(
    image.fileId,
    { open: () => jpeg, length: jpeg.length, contentType: 'image/jpeg', sha256 },
    image.signal,
    UPLOAD_TIMEOUT_MS,
  );
  if (answer.kind === 'rejected')
    throw new Error(`the Worker answered ${answer.status}${answer.code ? ` ${answer.code}` : ''}`);
  if (answer.kind === 'unreachable')
    throw new Error(`the Worker is unreachable after ${answer.tries} tries: ${answer.error}`);
}

/** runSync's `onImageSynced` for this configuration, or undefined when sending is off. */
export function thumbnailUploader(
  send: SendSetup,
  retry: Pick<WorkerClientOptions, 'retries' | 'retryBaseMs'> = {},
): ((image: SyncedImage) => Promise<void>) | undefined {
  if (!send.enabled) return undefined;
  const client = workerClient({ workerUrl: send.workerUrl, agentToken: send.agentToken, ...retry });
  return (image) => uploadThumbnail(client, image);
}
