/**
 * Credentials and anonymous routes: the one limiter of every bearer check (the rule as a table,
 * then over HTTP on the management API, the NAS agent routes and across them), the refusal of
 * short secrets, the Cron Trigger's clean-up of old failures, and the limit on guessing share links. Every test names its own clients and forgets their
 * failures afterwards: the database (and its total count) is shared with every other test file.
 * The total limit over HTTP, and /healthz under load, are in test/isolated/, on a database of their own.
 */
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { authFailures } from '@linebot-edge/shared/schema';
import { AUTH_LIMIT, limitDecision, pruneAuthFailures, type FailureWindow } from '../src/security/limiter';
import { SHARE_MISS_LIMIT } from '../src/routes/share';
import { MIN_TOKEN_LENGTH, secretState } from '../src/security/tokens';
import { adminFetch } from './support/admin';
import { forgetAuthFailures, newClientIp } from './support/clients';
import { withDb } from './support/db';
import { bytesOf, call, runCron, seedShareLink } from './support/nas';

const MIN = 60_000;
const WINDOW_MS = AUTH_LIMIT.windowMinutes * MIN;

describe('the rule (pure)', () => {
  const w = (over: Partial<FailureWindow>): FailureWindow => ({
    client: 0,
    total: 0,
    clientReopenAgeMs: null,
    totalReopenAgeMs: null,
    ...over,
  });
  const cases: Array<[name: string, window: FailureWindow, expected: ReturnType<typeof limitDecision>]> = [
    ['nothing yet', w({}), { limited: false }],
    ['9 of the client, 99 in total', w({ client: 9, total: 99 }), { limited: false }],
    [
      'the client at 10, its 10th newest just now',
      w({ client: 10, total: 10, clientReopenAgeMs: 0 }),
      { limited: true, scope: 'client', retryAfterSeconds: 900 },
    ],
    [
      'the client at 10, its 10th newest 10 minutes old',
      w({ client: 10, total: 10, clientReopenAgeMs: 10 * MIN }),
      { limited: true, scope: 'client', retryAfterSeconds: 300 },
    ],
    [
      'the client at 10, reopening within a second',
      w({ client: 10, total: 10, clientReopenAgeMs: WINDOW_MS - 1 }),
      { limited: true, scope: 'client', retryAfterSeconds: 1 },
    ],
    [
      'past the window by the clock of the query: still at least 1 s',
      w({ client: 10, total: 10, clientReopenAgeMs: WINDOW_MS + 5 }),
      { limited: true, scope: 'client', retryAfterSeconds: 1 },
    ],
    [
      'the client over (a race let 12 in)',
      w({ client: 12, total: 12, clientReopenAgeMs: 60_500 }),
      { limited: true, scope: 'client', retryAfterSeconds: 840 },
    ],
    [
      '100 in total, none of the client',
      w({ client: 0, total: 100, totalReopenAgeMs: 14 * MIN }),
      { limited: true, scope: 'total', retryAfterSeconds: 60 },
    ],
    [
      'both: the longer wait wins',
      w({ client: 10, total: 100, clientReopenAgeMs: 14 * MIN, totalReopenAgeMs: 1 * MIN }),
      { limited: true, scope: 'total', retryAfterSeconds: 840 },
    ],
    [
      'an age missing (never from the query) counts as now',
      w({ client: 10, total: 10 }),
      { limited: true, scope: 'client', retryAfterSeconds: 900 },
    ],
  ];
  it.each(cases)('%s', (_name, window, expected) => expect(limitDecision(window)).toEqual(expected));

  it('the limits of the issue: 10 per client, 100 in total, 15 minutes', () => {
    expect(AUTH_LIMIT).toEqual({ perClient: 10, total: 100, windowMinutes: 15 });
  });
});

describe('secrets (pure)', () => {
  const cases: Array<
    [name: string, secret: 'ADMIN_API_TOKEN' | 'NAS_AGENT_TOKEN', value: string | undefined, ok: boolean | string]
  > = [
    ['unset', 'ADMIN_API_TOKEN', undefined, 'unset'],
    ['empty', 'NAS_AGENT_TOKEN', '', 'unset'],
    ['31 characters', 'ADMIN_API_TOKEN', 'x'.repeat(31), 'too_short'],
    ['32 characters', 'ADMIN_API_TOKEN', 'x'.repeat(32), true],
    ['the admin development value', 'ADMIN_API_TOKEN', 'local-dev-admin-token', true],
    ['the agent development value', 'NAS_AGENT_TOKEN', 'local-dev-nas-agent-token', true],
    ['the admin development value as the agent token', 'NAS_AGENT_TOKEN', 'local-dev-admin-token', 'too_short'],
    ['the agent development value as the admin token', 'ADMIN_API_TOKEN', 'local-dev-nas-agent-token', 'too_short'],
  ];
  it.each(cases)('%s', (_name, secret, value, expected) => {
    const state = secretState(secret, value);
    expect(state.ok ? true : state.reason).toBe(expected);
  });

  it('the test suite runs with secrets long enough', () => {
    expect(env.ADMIN_API_TOKEN.length).toBeGreaterThanOrEqual(MIN_TOKEN_LENGTH);
    expect(env.NAS_AGENT_TOKEN.length).toBeGreaterThanOrEqual(MIN_TOKEN_LENGTH);
  });
});

