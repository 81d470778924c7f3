/**
 * Previews of NAS images as the tests make and read them: a real JPEG, uploaded the way the on-prem
 * job uploads a preview (PUT /api/linebot/nas/nas-files/:id/preview), and the image components of
 * the Flex messages LINE received (`/find` lists, the AI's offers).
 */
import { call, sha256, streamOf, type CallOptions } from './nas';

/** A real 240 x 160 JPEG, as sharp makes it (the job's previews are such files). */
export const JPEG = Uint8Array.from(
  atob(
    '/9j/2wBDABQODxIPDRQSEBIXFRQYHjIhHhwcHj0sLiQySUBMS0dARkVQWnNiUFVtVkVGZIhlbXd7gYKBTmCNl4x9lnN+gXz/2wBDARUXFx4aHjshITt8U0ZTfHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHx8fHz/wAARCACgAPADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAT/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFgEBAQEAAAAAAAAAAAAAAAAAAAQF/8QAFBEBAAAAAAAAAAAAAAAAAAAAAP/aAAwDAQACEQMRAD8AjAa6IAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB//9k=',
  ),
  (c) => c.charCodeAt(0),
);
/** The modification time the tests' photos are indexed at, to the microsecond. */
export const MODIFIED = '2026-11-20T06:30:00.123456Z';

/** The preview of file `id`, uploaded as the job does (made from the file as it was at `modifiedAt`, MODIFIED unless said). */
export async function putPreview(
  id: string,
  bytes: Uint8Array,
  options: CallOptions & {
    contentType?: string;
    sha?: string;
    length?: string | null;
    modifiedAt?: string | null;
  } = {},
) {
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'image/jpeg',
    'x-content-sha256': options.sha ?? (await sha256(bytes)),
    ...options.headers,
  };
  if (options.modifiedAt !== null) headers['x-source-modified-at'] = options.modifiedAt ?? MODIFIED;
  if (options.length !== null) headers['content-length'] = options.length ?? String(bytes.byteLength);
  return call('PUT', `/api/linebot/nas/nas-files/${id}/preview`, { ...options, headers, body: streamOf(bytes) });
}

export type Image = { type: 'image'; url: string; aspectRatio?: string; aspectMode?: string };
/** Every image component of a Flex message, in order. */
export const imagesOf = (contents: unknown): Image[] =>
  [...JSON.stringify(contents).matchAll(/\{"type":"image"[^{}]*\}/g)].map((m) => JSON.parse(m[0]) as Image);

/** The path of a preview URL, to fetch it from the Worker whatever origin it names. */
export const pathOf = (url: string) => new URL(url).pathname;
/** The token of a preview URL, on any origin (PUBLIC_BASE_URL may have a path). */
export const previewTokenOf = (url: string) => url.slice(url.lastIndexOf('/p/') + '/p/'.length);
