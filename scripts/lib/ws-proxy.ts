/**
 * A WebSocket-to-TCP byte pipe so the Neon serverless driver can reach a plain Postgres
 * (local development and tests; Neon runs its own proxy in production). Neon's wsproxy
 * semantics: the path is ignored and `?address=host:port` names the target.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import type { WebSocket, WebSocketServer as WebSocketServerType } from 'ws';
import { FrontendFramer, roundTripKind, zeroCounts, type RoundTripCounts } from './pg-wire.ts';

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
  close(): Promise<void>;
}

/**
 * Closing the WebSocket the moment Postgres closes TCP makes workerd report "Network connection
 * lost" on the pool's idle client; a short grace period lets the driver finish first.
 */
const CLOSE_GRACE_MS = 500;

export interface WsProxyOptions {
  port?: number;
  host?: string;
  allowedHosts?: string[];
  /** Parse what clients send to count round trips (costs a little CPU; benchmarks turn it on). */
  countRoundTrips?: boolean;
}

export async function startWsProxy(options: WsProxyOptions = {}): Promise<WsProxy> {
  const host = options.host ?? '127.0.0.1';
  const allowed = new Set(options.allowedHosts ?? ['127.0.0.1', 'localhost', '::1']);
  const server = new WebSocketServer({ host, port: options.port ?? 0 });
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
    const count = (data: Buffer) => {
      try {
        for (const m of framer!.push(data)) {
          const kind = roundTripKind(m);
          if (kind) counts[kind]++;
        }
      } catch {
        framer = undefined; // not Postgres as we know it: stop counting, keep piping
      }
    };
    const tcp = net.connect({ host: match[1]!, port: Number(match[2]) });
    sockets.add(tcp);
    tcp.setNoDelay(true);
    const pending: Buffer[] = [];
    tcp.on('connect', () => {
      for (const chunk of pending) tcp.write(chunk);
      pending.length = 0;
    });
    ws.on('message', (data: Buffer) => {
      if (framer) count(data);
      if (tcp.connecting) pending.push(data);
      else tcp.write(data);
    });
    tcp.on('data', (data) => ws.readyState === ws.OPEN && ws.send(data));
    const closeWs = () => setTimeout(() => ws.readyState === ws.OPEN && ws.close(), CLOSE_GRACE_MS);
    tcp.on('close', () => {
      sockets.delete(tcp);
      closeWs();
    });
    tcp.on('error', () => tcp.destroy());
    ws.on('close', () => tcp.end());
    ws.on('error', () => tcp.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    address: `${host}:${port}/v2`,
    connections: () => opened,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      counts = zeroCounts();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
