/**
 * The nas-sync job's configuration: environment (the names the Worker uses too) and command line.
 * Every problem is reported at once, in words an operator can act on.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSendConfig, type SendSetup } from './send/config.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Command = 'sync' | 'status' | 'retry-failed' | 'help';

export interface CliConfig {
  command: Command;
  once: boolean;
  json: boolean;
  concurrency: number;
  pollIntervalMs: number;
  /** Wake on NOTIFY line_files_pending as well as polling (`--no-listen` turns it off). */
  listen: boolean;
  maxAttempts: number;
  databaseUrl: string;
  /** Empty for `--status` and `--retry-failed`, which never talk to LINE or touch the NAS. */
  channelAccessToken: string;
  dataApiBaseUrl: string;
  nasRoot: string;
  /** Serving send requests (WORKER_URL, NAS_AGENT_TOKEN, NAS_SHARES), or why not. */
  send: SendSetup;
}

export const DEFAULTS = {
  concurrency: 4,
  pollIntervalMs: 5_000,
  maxAttempts: 8,
  dataApiBaseUrl: 'https://api-data.line.me',
};

export const USAGE = `Usage: npm run nas-sync -- [options]

Copies media LINE hosts (line_files rows without nas_path) onto the NAS under NAS_ROOT,
and deletes the NAS copy of unsent messages. Runs until stopped (SIGTERM / Ctrl-C), or once.

Options:
  --once                   process what is due now, then exit
  --status                 print the counts of rows waiting, in progress, synced, failed,
                           unavailable and removed, then exit (with --json: one JSON object)
  --retry-failed           put rows marked failed back in the queue (attempts reset), then exit
  --concurrency N          parallel downloads (default ${DEFAULTS.concurrency})
  --poll-interval SECONDS  pause between polls when idle (default ${DEFAULTS.pollIntervalMs / 1000})
  --no-listen              do not LISTEN for new rows (NOTIFY line_files_pending); poll only
                           (a pooled, -pooler, endpoint delivers no notifications)
  --max-attempts N         failures before a row is marked failed (default ${DEFAULTS.maxAttempts})
  --json                   JSON log lines even on a terminal
  -h, --help               this text

Environment:
  DATABASE_URL               Postgres URL of the Worker's database (add ?sslmode=require for Neon).
                             For Neon use the direct (unpooled) string, not the -pooler one the
                             Worker uses: LISTEN needs a session of its own, which transaction
                             pooling does not keep
  LINE_CHANNEL_ACCESS_TOKEN  bearer token for LINE's content API
  LINE_DATA_API_BASE_URL     default ${DEFAULTS.dataApiBaseUrl}
  NAS_ROOT                   absolute path of the mounted NAS folder to write under
  WORKER_URL, NAS_AGENT_TOKEN, NAS_SHARES
                             set all three to serve /send requests: the Worker's https URL, its
                             agent token, the shares (name:path,...) files are sent from
  NAS_SEND_MAX_BYTES         largest file sent (default 104857600)
`;

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): CliConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        once: { type: 'boolean', default: false },
        status: { type: 'boolean', default: false },
        'retry-failed': { type: 'boolean', default: false },
        concurrency: { type: 'string' },
        'poll-interval': { type: 'string' },
        'no-listen': { type: 'boolean', default: false },
        'max-attempts': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n\n${USAGE}`);
  }

  const problems: string[] = [];
  const command: Command = values.help ? 'help' : values.status ? 'status' : values['retry-failed'] ? 'retry-failed' : 'sync';
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return n;
  };
  const concurrency = int('concurrency', values.concurrency, DEFAULTS.concurrency, 1, 64);
  const pollSeconds = values['poll-interval'] === undefined ? NaN : Number(values['poll-interval']);
  let pollIntervalMs = DEFAULTS.pollIntervalMs;
  if (values['poll-interval'] !== undefined) {
    if (!Number.isFinite(pollSeconds) || pollSeconds < 0.1 || pollSeconds > 3600) {
      problems.push(`--poll-interval must be a number of seconds from 0.1 to 3600 (got ${JSON.stringify(values['poll-interval'])})`);
    } else pollIntervalMs = Math.round(pollSeconds * 1000);
  }
  const maxAttempts = int('max-attempts', values['max-attempts'], DEFAULTS.maxAttempts, 1, 1000);

  const databaseUrl = env.DATABASE_URL?.trim() ?? '';
  const channelAccessToken = env.LINE_CHANNEL_ACCESS_TOKEN?.trim() ?? '';
  const dataApiBaseUrl = (env.LINE_DATA_API_BASE_URL?.trim() || DEFAULTS.dataApiBaseUrl).replace(/\/+$/, '');
  const nasRootRaw = env.NAS_ROOT?.trim() ?? '';
  let nasRoot = '';
  let send: SendSetup = { enabled: false, missing: [] };

  if (command !== 'help') {
    if (!databaseUrl) problems.push('DATABASE_URL is not set (the Postgres URL of the Worker\'s database)');
    else if (!/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  if (command === 'sync') {
    send = parseSendConfig(env, problems);
    if (!channelAccessToken) problems.push('LINE_CHANNEL_ACCESS_TOKEN is not set (the channel access token of the LINE Official Account)');
    try {
      const u = new URL(dataApiBaseUrl);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      problems.push(`LINE_DATA_API_BASE_URL is not an http(s) URL: ${JSON.stringify(dataApiBaseUrl)}`);
    }
    if (!nasRootRaw) problems.push('NAS_ROOT is not set (the absolute path of the mounted NAS folder)');
    else if (!isAbsolute(nasRootRaw)) problems.push(`NAS_ROOT must be an absolute path (got ${JSON.stringify(nasRootRaw)})`);
    else {
      nasRoot = resolve(nasRootRaw);
      try {
        if (!statSync(nasRoot).isDirectory()) problems.push(`NAS_ROOT is not a directory: ${nasRoot}`);
      } catch {
        problems.push(`NAS_ROOT does not exist (is the NAS mounted?): ${nasRoot}`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(`nas-sync: configuration problem${problems.length > 1 ? 's' : ''}:\n  - ${problems.join('\n  - ')}`);

  return {
    command,
    once: values.once,
    json: values.json,
    concurrency,
    pollIntervalMs,
    listen: !values['no-listen'],
    maxAttempts,
    databaseUrl,
    channelAccessToken,
    dataApiBaseUrl,
    nasRoot,
    send,
  };
}
