/**
 * Wrong sign-in tokens per client: 5 in 15 minutes, then every try (right or wrong) is refused
 * with 429 until the oldest of them leaves the window.
 *
 * Kept in memory, per isolate. Why not Postgres: `line_binding_attempts` counts per LINE user
 * (a foreign key to line_users), not per network client, and a table of our own needs a migration.
 * What that costs: Cloudflare runs many isolates, so a determined guesser gets these 5 tries per
 * isolate it reaches. The admin token is a long random secret, which no budget of that size can
 * guess; the limit is there to stop scripted hammering and to make noise in the logs. A shared,
 * durable limit would be a `console_login_attempts (client text, created_at timestamptz)` table
 * or a Workers Rate Limiting binding behind the same `LoginLimiter` interface.
 */

export interface LoginLimiter {
  /** Seconds until the client may try again, or 0 when it may try now. */
  retryAfter(client: string, now?: number): number;
  recordFailure(client: string, now?: number): void;
  recordSuccess(client: string): void;
}

export interface LimitOptions {
  maxFailures: number;
  windowMs: number;
  /** Clients tracked at once; past it the longest-idle client is forgotten (memory stays bounded). */
  maxClients: number;
}

export const LOGIN_LIMIT: LimitOptions = { maxFailures: 5, windowMs: 15 * 60 * 1000, maxClients: 10_000 };

export function memoryLoginLimiter(options: LimitOptions = LOGIN_LIMIT): LoginLimiter {
  /** Failure times per client, oldest first; Map order = least recently failed first. */
  const failures = new Map<string, number[]>();
  const recent = (client: string, now: number) => {
    const times = (failures.get(client) ?? []).filter((at) => at > now - options.windowMs);
    if (times.length === 0) failures.delete(client);
    else failures.set(client, times);
    return times;
  };
  return {
    retryAfter(client, now = Date.now()) {
      const times = recent(client, now);
      if (times.length < options.maxFailures) return 0;
      // The window reopens when enough of the failures have aged out.
      const reopensAt = times[times.length - options.maxFailures]! + options.windowMs;
      return Math.max(1, Math.ceil((reopensAt - now) / 1000));
    },
    recordFailure(client, now = Date.now()) {
      const times = recent(client, now);
      failures.delete(client);
      if (failures.size >= options.maxClients) failures.delete(failures.keys().next().value!);
      failures.set(client, [...times, now].slice(-options.maxFailures));
    },
    recordSuccess(client) {
      failures.delete(client);
    },
  };
}

/** Who is trying: Cloudflare's client address, else one shared bucket (local runs, tests without it). */
export const clientKey = (connectingIp: string | undefined) => connectingIp?.trim() || 'unknown-client';
