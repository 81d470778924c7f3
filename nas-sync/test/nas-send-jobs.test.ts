/**
 * The sender as a running job: woken by NOTIFY nas_send_requests_pending (no waiting for the poll),
 * several jobs (in one process, and as CLI processes) against one database upload each request
 * exactly once, the CLI serves sends only when configured and never prints the agent token.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.ts';
import { parseSendConfig } from '../src/send/config.ts';
import { NAS_SEND_MAX_BYTES, R2_SINGLE_PUT_MAX_BYTES } from '@linebot-edge/shared/upload-contract';
import { AGENT_TOKEN, SHARE, setupSend, sleep, waitFor, type SendFixture } from './nas-send-support.ts';
import { jsonLines, runNode, TOKEN } from './nas-sync-support.ts';

let s: SendFixture;

beforeAll(async () => {
  s = await setupSend('jobs');
});
afterAll(async () => {
  try {
    expect(s.worker.violations()).toEqual([]);
    expect(s.logs.join('\n')).not.toContain(AGENT_TOKEN);
  } finally {
    await s.close();
  }
});

/** How long a woken job may take; the poll interval is 60 s. */
const WAKE_MS = 6_000;
const LONG_POLL_MS = 60_000;
const uploaded = async (id: string) => (await s.status(id)).status === 'uploaded';
const fileUploads = (id: string) => s.worker.calls.filter((c) => c.id === id && c.what === 'file');

async function seedMany(prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    await s.writeShareFile(`${prefix}/file-${i}.pdf`, Buffer.alloc(20_000 + i, i));
    ids.push(await s.request(`${prefix}/file-${i}.pdf`));
  }
  return ids;
}

describe('NOTIFY', () => {
  it('a request inserted while the job sleeps (poll 60 s) is uploaded at once; without the listener it waits', async () => {
    const job = s.send({ once: false, pollIntervalMs: LONG_POLL_MS });
    try {
      await waitFor(
        () => s.logs.some((l) => l.includes('"channel":"nas_send_requests_pending"')),
        10_000,
        'the listener',
      );
      await sleep(300); // past the polls at start: asleep for a minute
      await s.writeShareFile('notify/now.pdf', 'wake up');
      const started = Date.now();
      const id = await s.request('notify/now.pdf');
      await waitFor(() => uploaded(id), WAKE_MS, 'the NOTIFY to wake the job');
      expect(Date.now() - started).toBeLessThan(WAKE_MS);
    } finally {
      job.stop();
      expect((await job.done).errors).toBe(0);
    }

    const quiet = s.send({ once: false, pollIntervalMs: LONG_POLL_MS, listen: false });
    let id = '';
    try {
      await sleep(500);
      await s.writeShareFile('notify/later.pdf', 'poll me');
      id = await s.request('notify/later.pdf');
      await sleep(WAKE_MS);
      expect(await s.status(id)).toMatchObject({ status: 'pending' });
    } finally {
      quiet.stop();
      await quiet.done;
    }
    await s.fx.db.execute(sql`UPDATE nas_send_requests SET status = 'failed' WHERE id = ${id}`);
  });
});

