/**
 * The running `npm run dev`'s addresses, in `.local/dev-stack.json`, so `npm run line` finds the
 * webhook, the emulator and the database without flags.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { STACK_STATE_FILE } from './paths.ts';

export interface StackState {
  pid: number;
  workerUrl: string;
  webhookUrl: string;
  emulatorUrl: string;
  /** The Claude emulator; absent when the Worker asks Anthropic's API. */
  claudeUrl?: string;
  /** Only for a local database (never a cloud URL with its password). */
  databaseUrl?: string;
  startedAt: string;
}

export function writeStackState(state: StackState, path = STACK_STATE_FILE): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`);
}

/** The state of a stack that is still running, or undefined. */
export function readStackState(path = STACK_STATE_FILE): StackState | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as StackState;
    process.kill(state.pid, 0); // throws when that `npm run dev` is gone
    return state;
  } catch {
    return undefined;
  }
}

export function removeStackState(path = STACK_STATE_FILE): void {
  rmSync(path, { force: true });
}
