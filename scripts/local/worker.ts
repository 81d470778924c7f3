/**
 * Running the Worker locally, two ways:
 * - `wrangler dev` for development (rebuilds on save, the familiar output);
 * - the bundle `wrangler deploy --dry-run` produces, on Miniflare (one workerd, nothing in front),
 *   for benchmarks: `wrangler dev` puts a second workerd in front as a dev proxy, which costs ~7x.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Miniflare as MiniflareType } from 'miniflare';
import { PROJECT_ROOT } from './paths.ts';
import { UserError } from './ports.ts';

export interface LocalWorker {
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  /**
   * Miniflare only: a socket of workerd's own that serves the Worker with no Miniflare entry worker
   * in front (that layer adds dev conveniences and CPU production does not have): the bench's load.
   */
  directUrl?: string;
  stop(): Promise<void>;
  /** Ends it at once, as a crash would (SIGKILL to wrangler and workerd); Miniflare is disposed. */
  kill(): Promise<void>;
  /** Resolves if the Worker's process ends on its own (wrangler crashed); never for Miniflare. */
  exited: Promise<void>;
}

const WRANGLER_JS = join(PROJECT_ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
/** Wrangler asks the internet for `request.cf` and telemetry; offline these are only noise. */
const NOISE = [
  /Unable to fetch the `Request\.cf` object/,
  /getaddrinfo ENOTFOUND/,
  /^\s+at .*\(node:/,
  /Cloudflare collects anonymous telemetry/,
  /telemetry\.md$/,
];

export interface WranglerDevOptions {
  port: number;
  host: string;
  /** `--var NAME:VALUE` pairs: they take precedence over `.dev.vars` and wrangler.toml [vars]. */
  vars: Record<string, string>;
  inspectorPort?: number;
  /** `--persist-to`: where the local Workflows, R2 and KV state lives; default `.wrangler/state`. */
  persistTo?: string;
  /** Each line wrangler prints (the Worker's logs too), noise removed. */
  onOutput?: (line: string) => void;
  readyTimeoutMs?: number;
}

export async function startWranglerDev(options: WranglerDevOptions): Promise<LocalWorker> {
  const args = [
    WRANGLER_JS,
    'dev',
    '--port',
    String(options.port),
    '--ip',
    options.host,
    '--show-interactive-dev-session=false',
    // /__scheduled?cron=... fires the Cron Trigger (the dev orchestrator calls it every minute).
    '--test-scheduled',
  ];
  if (options.inspectorPort !== undefined) args.push('--inspector-port', String(options.inspectorPort));
  if (options.persistTo !== undefined) args.push('--persist-to', options.persistTo);
  for (const [name, value] of Object.entries(options.vars)) args.push('--var', `${name}:${value}`);

  // Its own process group: one signal then stops wrangler and the workerd processes it spawns.
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  const recent: string[] = [];
  let previous = '';
  const onLine = (raw: string) => {
    const line = stripAnsi(raw);
    recent.push(line);
    if (recent.length > 40) recent.shift();
    if (NOISE.some((re) => re.test(line))) return;
    // wrangler follows every warning with two empty lines: one log line stays one line.
    const blank = line.trim() === '';
    if (blank && (previous === '' || /^▲ \[WARNING\]|^✘ \[ERROR\]/.test(previous))) return;
    previous = blank ? '' : line;
    // wrangler checks [secrets] required against .dev.vars only; what we pass with --var counts too.
    const missing = /Missing required secrets: ([A-Z0-9_, ]+)\./.exec(line)?.[1]?.split(/,\s*/);
    if (missing?.every((name) => name in options.vars)) return;
    options.onOutput?.(process.stdout.isTTY ? raw : line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // If this process dies without stopping us (a crash), take wrangler and workerd along.
  const killOnExit = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  process.once('exit', killOnExit);

  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  const ready = await Promise.race([
    waitForHttp(`${url}/healthz`, options.readyTimeoutMs ?? 60_000).then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
  ]);
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await stopGroup(child, exited);
    process.off('exit', killOnExit);
  };
  const kill = async () => {
    stopping = true;
    killOnExit();
    await exited;
    process.off('exit', killOnExit);
  };
  if (ready !== 'ready') {
    await stop();
    throw new UserError(`wrangler dev did not start:\n${recent.join('\n')}`);
  }
  const unexpectedExit = exited.then(() => (stopping ? new Promise<void>(() => {}) : undefined));
  return { url, stop, kill, exited: unexpectedExit };
}

export interface MiniflareWorkerOptions {
  port: number;
  host: string;
  bindings: Record<string, string>;
  /** Where to put the bundle (a fresh temp folder is fine). */
  bundleDir: string;
  /** The Worker's own log lines; dropped when absent (benchmarks). */
  onLog?: (line: string) => void;
  /** workerd's V8 inspector (scripts/bench/profile.ts attaches its CPU profiler there). */
  inspectorPort?: number;
  /** Declare wrangler.toml's `[[workflows]]` (AI answers run); off, an answer's Workflow never starts. */
  workflows?: boolean;
}

/** Bundles the Worker exactly as `wrangler deploy` would, then serves it from one workerd. */
export async function startMiniflareWorker(options: MiniflareWorkerOptions): Promise<LocalWorker> {
  await bundleWorker(options.bundleDir);
  const { compatibilityDate, compatibilityFlags } = readCompatibility();
  // miniflare comes with wrangler; loaded lazily so `npm run dev` never pays for it.
  const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = (await import(
    'miniflare'
  )) as typeof import('miniflare');
  const onLog = options.onLog;
  const mf: MiniflareType = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      scriptPath: join(options.bundleDir, 'index.js'),
      // Module names are paths relative to this root; a bundle outside the cwd needs it set.
      modulesRoot: options.bundleDir,
      compatibilityDate,
      compatibilityFlags,
      bindings: options.bindings,
      ratelimits: readRatelimits(),
      // R2 in memory (gone with the process): the NAS uploads and share links need FILES, and
      // without it the job's PUT never got an answer.
      r2Buckets: readR2Buckets(),
      ...(options.workflows ? { workflows: readWorkflows() } : {}),
      host: options.host,
      port: options.port,
      cf: false, // no internet lookup for request.cf
      ...(options.inspectorPort !== undefined ? { inspectorPort: options.inspectorPort } : {}),
      unsafeDirectSockets: [{ host: options.host, port: 0 }],
      log: new Log(LogLevel.WARN),
      handleStructuredLogs: (log) => onLog?.(log.message),
    }),
  );
  const ready = await mf.ready;
  const direct = await mf.unsafeGetDirectURL();
  return {
    url: ready.origin,
    directUrl: direct.origin,
    stop: () => mf.dispose(),
    kill: () => mf.dispose(),
    exited: new Promise<void>(() => {}),
  };
}

