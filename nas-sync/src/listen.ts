/**
 * Wakes the job as soon as the Worker inserts media rows: one dedicated connection (not from the
 * pool, whose clients come and go) that runs `LISTEN line_files_pending`; the trigger of migration
 * 0001_notify_pending_files sends a NOTIFY per INSERT statement on `line_files`.
 *
 * Only a shortcut: polling stays the fallback. A NOTIFY sent while this connection is down is lost
 * (so every (re)connect wakes the job once, to catch up), and Neon's pooled endpoints (PgBouncer in
 * transaction mode) do not deliver notifications at all. A lost connection is logged and retried
 * with a backoff (1 s doubling to 60 s); it never stops the job.
 */
import pg from 'pg';
import { describe } from './download.ts';
import type { Level } from './progress.ts';

const PENDING_CHANNEL = 'line_files_pending';

export interface ListenerOptions {
  url: string;
  /** The channel to LISTEN on; default PENDING_CHANNEL (the sender passes nas_send_requests_pending). */
  channel?: string;
  /** Called for each notification, and once after each successful (re)connect. */
  onWake: () => void;
  log: (level: Level, event: string, fields?: Record<string, unknown>) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface Listener {
  /** Stops listening and closes the connection; no reconnects after this. */
  close(): Promise<void>;
}

export function startListener(options: ListenerOptions): Listener {
  const minBackoffMs = options.minBackoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const channel = options.channel ?? PENDING_CHANNEL;
  let delay = minBackoffMs;
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    retry = undefined;
    if (closed) return;
    const c = new pg.Client({
      connectionString: options.url,
      application_name: 'linebot-nas-sync-listen',
      connectionTimeoutMillis: 15_000,
      // Notice a dead peer on an otherwise silent connection (it only ever receives).
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
    });
    client = c;
    let lost = false;
    let listeningSince: number | undefined;
    const onLost = (e?: unknown) => {
      if (lost || closed) return;
      lost = true;
      // The backoff starts over only after a connection that held a while (not one dropped at once).
      if (listeningSince !== undefined && Date.now() - listeningSince >= maxBackoffMs) delay = minBackoffMs;
      if (client === c) client = undefined;
      c.removeAllListeners('notification');
      c.end().catch(() => {});
      options.log('warn', 'nas_sync.listen_lost', {
        error: e === undefined ? 'connection ended' : describe(e),
        retryInMs: delay,
        note: 'polling carries on',
      });
      retry = setTimeout(reconnect, delay);
      delay = Math.min(maxBackoffMs, delay * 2);
    };
    c.on('error', onLost);
    c.on('end', () => onLost());
    c.on('notification', (n) => {
      if (n.channel === channel) options.onWake();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (e) {
      return onLost(e);
    }
    if (closed || lost) return;
    listeningSince = Date.now();
    options.log('info', 'nas_sync.listening', { channel });
    // Rows inserted while this connection was down sent their NOTIFY to nobody.
    options.onWake();
  };

  // Never an unhandled rejection: the listener must not take the job down.
  const reconnect = () => {
    connect().catch((e: unknown) =>
      options.log('warn', 'nas_sync.listen_failed', { error: describe(e), note: 'polling carries on' }),
    );
  };
  reconnect();

  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners('notification');
        await c.end().catch(() => {});
      }
    },
  };
}
