/**
 * A WebSocket-to-TCP byte pipe so the Neon serverless driver can reach a plain Postgres
 * (local development and tests; Neon runs its own proxy in production). Neon's wsproxy
 * semantics: the path is ignored and `?address=host:port` names the target. On the same port,
 * `POST /sql` answers the driver's HTTP queries (`neon()`), as Neon's endpoint does
 * (./sql-over-http.ts).
 */
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import net from 'node:net';
import type { WebSocket, WebSocketServer as WebSocketServerType } from 'ws';
import {
  FrontendFramer,
  GSSENC_REQUEST,
  roundTripKind,
  SSL_REQUEST,
  zeroCounts,
  type FrontendMessage,
  type RoundTripCounts,
} from './pg-wire.ts';
import { sqlOverHttp } from './sql-over-http.ts';
import { delayedSender } from './tcp-delay-proxy.ts';

// Loaded through Node's resolver: bundlers (vitest's module runner) may pick ws's browser stub.
const { WebSocketServer } = createRequire(import.meta.url)('ws') as { WebSocketServer: typeof WebSocketServerType };

export interface WsProxy {
  port: number;
  /** The value for DB_WS_PROXY: `host:port/path`, without a scheme. */
  address: string;
  /** How many Postgres connections it has opened since start (for benchmarks). */
  connections(): number;
  /**
   * Round trips the clients made to Postgres (with `countRoundTrips`): counted on the wire, from
   * the messages the clients sent, since start or `resetCounts()`.
   */
  counts(): RoundTripCounts;
  resetCounts(): void;
  /** Delay of everything Postgres sends, from now on (see `WsProxyOptions.delayMs`). */
  setDelay(ms: number): void;
  /**
   * With `countRoundTrips`: follow each new connection until the answer to the first statement
   * matching `statement` (the Worker's inbox INSERT, for the bench), and record its critical path.
   */
  traceUntil(statement: RegExp | undefined): void;
  /** One entry per connection that reached the traced statement's answer, since start or `resetCounts()`. */
  criticalPaths(): CriticalPath[];
  close(): Promise<void>;
}

/**
 * A connection's way to the answer of the traced statement, measured on the wire. A flight is what
 * the client sends without having received anything in between: pipelined messages share one.
 * A statement sent over HTTP (`POST /sql`) is one round trip, from its request to its answer.
 */
export interface CriticalPath {
  /** Whether the statement came over HTTP (`POST /sql`) rather than a WebSocket. */
  http: boolean;
  /** Flights up to and including the statement's, the WebSocket open (upgrade request, 101) counted as one. */
  roundTrips: number;
  /** From the upgrade request (or the HTTP request) to the statement's answer handed to the client. */
  ms: number;
}

/**
 * Closing the WebSocket the moment Postgres closes TCP makes workerd report "Network connection
 * lost" on the pool's idle client; a short grace period lets the driver finish first.
 */
const CLOSE_GRACE_MS = 500;
/**
 * When Postgres refused the connection there is no client to let finish, but a close before the
 * driver's startup message has gone out makes workerd throw "send() after close()" in the driver.
 */
const REFUSED_CLOSE_MS = 50;

export interface WsProxyOptions {
  port?: number;
  host?: string;
  allowedHosts?: string[];
  /** Parse what clients send to count round trips (costs a little CPU; benchmarks turn it on). */
  countRoundTrips?: boolean;
  /**
   * Distance to the database (benchmarks): the whole round trip's delay is put on what the server
   * sends, so every flight the client waits on costs `delayMs` once, and so does the WebSocket
   * open (its 101 answer is held back). TCP and TLS handshakes to a real endpoint are not modelled.
   */
  delayMs?: number;
}

