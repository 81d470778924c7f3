/**
 * Where a file lands on the NAS: pure functions, no I/O.
 *
 *   groups/{lineGroupId}/{type}s/{YYYY-MM-DD}/{messageId}{ext}        group and room chats
 *   (the date is the day the message was sent in NAS_TIMEZONE, default Asia/Taipei)
 *   users/{lineUserId}/{type}s/{YYYY-MM-DD}/{messageId}{ext}          1:1 chats
 *   .../{messageId}_{fileName}                                         file messages keep their name
 *
 * Every segment is sanitised: no directory parts or `..`, no control characters, none of the
 * characters Windows / SMB shares refuse, no trailing dots or spaces, no reserved device names,
 * and at most 255 UTF-8 bytes (extension kept). CJK and other non-ASCII names stay as they are.
 */

/** Longest file name (one path segment) in UTF-8 bytes: ext4, btrfs and ZFS allow 255. */
export const MAX_NAME_BYTES = 255;
/** Longest extension kept apart when a name is shortened (`.jpeg`, `.docx`, `.tar.gz`'s `.gz`). */
const MAX_EXT_CHARS = 16;

const FILE_TYPES = ['image', 'video', 'audio', 'file'] as const;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Bidirectional controls (e.g. U+202E, which makes `txt.exe` display as `exe.txt`) and a BOM. */
const INVISIBLE = /[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** Refused by Windows and most SMB NAS shares (slashes never get this far). */
const RESERVED_CHARS = /[<>:"|?*]/g;
/** Device names Windows refuses as a name or as the part before the first dot (CON.txt). */
const RESERVED_NAMES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;

const utf8 = new TextEncoder();
export const byteLength = (s: string): number => utf8.encode(s).length;

/**
 * A safe single path segment from an untrusted name, or '' when nothing usable is left.
 * `maxBytes` caps the UTF-8 length, shortening the stem and keeping the extension.
 */
export function sanitizeFileName(name: string, maxBytes = MAX_NAME_BYTES): string {
  // Only the last real segment counts: "../../etc/passwd" -> "passwd", "C:\\x\\a.txt" -> "a.txt".
  const segments = name
    .normalize('NFC')
    .split(/[\\/]+/)
    .filter((s) => s !== '' && s !== '.' && s !== '..');
  let s = segments.at(-1) ?? '';
  s = s.replace(CONTROL, '').replace(INVISIBLE, '').replace(RESERVED_CHARS, '_');
  s = trimName(s);
  if (s === '') return '';
  const stem = s.split('.')[0]!.trimEnd();
  if (RESERVED_NAMES.test(stem)) s = `_${s}`;
  return truncateName(s, maxBytes);
}

/** Leading dots and spaces (hidden files, `..`) and trailing dots and spaces (refused by Windows). */
const trimName = (s: string): string => s.replace(/^[\s.]+/u, '').replace(/[\s.]+$/u, '');

/** A safe directory segment for an id (LINE ids are alphanumeric; this is defence in depth). */
export function sanitizeSegment(id: string): string {
  return sanitizeFileName(id, 128) || '_';
}

/** `{stem, ext}`; ext includes the dot and is '' when the name has none. */
function splitExtension(name: string): { stem: string; ext: string } {
  const m = /^(.+)(\.[^.\s]{1,16})$/u.exec(name);
  return m ? { stem: m[1]!, ext: m[2]! } : { stem: name, ext: '' };
}

/** Shortens to `maxBytes` UTF-8 bytes on code point boundaries, keeping the extension. */
export function truncateName(name: string, maxBytes: number): string {
  if (byteLength(name) <= maxBytes) return name;
  let { stem, ext } = splitExtension(name);
  if ([...ext].length > MAX_EXT_CHARS || byteLength(ext) >= maxBytes) ({ stem, ext } = { stem: name, ext: '' });
  const budget = maxBytes - byteLength(ext);
  let out = '';
  let used = 0;
  for (const ch of stem) {
    const n = byteLength(ch);
    if (used + n > budget) break;
    out += ch;
    used += n;
  }
  return trimName(out) + ext;
}

const MIME_EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/jpg': '.jpg',
  'image/pjpeg': '.jpg',
  'image/png': '.png',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'image/heic': '.heic',
  'image/heif': '.heif',
  'image/bmp': '.bmp',
  'image/tiff': '.tif',
  'image/svg+xml': '.svg',
  'video/mp4': '.mp4',
  'video/quicktime': '.mov',
  'video/3gpp': '.3gp',
  'video/webm': '.webm',
  'video/x-msvideo': '.avi',
  'audio/m4a': '.m4a',
  'audio/x-m4a': '.m4a',
  'audio/mp4': '.m4a',
  'audio/aac': '.aac',
  'audio/mpeg': '.mp3',
  'audio/ogg': '.ogg',
  'audio/wav': '.wav',
  'audio/x-wav': '.wav',
  'audio/webm': '.weba',
  'application/pdf': '.pdf',
  'application/zip': '.zip',
  'application/x-zip-compressed': '.zip',
  'application/gzip': '.gz',
  'application/json': '.json',
  'application/msword': '.doc',
  'application/vnd.ms-excel': '.xls',
  'application/vnd.ms-powerpoint': '.ppt',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': '.xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': '.pptx',
  'text/plain': '.txt',
  'text/csv': '.csv',
  'text/html': '.html',
};

/** What LINE serves when the Content-Type says nothing useful. */
const TYPE_DEFAULT_EXTENSIONS: Record<string, string> = { image: '.jpg', video: '.mp4', audio: '.m4a' };

/** The media type without parameters, lower-cased: `Image/JPEG; q=1` -> `image/jpeg`; null if absent. */
export function mediaType(contentType: string | null | undefined): string | null {
  const t = contentType?.split(';')[0]?.trim().toLowerCase();
  return t ? t : null;
}

/** `.jpg` for image/jpeg ...; for an unknown type the file type's usual one (image -> .jpg), else ''. */
export function extensionForContentType(contentType: string | null | undefined, fileType: string): string {
  const t = mediaType(contentType);
  return (t && MIME_EXTENSIONS[t]) || TYPE_DEFAULT_EXTENSIONS[fileType] || '';
}

export const DEFAULT_TIME_ZONE = 'Asia/Taipei';

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** `YYYY-MM-DD` of `at` in an IANA time zone (throws a RangeError for an unknown zone). */
export function dateIn(at: Date, timeZone: string): string {
  let f = dayFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      calendar: 'gregory',
      numberingSystem: 'latn',
    });
    dayFormats.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** The problem with a NAS_TIMEZONE value, or null when Intl knows the zone. */