describe('several jobs, one database', () => {
  it('two continuous jobs: every request uploaded exactly once', async () => {
    const a = s.send({ once: false, pollIntervalMs: 200, claimedBy: 'job-a' });
    const b = s.send({ once: false, pollIntervalMs: 200, claimedBy: 'job-b' });
    let ids: string[] = [];
    try {
      await sleep(300);
      ids = await seedMany('two-jobs', 16);
      await waitFor(async () => (await Promise.all(ids.map(uploaded))).every(Boolean), 30_000, 'all uploads');
    } finally {
      a.stop();
      b.stop();
      await Promise.all([a.done, b.done]);
    }
    for (const id of ids) expect(fileUploads(id).map((c) => c.status)).toEqual([200]);
    const byJob = [a, b].map((j) => j.events.filter((e) => e.outcome === 'uploaded').map((e) => e.requestId));
    expect([...byJob[0]!, ...byJob[1]!].sort()).toEqual([...ids].sort());
    const claimers = (
      await s.fx.db.execute<{ claimed_by: string }>(
        sql`SELECT DISTINCT claimed_by FROM nas_send_requests WHERE id IN ${ids}`,
      )
    ).rows.map((r) => r.claimed_by);
    expect(claimers.every((c) => c === 'job-a' || c === 'job-b')).toBe(true);
  });

  it('two CLI processes (--once): every request uploaded exactly once; the token in no output', async () => {
    const ids = await seedMany('two-cli', 12);
    const env = {
      DATABASE_URL: s.fx.databaseUrl,
      LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
      LINE_DATA_API_BASE_URL: s.fx.emulator.url,
      NAS_ROOT: s.fx.nasRoot,
      WORKER_URL: s.worker.url,
      NAS_AGENT_TOKEN: AGENT_TOKEN,
      NAS_SHARES: `${SHARE}:${s.shareRoot}`,
    };
    const runs = await Promise.all([1, 2].map(() => runNode(['nas-sync/src/main.ts', '--once', '--json'], env)));
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(AGENT_TOKEN);
    }
    for (const id of ids) expect(fileUploads(id).map((c) => c.status)).toEqual([200]);
    const lines = runs.flatMap((r) => jsonLines(r.stdout + r.stderr));
    const sent = lines
      .filter((l) => l.event === 'nas_send.request' && l.outcome === 'uploaded')
      .map((l) => l.requestId as string);
    expect(sent.sort()).toEqual([...ids].sort());
    expect(lines.filter((l) => l.event === 'nas_send.started')).toHaveLength(2);
  }, 120_000); // two job processes on a loaded 2-core machine

  it('the CLI without WORKER_URL: says once that sending is off, and leaves requests pending', async () => {
    await s.writeShareFile('off/x.pdf', 'x');
    const id = await s.request('off/x.pdf');
    const r = await runNode(['nas-sync/src/main.ts', '--once', '--json'], {
      DATABASE_URL: s.fx.databaseUrl,
      LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
      LINE_DATA_API_BASE_URL: s.fx.emulator.url,
      NAS_ROOT: s.fx.nasRoot,
      NAS_AGENT_TOKEN: AGENT_TOKEN,
      NAS_SHARES: `${SHARE}:${s.shareRoot}`,
    });
    expect(r.code, r.stderr).toBe(0);
    const off = jsonLines(r.stdout).filter((l) => l.event === 'nas_send.off');
    expect(off).toMatchObject([{ missing: ['WORKER_URL'] }]);
    expect(r.stdout + r.stderr).not.toContain(AGENT_TOKEN);
    expect(await s.status(id)).toMatchObject({ status: 'pending', attempts: 0 });
    await s.fx.db.execute(sql`UPDATE nas_send_requests SET status = 'failed' WHERE id = ${id}`);
  });
});

