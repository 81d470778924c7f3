/**
 * `npm run bench` in its smoke configuration (a couple of seconds per target, 4 connections)
 * against the local PostgreSQL the suite uses: it runs every target and its `--json` output
 * parses with every figure a number. Speed is not asserted: this machine is shared and noisy.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/local/paths.ts';
import type { BenchReport } from '../../scripts/bench/report.ts';

const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/bench.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: adminUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run bench -- --smoke --json', () => {
  it('measures every target and prints figures that parse', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await runBench(['--smoke', '--json']);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as BenchReport;

    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.database).toMatch(/PostgreSQL/);
    expect(report.results.map((r) => `${r.target}/${r.mix}`)).toEqual(['worker/mixed', 'sdk-baseline/mixed', 'worker/group-text', 'article/group-text']);

    const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    for (const r of report.results) {
      for (const key of ['ackPerSec', 'acked', 'requests', 'durationSec'] as const) expect(isNumber(r[key]), `${r.target} ${key}`).toBe(true);
      for (const p of ['p50', 'p95', 'p99'] as const) expect(isNumber(r.latencyMs[p]), `${r.target} latency ${p}`).toBe(true);
      for (const n of Object.values(r.errors)) expect(isNumber(n)).toBe(true);
      expect(r.acked, `${r.target} acknowledged something`).toBeGreaterThan(0);
    }
    for (const r of report.results.filter((x) => x.target === 'worker')) {
      for (const key of ['persistedPerSec', 'lineCallsPerEvent', 'dbRoundTripsPerEvent', 'dbConnectionsPerRequest'] as const) {
        expect(isNumber(r[key]), `worker ${key}`).toBe(true);
      }
      for (const p of ['p50', 'p95', 'p99'] as const) expect(isNumber(r.e2eMs?.[p])).toBe(true);
      // Counted, not estimated: a durable ack and a transaction cost several round trips.
      expect(r.dbRoundTripsPerEvent).toBeGreaterThan(1);
    }
    const article = report.results.find((r) => r.target === 'article')!;
    expect(article.lineCallsPerMessage).toBeCloseTo(3, 1);
    for (const v of Object.values(report.ratios)) expect(v === null || isNumber(v)).toBe(true);
  });
});
