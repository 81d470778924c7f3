/**
 * `.dev.vars`: the Worker's local secrets (wrangler dev reads it). Created from the committed
 * `.dev.vars.example` on first run, and read here too so `npm run line` signs with the same
 * channel secret the Worker checks.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './paths.ts';
import { UserError } from './ports.ts';

export const DEV_VARS = join(PROJECT_ROOT, '.dev.vars');
export const DEV_VARS_EXAMPLE = join(PROJECT_ROOT, '.dev.vars.example');

/** Copies the example when `.dev.vars` is missing; returns whether it did. */
export function ensureDevVars(path = DEV_VARS, example = DEV_VARS_EXAMPLE): boolean {
  if (existsSync(path)) return false;
  copyFileSync(example, path);
  return true;
}

/** KEY=VALUE lines (dotenv style: # comments, optional quotes); {} when the file is missing. */
export function readDevVars(path = DEV_VARS): Record<string, string> {
  if (!existsSync(path)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, '\n') : quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    vars[m[1]!] = value;
  }
  return vars;
}

/** The example's ANTHROPIC_API_KEY: not a key, it means "answer with the local Claude emulator". */
export const LOCAL_ANTHROPIC_API_KEY = 'local-dev-anthropic-key';

/** Where the Worker's AI answers come from under `npm run dev`. */
export type ClaudeChoice =
  | { use: 'emulator'; reason: string }
  /** Anthropic's API (or the ANTHROPIC_BASE_URL `.dev.vars` names) with `.dev.vars`'s own key. */
  | { use: 'anthropic'; reason: string; baseUrl?: string };

/**
 * `.dev.vars` holding an ANTHROPIC_API_KEY other than the example's placeholder means "use
 * Claude for real"; anything else (no key, empty, the placeholder) means the local emulator.
 * `forced` is the `--claude` flag. Never returns or prints the key itself.
 */
export function chooseClaude(devVars: Record<string, string>, forced?: 'emulator' | 'anthropic'): ClaudeChoice {
  const key = devVars.ANTHROPIC_API_KEY?.trim() ?? '';
  const real = key !== '' && key !== LOCAL_ANTHROPIC_API_KEY;
  const baseUrl = devVars.ANTHROPIC_BASE_URL?.trim() || undefined;
  if (forced === 'emulator') return { use: 'emulator', reason: '--claude emulator' };
  if (forced === 'anthropic') {
    if (!real)
      throw new UserError(
        `--claude anthropic needs a real ANTHROPIC_API_KEY in ${DEV_VARS} (it has ${key ? 'the local placeholder' : 'none'})`,
      );
    return { use: 'anthropic', reason: `--claude anthropic, ANTHROPIC_API_KEY from .dev.vars`, baseUrl };
  }
  if (real) return { use: 'anthropic', reason: 'ANTHROPIC_API_KEY from .dev.vars', baseUrl };
  return {
    use: 'emulator',
    reason: key ? 'the placeholder ANTHROPIC_API_KEY in .dev.vars' : 'no ANTHROPIC_API_KEY in .dev.vars',
  };
}

/** The channel secret the local Worker checks: .dev.vars, else the example's made-up value. */
export function localChannelSecret(): string {
  const secret = readDevVars().LINE_CHANNEL_SECRET ?? readDevVars(DEV_VARS_EXAMPLE).LINE_CHANNEL_SECRET;
  if (!secret) throw new Error(`no LINE_CHANNEL_SECRET in ${DEV_VARS} or ${DEV_VARS_EXAMPLE}`);
  return secret;
}
