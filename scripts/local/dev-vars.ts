/**
 * `.dev.vars`: the Worker's local secrets (wrangler dev reads it). Created from the committed
 * `.dev.vars.example` on first run, and read here too so `npm run line` signs with the same
 * channel secret the Worker checks.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './paths.ts';

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

/** The channel secret the local Worker checks: .dev.vars, else the example's made-up value. */
export function localChannelSecret(): string {
  const secret = readDevVars().LINE_CHANNEL_SECRET ?? readDevVars(DEV_VARS_EXAMPLE).LINE_CHANNEL_SECRET;
  if (!secret) throw new Error(`no LINE_CHANNEL_SECRET in ${DEV_VARS} or ${DEV_VARS_EXAMPLE}`);
  return secret;
}
