/**
 * The sender's part of the job's environment: where to upload (WORKER_URL), with what
 * (NAS_AGENT_TOKEN), from which shares (NAS_SHARES), up to what size (NAS_SEND_MAX_BYTES, with the
 * Worker's own bounds and clamping). Sending is on only when the first three are set; a value that
 * is set but wrong is a configuration problem.
 */
import { NAS_SEND_MAX_BYTES } from '@linebot-edge/shared/upload-contract';
import { z } from 'zod';
import { byteCount, envSetting, envText, problemsOf, type Adjusted } from '../settings.ts';
import { parseShares, type Share } from './resolve.ts';

export type SendSetup =
  | { enabled: true; workerUrl: string; agentToken: string; shares: Share[]; maxBytes: number }
  | {
      enabled: false;
      /** The variables left unset (why sending is off). */
      missing: string[];
    };

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The Worker's origin (and optional path), without a trailing slash; '' when unset. */
const workerUrl = envSetting((raw, problem) => {
  if (!raw) return '';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    problem(`WORKER_URL is not a URL: ${JSON.stringify(raw)}`);
    return '';
  }
  if (u.username || u.password || u.search || u.hash) {
    problem('WORKER_URL must be a plain origin (and optional path): no credentials, query or fragment');
  } else if (u.protocol === 'https:' || (u.protocol === 'http:' && LOCAL_HOSTS.has(u.hostname))) {
    return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
  } else {
    problem(
      `WORKER_URL must be https:// (http:// only for localhost); got ${JSON.stringify(`${u.protocol}//${u.host}`)}`,
    );
  }
  return '';
});

/** The variables the sender reads besides NAS_SHARES (which the job reads for the indexer too). */
export const sendEnv = {
  WORKER_URL: workerUrl,
  // A bearer token goes into a header as is: printable ASCII without spaces. Never echoed back.
  NAS_AGENT_TOKEN: envText.pipe(
    z.string().regex(/^[\x21-\x7e]*$/, 'NAS_AGENT_TOKEN must be printable ASCII without spaces'),
  ),
  NAS_SEND_MAX_BYTES: byteCount('NAS_SEND_MAX_BYTES', NAS_SEND_MAX_BYTES, {
    example: '104857600 for 100 MiB',
    fractions: 'cut',
    format: String,
  }),
};

export interface SendEnv {
  WORKER_URL: string;
  NAS_AGENT_TOKEN: string;
  NAS_SEND_MAX_BYTES: Adjusted<number>;
}

/** The setup from the sender's variables, once they have parsed without a problem. */
export function sendSetup(env: SendEnv, rawShares: string, shares: readonly Share[]): SendSetup {
  const missing = [
    ...(env.WORKER_URL ? [] : ['WORKER_URL']),
    ...(env.NAS_AGENT_TOKEN ? [] : ['NAS_AGENT_TOKEN']),
    ...(rawShares ? [] : ['NAS_SHARES']),
  ];
  if (missing.length > 0 || shares.length === 0) return { enabled: false, missing };
  return {
    enabled: true,
    workerUrl: env.WORKER_URL,
    agentToken: env.NAS_AGENT_TOKEN,
    shares: [...shares],
    maxBytes: env.NAS_SEND_MAX_BYTES.value,
  };
}

const sendOnly = z.object({ ...sendEnv, NAS_SHARES: envText });

/**
 * The sender's configuration on its own (the job reads it with the rest, config.ts). `shares`:
 * NAS_SHARES as the caller parsed it (its problems reported there); parsed here if absent.
 */
export function parseSendConfig(
  env: NodeJS.ProcessEnv,
  shares?: readonly Share[],
): { setup: SendSetup; problems: string[]; warnings: string[] } {
  const parsed = sendOnly.safeParse(env);
  if (!parsed.success)
    return { setup: { enabled: false, missing: [] }, problems: problemsOf(parsed.error), warnings: [] };
  const raw = parsed.data.NAS_SHARES;
  let served = shares;
  const problems: string[] = [];
  if (!served) {
    const own = parseShares(raw);
    problems.push(...own.problems);
    if (raw && own.shares.length === 0 && own.problems.length === 0) problems.push('NAS_SHARES names no share');
    served = own.shares;
  }
  const warning = parsed.data.NAS_SEND_MAX_BYTES.warning;
  if (problems.length > 0) return { setup: { enabled: false, missing: [] }, problems, warnings: [] };
  return { setup: sendSetup(parsed.data, raw, served), problems, warnings: warning ? [warning] : [] };
}
