/** The company-share indexer's public face: what main.ts and the sender import. */
export { parseShares, SHARE_NAME, type Share } from './shares.ts';
export { modifiedAtOf, resolveInShare, type ResolveProblem, type Resolved } from './resolve.ts';
