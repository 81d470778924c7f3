/**
 * The NAS host installs the job alone: `npm ci --omit=dev --legacy-peer-deps --workspace nas-sync`
 * (README.md, Install). What that installs is the production closure of the nas-sync workspace in
 * package-lock.json: its dependencies and optional dependencies, transitively (peer dependencies
 * are not followed: --legacy-peer-deps, else drizzle-orm's optional peers would bring PGlite and
 * Neon's driver from the Worker's side of the lockfile). None of the Worker's tooling may be in it,
 * everything the job imports must be, and the job must start on Node's own type stripping.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './nas-sync-support.ts';

interface LockEntry {
  version?: string;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};
const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as LockEntry & { name: string };

/** Where Node (and npm's layout) finds `name` from the package at `from`: its own node_modules, then its parents'. */
function locate(name: string, from: string): string | undefined {
  for (let at = from; ; ) {
    const here = `${at ? `${at}/` : ''}node_modules/${name}`;
    if (lock.packages[here]) return here;
    if (!at) return undefined;
    const up = at.lastIndexOf('/node_modules/');
    at = up < 0 ? '' : at.slice(0, up);
  }
}

/** The lock locations installed for the workspace at `start`, by package name (links followed). */
function productionClosure(start: string): Map<string, string> {
  const installed = new Map<string, string>();
  const missing: string[] = [];
  const visit = (location: string) => {
    const entry = lock.packages[location]!;
    const deps = { ...entry.dependencies, ...entry.optionalDependencies };
    for (const name of Object.keys(deps)) {
      let at = locate(name, location);
      if (at === undefined) {
        if (!(name in (entry.optionalDependencies ?? {}))) missing.push(`${name} (from ${location})`);
        continue;
      }
      if (lock.packages[at]!.link) at = lock.packages[at]!.resolved!;
      if (installed.has(name) && installed.get(name) === at) continue;
      installed.set(name, at);
      visit(at);
    }
  };
  visit(start);
  expect(missing, 'dependencies the lockfile cannot place').toEqual([]);
  return installed;
}

/** The bare specifiers (packages) imported by the TypeScript files under `dir`. */
function importedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  )) {
    for (const [, spec] of readFileSync(join(ROOT, dir, file), 'utf8').matchAll(
      /^(?:import|export)[^'"]*?from '([^'.][^']*)'/gm,
    )) {
      if (spec!.startsWith('node:')) continue;
      names.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
    }
  }
  return names;
}

const FORBIDDEN = [
  'wrangler',
  'workerd',
  'miniflare',
  'vitest',
  'playwright-core',
  '@electric-sql/pglite',
  'autocannon',
  'tsx',
  'typescript',
];

describe('the NAS host install (the nas-sync workspace alone, production only)', () => {
  const closure = productionClosure('nas-sync');

  it("holds the job's dependencies and none of the Worker's tooling", () => {
    for (const name of ['@linebot-edge/shared', 'drizzle-orm', 'pg', 'sharp', 'zod'])
      expect(closure.has(name), name).toBe(true);
    expect(closure.get('@linebot-edge/shared')).toBe('src/shared');
    expect(FORBIDDEN.filter((name) => closure.has(name))).toEqual([]);
    // Nor the Worker's runtime: the job talks to Postgres with pg, to the Worker over HTTPS.
    expect(
      ['hono', '@neondatabase/serverless', '@anthropic-ai/sdk', '@cloudflare/vitest-plugin'].filter((name) =>
        closure.has(name),
      ),
    ).toEqual([]);
  });

  it('needs no peer dependency left out (required peers of what it installs are installed too)', () => {
    const unmet: string[] = [];
    for (const [name, at] of closure) {
      const entry = lock.packages[at]!;
      for (const peer of Object.keys(entry.peerDependencies ?? {})) {
        if (!entry.peerDependenciesMeta?.[peer]?.optional && !closure.has(peer)) unmet.push(`${name} needs ${peer}`);
      }
    }
    expect(unmet).toEqual([]);
  });

  it('declares exactly what the job and the shared package import at run time', () => {
    const job = manifest('nas-sync');
    const shared = manifest('src/shared');
    expect(new Set(Object.keys(job.dependencies ?? {}))).toEqual(importedPackages('nas-sync/src'));
    expect(new Set(Object.keys(shared.dependencies ?? {}))).toEqual(importedPackages('src/shared'));
    expect((job as { devDependencies?: unknown }).devDependencies).toBeUndefined();
    // The lockfile is current for the workspace (npm ci would refuse it otherwise).
    expect(lock.packages['nas-sync']!.dependencies).toEqual(job.dependencies);
  });

  it('starts on Node itself, types stripped (no tsx, no loader): --help exits 0', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
    const main = join(ROOT, 'nas-sync', 'src', 'main.ts');
    const r = spawnSync(process.execPath, [main, '--help'], {
      cwd: join(ROOT, 'nas-sync'),
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Usage: node ${relative(ROOT, main)}`);
    expect(r.stderr).toBe('');
  });
});
