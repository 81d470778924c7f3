/**
 * PGlite over the Postgres wire protocol, for many concurrent clients (the Worker opens a pool per
 * request, the sender and the bench read alongside).
 *
 * PGlite is one backend session. @electric-sql/pglite-socket (0.2.x) multiplexes clients per
 * *message*, so two clients' Parse/Bind/Execute batches interleave and clobber each other's unnamed
 * statement, and one internal throw wedges its queue for good (electric-sql/pglite#1046). Here a
 * client owns the session from its first message until its ReadyForQuery says "idle": a whole
 * extended-query batch, or a whole transaction, runs before anyone else's. The lock is always
 * released (rollback on disconnect), and a client idle inside a transaction for too long is cut
 * off, as Postgres' idle_in_transaction_session_timeout would.
 */
import type { PGlite } from '@electric-sql/pglite';
import net from 'node:net';
import {
  CANCEL_REQUEST,
  FrontendFramer,
  GSSENC_REQUEST,
  roundTripKind,
  SSL_REQUEST,
  zeroCounts,
  type FrontendMessage,
  type RoundTripCounts,
} from '../lib/pg-wire.ts';

export interface PgliteServerOptions {
  /**
   * The database, or its promise: the server can listen while PGlite is still opening and
   * migrating, and a client that connects meanwhile waits for it (`npm run dev` starts the Worker
   * in parallel). A rejected promise closes such clients.
   */
  db: PGlite | Promise<PGlite>;
  port?: number;
  host?: string;
  /** A client holding the session idle inside a transaction longer than this is disconnected. */
  idleInTransactionMs?: number;
  log?: (line: string) => void;
}

export interface PgliteServer {
  host: string;
  port: number;
  /**
   * A URL for pg, drizzle-kit or the Neon driver. No password: PGlite logs anyone in without
   * asking for one, and a password in the URL makes the Worker pipeline a cleartext-password
   * login (src/db/client.ts), which a server that never asks for it cannot follow.
   */
  url: string;
  /** Client connections and round trips since start (or since `resetCounts`). */
  counts(): RoundTripCounts;
  resetCounts(): void;
  close(): Promise<void>;
}

const SYNC = Buffer.from([0x53, 0, 0, 0, 4]); // 'S', length 4
const ROLLBACK = simpleQuery('ROLLBACK');

