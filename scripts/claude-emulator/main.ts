/**
 * CLI: run the Claude emulator until Ctrl-C, printing each answer.
 *
 *   npx tsx scripts/claude-emulator/main.ts [--port 8793] [--host 127.0.0.1] [--api-key KEY] [--delay MS] [--min-cache-tokens N]
 *
 * Point the worker at it with ANTHROPIC_BASE_URL = the printed URL (any ANTHROPIC_API_KEY works
 * unless --api-key is given).
 */
import { parseArgs } from 'node:util';
import { startClaudeEmulator } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8793' },
    host: { type: 'string', default: '127.0.0.1' },
    'api-key': { type: 'string' },
    delay: { type: 'string' },
    'min-cache-tokens': { type: 'string' },
  },
});

const number = (name: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    console.error(`Invalid --${name}: ${value}`);
    process.exit(2);
  }
  return n;
};

const emulator = await startClaudeEmulator({
  port: number('port', values.port, 65535),
  host: values.host,
  apiKey: values['api-key'],
  minCacheTokens: number('min-cache-tokens', values['min-cache-tokens']),
  log: (line) => console.log(`${new Date().toTimeString().slice(0, 8)}  ${line}`),
});
const delay = number('delay', values.delay);
if (delay) emulator.delay({ ms: delay });
console.log(`Claude emulator listening on ${emulator.url} (control endpoints under ${emulator.url}/__emulator/)`);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) process.exit(1); // a second Ctrl-C forces exit
  stopping = true;
  await emulator.close();
  const s = emulator.stats();
  console.log(`Claude emulator stopped (${s.requests} requests, ${s.violations} violations)`);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
