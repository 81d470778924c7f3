/**
 * The company shares the job indexes and sends from: `NAS_SHARES=name:path,name:path`.
 * Parsed here, on its own, so the indexer and the sender read one definition.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export interface Share {
  /** As in `nas_files.share`: ASCII letters, digits, `_` and `-`, at most 64. */
  name: string;
  /** Absolute path of the mounted folder (resolved, not realpath'ed: a mount may come later). */
  root: string;
}

/** Share names are ASCII so they can be typed in any chat and stored as `nas_files.share` (varchar 64). */
const SHARE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The shares in `raw` and every problem with them, in words an operator can act on. Paths are
 * checked on disk (absolute, exists, is a directory) unless `checkDisk` is false. A path may not
 * contain a comma (the separator); the first `:` ends the name, so a path may contain colons.
 */
export function parseShares(
  raw: string | undefined,
  options: { checkDisk?: boolean } = {},
): { shares: Share[]; problems: string[] } {
  const shares: Share[] = [];
  const problems: string[] = [];
  const items = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const seenNames = new Map<string, string>();
  const seenRoots = new Map<string, string>();
  for (const item of items) {
    const colon = item.indexOf(':');
    if (colon < 0) {
      problems.push(`NAS_SHARES: ${JSON.stringify(item)} is not name:path (e.g. projects:/mnt/nas/projects)`);
      continue;
    }
    const name = item.slice(0, colon).trim();
    const path = item.slice(colon + 1).trim();
    if (!SHARE_NAME.test(name)) {
      problems.push(`NAS_SHARES: share name ${JSON.stringify(name)} must be 1 to 64 ASCII letters, digits, _ or -`);
      continue;
    }
    const other = seenNames.get(name.toLowerCase());
    if (other !== undefined) {
      problems.push(
        `NAS_SHARES: share name ${JSON.stringify(name)} is used twice (names are compared ignoring case; also ${JSON.stringify(other)})`,
      );
      continue;
    }
    seenNames.set(name.toLowerCase(), name);
    if (!isAbsolute(path)) {
      problems.push(`NAS_SHARES: the path of share ${name} must be absolute (got ${JSON.stringify(path)})`);
      continue;
    }
    const root = resolve(path);
    if (options.checkDisk !== false) {
      try {
        if (!statSync(root).isDirectory()) {
          problems.push(`NAS_SHARES: the path of share ${name} is not a directory: ${root}`);
          continue;
        }
      } catch {
        problems.push(`NAS_SHARES: the path of share ${name} does not exist (is the NAS mounted?): ${root}`);
        continue;
      }
    }
    const twin = seenRoots.get(root);
    if (twin !== undefined) {
      problems.push(`NAS_SHARES: shares ${twin} and ${name} have the same path ${root}`);
      continue;
    }
    seenRoots.set(root, name);
    shares.push({ name, root });
  }
  return { shares, problems };
}
