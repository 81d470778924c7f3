/**
 * `npm run dev`: the Worker under `wrangler dev` with its whole local platform, offline.
 *
 *   npm run dev                          # embedded Postgres in .local/pgdata
 *   DATABASE_URL=postgres://... npm run dev   # a local Postgres or a Neon branch instead
 *   npm run dev -- --port 8788 --fresh   # another port; start the embedded database over
 *
 * AI answers come from the local Claude emulator unless `.dev.vars` holds a real
 * ANTHROPIC_API_KEY (then from Anthropic's API); `--claude emulator|anthropic` decides instead.
 * One Ctrl-C stops everything (wrangler, workerd, the emulators, the proxy, the database).
 */
import { rmSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { formatTranscriptEntry, parseQuota, readSeedFile } from './line-emulator/index.ts';
import { ensureDemoData } from './local/demo.ts';
import {
  chooseClaude,
  DEV_VARS,
  DEV_VARS_EXAMPLE,
  ensureDevVars,
  LOCAL_ANTHROPIC_API_KEY,
  readDevVars,
} from './local/dev-vars.ts';
import { DEFAULT_DATA_DIR, DEFAULT_SEED_FILE, STACK_STATE_FILE } from './local/paths.ts';
import { UserError } from './local/ports.ts';
import { isLocalUrl, redactUrl, startStack, type Stack } from './local/stack.ts';
import { DEFAULT_NAS_DIR, ensureSampleNas } from './local/sample-nas.ts';
import { removeStackState, writeStackState } from './local/state.ts';

const HELP = `npm run dev -- [options]

  --port <n>           Worker port (default 8787)
  --host <ip>          interface for every server (default 127.0.0.1)
  --emulator-port <n>  LINE API emulator (default 8790)
  --proxy-port <n>     WebSocket proxy for the Neon driver (default 8791)
  --db-port <n>        embedded Postgres (default 8792)
  --claude-port <n>    Claude emulator (default 8793)
  --claude <which>     emulator: AI answers from the local Claude emulator (the default, unless
                       .dev.vars holds a real ANTHROPIC_API_KEY); anthropic: Anthropic's API
                       with the key in .dev.vars (the default when it holds one)
  --data-dir <dir>     embedded Postgres data (default .local/pgdata)
  --fresh              delete the embedded data first
  --seed <file>        users and groups the emulator knows (default scripts/local/seed.json)
  --quota <n|none>     the month's push quota the emulator states (default: the seed's, else none);
                       pushes over it are refused with 429 as LINE does (the console's overview shows it)
  --no-migrate         with DATABASE_URL: do not apply drizzle/ to it
  --state-file <file>  where \`npm run line\` finds this stack (default .local/dev-stack.json)
  --nas-dir <dir>      the sample NAS the nas-sync job indexes and sends from (default .local/nas)
  --no-nas             do not run the nas-sync job (no /find, /send or media copies)
  --no-demo            do not add the demo data (alice bound as admin, ops bound to a project)
  Any port 0 picks a free one. DATABASE_URL in the environment replaces the embedded Postgres.`;

const port = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`--${name} must be a port number (got ${value})`);
  return n;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'emulator-port': { type: 'string' },
      'proxy-port': { type: 'string' },
      'db-port': { type: 'string' },
      'claude-port': { type: 'string' },
      claude: { type: 'string' },
      'data-dir': { type: 'string' },
      fresh: { type: 'boolean', default: false },
      seed: { type: 'string' },
      quota: { type: 'string' },
      'no-migrate': { type: 'boolean', default: false },
      'state-file': { type: 'string', default: STACK_STATE_FILE },
      'nas-dir': { type: 'string', default: DEFAULT_NAS_DIR },
      'no-nas': { type: 'boolean', default: false },
      'no-demo': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }

  const color = process.stdout.isTTY;
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[0m` : s);
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
  const say = (line: string) => console.log(line);
  const rel = (p: string) => relative(process.cwd(), p) || '.';

  const createdVars = ensureDevVars();
  const forced = values.claude;
  if (forced !== undefined && forced !== 'emulator' && forced !== 'anthropic')
    throw new UserError(`--claude must be emulator or anthropic (got ${forced})`);
  const claudeChoice = chooseClaude(readDevVars(DEV_VARS), forced);
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  if (values.fresh && !databaseUrl) rmSync(dataDir, { recursive: true, force: true });
  const seedFile = values.seed ?? DEFAULT_SEED_FILE;
  const seed = readSeedFile(seedFile);
  if (values.quota !== undefined) {
    let quota: number | 'none';
    try {
      quota = parseQuota(values.quota);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    seed.quota = quota === 'none' ? { type: 'none' } : { type: 'limited', value: quota };
  }

  const devVars = { ...readDevVars(DEV_VARS_EXAMPLE), ...readDevVars(DEV_VARS) };
  const sampleNas = values['no-nas'] ? undefined : await ensureSampleNas(values['nas-dir']);

  say(bold('linebot-edge: starting the local platform ...'));
  const started = Date.now();
  const stack: Stack = await startStack({
    worker: 'wrangler-dev',
    host: values.host,
    ports: {
      worker: port('port', values.port, 8787),
      emulator: port('emulator-port', values['emulator-port'], 8790),
      proxy: port('proxy-port', values['proxy-port'], 8791),
      database: port('db-port', values['db-port'], 8792),
      claude: port('claude-port', values['claude-port'], 8793),
    },
    databaseUrl,
    migrate: !values['no-migrate'],
    dataDir,
    seed,
    claude:
      claudeChoice.use === 'emulator'
        ? { use: 'emulator', apiKey: LOCAL_ANTHROPIC_API_KEY, log: (line) => say(formatClaudeLine(line, color)) }
        : { use: 'anthropic' },
    nas: sampleNas && {
      shares: sampleNas.shares,
      mediaRoot: sampleNas.mediaRoot,
      agentToken: devVars.NAS_AGENT_TOKEN ?? 'local-dev-nas-agent-token',
      channelAccessToken: devVars.LINE_CHANNEL_ACCESS_TOKEN ?? 'local-dev-channel-access-token',
      onOutput: (line) => say(dim(`nas-sync │ ${line}`)),
    },
    onWorkerOutput: (line) => say(dim(`worker │ ${line}`)),
    transcript: (entry) => say(formatTranscriptEntry(entry, color)),
    log: (line) => say(dim(line)),
  });

  const demo = values['no-demo'] ? undefined : await ensureDemoData(stack.databaseUrl, seed);
  const workerUrl = stack.workerUrl.replace('//127.0.0.1:', '//localhost:');
  const database = stack.embedded
    ? `embedded PGlite (${stack.embedded.created ? 'new' : 'kept'} data in ${rel(dataDir)})  ${stack.databaseUrl}`
    : `DATABASE_URL ${redactUrl(stack.databaseUrl)}${values['no-migrate'] ? '' : ' (migrations applied)'}`;
  say('');
  say(bold(`linebot-edge is up in ${((Date.now() - started) / 1000).toFixed(1)} s`));
  say(`  Worker         ${workerUrl}   webhook ${workerUrl}/api/linebot/webhook`);
  say(`  LINE emulator  ${stack.emulator.url}   seed ${rel(seedFile)}, control ${stack.emulator.url}/__emulator/`);
  say(`  Postgres       ${database}`);
  if (stack.proxy) say(`  WS proxy       ${stack.proxy.address}   (DB_WS_PROXY for the Neon driver)`);
  if (stack.claude)
    say(
      `  Claude         emulator ${stack.claude.url}   (${claudeChoice.reason}; control ${stack.claude.url}/__emulator/)`,
    );
  else {
    const where =
      claudeChoice.use === 'anthropic' && claudeChoice.baseUrl
        ? `ANTHROPIC_BASE_URL ${redactUrl(claudeChoice.baseUrl)}`
        : `Anthropic's API`;
    say(`  Claude         ${where}   (${claudeChoice.reason}; real requests, billed)`);
  }
  if (sampleNas)
    say(
      `  NAS            sample in ${rel(values['nas-dir'])}${sampleNas.created ? ` (${sampleNas.created} files just created)` : ''}; the nas-sync job indexes it, serves /send, copies LINE media`,
    );
  if (demo) say(`  Demo data      ${[demo.account, demo.group].filter(Boolean).join('; ')}`);
  say(`  Secrets        ${rel(DEV_VARS)}${createdVars ? ' (just created from .dev.vars.example)' : ''}`);
  say(`  Cron           fired every minute (${workerUrl}/__scheduled)`);
  say('');
  say(`Talk to the bot:  npm run line -- text "hello @bob" --group ops --user alice`);
  if (sampleNas)
    say(`Find a NAS file:  npm run line -- text "/find 平面圖" --group ops --user alice   then  "/send 1"`);
  say(`Ctrl-C stops everything.`);
  say('');

  writeStackState(
    {
      pid: process.pid,
      workerUrl: stack.workerUrl,
      webhookUrl: stack.webhookUrl,
      emulatorUrl: stack.emulator.url,
      claudeUrl: stack.claude?.url,
      databaseUrl: isLocalUrl(stack.databaseUrl) ? stack.databaseUrl : undefined,
      startedAt: new Date().toISOString(),
    },
    values['state-file'],
  );

  // Cloudflare runs the Cron Trigger every minute; wrangler dev only on request.
  const cron = setInterval(() => {
    fetch(`${stack.workerUrl}/__scheduled?cron=${encodeURIComponent('* * * * *')}`).catch(() => {});
  }, 60_000);

  let stoppingSince = 0;
  const shutdown = async (signal: string, code = 0) => {
    if (stoppingSince) {
      // npm and tsx relay the terminal's Ctrl-C too: only a later, deliberate one forces exit.
      if (Date.now() - stoppingSince < 1_500) return;
      say('forced exit');
      process.exit(1);
    }
    stoppingSince = Date.now();
    say(dim(`\n${signal}: stopping ...`));
    clearInterval(cron);
    removeStackState(values['state-file']);
    await stack.stop();
    say('stopped.');
    process.exit(code);
  };
  void stack.workerExited.then(() => {
    say('wrangler dev exited on its own (see its output above); stopping the rest.');
    void shutdown('wrangler exit', 1);
  });
  process.on('SIGINT', () => void shutdown('Ctrl-C'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
}

/** A Claude emulator line for the console, timed like the chat transcript and kept to one line. */
function formatClaudeLine(line: string, color: boolean): string {
  const time = new Date().toTimeString().slice(0, 8);
  const flat = line.replace(/\s*\n\s*/g, ' ⏎ ');
  // Long answers are cut, the usage figures at the end kept.
  const [, said = flat, usage = ''] = /^(.*?)( \[in \d[^\]]*\])?$/s.exec(flat) ?? [];
  const short = said.length > 200 ? `${said.slice(0, 197)}...${usage}` : flat;
  return color ? `\x1b[2m${time}\x1b[0m  \x1b[35m${short}\x1b[0m` : `${time}  ${short}`;
}

main().catch((e: unknown) => {
  if (e instanceof UserError) console.error(`npm run dev: ${e.message}`);
  else console.error(e);
  process.exit(1);
});