export function timeZoneProblem(timeZone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return null;
  } catch {
    return `NAS_TIMEZONE ${JSON.stringify(timeZone)} is not an IANA time zone Node knows (e.g. Asia/Taipei, Asia/Tokyo, UTC)`;
  }
}

export interface NasPathInput {
  messageId: string;
  fileType: string;
  /** The name LINE gave a `file` message; ignored for image, video and audio. */
  fileName: string | null;
  /** The message's send time; its date in `timeZone` names the day folder. */
  sentAt: Date;
  /** IANA time zone of the day folders (NAS_TIMEZONE); default Asia/Taipei. */
  timeZone?: string;
  /** LINE's group or room id (U.../C.../R...), or null for a 1:1 chat. */
  lineGroupId: string | null;
  /** LINE's user id of the sender (1:1 chats file under it). */
  lineUserId: string | null;
  /** The Content-Type LINE answered with; supplies the extension when the name has none. */
  contentType: string | null;
}

/** The path relative to NAS_ROOT, with `/` separators (as stored in `line_files.nas_path`). */
export function buildNasPath(input: NasPathInput): string {
  const chat = input.lineGroupId
    ? `groups/${sanitizeSegment(input.lineGroupId)}`
    : `users/${input.lineUserId ? sanitizeSegment(input.lineUserId) : '_unknown'}`;
  const typeDir = (FILE_TYPES as readonly string[]).includes(input.fileType)
    ? `${input.fileType}s`
    : `${sanitizeSegment(input.fileType)}s`;
  const day = dateIn(input.sentAt, input.timeZone ?? DEFAULT_TIME_ZONE);
  return `${chat}/${typeDir}/${day}/${fileNameFor(input)}`;
}

/** `{messageId}{ext}`, or `{messageId}_{fileName}` (with the Content-Type's extension if it has none). */
export function fileNameFor(input: Pick<NasPathInput, 'messageId' | 'fileType' | 'fileName' | 'contentType'>): string {
  const id = sanitizeSegment(input.messageId);
  const typeExt = extensionForContentType(input.contentType, input.fileType);
  const prefix = `${id}_`;
  const own =
    input.fileType === 'file' && input.fileName
      ? sanitizeFileName(input.fileName, MAX_NAME_BYTES - byteLength(prefix))
      : '';
  if (own === '') return id + typeExt;
  if (splitExtension(own).ext !== '' || typeExt === '') return prefix + own;
  return prefix + truncateName(own, MAX_NAME_BYTES - byteLength(prefix) - byteLength(typeExt)) + typeExt;
}