// ---- over HTTP -------------------------------------------------------------------------------------

const used: string[] = [];
const client = () => {
  const ip = newClientIp();
  used.push(ip);
  return ip;
};
afterEach(async () => {
  await forgetAuthFailures(used.splice(0));
});

const admin = (ip: string, token: string = env.ADMIN_API_TOKEN) =>
  adminFetch('GET', '/users', { token, headers: { 'cf-connecting-ip': ip } });
/** A NAS agent call that passes the token check with the right token (404: no such request). */
const agent = (ip: string, token: string = env.NAS_AGENT_TOKEN) =>
  call('POST', `/api/linebot/nas/send-requests/${crypto.randomUUID()}/failure`, {
    token,
    headers: { 'cf-connecting-ip': ip, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'missing' }),
  });

const auditOf = (ip: string) =>
  withDb(
    async (db) =>
      (
        await db.execute<{ action: string; via: string; details: Record<string, unknown> }>(
          sql`SELECT action, via, details FROM audit_log WHERE client = ${ip} ORDER BY id`,
        )
      ).rows,
  );

describe('the management API', () => {
  it(`${AUTH_LIMIT.perClient} wrong tokens, then 429 with Retry-After even for the right token; another client is unaffected`, async () => {
    const ip = client();
    expect((await admin(ip)).status).toBe(200);
    for (let i = 0; i < AUTH_LIMIT.perClient; i++) expect((await admin(ip, `wrong-${i}`)).status).toBe(401);
    const limited = await admin(ip);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    const wait = Number(limited.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(14 * 60);
    expect(wait).toBeLessThanOrEqual(15 * 60);
    // Refused before the token is compared: nothing more is recorded.
    expect((await admin(ip, 'wrong-again')).status).toBe(429);
    const rows = await withDb((db) => db.select().from(authFailures).where(sql`${authFailures.client} = ${ip}`));
    expect(rows).toHaveLength(AUTH_LIMIT.perClient);
    expect(rows.every((r) => r.surface === 'admin')).toBe(true);
    // Another client is unaffected.
    expect((await admin(client())).status).toBe(200);
    // Audited once, when the limit was reached (not per refusal).
    expect(await auditOf(ip)).toEqual([
      { action: 'auth.rate_limited', via: 'api', details: { surface: 'admin', scope: 'client', windowMinutes: 15 } },
    ]);
  });

  it('parallel wrong tokens from one client: never more than the limit compared and recorded', async () => {
    const ip = client();
    const answers = await Promise.all(
      Array.from({ length: 3 * AUTH_LIMIT.perClient }, (_, i) => admin(ip, `burst-${i}`)),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(AUTH_LIMIT.perClient);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2 * AUTH_LIMIT.perClient);
    const rows = await withDb((db) => db.select().from(authFailures).where(sql`${authFailures.client} = ${ip}`));
    expect(rows).toHaveLength(AUTH_LIMIT.perClient);
  });

  it('Retry-After is the time until the oldest counted failure leaves the window (Postgres clock)', async () => {
    const ip = client();
    await withDb((db) =>
      db.execute(sql`INSERT INTO auth_failures (surface, client, at)
        SELECT 'admin', ${ip}, now() - make_interval(mins => 10) + make_interval(secs => g) FROM generate_series(1, 10) g`),
    );
    const limited = await admin(ip);
    expect(limited.status).toBe(429);
    // The oldest of the ten is 10 minutes minus 1 s old: it leaves in 5 minutes and 1 s.
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(299);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(302);
    // Failures older than the window do not count.
    const old = client();
    await withDb((db) =>
      db.execute(
        sql`INSERT INTO auth_failures (surface, client, at) SELECT 'admin', ${old}, now() - make_interval(mins => 16) FROM generate_series(1, 10)`,
      ),
    );
    expect((await admin(old)).status).toBe(200);
  });
});

describe('the NAS agent routes', () => {
  it(`${AUTH_LIMIT.perClient} wrong tokens, then 429 with Retry-After even for the right token`, async () => {
    const ip = client();
    expect((await agent(ip)).status).toBe(404);
    for (let i = 0; i < AUTH_LIMIT.perClient; i++) expect((await agent(ip, `wrong-${i}`)).status).toBe(401);
    const limited = await agent(ip);
    expect(limited.status).toBe(429);
    expect(limited.json()).toEqual({ error: 'rate_limited', message: expect.any(String) });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect((await agent(client())).status).toBe(404);
    expect(await auditOf(ip)).toEqual([
      { action: 'auth.rate_limited', via: 'nas', details: { surface: 'nas', scope: 'client', windowMinutes: 15 } },
    ]);
  });
});

describe('one limiter for every surface', () => {
  it('wrong tokens on the API and the NAS routes count together, and lock the client out of both', async () => {
    const ip = client();
    for (let i = 0; i < AUTH_LIMIT.perClient / 2; i++) expect((await admin(ip, `wrong-${i}`)).status).toBe(401);
    for (let i = 0; i < AUTH_LIMIT.perClient / 2; i++) expect((await agent(ip, `wrong-${i}`)).status).toBe(401);
    expect((await admin(ip)).status).toBe(429);
    expect((await agent(ip)).status).toBe(429);
  });

  it('without CF-Connecting-IP the client is the one shared bucket "unknown"', async () => {
    // Counted, never tripped here (other tests may share that bucket): one failure, forgotten at once.
    const res = await adminFetch('GET', '/users', { token: 'wrong', headers: { 'CF-Connecting-IP': '' } });
    expect(res.status).toBe(401);
    const rows = await withDb((db) =>
      db
        .delete(authFailures)
        .where(sql`${authFailures.client} = 'unknown' AND ${authFailures.at} > now() - interval '1 minute'`)
        .returning(),
    );
    expect(rows.length).toBeGreaterThanOrEqual(1);
  });
});

describe('without the database', () => {
  it('no token can be checked: 503, the right one included (nothing is compared without the count)', async () => {
    const down = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' };
    for (const token of [env.ADMIN_API_TOKEN, 'wrong']) {
      const res = await adminFetch('GET', '/users', { token, env: down, headers: { 'cf-connecting-ip': client() } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: 'database_unavailable' } });
    }
    const nas = await call('POST', `/api/linebot/nas/send-requests/${crypto.randomUUID()}/failure`, {
      env: down,
      headers: { 'cf-connecting-ip': client() },
    });
    expect(nas.status).toBe(503);
    expect(nas.json()).toEqual({ error: 'database_unavailable', message: expect.any(String) });
  });
});

