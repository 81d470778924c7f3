/** Filesystem helpers that keep every path the job touches inside NAS_ROOT. */
import { access, constants, mkdir, rename, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * The absolute path of `relPath` (a `/`-separated nas_path) under `root`; throws if it would land
 * outside (a tampered or corrupt nas_path must never make the job write or delete elsewhere).
 */
export function resolveInside(root: string, relPath: string): string {
  const abs = resolve(root, ...relPath.split('/'));
  const rel = relative(root, abs);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new Error(`path escapes NAS_ROOT: ${JSON.stringify(relPath)}`);
  }
  return abs;
}

/** Renames `from` onto `to`, creating `to`'s folders first. Atomic on one filesystem. */
export async function moveIntoPlace(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await rename(from, to);
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
