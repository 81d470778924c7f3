/**
 * The local platform in one call, shared by `npm run dev`, `npm run bench` and the tests:
 * Postgres (embedded PGlite, or the DATABASE_URL given), the WebSocket proxy the Neon driver
 * needs to reach a local Postgres, the LINE API emulator, the Claude emulator when asked for, and
 * the Worker wired to all of them.
 */
import { startClaudeEmulator, type ClaudeEmulator } from '../claude-emulator/index.ts';
import { migrateDatabase } from '../lib/database.ts';
import { startWsProxy, type WsProxy } from '../lib/ws-proxy.ts';
import {
  startLineEmulator,
  type EmulatorSeed,
  type LineEmulator,
  type TranscriptEntry,
} from '../line-emulator/index.ts';
import { listenEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.ts';
import { startNasJob } from './nas-job.ts';
import { ensurePortFree, explainListenError, freePort, UserError } from './ports.ts';
import { startMiniflareWorker, startWranglerDev, type LocalWorker } from './worker.ts';

export const WEBHOOK_PATH = '/api/linebot/webhook';

export interface StackOptions {
  /** `wrangler dev` (development) or the deploy bundle on Miniflare (benchmarks). */
  worker: 'wrangler-dev' | 'miniflare';
  host?: string;
  /** 0 picks free ports. */
  ports?: {
    worker?: number;
    emulator?: number;
    proxy?: number;
    database?: number;
    claude?: number;
    inspector?: number;
  };
  /** Use this Postgres instead of the embedded one. */
  databaseUrl?: string;
  /** Apply drizzle/ to `databaseUrl` first (the embedded database is always migrated). */
  migrate?: boolean;
  /** The embedded database's folder; undefined keeps it in memory. */
  dataDir?: string;
  seed?: EmulatorSeed;
  /**
   * Secrets passed to the Worker directly. `wrangler dev` reads them from `.dev.vars` otherwise;
   * Miniflare needs them here.
   */
  secrets?: Record<string, string>;
  /**
   * Claude for the Worker's AI answers. `emulator`: the local Claude emulator is started and the
   * Worker gets its address as ANTHROPIC_BASE_URL and `apiKey` as ANTHROPIC_API_KEY (the emulator
   * accepts only that key). `anthropic`: nothing is set here, so the Worker uses its own
   * configuration (`.dev.vars`' key; ANTHROPIC_BASE_URL empty: Anthropic's API). Absent: the same.
   */
  claude?: { use: 'emulator'; apiKey: string; log?: (line: string) => void } | { use: 'anthropic' };
  /**
   * Run the on-prem nas-sync job beside the Worker (index `shares`, serve send requests, copy LINE
   * media into `mediaRoot`); the Worker gets `agentToken` as NAS_AGENT_TOKEN.
   */
  nas?: {
    shares: string;
    mediaRoot: string;
    agentToken: string;
    channelAccessToken: string;
    onOutput?: (line: string) => void;
  };
  /** Delay of every LINE API answer, modelling the network to api.line.me (benchmarks). */
  lineLatencyMs?: number;
  /** Count the Worker's Postgres round trips on the wire (benchmarks). */
  countRoundTrips?: boolean;
  /** For `startMiniflareWorker`: where the bundle goes. */
  bundleDir?: string;
  /** For `startMiniflareWorker`: declare wrangler.toml's Workflows, so AI answers run (wrangler dev always does). */
  workflows?: boolean;
  /** For `wrangler dev`: where its local state (Workflows, R2, KV) is kept; default `.wrangler/state`. */
  persistTo?: string;
  onWorkerOutput?: (line: string) => void;
  transcript?: (entry: TranscriptEntry) => void;
  log?: (line: string) => void;
}

export interface Stack {
  workerUrl: string;
  webhookUrl: string;
  /** The webhook on workerd's own socket, past Miniflare's entry worker (Miniflare only; the bench). */
  webhookDirectUrl?: string;
  /** Where Node-side tools (the sender, the bench) reach the same database. */
  databaseUrl: string;
  /** What the Worker got as DATABASE_URL, DB_WS_PROXY, the LINE and (emulated) Claude addresses; never a key. */
  workerVars: Record<string, string>;
  embedded?: EmbeddedPostgres;
  proxy?: WsProxy;
  emulator: LineEmulator;
  /** The Claude emulator, when `claude.use` is `emulator`. */
  claude?: ClaudeEmulator;
  /** Resolves if the Worker stops on its own (wrangler crashed). */
  workerExited: Promise<void>;
  /**
   * Stops the Worker and starts it again on the same address, database and emulators: with
   * `kill`, SIGKILL to wrangler and its workerd (a crash or a pulled plug: nothing finishes what it
   * was doing), else the ordinary stop. What the Worker kept locally (`persistTo`) stays.
   * `workerExited` watches the first Worker only (tests restart; `npm run dev` does not).
   */
  restartWorker(options?: { kill?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const host = options.host ?? '127.0.0.1';
  const ports = options.ports ?? {};
  const log = options.log ?? (() => {});
  const workerPort = ports.worker ?? (options.worker === 'wrangler-dev' ? 8787 : 0);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    // Reverse order: the Worker first, so nothing is left talking to what closes next.
    for (const s of stops.splice(0).reverse()) await s().catch((e: unknown) => log(`stop: ${(e as Error).message}`));
  };

  try {
    // Fixed ports are checked before anything starts: one clear message, nothing half-started.
    await ensurePortFree(workerPort, host, 'the Worker', '--port');
    await ensurePortFree(ports.emulator ?? 0, host, 'the LINE emulator', '--emulator-port');
    await ensurePortFree(ports.proxy ?? 0, host, 'the database WebSocket proxy', '--proxy-port');
    if (!options.databaseUrl) await ensurePortFree(ports.database ?? 0, host, 'the embedded Postgres', '--db-port');
    if (options.claude?.use === 'emulator')
      await ensurePortFree(ports.claude ?? 0, host, 'the Claude emulator', '--claude-port');

    // The embedded database opens and migrates (~10 s) while the rest, the Worker included, starts.
    let embeddedReady: Promise<EmbeddedPostgres> | undefined;
    let databaseUrl: string;
    if (options.databaseUrl) {
      databaseUrl = options.databaseUrl;
      if (options.migrate) {
        await migrateDatabase(databaseUrl).catch((e: unknown) => {
          const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : '';
          throw new UserError(
            `cannot apply the migrations to DATABASE_URL (${redactUrl(databaseUrl)}): ${cause || (e as Error).message}`,
          );
        });
      }
    } else {
      const starting = await listenEmbeddedPostgres({
        dataDir: options.dataDir,
        port: ports.database ?? 0,
        host,
        log,
      }).catch((e: unknown) => {
        throw explainListenError(e, ports.database ?? 0, 'the embedded Postgres', '--db-port');
      });
      stops.push(() => starting.close());
      databaseUrl = starting.url;
      embeddedReady = starting.ready;
    }

    // Neon in the cloud is reached directly over wss://; anything local needs the ws:// proxy.
    const local = isLocalUrl(databaseUrl);
    let proxy: WsProxy | undefined;
    if (local) {
      proxy = await startWsProxy({ port: ports.proxy ?? 0, host, countRoundTrips: options.countRoundTrips }).catch(
        (e: unknown) => {
          throw explainListenError(e, ports.proxy ?? 0, 'the database WebSocket proxy', '--proxy-port');
        },
      );
      stops.push(() => proxy!.close());
    }

    const emulator = await startLineEmulator({
      port: ports.emulator ?? 0,
      host,
      seed: options.seed,
      transcript: options.transcript,
      latencyMs: options.lineLatencyMs,
    }).catch((e: unknown) => {
      throw explainListenError(e, ports.emulator ?? 0, 'the LINE emulator', '--emulator-port');
    });
    stops.push(() => emulator.close());

    let claude: ClaudeEmulator | undefined;
    if (options.claude?.use === 'emulator') {
      const { apiKey, log: claudeLog } = options.claude;
      claude = await startClaudeEmulator({ port: ports.claude ?? 0, host, apiKey, log: claudeLog }).catch(
        (e: unknown) => {
          throw explainListenError(e, ports.claude ?? 0, 'the Claude emulator', '--claude-port');
        },
      );
      stops.push(() => claude!.close());
    }

    const workerVars: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      DB_WS_PROXY: proxy?.address ?? '',
      LINE_API_BASE_URL: emulator.url,
      LINE_DATA_API_BASE_URL: emulator.url,
      ...(claude ? { ANTHROPIC_BASE_URL: claude.url } : {}),
    };
    // The key goes to the Worker but not into workerVars (printed and returned to callers).
    const keys: Record<string, string> =
      options.claude?.use === 'emulator' ? { ANTHROPIC_API_KEY: options.claude.apiKey } : {};
    if (options.nas) keys.NAS_AGENT_TOKEN = options.nas.agentToken;
    const vars = { ...options.secrets, ...keys, ...workerVars };
    const startWorker = async (port: number): Promise<LocalWorker> => {
      if (options.worker === 'wrangler-dev') {
        // wrangler dev needs a number; 0 means "any free port" for us.
        const chosen = port === 0 ? await freePort(host) : port;
        const inspectorPort = ports.inspector ?? (await freePortOr(9229, host));
        return startWranglerDev({
          port: chosen,
          host,
          vars,
          inspectorPort,
          persistTo: options.persistTo,
          onOutput: options.onWorkerOutput,
        });
      }
      if (!options.bundleDir) throw new Error('startStack: bundleDir is required for the miniflare worker');
      return startMiniflareWorker({
        port,
        host,
        bindings: vars,
        bundleDir: options.bundleDir,
        onLog: options.onWorkerOutput,
        inspectorPort: ports.inspector,
        workflows: options.workflows,
      });
    };
    const [workerStarted, databaseReady] = await Promise.allSettled([startWorker(workerPort), embeddedReady]);
    // Replaced by restartWorker; the stop below always stops the one running.
    let worker: LocalWorker | undefined = workerStarted.status === 'fulfilled' ? workerStarted.value : undefined;
    if (worker) stops.push(async () => worker?.stop());
    // The database's failure first: a Worker that cannot reach its database says less.
    if (databaseReady.status === 'rejected') throw databaseReady.reason;
    if (workerStarted.status === 'rejected') throw workerStarted.reason;
    const workerUrl = workerStarted.value.url;
    const embedded = databaseReady.value;
    const restartWorker = async ({ kill = false } = {}) => {
      const running = worker;
      worker = undefined;
      if (running) await (kill ? running.kill() : running.stop());
      // The same port: senders, the nas-sync job and share links keep their address. A killed
      // workerd may hold it a moment after wrangler has gone.
      const port = Number(new URL(workerUrl).port);
      for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 200))) {
        const free = await ensurePortFree(port, host, 'the Worker', '--port').then(
          () => true,
          (e: unknown) => (Date.now() > deadline ? Promise.reject(e) : false),
        );
        if (free) break;
      }
      worker = await startWorker(port);
    };

    if (options.nas) {
      const job = startNasJob({
        databaseUrl,
        lineDataApiUrl: emulator.url,
        channelAccessToken: options.nas.channelAccessToken,
        workerUrl,
        agentToken: options.nas.agentToken,
        shares: options.nas.shares,
        mediaRoot: options.nas.mediaRoot,
        onOutput: options.nas.onOutput,
      });
      // Stopped first (stops run in reverse): its last upload still finds the Worker.
      stops.push(() => job.stop());
    }

    return {
      workerUrl,
      webhookUrl: workerUrl + WEBHOOK_PATH,
      webhookDirectUrl: workerStarted.value.directUrl ? workerStarted.value.directUrl + WEBHOOK_PATH : undefined,
      databaseUrl,
      workerVars,
      embedded,
      proxy,
      emulator,
      claude,
      workerExited: workerStarted.value.exited,
      restartWorker,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

export function isLocalUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '127.0.0.1' || host === '::1';
}

/** The usual port when it is free (the debugger's 9229), else any. */
async function freePortOr(preferred: number, host: string): Promise<number> {
  try {
    await ensurePortFree(preferred, host, '', '');
    return preferred;
  } catch {
    return freePort(host);
  }
}

/** A URL safe to print: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
