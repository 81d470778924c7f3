/**
 * The sender's part of the job's environment: where to upload (WORKER_URL), with what
 * (NAS_AGENT_TOKEN), from which shares (NAS_SHARES), up to what size (NAS_SEND_MAX_BYTES). Sending
 * is on only when the first three are set; a value that is set but wrong is a configuration problem.
 */
import { parseShares, type Share } from './resolve.ts';

export const SEND_DEFAULTS = {
  /** As the Worker's NAS_SEND_MAX_BYTES var (wrangler.toml). */
  maxBytes: 104_857_600,
};

export type SendSetup =
  | { enabled: true; workerUrl: string; agentToken: string; shares: Share[]; maxBytes: number }
  | { enabled: false; /** The variables left unset (why sending is off). */ missing: string[] };

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Problems are pushed onto `problems` (reported with the rest of the job's configuration).
 * `shares`: NAS_SHARES as the caller parsed it (its problems reported there); parsed here if absent.
 */
export function parseSendConfig(env: NodeJS.ProcessEnv, problems: string[], shares?: readonly Share[]): SendSetup {
  const rawUrl = env.WORKER_URL?.trim() ?? '';
  const agentToken = env.NAS_AGENT_TOKEN?.trim() ?? '';
  const rawShares = env.NAS_SHARES?.trim() ?? '';
  const rawMax = env.NAS_SEND_MAX_BYTES?.trim() ?? '';
  const before = problems.length;

  let workerUrl = '';
  if (rawUrl) {
    let u: URL | undefined;
    try {
      u = new URL(rawUrl);
    } catch {
      problems.push(`WORKER_URL is not a URL: ${JSON.stringify(rawUrl)}`);
    }
    if (u) {
      if (u.username || u.password || u.search || u.hash) {
        problems.push('WORKER_URL must be a plain origin (and optional path): no credentials, query or fragment');
      } else if (u.protocol === 'https:' || (u.protocol === 'http:' && LOCAL_HOSTS.has(u.hostname))) {
        workerUrl = `${u.origin}${u.pathname}`.replace(/\/+$/, '');
      } else {
        problems.push(`WORKER_URL must be https:// (http:// only for localhost); got ${JSON.stringify(`${u.protocol}//${u.host}`)}`);
      }
    }
  }
  // A bearer token goes into a header as is: printable ASCII without spaces. Never echoed back.
  if (agentToken && !/^[\x21-\x7e]+$/.test(agentToken)) problems.push('NAS_AGENT_TOKEN must be printable ASCII without spaces');

  let maxBytes = SEND_DEFAULTS.maxBytes;
  if (rawMax) {
    const n = Number(rawMax);
    if (!Number.isSafeInteger(n) || n < 1) problems.push(`NAS_SEND_MAX_BYTES must be a whole number of bytes (got ${JSON.stringify(rawMax)})`);
    else maxBytes = n;
  }

  let served: Share[] = shares ? [...shares] : [];
  if (!shares && rawShares) {
    const parsed = parseShares(rawShares);
    problems.push(...parsed.problems);
    served = parsed.shares;
    if (served.length === 0 && parsed.problems.length === 0) problems.push('NAS_SHARES names no share');
  }

  const missing = [
    ...(rawUrl ? [] : ['WORKER_URL']),
    ...(agentToken ? [] : ['NAS_AGENT_TOKEN']),
    ...(rawShares ? [] : ['NAS_SHARES']),
  ];
  if (missing.length > 0 || problems.length > before || served.length === 0) return { enabled: false, missing };
  return { enabled: true, workerUrl, agentToken, shares: served, maxBytes };
}
