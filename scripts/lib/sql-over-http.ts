/**
 * Neon's SQL-over-HTTP endpoint (`POST /sql`), as the serverless driver's `neon()` speaks it, for
 * local development, tests and benchmarks: Neon serves it beside its WebSocket proxy, and so does
 * ours (scripts/lib/ws-proxy.ts). Each connection string gets a small `pg` pool kept open, as
 * Neon's proxy keeps its connections: a one-statement query costs one HTTP round trip.
 *
 * The protocol: JSON `{ query, params }`, or `{ queries: [...] }` run in one transaction, with the
 * connection string in `Neon-Connection-String`. Rows come back as arrays of Postgres' text values
 * beside their fields' type OIDs; the driver parses them itself. A Postgres error is a 400 whose
 * JSON carries the error's fields (`code`, `detail`, ...) as the driver expects; a database that
 * cannot be reached is a 502 without a SQLSTATE.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import pg from 'pg';
import { isPostgresError } from '../../src/db/errors.ts';

/** The longest body taken: the driver sends one statement, or one batch, per request. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Connections kept per connection string; every request shares them, as at Neon. */
const POOL_SIZE = 10;
/** What Postgres' errors carry, passed on under the same names (pg's DatabaseError fields). */
const ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;

interface QueryData {
  query: string;
  params?: unknown[];
}

export interface SqlOverHttpOptions {
  /** Hosts a connection string may name: this endpoint must never become an open relay. */
  allowedHosts: ReadonlySet<string>;
  /** Distance to the database (benchmarks): each answer is held back this long, one round trip. */
  delayMs: () => number;
  /** Called once per answered request that ran statements: their text, and the time to the answer (benchmarks). */
  observe?: (queries: string[], ms: number) => void;
}

interface Answer {
  status: number;
  body: unknown;
  /** The statements run, when any were. */
  ran?: string[];
}

export interface SqlOverHttp {
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export function sqlOverHttp(options: SqlOverHttpOptions): SqlOverHttp {
  const pools = new Map<string, pg.Pool>();
  const poolFor = (connectionString: string): pg.Pool => {
    let pool = pools.get(connectionString);
    if (!pool) {
      pool = new pg.Pool({
        connectionString,
        max: POOL_SIZE,
        // Text out, as Neon's endpoint answers: the driver applies its own type parsers.
        types: { getTypeParser: () => (value: string) => value },
      });
      pool.on('error', () => {}); // an idle connection that drops is replaced on the next query
      pools.set(connectionString, pool);
    }
    return pool;
  };

  const run = async (client: pg.PoolClient, q: QueryData) => {
    const result = await client.query({ text: q.query, values: q.params ?? [], rowMode: 'array' });
    return {
      command: result.command,
      rowCount: result.rowCount,
      rows: result.rows,
      fields: result.fields.map((f) => ({ ...f })),
      rowAsArray: true,
    };
  };

  /** Answers the request (`body` null: it was too large): the status, a JSON body, and `ran` when statements were run. */
  async function respond(req: IncomingMessage, body: Buffer | null): Promise<Answer> {
    if (!body) return { status: 413, body: { message: 'request body too large' } };
    const target = String(req.headers['neon-connection-string'] ?? '');
    let url: URL;
    let parsed: { query?: unknown; params?: unknown; queries?: unknown };
    try {
      url = new URL(target);
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return { status: 400, body: { message: 'expected a Neon-Connection-String header and a JSON body' } };
    }
    if (!options.allowedHosts.has(url.hostname)) return { status: 400, body: { message: 'host not allowed' } };
    const batch = Array.isArray(parsed?.queries);
    const queries = (batch ? parsed.queries : [parsed]) as QueryData[];
    if (!queries.every((q) => typeof q?.query === 'string' && (q.params === undefined || Array.isArray(q.params))))
      return { status: 400, body: { message: 'each query needs a string `query` and an array `params`' } };

    const postgresError = (error: unknown) => {
      const e = error as Record<string, unknown>;
      const fields = Object.fromEntries(ERROR_FIELDS.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]));
      return { status: 400, body: { message: String(e.message), ...fields } };
    };
    let client: pg.PoolClient;
    try {
      client = await poolFor(target).connect();
    } catch (error) {
      // Postgres refused the login (a wrong database or password): its own error.
      if (isPostgresError(error)) return postgresError(error);
      return { status: 502, body: { message: `could not reach the database: ${(error as Error).message}` } };
    }
    const ran = queries.map((q) => q.query);
    try {
      if (!batch) return { status: 200, body: await run(client, queries[0]!), ran };
      await client.query('begin');
      const results = [];
      for (const q of queries) results.push(await run(client, q));
      await client.query('commit');
      return { status: 200, body: { results }, ran };
    } catch (error) {
      if (batch) await client.query('rollback').catch(() => {});
      return { ...postgresError(error), ran };
    } finally {
      client.release();
    }
  }

  return {
    handle(req, res) {
      const started = performance.now();
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      });
      req.on('end', () => {
        void respond(req, size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)).then(({ status, body, ran }) => {
          const send = () => {
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(body));
            if (ran) options.observe?.(ran, performance.now() - started);
          };
          const ms = options.delayMs();
          if (ms > 0) setTimeout(send, ms);
          else send();
        });
      });
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.end()));
      pools.clear();
    },
  };
}
