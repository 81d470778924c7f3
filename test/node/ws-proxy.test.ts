/** The WebSocket-to-TCP proxy and its SQL-over-HTTP endpoint refuse targets other than local Postgres, and speak as Neon does. */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWsProxy, type WsProxy } from '../../scripts/lib/ws-proxy.ts';

const { WebSocket } = createRequire(import.meta.url)('ws') as typeof import('ws');

let proxy: WsProxy;
beforeAll(async () => {
  proxy = await startWsProxy();
});
afterAll(() => proxy.close());

const closeCode = (address: string) =>
  new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://${proxy.address}?address=${address}`);
    ws.on('close', (code) => resolve(code));
    ws.on('error', () => {});
  });

describe('ws proxy', () => {
  it('refuses a non-local target (never an open relay)', async () => {
    expect(await closeCode('example.com:5432')).toBe(1008);
    expect(await closeCode('garbage')).toBe(1008);
  });

  it('pipes bytes to a local Postgres', async () => {
    const ws = new WebSocket(`ws://${proxy.address}?address=127.0.0.1:5432`);
    await new Promise((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    });
    // SSLRequest: Postgres answers a single byte, 'N' (no TLS on this socket) or 'S'.
    const answer = new Promise<Buffer>((resolve) => ws.once('message', (d: Buffer) => resolve(d)));
    ws.send(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
    expect(['N', 'S']).toContain((await answer).toString());
    ws.close();
    expect(proxy.connections()).toBeGreaterThanOrEqual(1);
  });
});

describe('SQL over HTTP (POST /sql, as Neon serves it beside its proxy)', () => {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const endpoint = () => `http://${proxy.address.split('/')[0]}/sql`;
  const sqlOn = async (url: string) => {
    const { neon, neonConfig } = await import('@neondatabase/serverless');
    neonConfig.fetchEndpoint = endpoint;
    return neon(url, { disableWarningInBrowsers: true });
  };
  const post = (headers: Record<string, string>, body: string) =>
    fetch(endpoint(), { method: 'POST', headers, body }).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }));

  it("answers the driver's queries with Postgres' text, which the driver parses by type", async () => {
    const sql = await sqlOn(adminUrl);
    const [row] = await sql.query(
      `select $1::int as n, $2::text as t, $3::jsonb as j, $4::bool as b, null::text as z, now() as at,
              $5::timestamptz as given`,
      [41, '工地 ☕', JSON.stringify({ a: [1, 2] }), true, '2026-12-07T01:02:03.456789Z'],
    );
    expect(row).toMatchObject({ n: 41, t: '工地 ☕', j: { a: [1, 2] }, b: true, z: null });
    expect(row!.at).toBeInstanceOf(Date);
    expect((row!.given as Date).toISOString()).toBe('2026-12-07T01:02:03.456Z');
  });

  it("passes Postgres' errors on with their SQLSTATE, as the driver's callers read them", async () => {
    const sql = await sqlOn(adminUrl);
    const error = await sql.query('select 1 / $1::int', [0]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '22012', message: expect.stringContaining('division by zero') });
  });

  it('runs a batch in one transaction: a failing statement takes the batch back', async () => {
    const sql = await sqlOn(adminUrl);
    const table = `sql_http_batch_${process.pid}_${Date.now()}`;
    await sql.query(`create table ${table} (n int primary key)`);
    try {
      const failed = await sql
        .transaction([sql.query(`insert into ${table} values (1)`), sql.query(`insert into ${table} values (1)`)])
        .catch((e: unknown) => e);
      expect(failed).toMatchObject({ code: '23505' });
      expect(await sql.query(`select count(*)::int as n from ${table}`)).toEqual([{ n: 0 }]);
      await sql.transaction([
        sql.query(`insert into ${table} values (1)`),
        sql.query(`insert into ${table} values (2)`),
      ]);
      expect(await sql.query(`select count(*)::int as n from ${table}`)).toEqual([{ n: 2 }]);
    } finally {
      await sql.query(`drop table ${table}`);
    }
  });

  it('a database that cannot be reached is an error without a SQLSTATE (not mistaken for a refused statement)', async () => {
    const sql = await sqlOn('postgres://postgres@127.0.0.1:1/nothing');
    const error = (await sql.query('select 1').catch((e: unknown) => e)) as { code?: unknown; message: string };
    expect(error.message).toContain('could not reach the database');
    expect(error.code).toBeUndefined();
  });

  it('refuses a non-local target, a body that is not JSON and a query without text (never an open relay)', async () => {
    const headers = { 'neon-connection-string': 'postgres://postgres@example.com:5432/postgres' };
    expect(await post(headers, JSON.stringify({ query: 'select 1', params: [] }))).toMatchObject({
      status: 400,
      body: { message: 'host not allowed' },
    });
    const local = { 'neon-connection-string': adminUrl };
    expect((await post(local, '{not json')).status).toBe(400);
    expect((await post({}, JSON.stringify({ query: 'select 1' }))).status).toBe(400);
    expect((await post(local, JSON.stringify({ query: 42 }))).status).toBe(400);
    expect((await post(local, JSON.stringify({ queries: [{ query: 'select 1', params: 'x' }] }))).status).toBe(400);
    const other = await fetch(endpoint().replace('/sql', '/other'), { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
  });
});
