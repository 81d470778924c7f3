/**
 * A TCP pipe that delays what the server sends, modelling distance to the database (benchmarks):
 * the seed article's `pg` pool reaches Postgres (or PgBouncer) through it, as our Worker reaches
 * it through the WebSocket proxy, with the same delay model on both.
 *
 * The model: the whole round trip's delay on the server -> client direction (`delayMs` per answer),
 * so every client request that waits for an answer pays `delayMs` once. Opening a connection pays
 * it once as well (TCP's SYN / SYN-ACK): the client's first bytes are held back `delayMs` before the
 * upstream connection is made.
 */
import net from 'node:net';

export interface TcpDelayProxy {
  port: number;
  /** Connections opened since start. */
  connections(): number;
  setDelay(ms: number): void;
  close(): Promise<void>;
}

/**
 * Sends chunks `delay()` ms after they were handed in, in order, even when the delay changes
 * between chunks (one queue per direction, one timer at a time).
 */
export function delayedSender(send: (data: Buffer) => void, delay: () => number): (data: Buffer) => void {
  const queue: Array<{ due: number; data: Buffer }> = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    // Timers fire up to a millisecond early or late; within half a millisecond counts as due.
    while (queue.length > 0 && queue[0]!.due <= now + 0.5) send(queue.shift()!.data);
    if (queue.length > 0) timer = setTimeout(flush, queue[0]!.due - now);
  };
  return (data) => {
    const ms = delay();
    if (ms <= 0 && queue.length === 0) return send(data);
    queue.push({ due: performance.now() + ms, data });
    if (timer === undefined) timer = setTimeout(flush, ms);
  };
}

export async function startTcpDelayProxy(options: {
  target: { host: string; port: number };
  delayMs?: number;
  host?: string;
}): Promise<TcpDelayProxy> {
  let delayMs = options.delayMs ?? 0;
  let opened = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    opened++;
    client.setNoDelay(true);
    sockets.add(client);
    const pending: Buffer[] = [];
    let upstream: net.Socket | undefined;
    const connect = () => {
      upstream = net.connect(options.target);
      sockets.add(upstream);
      upstream.setNoDelay(true);
      upstream.on('connect', () => {
        for (const chunk of pending) upstream!.write(chunk);
        pending.length = 0;
      });
      const toClient = delayedSender(
        (data) => client.writable && client.write(data),
        () => delayMs,
      );
      upstream.on('data', toClient);
      upstream.on('close', () => {
        sockets.delete(upstream!);
        // After the data still in the delay queue.
        setTimeout(() => client.end(), delayMs + 1);
      });
      upstream.on('error', () => upstream!.destroy());
    };
    if (delayMs > 0) setTimeout(() => !client.destroyed && connect(), delayMs);
    else connect();
    client.on('data', (data) => (upstream && !upstream.connecting ? upstream.write(data) : pending.push(data)));
    client.on('close', () => {
      sockets.delete(client);
      upstream?.end();
    });
    client.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => opened,
    setDelay: (ms) => {
      delayMs = Math.max(0, ms);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
