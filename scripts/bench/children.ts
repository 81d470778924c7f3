/**
 * The bench's helper processes (load generator, baseline servers): TypeScript run with tsx's
 * loader on this same Node, config as one JSON argument, answers as JSON lines on stdout.
 * Each is killed when the bench exits, and a load run is killed if it overstays its time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { LoadConfig, LoadResult } from './load.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function spawnTs(file: string, config: unknown): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', here(file), JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  return child;
}

/** The first JSON line the child prints, or an error if it exits or stays silent. */
function firstJsonLine<T>(child: ChildProcess, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      lines.close();
      // A bad line rejects (and the bench cleans up) instead of crashing it from this handler.
      try {
        resolve(JSON.parse(line) as T);
      } catch (e) {
        reject(new Error(`${what}: unreadable answer (${(e as Error).message})`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) without an answer`));
    });
  });
}

export interface ServerChild {
  url: string;
  stop(): Promise<void>;
}

export async function startServerChild(
  file: 'sdk-server.ts' | 'article-server.ts',
  config: unknown,
): Promise<ServerChild> {
  const child = spawnTs(file, config);
  const { port } = await firstJsonLine<{ port: number }>(child, 30_000, file);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function runLoadChild(config: LoadConfig): Promise<LoadResult> {
  // Bounded: autocannon stops itself after durationSec; this is the safety net.
  return firstJsonLine<LoadResult>(spawnTs('load.ts', config), (config.durationSec + 30) * 1000, 'load generator');
}
