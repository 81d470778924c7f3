/**
 * The helpers that keep the job's writes and deletes inside NAS_ROOT on disk, not only by name:
 * real paths of folders that may not exist yet, and the check before every rename and unlink.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../src/daily-cap.ts';
import {
  assertParentInsideRoot,
  isWithin,
  moveIntoPlace,
  OutsideRootError,
  realPathAllowingMissing,
  resolveInside,
  unlinkInside,
} from '../src/fs.ts';

let dir: string;
let root: string;
let outside: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nas-sync-fs-'));
  root = join(dir, 'root');
  outside = join(dir, 'outside');
  await Promise.all([mkdir(join(root, 'groups'), { recursive: true }), mkdir(outside)]);
  await symlink(outside, join(root, 'escape')); // planted: a folder under NAS_ROOT that is elsewhere
  await symlink(join(root, 'groups'), join(root, 'alias')); // a symlink that stays inside
  await symlink(join(outside, 'not-yet'), join(root, 'dangling')); // points outside, at nothing yet
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('isWithin', () => {
  it.each([
    ['/a/b', '/a/b', true],
    ['/a/b', '/a/b/c/d', true],
    ['/a/b', '/a/b/../b/c', true],
    ['/a/b', '/a/bc', false],
    ['/a/b', '/a', false],
    ['/a/b', '/a/b/../c', false],
    ['/', '/anything', true],
  ])('%s holds %s: %s', (parent, path, inside) => {
    expect(isWithin(parent, path)).toBe(inside);
  });
});

describe('realPathAllowingMissing', () => {
  it('resolves symlinks, and a missing tail by its longest existing prefix', () => {
    expect(realPathAllowingMissing(join(root, 'groups'))).toBe(join(root, 'groups'));
    expect(realPathAllowingMissing(join(root, 'escape', 'C1', 'images'))).toBe(join(outside, 'C1', 'images'));
    expect(realPathAllowingMissing(join(root, 'alias', 'x', 'y'))).toBe(join(root, 'groups', 'x', 'y'));
    expect(realPathAllowingMissing(join(root, 'new', 'deeper'))).toBe(join(root, 'new', 'deeper'));
  });

  it('follows a dangling symlink to where it points', () => {
    expect(realPathAllowingMissing(join(root, 'dangling', 'a'))).toBe(join(outside, 'not-yet', 'a'));
  });
});

describe('assertParentInsideRoot, moveIntoPlace, unlinkInside', () => {
  it('accepts folders inside NAS_ROOT, existing or not, through symlinks that stay inside', async () => {
    await assertParentInsideRoot(root, join(root, 'groups', 'a.jpg'));
    await assertParentInsideRoot(root, join(root, 'users', 'U1', 'images', '2025-06-01', 'a.jpg'));
    await assertParentInsideRoot(root, join(root, 'alias', 'a.jpg'));
  });

  it.each([
    ['a symlinked folder', () => join(root, 'escape', 'a.jpg')],
    ['a folder below one', () => join(root, 'escape', 'C1', 'images', 'a.jpg')],
    ['a dangling symlink', () => join(root, 'dangling', 'x', 'a.jpg')],
  ])('refuses %s pointing outside, naming where it leads', async (_label, path) => {
    const e = await assertParentInsideRoot(root, path()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OutsideRootError);
    expect((e as Error).message).toContain(`outside NAS_ROOT ${root}`);
    expect((e as Error).message).toContain(outside);
  });

  it('moveIntoPlace: creates folders and renames inside; through a planted symlink nothing is created or moved', async () => {
    const temp = join(root, 'tmp-1');
    await writeFile(temp, 'bytes');
    await moveIntoPlace(root, temp, join(root, 'users', 'U1', 'a.jpg'));
    expect(await readFile(join(root, 'users', 'U1', 'a.jpg'), 'utf8')).toBe('bytes');

    const temp2 = join(root, 'tmp-2');
    await writeFile(temp2, 'bytes');
    await expect(moveIntoPlace(root, temp2, join(root, 'escape', 'C1', 'images', 'b.jpg'))).rejects.toThrow(
      OutsideRootError,
    );
    expect(existsSync(join(outside, 'C1'))).toBe(false); // not even the folders
    expect(existsSync(temp2)).toBe(true);
  });

  it('unlinkInside: deletes inside; a file reached through a planted symlink stays', async () => {
    await writeFile(join(outside, 'keep.jpg'), 'company file');
    await expect(unlinkInside(root, join(root, 'escape', 'keep.jpg'))).rejects.toThrow(OutsideRootError);
    expect(await readFile(join(outside, 'keep.jpg'), 'utf8')).toBe('company file');
    await unlinkInside(root, join(root, 'users', 'U1', 'a.jpg'));
    expect(existsSync(join(root, 'users', 'U1', 'a.jpg'))).toBe(false);
  });

  it('resolveInside still refuses names that climb out', () => {
    expect(() => resolveInside(root, '../outside/x')).toThrow('path escapes NAS_ROOT');
    expect(() => resolveInside(root, '')).toThrow('path escapes NAS_ROOT');
    expect(resolveInside(root, 'groups/a.jpg')).toBe(join(root, 'groups', 'a.jpg'));
  });
});

describe('properties', () => {
  const segment = fc.oneof(
    fc.constantFrom('..', '.', '', 'groups', 'a.jpg', '..foo', 'x\\..'),
    fc.string({ maxLength: 8 }),
  );
  it('resolveInside: any nas_path either throws or lands strictly below NAS_ROOT', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
        const rel = segments.join('/');
        let abs: string;
        try {
          abs = resolveInside(root, rel);
        } catch {
          return;
        }
        expect(isWithin(root, abs)).toBe(true);
        expect(abs).not.toBe(root);
      }),
      { numRuns: 500 },
    );
  });

  it('decide: what it lets through never takes a sender past the cap', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.integer({ min: 1 }), (size, used, cap) => {
        const d = decide(size, used, cap);
        if (d === 'ok') expect(used + size).toBeLessThanOrEqual(cap);
        else if (d === 'too_large') expect(size).toBeGreaterThan(cap);
        else expect(used + size).toBeGreaterThan(cap);
      }),
      { numRuns: 500 },
    );
  });
});
