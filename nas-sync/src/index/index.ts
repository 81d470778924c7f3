/** The company-share indexer's public face: what main.ts and the sender import. */
export { parseShares, type Share } from './shares.ts';
export { modifiedAtOf, resolveInShare } from './resolve.ts';
export { indexShare, runIndexer, type WalkSummary } from './indexer.ts';
export { shareCounts, type ShareCounts } from './store.ts';
export { DEFAULT_PREVIEWS_PER_ROUND, makeFilePreviews, type PreviewRound } from './previews.ts';
