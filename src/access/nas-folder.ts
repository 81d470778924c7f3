/**
 * A project's NAS folder, `share/relative/path` (projects.nas_folder): the share as NAS_SHARES
 * names it, then a path inside it. Validated when an admin sets it and parsed again whenever it is
 * used, so a value written around the API (SQL by hand) can never widen a search.
 */

export const MAX_NAS_FOLDER_CHARS = 1000;
const SHARE = /^[A-Za-z0-9_-]{1,64}$/;

export interface NasFolder {
  share: string;
  /** Path inside the share, '/'-separated, no leading or trailing slash; '' = the whole share. */
  prefix: string;
}

/** Why a folder is refused, in words for the admin; null when it is fine. */
export function nasFolderProblem(value: string): string | null {
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_NAS_FOLDER_CHARS) return `must be at most ${MAX_NAS_FOLDER_CHARS} characters`;
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'must not contain control characters';
  if (/\p{Cs}/u.test(value.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')))
    return 'must not contain an unpaired surrogate';
  if (value.includes('\\')) return "use '/' between folders, not '\\'";
  if (value.startsWith('/')) return "must start with the share's name, not '/'";
  const [share, ...rest] = value.replace(/\/+$/, '').split('/');
  if (!SHARE.test(share!)) return 'the share name (before the first /) must be 1-64 letters, digits, _ or -';
  if (rest.some((s) => s === '')) return "must not contain '//'";
  if (rest.some((s) => s === '.' || s === '..')) return "must not contain '.' or '..' segments";
  return null;
}

/** The folder's share and prefix, or null for a value that is not a valid folder. A trailing slash is dropped. */
export function parseNasFolder(value: string | null | undefined): NasFolder | null {
  if (typeof value !== 'string' || nasFolderProblem(value) !== null) return null;
  const [share, ...rest] = value.replace(/\/+$/, '').split('/');
  return { share: share!, prefix: rest.join('/') };
}
