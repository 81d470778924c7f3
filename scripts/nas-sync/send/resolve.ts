/**
 * NAS_SHARES (`name:path,name:path`) and a share-relative path to the file on disk, refusing
 * anything that would leave the share: `..` segments, absolute paths, and symlinks whose target
 * lies outside the share's own realpath.
 *
 * Stand-in with the same interface and semantics as scripts/nas-sync/index/{shares,resolve}.ts
 * (nas-index branch): once that lands, this file should become
 * `export { parseShares, resolveInShare, modifiedAtOf, type Share, type Resolved, type ResolveProblem } from '../index/index.ts';`.
 */
import { statSync, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface Share {
  /** As in `nas_files.share`: ASCII letters, digits, `_` and `-`, at most 64. */
  name: string;
  /** Absolute path of the mounted folder (resolved, not realpath'ed: a mount may come later). */
  root: string;
}

export const SHARE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The shares in `raw` and every problem with them. Paths are checked on disk (absolute, exists, is
 * a directory) unless `checkDisk` is false. The first `:` ends the name, so a path may contain colons.
 */
export function parseShares(raw: string | undefined, options: { checkDisk?: boolean } = {}): { shares: Share[]; problems: string[] } {
  const shares: Share[] = [];
  const problems: string[] = [];
  const items = (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
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
      problems.push(`NAS_SHARES: share name ${JSON.stringify(name)} is used twice (names are compared ignoring case; also ${JSON.stringify(other)})`);
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

export type ResolveProblem = 'unknown_share' | 'outside_share' | 'missing' | 'not_file' | 'unreadable';

export type Resolved =
  | {
      /** The file's realpath (inside the share's realpath). */
      absolute: string;
      size: number;
      /** As the index stores it (see modifiedAtOf). */
      modifiedAt: Date;
    }
  | { problem: ResolveProblem };

/** `nas_files.modified_at` of a file: its mtime truncated to whole milliseconds. */
export const modifiedAtOf = (st: Pick<Stats, 'mtimeMs'>): Date => new Date(Math.floor(st.mtimeMs));

const inside = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

/**
 * Where `path` of `share` is, checked now. The caller should still open the file and compare its
 * fstat with what it expects (the file may change between this check and the read).
 */
export async function resolveInShare(shares: readonly Share[], share: string, path: string): Promise<Resolved> {
  const s = shares.find((x) => x.name === share);
  if (!s) return { problem: 'unknown_share' };
  const segments = path.split('/');
  if (
    path === '' ||
    path.includes('\0') ||
    path.startsWith('/') ||
    segments.some((seg) => seg === '' || seg === '.' || seg === '..') ||
    isAbsolute(path)
  ) {
    return { problem: path === '' ? 'not_file' : 'outside_share' };
  }
  const lexical = join(s.root, ...segments);
  if (!inside(s.root, lexical)) return { problem: 'outside_share' };
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(s.root);
  } catch (e) {
    return { problem: code(e) === 'EACCES' || code(e) === 'EPERM' ? 'unreadable' : 'missing' };
  }
  try {
    real = await realpath(lexical);
  } catch (e) {
    const c = code(e);
    return { problem: c === 'EACCES' || c === 'EPERM' ? 'unreadable' : c === 'ELOOP' ? 'outside_share' : 'missing' };
  }
  if (!inside(realRoot, real)) return { problem: 'outside_share' };
  let st: Stats;
  try {
    st = await stat(real);
  } catch (e) {
    return { problem: code(e) === 'EACCES' || code(e) === 'EPERM' ? 'unreadable' : 'missing' };
  }
  if (!st.isFile()) return { problem: 'not_file' };
  return { absolute: real, size: st.size, modifiedAt: modifiedAtOf(st) };
}
