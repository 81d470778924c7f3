/** The company-share indexer's public face: what main.ts and the sender import. */
export { parseShares, type Share } from './shares.ts';
export { modifiedAtOf, resolveInShare } from './resolve.ts';
export { indexShare, runIndexer, type WalkSummary } from './indexer.ts';
export { shareCounts, type ShareCounts } from './store.ts';
export { makeFilePreviews } from './previews.ts';
