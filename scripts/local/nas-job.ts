/**
 * The on-prem nas-sync job beside the local Worker: the same CLI an operator runs
 * (`npm run nas-sync`), pointed at the local database, the LINE emulator's content API, the sample
 * NAS and the Worker's upload endpoint. It indexes the shares, serves `/send` requests and copies
 * LINE media into the sample's media folder.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from './paths.ts';

export interface NasJobOptions {
  databaseUrl: string;
  lineDataApiUrl: string;
  channelAccessToken: string;
  workerUrl: string;
  agentToken: string;
  shares: string;
  mediaRoot: string;
  onOutput?: (line: string) => void;
}

export interface NasJob {
  stop(): Promise<void>;
}

export function startNasJob(options: NasJobOptions): NasJob {
  const child = spawn(
    // Node itself strips the job's types, as on the NAS host (no tsx).
    process.execPath,
    // Poll every second as well: the embedded database may not deliver NOTIFY to another session.
    [join(PROJECT_ROOT, 'nas-sync', 'src', 'main.ts'), '--poll-interval', '1', '--json'],
    {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: options.databaseUrl,
        LINE_CHANNEL_ACCESS_TOKEN: options.channelAccessToken,
        LINE_DATA_API_BASE_URL: options.lineDataApiUrl,
        NAS_ROOT: options.mediaRoot,
        NAS_SHARES: options.shares,
        WORKER_URL: options.workerUrl,
        NAS_AGENT_TOKEN: options.agentToken,
      },
    },
  );
  const onLine = (line: string) => options.onOutput?.(line);
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  return {
    async stop() {
      process.off('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM'); // the job finishes its current file and releases its claims
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