describe('configuration', () => {
  const base = () => ({
    DATABASE_URL: 'postgres://x@127.0.0.1/db',
    LINE_CHANNEL_ACCESS_TOKEN: 't',
    NAS_ROOT: s.fx.nasRoot,
    NAS_AGENT_TOKEN: AGENT_TOKEN,
    NAS_SHARES: `${SHARE}:${s.shareRoot}`,
  });
  const problemsOf = (env: NodeJS.ProcessEnv) => {
    const { setup, problems } = parseSendConfig(env);
    return { setup, problems };
  };

  it('on with all three; https, or http for localhost only; trailing slashes dropped', () => {
    for (const [url, want] of [
      ['https://bot.example.com/', 'https://bot.example.com'],
      ['https://bot.example.com/edge/', 'https://bot.example.com/edge'],
      ['http://localhost:8787', 'http://localhost:8787'],
      ['http://127.0.0.1:8787/', 'http://127.0.0.1:8787'],
    ] as const) {
      const { setup, problems } = problemsOf({ ...base(), WORKER_URL: url });
      expect(problems).toEqual([]);
      expect(setup).toMatchObject({
        enabled: true,
        workerUrl: want,
        maxBytes: 104_857_600,
        shares: [{ name: SHARE, root: s.shareRoot }],
      });
    }
    const { setup } = problemsOf({ ...base(), WORKER_URL: 'https://a.example', NAS_SEND_MAX_BYTES: '5000' });
    expect(setup).toMatchObject({ enabled: true, maxBytes: 5000 });
  });

  it.each([
    ['0', NAS_SEND_MAX_BYTES.min, 'NAS_SEND_MAX_BYTES 0 is outside 1 to 5363466240: using 1'],
    ['-1', NAS_SEND_MAX_BYTES.min, 'is outside'],
    ['99999999999999', R2_SINGLE_PUT_MAX_BYTES, `using ${R2_SINGLE_PUT_MAX_BYTES}`],
    ['4096.7', 4096, 'NAS_SEND_MAX_BYTES 4096.7 is not a whole number: using 4096'],
  ])("NAS_SEND_MAX_BYTES %s is clamped into the Worker's bounds (%d) and said at start", (raw, used, warning) => {
    const c = parseConfig([], { ...base(), WORKER_URL: 'https://a.example', NAS_SEND_MAX_BYTES: raw });
    expect(c.send).toMatchObject({ enabled: true, maxBytes: used });
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toContain(warning);
  });

  it('wrong values are problems (exit 2), naming the variable and never echoing the token', () => {
    for (const [env, pattern] of [
      [{ WORKER_URL: 'http://bot.example.com' }, /WORKER_URL must be https/],
      [{ WORKER_URL: 'ftp://bot.example.com' }, /WORKER_URL must be https/],
      [{ WORKER_URL: 'not a url' }, /WORKER_URL is not a URL/],
      [{ WORKER_URL: 'https://u:p@bot.example.com' }, /no credentials/],
      [{ WORKER_URL: 'https://a.example', NAS_AGENT_TOKEN: `${AGENT_TOKEN} x` }, /NAS_AGENT_TOKEN must be printable/],
      [{ WORKER_URL: 'https://a.example', NAS_SEND_MAX_BYTES: '10MB' }, /NAS_SEND_MAX_BYTES/],
      [{ WORKER_URL: 'https://a.example', NAS_SHARES: 'projects' }, /not name:path/],
      [{ WORKER_URL: 'https://a.example', NAS_SHARES: `projects:${s.shareRoot}/nope` }, /does not exist/],
    ] as const) {
      const { setup, problems } = problemsOf({ ...base(), ...env });
      expect(setup.enabled).toBe(false);
      expect(problems.join('\n')).toMatch(pattern);
      expect(problems.join('\n')).not.toContain(AGENT_TOKEN);
      let message = '';
      try {
        parseConfig([], { ...base(), ...env });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        message = (e as Error).message;
      }
      expect(message).toMatch(pattern);
      expect(message).not.toContain(AGENT_TOKEN);
    }
  });

  it('shares parsed by the caller are used as they are (their problems reported there, not twice)', () => {
    const shares = [{ name: 'elsewhere', root: '/mnt/not-checked-here' }];
    expect(
      parseSendConfig({ ...base(), WORKER_URL: 'https://a.example', NAS_SHARES: 'anything' }, shares),
    ).toMatchObject({
      setup: { enabled: true, shares },
      problems: [],
    });
    expect(parseSendConfig({ ...base(), WORKER_URL: 'https://a.example', NAS_SHARES: 'bad' }, [])).toEqual({
      setup: { enabled: false, missing: [] },
      problems: [],
      warnings: [],
    });
    expect(problemsOf({ ...base(), WORKER_URL: 'https://a.example', NAS_SHARES: ' , ' }).problems).toEqual([
      'NAS_SHARES names no share',
    ]);
  });

  it('off, not a problem, while any of the three is unset', () => {
    const { WORKER_URL: _, ...rest } = { ...base(), WORKER_URL: 'https://a.example' };
    expect(problemsOf(rest)).toEqual({ setup: { enabled: false, missing: ['WORKER_URL'] }, problems: [] });
    expect(problemsOf({ DATABASE_URL: 'postgres://x@h/d' })).toEqual({
      setup: { enabled: false, missing: ['WORKER_URL', 'NAS_AGENT_TOKEN', 'NAS_SHARES'] },
      problems: [],
    });
    expect(parseConfig([], rest).send).toEqual({ enabled: false, missing: ['WORKER_URL'] });
    // --status and --retry-failed never send: no send configuration is read.
    expect(
      parseConfig(['--status'], { DATABASE_URL: 'postgres://x@h/d', WORKER_URL: 'http://bad.example' }).send.enabled,
    ).toBe(false);
  });
});
