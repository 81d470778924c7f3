/**
 * Names the indexer never lists: hidden entries (a leading dot: `.DS_Store`, `.snapshot`,
 * `._foo` AppleDouble files, `.git`), Office lock and temp files (`~$Budget.xlsx`, `~WRL0001.tmp`),
 * and the NAS's and Windows' own folders and files. A skipped folder's contents are skipped too.
 */
import { normalizeForSearch } from '@linebot-edge/shared/search-text';

const SYSTEM_NAMES = new Set([
  '@eadir', // Synology thumbnails
  '@recycle', // QNAP recycle bin
  '@recently-snapshot', // QNAP snapshots
  '@tmp',
  '@sharebin',
  '@__thumb',
  '#recycle', // Synology recycle bin
  '#snapshot', // Synology snapshots
  'thumbs.db',
  'ehthumbs.db',
  'desktop.ini',
  '$recycle.bin',
  'system volume information',
  'lost+found',
]);

export function isIgnoredName(name: string): boolean {
  if (name.startsWith('.') || name.startsWith('~$')) return true;
  const lower = name.toLowerCase();
  if (lower.startsWith('~') && lower.endsWith('.tmp')) return true;
  return SYSTEM_NAMES.has(lower);
}

/**
 * `pdf` for `平面圖.PDF` (and for a full-width `.ＰＤＦ`: NFKC, as search_text); '' for `README`,
 * `.profile` or an "extension" longer than 16 characters.
 */
export function extensionOf(name: string): string {
  const m = /.\.([^.\s]{1,16})$/u.exec(name);
  const ext = m ? normalizeForSearch(m[1]!) : '';
  return ext.length <= 32 ? ext : ''; // nas_files.extension is varchar(32)
}
