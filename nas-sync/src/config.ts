/**
 * The nas-sync job's configuration: environment (the names the Worker uses too) and command line,
 * read once at start with zod into one typed object (CliConfig). Every problem is reported at once,
 * naming its variable or flag, in words an operator can act on.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NAS_SEND_MAX_BYTES } from '@linebot-edge/shared/upload-contract';
import { z } from 'zod';
import { formatBinaryBytes } from './bytes.ts';
import { DAILY_BYTES_MAX, DAILY_BYTES_MIN, DEFAULT_DAILY_BYTES_PER_USER } from './daily-cap.ts';
import { isWithin, realPathAllowingMissing } from './fs.ts';
import { parseShares, type Share } from './index/shares.ts';
import { DEFAULT_TIME_ZONE, timeZoneProblem } from './paths.ts';
import { sendEnv, sendSetup, type SendSetup } from './send/config.ts';
import { byteCount, envSetting, envText, problemsOf, type Problem } from './settings.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** 2: a setting is missing or wrong; 1: the settings are readable but unsafe together (refused). */
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 2) {
    super(message);
    this.exitCode = exitCode;
  }
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
  /** IANA zone of the media day folders (NAS_TIMEZONE). */
  timeZone: string;
  /** Company shares to index (NAS_SHARES); empty: no indexing. Checked on disk for `sync` only. */
  shares: Share[];
  /** Pause between full walks of the shares (`--index-interval HOURS`). */
  indexIntervalMs: number;
  /** Rescans of changed folders in between (`--rescan-interval MINUTES`); 0: none. */
  rescanIntervalMs: number;
  /** /find previews made per round of walks (`--previews-per-round N`); 0: none. Needs sending configured. */
  previewsPerRound: number;
  /** Serving send requests (WORKER_URL, NAS_AGENT_TOKEN, NAS_SHARES), or why not. */
  send: SendSetup;
  /** Media bytes copied per LINE sender per Asia/Taipei day (NAS_SYNC_DAILY_BYTES_PER_USER). */
  dailyBytesPerSender: number;
  /** Settings used other than as written (a value clamped into its range): logged at start. */
  warnings: string[];
}

const DEFAULTS = {
  concurrency: 4,
  pollIntervalMs: 5_000,
  maxAttempts: 8,
  dataApiBaseUrl: 'https://api-data.line.me',
  indexIntervalHours: 6,
  rescanIntervalMinutes: 15,
  previewsPerRound: 200,
};

