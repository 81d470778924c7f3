/**
 * What needs the database to itself (the `worker-isolated` project: its own database, this one
 * file): the total wrong-token limit, which refuses every client while it holds, and anonymous
 * `GET /healthz` under load, whose connections are counted in Postgres' own statistics of the
 * database (`pg_stat_database.sessions`: every session ever opened to it).
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { openHttpDb } from '../../src/db/client';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { HEALTH_PROBE_INTERVAL_MS } from '../../src/routes/health';
import { AUTH_LIMIT } from '../../src/security/limiter';
import { adminFetch } from '../support/admin';
import { newClientIp } from '../support/clients';
import { withDb } from '../support/db';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the total wrong-token limit', () => {
  it(`${AUTH_LIMIT.total} wrong tokens in 15 minutes from many clients: every client is refused, even with the right token, until the window reopens`, async () => {
    await withDb((db) => db.execute(sql`DELETE FROM auth_failures`));
    // 99 failures of 99 clients, the oldest 5 minutes ago, then the 100th over HTTP.
    await withDb((db) =>
      db.execute(sql`INSERT INTO auth_failures (surface, client, at)
        SELECT 'admin', 'spread-' || g, now() - make_interval(mins => 5) + make_interval(secs => g) FROM generate_series(0, ${AUTH_LIMIT.total - 2}::int) g`),
    );
    const last = newClientIp();
    const fresh = newClientIp();
    expect((await adminFetch('GET', '/users', { headers: { 'cf-connecting-ip': fresh } })).status).toBe(200);
    expect((await adminFetch('GET', '/users', { token: 'wrong', headers: { 'cf-connecting-ip': last } })).status).toBe(
      401,
    );

    const limited = await adminFetch('GET', '/users', { headers: { 'cf-connecting-ip': fresh } });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // The window reopens when the oldest of the hundred leaves it: in 10 minutes.
    const wait = Number(limited.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(598);
    expect(wait).toBeLessThanOrEqual(601);
    // The NAS agent too: one limiter.
    const agent = await worker.fetch(
      new Request(`https://bot.example/api/linebot/nas/send-requests/${crypto.randomUUID()}/failure`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.NAS_AGENT_TOKEN}`, 'cf-connecting-ip': newClientIp() },
        body: '{"reason":"missing"}',
      }),
      env,
      createExecutionContext(),
    );
    expect(agent.status).toBe(429);
    // Audited once, by the failure that reached the limit.
    const trail = await withDb(
      async (db) =>
        (await db.execute(sql`SELECT client, details FROM audit_log WHERE action = 'auth.rate_limited'`)).rows,
    );
    expect(trail).toEqual([{ client: last, details: { surface: 'admin', scope: 'total', windowMinutes: 15 } }]);

    // Once the failures have left the window, everyone is let in again.
    await withDb((db) => db.execute(sql`UPDATE auth_failures SET at = at - interval '15 minutes'`));
    expect((await adminFetch('GET', '/users', { headers: { 'cf-connecting-ip': fresh } })).status).toBe(200);
    await withDb((db) => db.execute(sql`DELETE FROM auth_failures`));
  });
});

describe('GET /healthz', () => {
  const healthz = async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request('https://bot.example/healthz'), env, ctx);
    await waitOnExecutionContext(ctx);
    return {
      status: res.status,
      body: (await res.json()) as { ok: boolean; database: string; cachedAgeMs: number | null },
    };
  };
  /** Sessions ever opened to this database, once the backends that ended have reported theirs. */
  const sessions = async () => {
    await sleep(1_500);
    return withDb(async (db) => {
      const { rows } = await db.execute<{ n: number }>(
        sql`SELECT sessions::int AS n FROM pg_stat_database WHERE datname = current_database()`,
      );
      return rows[0]!.n;
    });
  };

  it('50 anonymous requests open at most 2 connections; the answers say how old their result is', async () => {
    // The probe's HTTP half goes through the SQL endpoint's connections, which it keeps open (as
    // Neon's proxy does): opened once, here, so that only what the requests open is counted.
    await openHttpDb(env).execute(sql`select 1`);
    // Our own reading opens one session each time: measured without any request first.
    const a = await sessions();
    const b = await sessions();
    const reading = b - a;
    const concurrent = await Promise.all(Array.from({ length: 25 }, healthz));
    const sequential = [];
    for (let i = 0; i < 25; i++) sequential.push(await healthz());
    const c = await sessions();
    const opened = c - b - reading;
    expect(opened).toBeGreaterThanOrEqual(0);
    expect(opened).toBeLessThanOrEqual(2);
    const all = [...concurrent, ...sequential];
    expect(all.every((r) => r.status === 200 && r.body.ok && r.body.database === 'ok')).toBe(true);
    // At most two of them probed (a probe whose 10 s ran out during the run); the rest were answered from it.
    expect(all.filter((r) => r.body.cachedAgeMs === null).length).toBeLessThanOrEqual(2);
    const cached = all.filter((r) => r.body.cachedAgeMs !== null).map((r) => r.body.cachedAgeMs!);
    expect(cached.length).toBeGreaterThanOrEqual(48);
    expect(cached.every((ms) => ms >= 0 && ms < HEALTH_PROBE_INTERVAL_MS)).toBe(true);
  });

  it('probes again once its result is 10 seconds old', async () => {
    await healthz();
    await sleep(HEALTH_PROBE_INTERVAL_MS + 100);
    const again = await healthz();
    expect(again.body.cachedAgeMs).toBeNull();
    expect((await healthz()).body.cachedAgeMs).not.toBeNull();
  });
});
