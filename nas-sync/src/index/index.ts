/** The company-share indexer's public face: what main.ts and the sender import. */
export { parseShares, SHARE_NAME, type Share } from './shares.ts';
export { modifiedAtOf, resolveInShare, type ResolveProblem, type Resolved } from './resolve.ts';
export { extensionOf, isIgnoredName } from './ignore.ts';
export { indexShare, runIndexer, type IndexerOptions, type WalkSummary } from './indexer.ts';
export { shareCounts, type ShareCounts } from './store.ts';
