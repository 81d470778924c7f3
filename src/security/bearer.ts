/**
 * The bearer check of an API surface (management API, NAS agent routes), in one place: the secret
 * configured and long enough (else 503), the shared limiter (429 with Retry-After once limited, 503
 * when it cannot count), then the token compared in constant time (401 when wrong). Each surface
 * turns a refusal into its own error shape.
 */
import { timingSafeEqual } from 'hono/utils/buffer';
import type { Database } from '../db/client';
import type { AuditVia } from '@linebot-edge/shared/schema';
import type { Logger } from '../lib/log';
import { checkBearer, type AuthSurface } from './limiter';
import { bearerSecret, secretProblem, type SecretName } from './tokens';

/** `Authorization: Bearer <token>` compared in constant time; no expected token refuses everything. */
async function bearerMatches(header: string | undefined, expected: string | undefined): Promise<boolean> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return Boolean(expected) && match !== null && (await timingSafeEqual(match[1]!, expected!));
}

export interface BearerRequest {
  secret: SecretName;
  /** The secret's value in env. */
  expected: string | undefined;
  /** The request's Authorization header. */
  header: string | undefined;
  surface: AuthSurface;
  via: AuditVia;
  client: string;
  path: string;
  log: Logger;
  /** The database the limiter counts in; asked for only once the secret is configured. */
  db: () => Database;
}

export type BearerRefusal =
  | { status: 503; code: 'not_configured' | 'database_unavailable'; message: string }
  | { status: 429; code: 'rate_limited'; message: string; retryAfterSeconds: number }
  | { status: 401; code: 'unauthorized'; message: string };

/** Null: the right token, let it through; else why not. */
export async function refuseBearer(r: BearerRequest): Promise<BearerRefusal | null> {
  const { log, surface, client } = r;
  const secret = bearerSecret(r.secret, r.expected, log);
  if (!secret.ok) return { status: 503, code: 'not_configured', message: secretProblem(r.secret, secret) };
  let verdict;
  try {
    verdict = await checkBearer(r.db(), { surface, via: r.via, client, log }, () =>
      bearerMatches(r.header, secret.token),
    );
  } catch (err) {
    // Without the limiter's count nothing may be compared: refused, and retried later.
    log.error(`${surface}.limiter_unavailable`, { error: err });
    return { status: 503, code: 'database_unavailable', message: 'database unavailable; retry later' };
  }
  if (verdict.ok) return null;
  if (verdict.limited) {
    const { retryAfterSeconds } = verdict;
    return {
      status: 429,
      code: 'rate_limited',
      message: `too many wrong tokens; try again in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    };
  }
  log.warn(`${surface}.unauthorized`, { path: r.path, hasHeader: r.header !== undefined, client });
  return { status: 401, code: 'unauthorized', message: 'missing or invalid bearer token' };
}
