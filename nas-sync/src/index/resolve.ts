/**
 * A share-relative path (`nas_files.path`, or what a send request names) to the file on disk,
 * refusing anything that would leave the share: `..` segments, absolute paths, and symlinks whose
 * target lies outside the share's own realpath.
 */
import { realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Share } from './shares.ts';

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

/**
 * `nas_files.modified_at` of a file: its mtime truncated to whole milliseconds, so what the index
 * stored and a later stat compare equal (Postgres would keep microseconds; JS Dates do not).
 */
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
