/**
 * The upload contract between the Worker and the on-prem nas-sync job, in one place for both:
 * where the job uploads (`/api/linebot/nas/...`, bearer NAS_AGENT_TOKEN), what it declares, the
 * limits the Worker enforces and the reasons the job may give for not sending a file.
 *
 *   PUT  send-requests/:id/preview   an image's preview (JPEG or PNG, at most PREVIEW_MAX_BYTES)
 *   PUT  send-requests/:id/file      the file (at most NAS_SEND_MAX_BYTES)
 *   POST send-requests/:id/failure   {"reason": one of failureReasons}
 *   PUT  files/:id/thumbnail         a synced LINE image's thumbnail (JPEG, preview limits)
 *   PUT  nas-files/:id/preview       an indexed NAS image's preview for /find (JPEG, preview limits,
 *                                    SOURCE_MODIFIED_AT_HEADER: the nas_files.modified_at it was made from)
 *
 * Every PUT declares Content-Length, Content-Type and SHA256_HEADER; the Worker checks them before
 * reading a byte. Plain values only: both sides import this module (the job under Node's type
 * stripping, the Worker through wrangler's bundler).
 */

/** Where the Worker serves the job (src/app.ts). */
export const NAS_API_PATH = '/api/linebot/nas';

/** The hex SHA-256 of an upload's body, which R2 verifies. */
export const SHA256_HEADER = 'x-content-sha256';

/** Why the job could not send a requested file (the Worker tells the asker in words). */
export const failureReasons = ['missing', 'changed', 'outside_share', 'unreadable', 'too_large'] as const;
export type FailureReason = (typeof failureReasons)[number];

/** LINE's previewImageUrl: a JPEG (or PNG) of at most 1 MB; the job makes it 240 px on the long side. */
export const PREVIEW_MAX_BYTES = 1_048_576;
export const PREVIEW_MAX_PX = 240;
export const PREVIEW_CONTENT_TYPES: readonly string[] = ['image/jpeg', 'image/png'];

/**
 * /find's previews of indexed NAS images (`nas_file_previews`): the extensions the job makes one
 * for (what sharp's prebuilt libvips decodes; HEIC is not among them: its HEVC decoder is not
 * shipped) and the largest source file it reads for one. The Worker shows a preview only for these.
 */
export const NAS_PREVIEW_EXTENSIONS: readonly string[] = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'tif', 'tiff', 'avif'];
export const NAS_PREVIEW_SOURCE_MAX_BYTES = 50 * 1024 * 1024;
/** The `nas_files.modified_at` a preview was made from, as Postgres wrote it: ISO 8601 in UTC, microseconds. */
export const SOURCE_MODIFIED_AT_HEADER = 'x-source-modified-at';

/** LINE's limit for an image message's originalContentUrl. */
export const IMAGE_MESSAGE_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Sent as a LINE image message (with a preview) rather than a link: JPEG or PNG up to
 * IMAGE_MESSAGE_MAX_BYTES. `mediaType`: the Content-Type without parameters, lower case.
 */
export const isImageMessageType = (mediaType: string, size: number): boolean =>
  (mediaType === 'image/jpeg' || mediaType === 'image/png') && size <= IMAGE_MESSAGE_MAX_BYTES;

/** R2's limit for a single PUT: the upload endpoint streams a file in one. */
export const R2_SINGLE_PUT_MAX_BYTES = 5 * 1024 ** 3 - 5 * 1024 ** 2;

/**
 * NAS_SEND_MAX_BYTES, the largest file sent into a chat: what /find offers, what the upload endpoint
 * takes and what the job uploads. A number out of these bounds is clamped to the nearest one (a
 * fraction cut to a whole number) on both sides.
 */
export const NAS_SEND_MAX_BYTES = { default: 104_857_600, min: 1, max: R2_SINGLE_PUT_MAX_BYTES } as const;