describe('the Cron Trigger', () => {
  it('deletes failures older than a day, keeps the recent ones', async () => {
    const [old, recent] = [client(), client()];
    await withDb((db) =>
      db.execute(
        sql`INSERT INTO auth_failures (surface, client, at) VALUES ('admin', ${old}, now() - interval '25 hours'), ('nas', ${recent}, now() - interval '23 hours')`,
      ),
    );
    await runCron();
    const left = await withDb((db) =>
      db
        .select({ client: authFailures.client })
        .from(authFailures)
        .where(sql`${authFailures.client} IN (${old}, ${recent})`),
    );
    expect(left).toEqual([{ client: recent }]);
    // Nothing left to delete of these: the function says how many it deleted.
    expect(await withDb((db) => pruneAuthFailures(db))).toBeGreaterThanOrEqual(0);
  });
});

// ---- anonymous routes: share links ---------------------------------------------------------------

describe('guessing share links', () => {
  const unknownToken = () =>
    btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))))
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_');
  const get = (path: string, ip: string, env?: Partial<Env>) =>
    call('GET', path, { token: null, headers: { 'cf-connecting-ip': ip }, env });
  const DOWN = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' };

  it(`${SHARE_MISS_LIMIT.limit} unknown tokens a minute per client, then 429 without touching the database; other clients unaffected`, async () => {
    const file = { name: '報價單.pdf', contentType: 'application/pdf', bytes: bytesOf(20) };
    const { token } = await seedShareLink(file);
    let ip: string;
    // The binding counts in fixed minutes: a run that crossed one is repeated with a new client.
    for (;;) {
      ip = newClientIp();
      const minute = Math.floor(Date.now() / 60_000);
      for (let i = 0; i < SHARE_MISS_LIMIT.limit; i++) {
        expect((await get(`/s/${unknownToken()}${i % 2 ? '/preview' : ''}`, ip)).status).toBe(404);
      }
      // A known link does not count: a video played by ranges looks its link up again and again.
      expect((await get(`/s/${token}`, ip)).status).toBe(200);
      const over = await get(`/s/${unknownToken()}`, ip);
      if (Math.floor(Date.now() / 60_000) !== minute) continue;
      expect(over.status).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      break;
    }
    // From now on this client is refused before any lookup: a real link too, and with the database
    // away it is still 429, not the 503 a lookup would have met.
    expect((await get(`/s/${token}`, ip)).status).toBe(429);
    expect((await get(`/s/${unknownToken()}`, ip, DOWN)).status).toBe(429);
    // Another client: its own budget.
    const other = newClientIp();
    expect((await get(`/s/${token}`, other)).status).toBe(200);
    expect((await get(`/s/${unknownToken()}`, other)).status).toBe(404);
    expect((await get(`/s/${unknownToken()}`, other, DOWN)).status).toBe(503);
  });
});
