/**
 * The sender resolves a request's share-relative path with the indexer's own rules (one copy of
 * them): NAS_SHARES parsing, and a path to the file on disk that never leaves the share's realpath.
 */
export { parseShares, resolveInShare, type Share } from '../index/index.ts';
