/**
 * CLI: run the LINE emulator until Ctrl-C.
 *
 *   npx tsx scripts/line-emulator/main.ts [--port 8790] [--host 127.0.0.1] [--spec path/to/messaging-api.yml] [--seed scripts/local/seed.json] [--quota 200|none]
 *
 * `--quota` sets the month's push quota (default: the seed's, else none); pushes over it are
 * refused with 429, as LINE does. `curl -X PUT <url>/__emulator/quota -d '{"totalUsage":190}'`
 * moves the use, `POST /__emulator/quota/refusals` refuses pushes whatever the figures.
 *
 * Point the worker at it with LINE_API_BASE_URL and LINE_DATA_API_BASE_URL = the printed URL.
 */
import { parseArgs } from 'node:util';
import { parseQuota, readSeedFile } from './seed.ts';
import { startLineEmulator } from './server.ts';
import { formatTranscriptEntry } from './transcript.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8790' },
    host: { type: 'string', default: '127.0.0.1' },
    spec: { type: 'string' },
    seed: { type: 'string' },
    quota: { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid --port: ${values.port}`);
  process.exit(2);
}

let quota: number | 'none' | undefined;
try {
  quota = values.quota === undefined ? undefined : parseQuota(values.quota);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}

const emulator = await startLineEmulator({
  quota,
  port,
  host: values.host,
  specPath: values.spec,
  seed: values.seed ? readSeedFile(values.seed) : undefined,
  // The chat transcript: what users said (as reported by `npm run line`) and what the bot sent.
  transcript: (entry) => console.log(formatTranscriptEntry(entry, process.stdout.isTTY)),
});
console.log(`LINE emulator listening on ${emulator.url} (control endpoints under ${emulator.url}/__emulator/)`);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) process.exit(1); // a second Ctrl-C forces exit
  stopping = true;
  await emulator.close();
  const violations = emulator.violations().length;
  console.log(`LINE emulator stopped (${emulator.requests().length} requests, ${violations} violations)`);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
