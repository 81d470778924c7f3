/**
 * How NAS file paths and search keywords are compared, shared by the on-prem indexer (which stores
 * `nas_files.search_text`) and the Worker's search (which normalises the keywords the same way).
 * NFKC folds full-width letters and digits into ASCII (Ｐｌａｎ２ -> plan2) and compatibility forms of
 * CJK; lower case makes the match case-insensitive. CJK needs no word splitting: a keyword matches
 * as a substring.
 */
export function normalizeForSearch(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** `nas_files.search_text` of a file: its share and path, normalised. */
export function searchTextOf(share: string, path: string): string {
  return normalizeForSearch(`${share}/${path}`);
}