export const USAGE = `Usage: node nas-sync/src/main.ts [options]      (in a checkout: npm run nas-sync -- [options])

Copies media LINE hosts (line_files rows without nas_path) onto the NAS under NAS_ROOT,
and deletes the NAS copy of unsent messages. With NAS_SHARES, also indexes the company shares
into nas_files (what /find searches): a full walk of every share at start and every
--index-interval hours, and a rescan of the folders that changed every --rescan-interval
minutes in between; each walk writes only what changed. Runs until stopped (SIGTERM / Ctrl-C),
or once.

Options:
  --once                   process what is due now and walk each share once, then exit
  --status                 print the counts of rows waiting, in progress, synced, failed,
                           unavailable and removed, and the indexed files per share, then
                           exit (with --json: one JSON object)
  --retry-failed           put rows marked failed back in the queue (attempts reset), then exit
  --concurrency N          parallel downloads (default ${DEFAULTS.concurrency})
  --poll-interval SECONDS  pause between polls when idle (default ${DEFAULTS.pollIntervalMs / 1000})
  --no-listen              do not LISTEN for new rows (NOTIFY line_files_pending); poll only
                           (a pooled, -pooler, endpoint delivers no notifications)
  --max-attempts N         failures before a row is marked failed (default ${DEFAULTS.maxAttempts})
  --index-interval HOURS   pause between full walks of the shares (default ${DEFAULTS.indexIntervalHours}; 0.01 to 720)
  --rescan-interval MIN    rescans between full walks (default ${DEFAULTS.rescanIntervalMinutes} minutes; 0 = none): only
                           folders whose mtime or ctime changed are listed, which finds new,
                           deleted and renamed files, not files rewritten in place (the next
                           full walk does). The job remembers folder times in memory: after a
                           restart the first walk is a full one
  --previews-per-round N   after each round of walks, make and upload up to N previews of indexed
                           images for /find (default ${DEFAULTS.previewsPerRound}; 0 = none): files a /find
                           listed first, then the newest. Needs WORKER_URL and NAS_AGENT_TOKEN
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
  NAS_TIMEZONE               IANA time zone of the media day folders (default ${DEFAULT_TIME_ZONE})
  NAS_SHARES                 optional: company shares to index, name:path pairs separated by
                             commas: projects:/mnt/nas/projects,library:/mnt/nas/library
                             Names: 1-64 ASCII letters, digits, _ or - (unique ignoring case;
                             users see and type them). Paths: absolute folders, no commas.
                             The job only reads the shares (a read-only mount is enough).

  WORKER_URL, NAS_AGENT_TOKEN, NAS_SHARES
                             set all three to serve /send requests: the Worker's https URL, its
                             agent token, the shares (name:path,...) files are sent from
  NAS_SEND_MAX_BYTES         largest file sent (default ${NAS_SEND_MAX_BYTES.default}; ${NAS_SEND_MAX_BYTES.min} to ${NAS_SEND_MAX_BYTES.max}, a value
                             outside is clamped and logged, as the Worker does)
  NAS_SYNC_DAILY_BYTES_PER_USER
                             media bytes copied per LINE sender per Asia/Taipei day (default
                             ${DEFAULT_DAILY_BYTES_PER_USER} = 1 GiB; ${DAILY_BYTES_MIN} to ${DAILY_BYTES_MAX}, a value outside is clamped
                             and logged). A file over it waits (pending, reason in sync_error,
                             counted in --status) and is copied after 00:00 Asia/Taipei

NAS_ROOT and the shares must not lie inside one another (compared with symlinks resolved): the
job refuses to start (exit status 1), else LINE media would be indexed and found by /find.

Indexing: a full walk lstats every file (no content is read) and compares it with nas_files:
new files are inserted, changed ones (size or mtime) updated, gone ones deleted. Skipped: hidden
names (leading dot: .DS_Store, .snapshot ...), ~$ Office lock and ~*.tmp files, @eaDir,
@Recycle, #recycle, #snapshot, Thumbs.db, desktop.ini, $RECYCLE.BIN, lost+found. Symlinks are
never followed (nor indexed). A folder that cannot be read is logged (nas_index.unreadable) and
its files keep their rows; so does every file of a share whose folder is empty (not mounted?).
One job walks a share at a time (a Postgres advisory lock); others skip it (nas_index.busy).
A failed walk (database or share away) is retried after 5 minutes. Log events: nas_index.
walk_started, progress (every 10 s), unreadable, share_empty, busy, walked (counts: files,
inserted, updated, deleted, kept, unreadable, ms), unconfigured_share (rows of a share no longer
in NAS_SHARES stay until deleted by hand). A walk holds the share's index in memory (a few
hundred bytes per file). Network: outbound only (Postgres, LINE, the Worker).
`;

/** The flags as parseArgs reads them; their values are checked by `cli`. */
const flags = {
  once: { type: 'boolean', default: false },
  status: { type: 'boolean', default: false },
  'retry-failed': { type: 'boolean', default: false },
  concurrency: { type: 'string' },
  'poll-interval': { type: 'string' },
  'no-listen': { type: 'boolean', default: false },
  'max-attempts': { type: 'string' },
  'index-interval': { type: 'string' },
  'rescan-interval': { type: 'string' },
  'previews-per-round': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** A flag's value, or `fallback` when it is not given; `read` reports what is wrong. */
const flag = <T>(fallback: T, read: (raw: string, problem: Problem) => T) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) =>
      raw === undefined ? fallback : read(raw, (message) => ctx.addIssue({ code: 'custom', message, input: raw })),
    );

const wholeFlag = (name: string, fallback: number, min: number, max: number) =>
  flag(fallback, (raw, problem) => {
    const n = Number(raw);
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    problem(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    return fallback;
  });

/** A duration in units of `unitMs` (milliseconds out); `zeroOff`: 0 turns it off. */
const durationFlag = (
  name: string,
  fallbackMs: number,
  unitMs: number,
  range: string,
  min: number,
  max: number,
  zeroOff = false,
) =>
  flag(fallbackMs, (raw, problem) => {
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n) && ((zeroOff && n === 0) || (n >= min && n <= max)))
      return Math.round(n * unitMs);
    problem(`--${name} must be ${range} (got ${JSON.stringify(raw)})`);
    return fallbackMs;
  });