export async function startPgliteServer(options: PgliteServerOptions): Promise<PgliteServer> {
  const opened = Promise.resolve(options.db);
  /** Set once `opened` resolves; every use of it follows an `exec`, which waits for that. */
  let db: PGlite | undefined;
  opened.then(
    (d) => (db = d),
    () => {}, // the owner of the promise reports the failure; clients see their connection closed
  );
  const host = options.host ?? '127.0.0.1';
  const idleInTransactionMs = options.idleInTransactionMs ?? 30_000;
  const log = options.log ?? (() => {});
  const session = new SessionLock();
  let counts = zeroCounts();
  const sockets = new Set<net.Socket>();

  /** Runs bytes in the single backend; output goes to `write` (undefined: discard). */
  const exec = async (bytes: Uint8Array, write?: (out: Uint8Array) => void): Promise<Uint8Array> => {
    const chunks: Uint8Array[] = [];
    const db = await opened;
    await db.execProtocolRawStream(bytes, { onRawData: (out) => chunks.push(out.slice()) });
    const out = Buffer.concat(chunks);
    if (write && out.length > 0) write(out);
    return out;
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    counts.connections++;
    socket.setNoDelay(true);
    const framer = new FrontendFramer();
    const owner = Symbol('client');
    let batch: Buffer[] = [];
    /** Inside a transaction or an unfinished extended batch: we hold the session. */
    let holding = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let chain: Promise<void> = Promise.resolve();
    let closed = false;

    const write = (out: Uint8Array) => {
      if (!socket.destroyed) socket.write(out);
    };

    const release = () => {
      clearTimeout(idleTimer);
      if (holding) session.release(owner);
      holding = false;
    };

    /** Leaves the backend clean for the next client: end a half-sent batch, roll back. */
    const abandon = async () => {
      if (!holding) return;
      try {
        if (batch.length > 0 || db?.isInTransaction()) {
          await exec(SYNC);
          await exec(ROLLBACK);
        }
      } catch (e) {
        log(`embedded postgres: cleanup after a client failed: ${(e as Error).message}`);
      } finally {
        batch = [];
        release();
      }
    };

    const run = async (messages: FrontendMessage[]) => {
      for (const m of messages) {
        if (closed) return;
        const kind = roundTripKind(m);
        if (kind) counts[kind]++;
        if (m.type === '') {
          // Startup phase: no TLS or GSS here (the client goes on in cleartext); cancel is not supported.
          if (m.code === SSL_REQUEST || m.code === GSSENC_REQUEST) write(Buffer.from('N'));
          else if (m.code === CANCEL_REQUEST) socket.end();
          else {
            await session.acquire(owner);
            try {
              await exec(m.bytes, write);
            } finally {
              session.release(owner);
            }
          }
          continue;
        }
        if (m.type === 'X') {
          // Terminate ends this client, not the one backend everyone shares.
          socket.end();
          return;
        }
        batch.push(m.bytes);
        // Parse/Bind/Describe/Execute wait for their Sync; Flush asks for output so far.
        if (m.type !== 'S' && m.type !== 'Q' && m.type !== 'H') continue;
        if (!holding) {
          await session.acquire(owner);
          holding = true;
        }
        clearTimeout(idleTimer);
        const bytes = Buffer.concat(batch);
        batch = [];
        const out = await exec(bytes, write);
        if (m.type === 'H') continue; // mid-batch: keep the session until the Sync
        const status = readyStatus(out) ?? (db?.isInTransaction() ? 'T' : 'I');
        if (status === 'I') release();
        else
          idleTimer = setTimeout(() => {
            log('embedded postgres: a client sat idle inside a transaction too long; disconnecting it');
            socket.destroy();
          }, idleInTransactionMs);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      let messages: FrontendMessage[];
      try {
        messages = framer.push(chunk);
      } catch (e) {
        log(`embedded postgres: ${(e as Error).message}; closing that connection`);
        socket.destroy();
        return;
      }
      if (messages.length === 0) return;
      chain = chain
        .then(() => run(messages))
        .catch((e: unknown) => {
          log(`embedded postgres: ${(e as Error).message}`);
          socket.destroy();
        });
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      closed = true;
      sockets.delete(socket);
      clearTimeout(idleTimer);
      chain = chain.then(abandon, abandon);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    url: `postgres://postgres@${host}:${port}/postgres`,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      counts = zeroCounts();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The transaction status of the last ReadyForQuery ('Z') in a chunk of backend output. */
function readyStatus(out: Uint8Array): string | undefined {
  // ReadyForQuery is the last message of a Sync's or Query's answer: 'Z', int32 5, status.
  const n = out.length;
  if (n >= 6 && out[n - 6] === 0x5a && out[n - 2] === 5) return String.fromCharCode(out[n - 1]!);
  return undefined;
}

function simpleQuery(sql: string): Buffer {
  const text = Buffer.from(`${sql}\0`);
  const head = Buffer.alloc(5);
  head[0] = 0x51; // 'Q'
  head.writeInt32BE(4 + text.length, 1);
  return Buffer.concat([head, text]);
}

/** The backend session: one owner at a time, the others wait their turn in order. */
class SessionLock {
  private owner: symbol | undefined;
  private waiters: Array<{ owner: symbol; resume: () => void }> = [];

  async acquire(owner: symbol): Promise<void> {
    if (this.owner === owner) return;
    if (this.owner === undefined) {
      this.owner = owner;
      return;
    }
    await new Promise<void>((resume) => this.waiters.push({ owner, resume }));
  }

  release(owner: symbol): void {
    if (this.owner !== owner) return;
    const next = this.waiters.shift();
    this.owner = next?.owner;
    next?.resume();
  }
}