async function bundleWorker(outdir: string): Promise<void> {
  const child = spawn(process.execPath, [WRANGLER_JS, 'deploy', '--dry-run', '--outdir', outdir], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0' },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`wrangler deploy --dry-run failed (${code}):\n${output}`);
}

/** compatibility_date and compatibility_flags from wrangler.toml (the bundle does not carry them). */
function readCompatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(join(PROJECT_ROOT, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date) throw new Error('wrangler.toml has no compatibility_date');
  return {
    compatibilityDate: date,
    compatibilityFlags: flags ? [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) : [],
  };
}

/** The `[[workflows]]` of wrangler.toml by binding (the bundle does not carry them); AI_ANSWER must be one. */
export function readWorkflows(): Record<string, { name: string; className: string }> {
  const toml = readFileSync(join(PROJECT_ROOT, 'wrangler.toml'), 'utf8');
  const workflows: Record<string, { name: string; className: string }> = {};
  for (const block of toml.split(/^\[\[workflows\]\]\s*$/m).slice(1)) {
    const body = block.split(/^\[/m)[0]!;
    const get = (key: string) => new RegExp(`^${key}\\s*=\\s*"([^"]+)"`, 'm').exec(body)?.[1];
    const [name, binding, className] = [get('name'), get('binding'), get('class_name')];
    if (name && binding && className) workflows[binding] = { name, className };
  }
  if (!workflows.AI_ANSWER) throw new Error('wrangler.toml declares no AI_ANSWER workflow');
  return workflows;
}

/** The `[[r2_buckets]]` of wrangler.toml, binding to bucket name (the bundle does not carry them); FILES must be one. */
function readR2Buckets(): Record<string, string> {
  const toml = readFileSync(join(PROJECT_ROOT, 'wrangler.toml'), 'utf8');
  const buckets: Record<string, string> = {};
  for (const block of toml.split(/^\[\[r2_buckets\]\]\s*$/m).slice(1)) {
    const body = block.split(/^\[/m)[0]!;
    const binding = /^binding\s*=\s*"([^"]+)"/m.exec(body)?.[1];
    const bucket = /^bucket_name\s*=\s*"([^"]+)"/m.exec(body)?.[1];
    if (binding && bucket) buckets[binding] = bucket;
  }
  if (!buckets.FILES) throw new Error('wrangler.toml declares no FILES bucket');
  return buckets;
}

/** The `[[ratelimits]]` bindings of wrangler.toml (the bundle does not carry them either). */
function readRatelimits(): Record<string, { namespace_id: string; simple: { limit: number; period: 10 | 60 } }> {
  const toml = readFileSync(join(PROJECT_ROOT, 'wrangler.toml'), 'utf8');
  const out: Record<string, { namespace_id: string; simple: { limit: number; period: 10 | 60 } }> = {};
  for (const block of toml.split(/^\[\[ratelimits\]\]\s*$/m).slice(1)) {
    const body = block.split(/^\[/m)[0]!;
    const name = /^name\s*=\s*"([^"]+)"/m.exec(body)?.[1];
    const namespaceId = /^namespace_id\s*=\s*"([^"]+)"/m.exec(body)?.[1];
    const limit = /\blimit\s*=\s*(\d+)/.exec(body)?.[1];
    const period = /\bperiod\s*=\s*(\d+)/.exec(body)?.[1];
    if (!name || !namespaceId || !limit || (period !== '10' && period !== '60'))
      throw new Error(`wrangler.toml: a [[ratelimits]] entry this reader does not understand:\n${body}`);
    out[name] = { namespace_id: namespaceId, simple: { limit: Number(limit), period: Number(period) as 10 | 60 } };
  }
  return out;
}

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(2_000) });
      return; // any answer: the server is up (health may say 503 while the database warms up)
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new Error(`no answer from ${url} within ${timeoutMs} ms`);
}

/** SIGTERM to the whole group, SIGKILL if it lingers. */
async function stopGroup(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  // workerd children may outlive wrangler by a moment; the group signal reached them too.
  signal('SIGKILL');
}
