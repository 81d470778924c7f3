/**
 * resolveInShare (the sender's stand-in for src/index's, same semantics): whatever path
 * a request names (`..`, `.`, empty segments, NUL, backslashes, symlinks in and out of the share,
 * dangling links, loops), the answer is a problem or a regular file inside the share's realpath.
 */
import { mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInShare, type Share } from '../src/send/resolve.ts';

let base: string;
let shares: Share[];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'nas-send-resolve-'));
  const root = join(base, 'share');
  await mkdir(join(root, 'a', 'b'), { recursive: true });
  await mkdir(join(base, 'outside'));
  await writeFile(join(root, 'a', 'f.txt'), 'in');
  await writeFile(join(root, 'a', 'b', 'g.pdf'), 'in');
  await writeFile(join(base, 'outside', 'secret.txt'), 'out');
  await symlink(join(root, 'a', 'f.txt'), join(root, 'a', 'in-link'));
  await symlink('../b', join(root, 'a', 'b', 'dir-in'));
  await symlink(join(base, 'outside'), join(root, 'a', 'out-dir'));
  await symlink(join(base, 'outside', 'secret.txt'), join(root, 'out-file'));
  await symlink(join(root, 'nowhere'), join(root, 'dangling'));
  await symlink('loop', join(root, 'loop'));
  // The share root itself reached through a symlink: its realpath is what counts.
  await symlink(root, join(base, 'share-link'));
  shares = [{ name: 'p', root: join(base, 'share-link') }];
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const SEGMENTS = [
  'a',
  'b',
  'f.txt',
  'g.pdf',
  'in-link',
  'dir-in',
  'out-dir',
  'out-file',
  'dangling',
  'loop',
  'secret.txt',
  '..',
  '.',
  '',
  'outside',
  'share',
  '..\\..',
  'x\0y',
  '%2e%2e',
];

describe('resolveInShare', () => {
  it('known cases', async () => {
    const r = (path: string) => resolveInShare(shares, 'p', path);
    expect(await r('a/f.txt')).toMatchObject({ absolute: join(base, 'share', 'a', 'f.txt'), size: 2 });
    expect(await r('a/in-link')).toMatchObject({ absolute: join(base, 'share', 'a', 'f.txt') });
    expect(await r('a/b/dir-in/g.pdf')).toMatchObject({ absolute: join(base, 'share', 'a', 'b', 'g.pdf') });
    expect(await r('a/out-dir/secret.txt')).toEqual({ problem: 'outside_share' });
    expect(await r('out-file')).toEqual({ problem: 'outside_share' });
    expect(await r('../outside/secret.txt')).toEqual({ problem: 'outside_share' });
    expect(await r('/etc/passwd')).toEqual({ problem: 'outside_share' });
    expect(await r('dangling')).toEqual({ problem: 'missing' });
    expect(await r('loop')).toEqual({ problem: 'outside_share' });
    expect(await r('a/gone.txt')).toEqual({ problem: 'missing' });
    expect(await r('a')).toEqual({ problem: 'not_file' });
    expect(await resolveInShare(shares, 'q', 'a/f.txt')).toEqual({ problem: 'unknown_share' });
    const st = await stat(join(base, 'share', 'a', 'f.txt'));
    expect((await r('a/f.txt')) as { modifiedAt: Date }).toMatchObject({
      modifiedAt: new Date(Math.floor(st.mtimeMs)),
    });
  });

  it('property: any path is a problem or a regular file inside the share', async () => {
    const realRoot = await realpath(join(base, 'share'));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 6 }).map((s) => s.join('/')),
          fc.string(),
        ),
        async (path) => {
          const res = await resolveInShare(shares, 'p', path);
          if ('problem' in res) return;
          const rel = relative(realRoot, res.absolute);
          expect(rel.startsWith(`..${sep}`) || rel === '..' || rel === '').toBe(false);
          expect((await stat(res.absolute)).isFile()).toBe(true);
          expect(res.absolute).not.toContain('outside');
        },
      ),
      { numRuns: 500 },
    );
  });
});
