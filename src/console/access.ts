/**
 * Cloudflare Access in front of /admin (optional): the `Cf-Access-Jwt-Assertion` header Access
 * adds to every request it let through is an RS256 JWT signed with the team's keys. A valid one
 * counts as signed in. Only when both ACCESS_TEAM_DOMAIN and ACCESS_AUD are set (`config(env).access`,
 * src/config): a half-configured Access must not be trusted with an empty audience.
 *
 * Verified with Web Crypto (Hono's JWT helper): the signature against the team's JWKS at
 * `https://<team domain>/cdn-cgi/access/certs`, `aud` = ACCESS_AUD, `iss` = the team domain, and
 * `exp` (required) and `nbf`.
 */
import { Jwt } from 'hono/utils/jwt';
import type { HonoJsonWebKey } from 'hono/utils/jwt/jws';
import type { AccessConfig } from '../config';
import type { Logger } from '../lib/log';

export const ACCESS_HEADER = 'cf-access-jwt-assertion';

const certsUrl = (c: AccessConfig) => `https://${c.teamDomain}/cdn-cgi/access/certs`;

export type FetchJwks = (url: string) => Promise<HonoJsonWebKey[]>;

const fetchJwksOverHttp: FetchJwks = async (url) => {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`JWKS ${url} answered ${res.status}`);
  const body = (await res.json()) as { keys?: unknown };
  if (!Array.isArray(body.keys)) throw new Error(`JWKS ${url} has no keys array`);
  return body.keys as HonoJsonWebKey[];
};

/**
 * The team's keys, cached per isolate for 10 minutes. A token naming a key id we do not have
 * refetches (Access rotates its keys), but at most once a minute, so junk tokens cannot make us
 * hammer the certs endpoint.
 */
export function jwksCache(fetchJwks: FetchJwks = fetchJwksOverHttp, ttlMs = 10 * 60_000, refetchAfterMs = 60_000) {
  const cache = new Map<string, { keys: HonoJsonWebKey[]; at: number }>();
  return async (url: string, kid: string | undefined, now = Date.now()): Promise<HonoJsonWebKey[]> => {
    const hit = cache.get(url);
    const fresh = hit && now - hit.at < ttlMs;
    const knowsKid = hit?.keys.some((k) => k.kid === kid);
    if (hit && fresh && (knowsKid || now - hit.at < refetchAfterMs)) return hit.keys;
    const keys = await fetchJwks(url);
    cache.set(url, { keys, at: now });
    return keys;
  };
}

export type JwksSource = ReturnType<typeof jwksCache>;

export interface AccessIdentity {
  /** Access's stable user id. */
  sub: string;
  email?: string;
}

const kidOf = (token: string): string | undefined => {
  try {
    const header = JSON.parse(atob(token.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/'))) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
};

/** The identity a `Cf-Access-Jwt-Assertion` proves, or null (logged as a warning with the reason, never the token). */
export async function verifyAccessJwt(
  token: string,
  config: AccessConfig,
  jwks: JwksSource,
  log: Logger,
): Promise<AccessIdentity | null> {
  try {
    const keys = await jwks(certsUrl(config), kidOf(token));
    const payload = await Jwt.verifyWithJwks(token, {
      keys,
      allowedAlgorithms: ['RS256'],
      verification: { aud: config.aud, iss: `https://${config.teamDomain}` },
    });
    // Hono checks exp only when present; an Access token always has one, so one without is forged.
    if (typeof payload.exp !== 'number') throw new Error('no exp claim');
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('no sub claim');
    return { sub: payload.sub, email: typeof payload.email === 'string' ? payload.email : undefined };
  } catch (err) {
    // Hono's JWT errors quote the token in their message: log only which check failed.
    const reason = err instanceof Error ? (err.name.startsWith('Jwt') ? err.name : err.message) : 'unknown';
    log.warn('console.access_jwt_refused', { reason });
    return null;
  }
}