export async function startWsProxy(options: WsProxyOptions = {}): Promise<WsProxy> {
  const host = options.host ?? '127.0.0.1';
  const allowed = new Set(options.allowedHosts ?? ['127.0.0.1', 'localhost', '::1']);
  let delayMs = options.delayMs ?? 0;
  let traced: RegExp | undefined;
  let paths: CriticalPath[] = [];
  const openedAt = new WeakMap<object, number>();
  // Neon's SQL over HTTP beside the WebSocket proxy, on the same port, as at Neon.
  const sql = sqlOverHttp({
    allowedHosts: allowed,
    delayMs: () => delayMs,
    // A request is one round trip and one batch; the open connections behind it are the endpoint's.
    observe: (queries, ms) => {
      if (!options.countRoundTrips) return;
      counts.query++;
      if (traced && queries.some((q) => traced!.test(q))) paths.push({ http: true, roundTrips: 1, ms });
    },
  });
  const http = createServer((req, res) => {
    if (req.method === 'POST' && new URL(req.url ?? '/', 'http://proxy').pathname === '/sql')
      return sql.handle(req, res);
    res.writeHead(404).end();
  });
  const server = new WebSocketServer({
    server: http,
    // The open's round trip: the 101 goes out `delayMs` after the upgrade request came in.
    verifyClient: (info: { req: object }, accept: (ok: boolean) => void) => {
      openedAt.set(info.req, performance.now());
      if (delayMs > 0) setTimeout(() => accept(true), delayMs);
      else accept(true);
    },
  });
  let opened = 0;
  let counts = zeroCounts();
  const sockets = new Set<net.Socket>();

  server.on('connection', (ws: WebSocket, req) => {
    const target = new URL(req.url ?? '/', 'ws://proxy').searchParams.get('address') ?? '';
    const match = /^(.+):(\d+)$/.exec(target);
    // Only local targets: this proxy must never become an open relay.
    if (!match || !allowed.has(match[1]!)) {
      ws.close(1008, 'address not allowed');
      return;
    }
    opened++;
    counts.connections++;
    let framer = options.countRoundTrips ? new FrontendFramer() : undefined;
    let trace = framer && traced ? new Trace(traced, openedAt.get(req) ?? performance.now(), paths) : undefined;
    const count = (data: Buffer) => {
      try {
        trace?.clientSent();
        for (const m of framer!.push(data)) {
          const kind = roundTripKind(m);
          if (kind) counts[kind]++;
          if (trace && !trace.clientMessage(m, kind)) trace = undefined;
        }
      } catch {
        framer = undefined; // not Postgres as we know it: stop counting, keep piping
        trace = undefined;
      }
    };
    const toClient = delayedSender(
      (data) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(data);
        if (trace && !trace.serverAnswered(data)) trace = undefined;
      },
      () => delayMs,
    );
    const tcp = net.connect({ host: match[1]!, port: Number(match[2]) });
    sockets.add(tcp);
    tcp.setNoDelay(true);
    const pending: Buffer[] = [];
    let connected = false;
    tcp.on('connect', () => {
      connected = true;
      for (const chunk of pending) tcp.write(chunk);
      pending.length = 0;
    });
    ws.on('message', (data: Buffer) => {
      if (framer) count(data);
      if (tcp.connecting) pending.push(data);
      else tcp.write(data);
    });
    tcp.on('data', toClient);
    // After whatever the delay still holds.
    const closeWs = () => setTimeout(() => ws.readyState === ws.OPEN && ws.close(), CLOSE_GRACE_MS + delayMs);
    tcp.on('close', () => {
      sockets.delete(tcp);
      // A target that refused has no client to finish: only the driver's first flight to let through.
      if (connected) closeWs();
      else setTimeout(() => ws.readyState === ws.OPEN && ws.close(1011, 'database refused'), REFUSED_CLOSE_MS);
    });
    tcp.on('error', () => tcp.destroy());
    ws.on('close', () => tcp.end());
    ws.on('error', () => tcp.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, resolve);
  });
  const port = (http.address() as net.AddressInfo).port;
  return {
    port,
    address: `${host}:${port}/v2`,
    connections: () => opened,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      counts = zeroCounts();
      // Connections already open keep appending to the old list: only new ones count.
      paths = [];
    },
    setDelay: (ms) => {
      delayMs = Math.max(0, ms);
    },
    traceUntil: (statement) => {
      traced = statement;
    },
    criticalPaths: () => [...paths],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        for (const client of server.clients) client.terminate();
        server.close(() => {
          http.closeAllConnections();
          http.close(() => void sql.close().then(resolve));
        });
      }),
  };
}

/**
 * One connection followed until the answer to its first statement matching `statement`. Each
 * method returns false once there is nothing more to follow (answered, or a stream it cannot read).
 */
class Trace {
  /** The open is the first round trip; its 101 has been sent when the connection is reported. */
  private flights = 1;
  private answered = true;
  /** Sync and Query messages sent: each is answered by one ReadyForQuery. */
  private batches = 0;
  private matched = false;
  private target: { batch: number; flight: number } | undefined;
  private readonly ready = new ReadyForQueryCounter();

  constructor(
    private readonly statement: RegExp,
    private readonly openedAt: number,
    private readonly out: CriticalPath[],
  ) {}

  /** Bytes from the client: a new flight if it had received something since it last sent. */
  clientSent(): void {
    if (this.answered) this.flights++;
    this.answered = false;
  }

  clientMessage(m: FrontendMessage, kind: 'query' | 'handshake' | null): boolean {
    // An encrypted stream's answer starts with one byte we would misread.
    if (m.type === '' && (m.code === SSL_REQUEST || m.code === GSSENC_REQUEST)) return false;
    if (this.target) return true;
    if ((m.type === 'P' || m.type === 'Q') && this.statement.test(statementText(m))) this.matched = true;
    if (kind === 'query') {
      this.batches++;
      if (this.matched) this.target = { batch: this.batches, flight: this.flights };
    }
    return true;
  }

  serverAnswered(data: Buffer): boolean {
    this.answered = true;
    this.ready.push(data);
    // The login ends with one ReadyForQuery of its own, then one per batch.
    if (!this.target || this.ready.count < 1 + this.target.batch) return true;
    this.out.push({ http: false, roundTrips: this.target.flight, ms: performance.now() - this.openedAt });
    return false;
  }
}

/**
 * The statement of a Parse (name, then text) or a simple Query message, its first 400 bytes: enough
 * for the inbox INSERT and the intake function's call (src/events/handlers/message.ts), which both
 * name what they do at once.
 */
function statementText(m: FrontendMessage): string {
  let start = 5;
  if (m.type === 'P') start = m.bytes.indexOf(0, 5) + 1;
  return m.bytes.subarray(start, Math.min(m.bytes.length, start + 400)).toString('utf8');
}

/** Counts ReadyForQuery ('Z') in the backend stream, reading only each message's type and length. */
class ReadyForQueryCounter {
  count = 0;
  private skip = 0;
  private header: number[] = [];

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.header.push(chunk[i++]!);
      if (this.header.length < 5) continue;
      const [type, a, b, c, d] = this.header as [number, number, number, number, number];
      if (type === 0x5a) this.count++;
      this.skip = ((a << 24) | (b << 16) | (c << 8) | d) - 4;
      this.header = [];
    }
  }
}
