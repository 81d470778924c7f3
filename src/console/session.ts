/**
 * The console's session: a cookie holding `<session id>.<expiry>.<HMAC-SHA256 of both>`.
 *
 * Nothing is stored server-side: the signature and the expiry inside the signed value are the
 * session. The key is derived (HKDF) from ADMIN_API_TOKEN with a fixed label, so rotating the token
 * ends every session, and an unset token can neither sign nor verify anything. Signing out
 * denylists the session id in this isolate until it expires (other isolates still accept it: the
 * browser has dropped the cookie, and the cookie was HttpOnly, so only a copy taken before sign-out
 * could be replayed, for at most its remaining hours).
 */
import { base64url, deriveKey, hmac, hmacVerify } from '../security/hmac';

export const SESSION_COOKIE = 'linebot_console';
/** How long a sign-in lasts: one working day. */
export const SESSION_TTL_S = 12 * 60 * 60;

/** Purposes of the keys derived from the admin token; a new format or purpose gets a new label. */
export const KEY_LABELS = {
  session: 'linebot-edge console session v1',
  csrf: 'linebot-edge console csrf v1',
} as const;

export interface Session {
  /** 128 random bits, base64url: names the session for sign-out and the CSRF token. */
  id: string;
  /** Epoch seconds. */
  expiresAt: number;
}

const newSessionId = () => base64url(crypto.getRandomValues(new Uint8Array(16)));
const COOKIE_VALUE = /^([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;

/** A new session and its cookie value. Throws without a token: no key, no session. */
export async function signSession(
  adminToken: string | undefined,
  now = Date.now(),
): Promise<{ session: Session; value: string }> {
  const key = await deriveKey(adminToken, KEY_LABELS.session);
  if (!key) throw new Error('ADMIN_API_TOKEN is not set');
  const session = { id: newSessionId(), expiresAt: Math.floor(now / 1000) + SESSION_TTL_S };
  const payload = `${session.id}.${session.expiresAt}`;
  return { session, value: `${payload}.${await hmac(key, payload)}` };
}

/**
 * The session a cookie value proves, or null: malformed, signed with another key (a tampered value,
 * a rotated token), expired by its own signed expiry (whatever the browser's Max-Age did), or an
 * expiry further out than any session this code signs.
 */
export async function verifySession(
  adminToken: string | undefined,
  value: string | undefined,
  now = Date.now(),
): Promise<Session | null> {
  const m = value ? COOKIE_VALUE.exec(value) : null;
  if (!m) return null;
  const key = await deriveKey(adminToken, KEY_LABELS.session);
  if (!key) return null;
  const [, id, exp, signature] = m as unknown as [string, string, string, string];
  if (!(await hmacVerify(key, `${id}.${exp}`, signature))) return null;
  const expiresAt = Number(exp);
  const nowS = Math.floor(now / 1000);
  if (expiresAt <= nowS || expiresAt > nowS + SESSION_TTL_S + 60) return null;
  return { id, expiresAt };
}

/**
 * Session ids signed out in this isolate, kept until their own expiry. Bounded: when full, the
 * entries closest to expiry go first (they are the least useful to a replayer).
 */
export class SignedOutSessions {
  readonly #until = new Map<string, number>();

  constructor(private readonly max = 10_000) {}

  add(session: Session, now = Date.now()) {
    this.prune(now);
    if (this.#until.size >= this.max) {
      const soonest = [...this.#until].sort((a, b) => a[1] - b[1])[0];
      if (soonest) this.#until.delete(soonest[0]);
    }
    this.#until.set(session.id, session.expiresAt);
  }

  has(id: string, now = Date.now()): boolean {
    const until = this.#until.get(id);
    return until !== undefined && until > now / 1000;
  }

  private prune(now: number) {
    for (const [id, until] of this.#until) if (until <= now / 1000) this.#until.delete(id);
  }
}