const cli = z.object({
  concurrency: wholeFlag('concurrency', DEFAULTS.concurrency, 1, 64),
  'poll-interval': durationFlag(
    'poll-interval',
    DEFAULTS.pollIntervalMs,
    1000,
    'a number of seconds from 0.1 to 3600',
    0.1,
    3600,
  ),
  'max-attempts': wholeFlag('max-attempts', DEFAULTS.maxAttempts, 1, 1000),
  'index-interval': durationFlag(
    'index-interval',
    DEFAULTS.indexIntervalHours * 3600_000,
    3600_000,
    'a number of hours from 0.01 to 720',
    0.01,
    720,
  ),
  'rescan-interval': durationFlag(
    'rescan-interval',
    DEFAULTS.rescanIntervalMinutes * 60_000,
    60_000,
    '0 (off) or a number of minutes from 0.1 to 1440',
    0.1,
    1440,
    true,
  ),
  'previews-per-round': wholeFlag('previews-per-round', DEFAULTS.previewsPerRound, 0, 100_000),
});

const databaseUrl = envText.pipe(
  z
    .string()
    .min(1, { error: "DATABASE_URL is not set (the Postgres URL of the Worker's database)", abort: true })
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// or postgresql:// URL'),
);

const dataApiBaseUrl = envSetting((raw, problem) => {
  const url = (raw || DEFAULTS.dataApiBaseUrl).replace(/\/+$/, '');
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    problem(`LINE_DATA_API_BASE_URL is not an http(s) URL: ${JSON.stringify(url)}`);
  }
  return url;
});

/** NAS_ROOT: the absolute path of a folder that exists (the NAS is mounted), resolved. */
const nasRoot = envSetting((raw, problem) => {
  if (!raw) {
    problem('NAS_ROOT is not set (the absolute path of the mounted NAS folder)');
    return '';
  }
  if (!isAbsolute(raw)) {
    problem(`NAS_ROOT must be an absolute path (got ${JSON.stringify(raw)})`);
    return '';
  }
  const root = resolve(raw);
  try {
    if (!statSync(root).isDirectory()) problem(`NAS_ROOT is not a directory: ${root}`);
  } catch {
    problem(`NAS_ROOT does not exist (is the NAS mounted?): ${root}`);
  }
  return root;
});

const timeZone = envSetting((raw, problem) => {
  const zone = raw || DEFAULT_TIME_ZONE;
  const wrong = timeZoneProblem(zone);
  if (wrong) problem(wrong);
  return zone;
});

const shares = envSetting((raw, problem): Share[] => {
  const parsed = parseShares(raw);
  parsed.problems.forEach(problem);
  return parsed.shares;
});

/** What `--status` and `--retry-failed` read: the database only (they never touch LINE or the NAS). */
const statusEnv = z.object({ DATABASE_URL: databaseUrl });

/** What `sync` reads (NAS_SHARES twice: as written, is it set?, and as the shares). */
const syncEnv = z.object({
  DATABASE_URL: databaseUrl,
  LINE_CHANNEL_ACCESS_TOKEN: envText.pipe(
    z.string().min(1, 'LINE_CHANNEL_ACCESS_TOKEN is not set (the channel access token of the LINE Official Account)'),
  ),
  LINE_DATA_API_BASE_URL: dataApiBaseUrl,
  NAS_ROOT: nasRoot,
  NAS_TIMEZONE: timeZone,
  NAS_SHARES: envText,
  shares,
  NAS_SYNC_DAILY_BYTES_PER_USER: byteCount(
    'NAS_SYNC_DAILY_BYTES_PER_USER',
    { default: DEFAULT_DAILY_BYTES_PER_USER, min: DAILY_BYTES_MIN, max: DAILY_BYTES_MAX },
    {
      example: `${DEFAULT_DAILY_BYTES_PER_USER} for 1 GiB`,
      fractions: 'refuse',
      format: (n) => `${n} (${formatBinaryBytes(n)})`,
    },
  ),
  ...sendEnv,
});

type EnvPart = Pick<
  CliConfig,
  | 'databaseUrl'
  | 'channelAccessToken'
  | 'dataApiBaseUrl'
  | 'nasRoot'
  | 'timeZone'
  | 'shares'
  | 'send'
  | 'dailyBytesPerSender'
  | 'warnings'
>;

