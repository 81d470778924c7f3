/**
 * The load generator, in its own process so it does not share a core's event loop with what it
 * measures: autocannon at a fixed concurrency for a fixed time, every request a freshly built
 * and signed webhook body. Prints one JSON line (LoadResult) and exits.
 *
 *   node --import tsx scripts/bench/load.ts '{"url": ..., "secret": ..., "mix": "mixed", ...}'
 */
import autocannon from 'autocannon';
import { createWorkload, type Mix } from './workload.ts';

export interface LoadConfig {
  url: string;
  secret: string;
  mix: Mix;
  connections: number;
  durationSec: number;
  /**
   * Stop after this many requests instead of after `durationSec` (the smoke run: on a loaded CI
   * machine a second may hold only a handful, too few for the mix to show each kind of event).
   */
  amount?: number;
  /** Return the acknowledged ids (targets that store; the SDK baseline's 10k/s are not worth shipping). */
  trackIds?: boolean;
}

export interface LoadResult {
  durationSec: number;
  requests: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** Connection errors and timeouts (no answer at all). */
  errors: number;
  timeouts: number;
  /** Exact percentiles over every answer (autocannon's own summary has no p95). */
  latencyMs: { p50: number; p95: number; p99: number; mean: number; max: number };
  /** Bodies built (each sent at most once; the last of each connection may not have gone out). */
  built: number;
  /** What was answered 200: the events' ids and, for message events, the messages' ids. */
  ackedEventIds: string[];
  ackedMessageIds: string[];
}

/** What a connection's request carried, for its answer (autocannon keeps a context per connection). */
interface Sent {
  sent?: { eventId: string; messageId?: string };
}

export async function runLoad(config: LoadConfig): Promise<LoadResult> {
  const workload = createWorkload({ mix: config.mix, secret: config.secret });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const ackedEventIds: string[] = [];
  const ackedMessageIds: string[] = [];
  let built = 0;
  const started = performance.now();
  // The callback form: it returns the instance (whose 'response' events we record).
  let finish!: (r: autocannon.Result) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const options: autocannon.Options = {
    url: config.url,
    connections: config.connections,
    ...(config.amount ? { amount: config.amount } : { duration: config.durationSec }),
    timeout: 10,
    requests: [
      {
        method: 'POST',
        setupRequest: (req, context: Sent) => {
          const { body, signature, eventId, messageId } = workload.next();
          built++;
          context.sent = { eventId, messageId };
          return { ...req, body, headers: { 'content-type': 'application/json', 'x-line-signature': signature } };
        },
        onResponse: (status: number, _body: string, context: Sent) => {
          if (status !== 200 || !context.sent || !config.trackIds) return;
          ackedEventIds.push(context.sent.eventId);
          if (context.sent.messageId) ackedMessageIds.push(context.sent.messageId);
        },
      },
    ],
  };
  const instance = autocannon(options, (err, result) => (err ? fail(err) : finish(result)));
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  });
  const result = await done;
  const durationSec = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    durationSec,
    requests: latencies.length,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    built,
    ackedEventIds,
    ackedMessageIds,
    latencyMs: {
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      mean: latencies.reduce((s, x) => s + x, 0) / Math.max(1, latencies.length),
      max: latencies.at(-1) ?? 0,
    },
  };
}

/**
 * One request at a time for a fixed time, from the calling process: the unloaded probe, where the
 * latency is the path's and not a queue's. Returns the median answer time in ms.
 */
export async function probeLatency(
  config: Omit<LoadConfig, 'connections'>,
): Promise<{ requests: number; p50: number }> {
  const workload = createWorkload({ mix: config.mix, secret: config.secret });
  const times: number[] = [];
  const until = performance.now() + config.durationSec * 1000;
  while (performance.now() < until) {
    const { body, signature } = workload.next();
    const started = performance.now();
    const res = await fetch(config.url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-line-signature': signature },
    });
    await res.arrayBuffer();
    if (res.status === 200) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { requests: times.length, p50: times[Math.floor(times.length / 2)] ?? 0 };
}

// Run as a child process: config in, one JSON line out.
if (import.meta.url === `file://${process.argv[1]}`) {
  const config = JSON.parse(process.argv[2] ?? '{}') as LoadConfig;
  runLoad(config).then(
    // Exit once the line is out: a pipe takes a long line in several writes.
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
