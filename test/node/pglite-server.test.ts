/**
 * The embedded Postgres' wire server: many clients on PGlite's one session without stepping on
 * each other (extended-query batches and transactions run whole), a client that disconnects
 * mid-transaction rolls back and frees the session, and round trips are counted on the wire —
 * here and in the WebSocket proxy the bench reads.
 */
import { PGlite } from '@electric-sql/pglite';
import { createRequire } from 'node:module';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrontendFramer, roundTripKind } from '../../scripts/lib/pg-wire.ts';
import { startWsProxy } from '../../scripts/lib/ws-proxy.ts';
import { startPgliteServer, type PgliteServer } from '../../scripts/local/pglite-server.ts';

let db: PGlite;
let server: PgliteServer;

beforeAll(async () => {
  db = await PGlite.create();
  server = await startPgliteServer({ db, idleInTransactionMs: 1_000 });
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query('create table t (id serial primary key, who int not null, n int not null)');
  await c.end();
});
afterAll(async () => {
  await server.close();
  await db.close();
});

const client = async () => {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  return c;
};

describe('PGlite wire server', () => {
  it('keeps concurrent clients apart: parameterised queries and transactions', async () => {
    const wrong: string[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, who) => {
        const c = await client();
        for (let i = 0; i < 25; i++) {
          // Each client's unnamed statement differs: an interleaved Bind would get someone else's.
          const r = await c.query(`select $1::int * ${who + 1} as x, $2::text as tag`, [i, `c${who}`]);
          if (r.rows[0].x !== i * (who + 1) || r.rows[0].tag !== `c${who}`) wrong.push(`${who}/${i}`);
          await c.query('begin');
          await c.query('insert into t (who, n) values ($1, $2)', [who, i]);
          const seen = await c.query('select count(*)::int as n from t where who = $1', [who]);
          if (seen.rows[0].n !== i + 1) wrong.push(`tx ${who}/${i}`);
          await c.query('commit');
        }
        await c.end();
      }),
    );
    expect(wrong).toEqual([]);
  });

  it('rolls back and frees the session when a client vanishes inside a transaction', async () => {
    const quitter = await client();
    await quitter.query('begin');
    await quitter.query('insert into t (who, n) values (99, 1)');
    (quitter as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    quitter.on('error', () => {});

    const other = await client();
    const { rows } = await other.query('select count(*)::int as n from t where who = 99');
    expect(rows[0].n).toBe(0);
    await other.end();
  });

  it('cuts off a client idle inside a transaction, so others are not blocked for good', async () => {
    const idle = await client();
    idle.on('error', () => {});
    await idle.query('begin');
    const started = Date.now();
    const other = await client();
    await other.query('select 1');
    expect(Date.now() - started).toBeLessThan(5_000);
    await other.end();
  });

  it('counts round trips: one per Sync or Query, handshakes apart', async () => {
    server.resetCounts();
    const c = await client();
    await c.query('select 1'); // simple protocol: Query
    await c.query('select $1::int', [1]); // extended: Parse/Bind/Describe/Execute/Sync
    await c.end();
    expect(server.counts()).toEqual({ connections: 1, handshake: 1, query: 2 });
  });
});

describe('frontend framing', () => {
  it('cuts a stream into messages however it is chunked', () => {
    const startup = Buffer.from([0, 0, 0, 8, 0, 3, 0, 0]);
    const query = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 13]), Buffer.from('select 1\0')]);
    const sync = Buffer.from([0x53, 0, 0, 0, 4]);
    const all = Buffer.concat([startup, query, sync]);
    for (const cut of [1, 3, 8, 9, 20, all.length]) {
      const f = new FrontendFramer();
      const messages = [...f.push(all.subarray(0, cut)), ...f.push(all.subarray(cut))];
      expect(messages.map((m) => m.type || `startup:${m.code}`)).toEqual(['startup:196608', 'Q', 'S']);
      expect(messages.map(roundTripKind)).toEqual(['handshake', 'query', 'query']);
    }
  });

  it('refuses a length that cannot be right instead of looping', () => {
    const f = new FrontendFramer();
    f.push(Buffer.from([0, 0, 0, 8, 0, 3, 0, 0]));
    expect(() => f.push(Buffer.from([0x51, 0, 0, 0, 0]))).toThrow(/malformed/);
  });

  it('the WebSocket proxy counts what crosses it', async () => {
    const { WebSocket } = createRequire(import.meta.url)('ws') as typeof import('ws');
    const proxy = await startWsProxy({ countRoundTrips: true });
    try {
      const ws = new WebSocket(`ws://${proxy.address}?address=127.0.0.1:${server.port}`);
      await new Promise((resolve, reject) => ws.on('open', resolve).on('error', reject));
      const answered = new Promise((resolve) => ws.once('message', resolve));
      // StartupMessage: protocol 3.0, user=postgres
      const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
      const startup = Buffer.alloc(8);
      startup.writeInt32BE(8 + params.length, 0);
      startup.writeInt32BE(196608, 4);
      ws.send(Buffer.concat([startup, params]));
      await answered;
      ws.close();
      expect(proxy.counts()).toEqual({ connections: 1, handshake: 1, query: 0 });
    } finally {
      await proxy.close();
    }
  });
});
