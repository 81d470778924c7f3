/** Filesystem helpers that keep every path the job touches inside NAS_ROOT. */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { access, constants, mkdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * The absolute path of `relPath` (a `/`-separated nas_path) under `root`; throws if it would land
 * outside (a tampered or corrupt nas_path must never make the job write or delete elsewhere).
 */
export function resolveInside(root: string, relPath: string): string {
  const abs = resolve(root, ...relPath.split('/'));
  if (!isWithin(root, abs) || abs === resolve(root)) {
    throw new Error(`path escapes NAS_ROOT: ${JSON.stringify(relPath)}`);
  }
  return abs;
}

/** Whether absolute `path` is `dir` itself or lies below it (lexically: resolve symlinks first). */
export function isWithin(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel === '' || !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}

/**
 * The real path of `path` (symlinks resolved), also when it does not exist yet: the longest
 * existing prefix is resolved and the missing rest appended (a folder the job will create, a share
 * not mounted yet); a dangling symlink is followed to where it points. Synchronous: a few calls per
 * file, and at start for the configuration check.
 */
export function realPathAllowingMissing(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch (e) {
    const parent = dirname(abs);
    if (!isMissing(e) || parent === abs) throw e;
    const link = lstatSync(abs, { throwIfNoEntry: false });
    if (link?.isSymbolicLink()) return realPathAllowingMissing(resolve(parent, readlinkSync(abs)));
    return join(realPathAllowingMissing(parent), basename(abs));
  }
}

const isMissing = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** A write or delete refused because its folder resolves outside NAS_ROOT: final, retrying cannot help. */
export class OutsideRootError extends Error {
  override readonly name = 'OutsideRootError';
}

/**
 * Throws OutsideRootError unless the folder `path` sits in resolves (symlinks followed, missing
 * parts allowed) to NAS_ROOT's real path or below it. Run right before a rename, unlink or write:
 * `resolveInside` checks the name, this checks what is on disk (a symlink planted under NAS_ROOT
 * must not redirect the job's writes and deletes elsewhere). A symlink swapped in between the check
 * and the call is not caught: whoever can do that can write to the NAS anyway.
 */
export async function assertParentInsideRoot(root: string, path: string): Promise<void> {
  const realRoot = await realpath(root);
  const realParent = realPathAllowingMissing(dirname(path));
  if (!isWithin(realRoot, realParent)) {
    const shown = relative(resolve(root), dirname(resolve(path))) || '.';
    throw new OutsideRootError(
      `refused: the folder ${shown} under NAS_ROOT resolves to ${realParent}, outside NAS_ROOT ${realRoot} (a symlink?)`,
    );
  }
}

/**
 * Renames `from` onto `to`, creating `to`'s folders first. Atomic on one filesystem. Both folders
 * are checked to lie inside `root` on disk: before mkdir (which would follow a symlink and create
 * folders elsewhere) and again right before the rename.
 */
export async function moveIntoPlace(root: string, from: string, to: string): Promise<void> {
  await assertParentInsideRoot(root, to);
  await mkdir(dirname(to), { recursive: true });
  await Promise.all([assertParentInsideRoot(root, from), assertParentInsideRoot(root, to)]);
  await rename(from, to);
}

/** Unlinks `path` after checking its folder lies inside `root` on disk. */
export async function unlinkInside(root: string, path: string): Promise<void> {
  await assertParentInsideRoot(root, path);
  await unlink(path);
}

/** Throws a clear error when NAS_ROOT is gone or not writable (unmounted share, wrong owner). */
export async function checkNasRoot(root: string): Promise<void> {
  let st;
  try {
    st = await stat(root);
  } catch {
    throw new Error(`NAS_ROOT ${root} does not exist (is the NAS mounted?)`);
  }
  if (!st.isDirectory()) throw new Error(`NAS_ROOT ${root} is not a directory`);
  try {
    await access(root, constants.W_OK | constants.X_OK);
  } catch {
    throw new Error(`NAS_ROOT ${root} is not writable by this user (uid ${process.getuid?.() ?? '?'})`);
  }
}