/** The environment `command` reads, or its problems. */
function readEnv(command: Command, env: NodeJS.ProcessEnv): EnvPart | string[] {
  const unused: EnvPart = {
    databaseUrl: '',
    channelAccessToken: '',
    dataApiBaseUrl: DEFAULTS.dataApiBaseUrl,
    nasRoot: '',
    timeZone: DEFAULT_TIME_ZONE,
    shares: [],
    send: { enabled: false, missing: [] },
    dailyBytesPerSender: DEFAULT_DAILY_BYTES_PER_USER,
    warnings: [],
  };
  if (command === 'help') return unused;
  if (command !== 'sync') {
    const r = statusEnv.safeParse(env);
    return r.success ? { ...unused, databaseUrl: r.data.DATABASE_URL } : problemsOf(r.error);
  }
  const r = syncEnv.safeParse({ ...env, shares: env.NAS_SHARES });
  if (!r.success) return problemsOf(r.error);
  const e = r.data;
  return {
    databaseUrl: e.DATABASE_URL,
    channelAccessToken: e.LINE_CHANNEL_ACCESS_TOKEN,
    dataApiBaseUrl: e.LINE_DATA_API_BASE_URL,
    nasRoot: e.NAS_ROOT,
    timeZone: e.NAS_TIMEZONE,
    shares: e.shares,
    send: sendSetup(e, e.NAS_SHARES, e.shares),
    dailyBytesPerSender: e.NAS_SYNC_DAILY_BYTES_PER_USER.value,
    warnings: [e.NAS_SYNC_DAILY_BYTES_PER_USER.warning, e.NAS_SEND_MAX_BYTES.warning].filter((w) => w !== undefined),
  };
}

/**
 * The job's configuration from its command line and environment, read once at start. Every
 * problem is reported at once (ConfigError, exit status 2), each naming its flag or variable.
 */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): CliConfig {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: flags, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const command: Command = values.help
    ? 'help'
    : values.status
      ? 'status'
      : values['retry-failed']
        ? 'retry-failed'
        : 'sync';
  const cliRead = cli.safeParse(values);
  const envRead = readEnv(command, env);
  const problems = [...(cliRead.success ? [] : problemsOf(cliRead.error)), ...(Array.isArray(envRead) ? envRead : [])];
  if (!cliRead.success || Array.isArray(envRead)) {
    throw new ConfigError(
      `nas-sync: configuration problem${problems.length > 1 ? 's' : ''}:\n  - ${problems.join('\n  - ')}`,
    );
  }
  const overlaps = command === 'sync' ? overlapProblems(envRead.nasRoot, envRead.shares) : [];
  if (overlaps.length > 0) {
    throw new ConfigError(
      `nas-sync: refusing to start: NAS_ROOT and NAS_SHARES overlap:\n  - ${overlaps.join('\n  - ')}`,
      1,
    );
  }
  const f = cliRead.data;
  return {
    command,
    once: values.once,
    json: values.json,
    concurrency: f.concurrency,
    pollIntervalMs: f['poll-interval'],
    listen: !values['no-listen'],
    maxAttempts: f['max-attempts'],
    indexIntervalMs: f['index-interval'],
    rescanIntervalMs: f['rescan-interval'],
    previewsPerRound: f['previews-per-round'],
    ...envRead,
  };
}

/**
 * NAS_ROOT inside a share would make LINE media (1:1 chats included) searchable and sendable by
 * /find; a share inside NAS_ROOT would let the job write and delete among company files. Compared
 * on real paths (symlinks resolved; a path not there yet by its longest existing prefix).
 */
export function overlapProblems(nasRoot: string, shares: readonly Share[]): string[] {
  if (!nasRoot) return [];
  const problems: string[] = [];
  const realOf = (path: string): string | null => {
    try {
      return realPathAllowingMissing(path);
    } catch (e) {
      problems.push(`cannot resolve ${path} to compare NAS_ROOT with the shares: ${(e as Error).message}`);
      return null;
    }
  };
  const root = realOf(nasRoot);
  if (root === null) return problems;
  for (const share of shares) {
    const real = realOf(share.root);
    if (real === null) continue;
    const r = root === nasRoot ? nasRoot : `${nasRoot} (really ${root})`;
    const sh = `share ${share.name} ${real === share.root ? share.root : `${share.root} (really ${real})`}`;
    if (real === root) problems.push(`NAS_ROOT ${r} and ${sh} are the same folder`);
    else if (isWithin(real, root))
      problems.push(`NAS_ROOT ${r} is inside ${sh}: LINE media (1:1 chats too) would be indexed and found by /find`);
    else if (isWithin(root, real))
      problems.push(`${sh} is inside NAS_ROOT ${r}: the job would write and delete among the share's files`);
  }
  return problems;
}
