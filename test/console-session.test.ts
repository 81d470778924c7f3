/**
 * The console's sign-in, inside workerd: the signed session cookie (tampered, expired, wrong key),
 * signing in and out over HTTP, the rate limit on wrong tokens, what happens without a session,
 * the CSRF token and Origin rules as pure functions, and Cloudflare Access assertions verified
 * against a JWKS this test serves from a locally generated RSA key.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { Jwt } from 'hono/utils/jwt';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app';
import { config as configOf } from '../src/config';
import { jwksCache, verifyAccessJwt, type FetchJwks } from '../src/console/access';
import { crossSiteRefusal, csrfToken, verifyCsrfToken } from '../src/console/csrf';
import { pickLanguage } from '../src/lib/accept-language';
import { createConsole, type ConsoleDeps } from '../src/console/index';
import { deriveKey, hmac } from '../src/security/hmac';
import {
  KEY_LABELS,
  SESSION_COOKIE,
  SESSION_TTL_S,
  SignedOutSessions,
  signSession,
  verifySession,
} from '../src/console/session';
import { createLogger } from '../src/lib/log';
import { AUTH_LIMIT, clientOf } from '../src/security/limiter';
import { forgetAuthFailures, forgetIfRefused, newClientIp, ownClient } from './support/clients';
import { withDb } from './support/db';

const TOKEN = env.ADMIN_API_TOKEN;
const ORIGIN = 'https://bot.example';

// ---- the console as app.ts mounts it, and a browser-like client --------------------------------

type Deps = Parameters<typeof createConsole>[0];

function consoleApp(deps?: Deps) {
  return createApp({ console: createConsole(deps) });
}

interface SendOptions {
  form?: Record<string, string>;
  cookie?: string;
  headers?: Record<string, string>;
  env?: Partial<Env> & Record<string, string>;
  origin?: string;
}

async function send(app: ReturnType<typeof consoleApp>, method: string, path: string, o: SendOptions = {}) {
  const origin = o.origin ?? ORIGIN;
  const headers: Record<string, string> = { ...o.headers };
  if (o.cookie) headers.cookie = o.cookie;
  // What a browser sends with a same-origin form post.
  if (method !== 'GET' && !('origin' in headers)) headers.origin = origin;
  let body: URLSearchParams | undefined;
  if (o.form) body = new URLSearchParams(o.form);
  const client = ownClient(headers);
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(`${origin}/admin${path}`, { method, headers, body, redirect: 'manual' }),
    { ...env, ...o.env },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  await forgetIfRefused(res.status, client);
  return res;
}

const uniqueIp = newClientIp;

/** The session cookie a response sets, as a `Cookie` header value, and its attributes. */
function sessionCookie(res: Response) {
  const line = res.headers.getSetCookie().find((l) => l.startsWith(`${SESSION_COOKIE}=`));
  if (!line) return undefined;
  const [pair, ...attrs] = line.split(';').map((s) => s.trim());
  return { cookie: pair!, value: pair!.slice(SESSION_COOKIE.length + 1), attrs: attrs.map((a) => a.toLowerCase()) };
}

async function signIn(app: ReturnType<typeof consoleApp>, o: SendOptions = {}) {
  const res = await send(app, 'POST', '/login', {
    ...o,
    form: { token: TOKEN },
    headers: { 'cf-connecting-ip': uniqueIp(), ...o.headers },
  });
  expect(res.status).toBe(303);
  return sessionCookie(res)!.cookie;
}

const csrfOf = async (res: Response) => /name="_csrf" value="([^"]*)"/.exec(await res.text())?.[1];

// ---- the session cookie --------------------------------------------------------------------------

describe('session cookie', () => {
  it('verifies what it signed: the id and the expiry 12 h out', async () => {
    const now = Date.now();
    const { session, value } = await signSession(TOKEN, now);
    expect(session.expiresAt).toBe(Math.floor(now / 1000) + SESSION_TTL_S);
    expect(value).toMatch(/^[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(await verifySession(TOKEN, value, now)).toEqual(session);
    // Every session is new.
    expect((await signSession(TOKEN, now)).session.id).not.toBe(session.id);
  });

  it('refuses a value changed anywhere', async () => {
    const { value } = await signSession(TOKEN);
    const [id, exp, sig] = value.split('.') as [string, string, string];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const tampered = [
      `${flip(id, 0)}.${exp}.${sig}`,
      `${id}.${Number(exp) + 3600}.${sig}`,
      `${id}.${Number(exp) - 1}.${sig}`,
      `${id}.${exp}.${flip(sig, 10)}`,
      `${id}.${exp}.${sig.slice(0, -1)}`,
      `${id}.${exp}.${sig}x`,
      `${id}.${exp}`,
      `${id}..${sig}`,
      value.replace(/\./g, '|'),
      '',
      'null',
    ];
    for (const v of tampered) expect(await verifySession(TOKEN, v), v).toBeNull();
    expect(await verifySession(TOKEN, undefined)).toBeNull();
  });

  it('refuses an expired session by the expiry inside the value', async () => {
    const signedAt = Date.now() - SESSION_TTL_S * 1000 - 1000;
    const { value } = await signSession(TOKEN, signedAt);
    expect(await verifySession(TOKEN, value)).toBeNull();
    expect(await verifySession(TOKEN, value, signedAt + SESSION_TTL_S * 1000 - 1000)).not.toBeNull();
    expect(await verifySession(TOKEN, value, signedAt + SESSION_TTL_S * 1000)).toBeNull();
  });

  it('refuses an expiry further out than any session it signs, even when correctly signed', async () => {
    const key = (await deriveKey(TOKEN, KEY_LABELS.session))!;
    const id = 'a'.repeat(22);
    const exp = Math.floor(Date.now() / 1000) + 30 * 24 * 3600;
    expect(await verifySession(TOKEN, `${id}.${exp}.${await hmac(key, `${id}.${exp}`)}`)).toBeNull();
    const fine = Math.floor(Date.now() / 1000) + 3600;
    expect(await verifySession(TOKEN, `${id}.${fine}.${await hmac(key, `${id}.${fine}`)}`)).not.toBeNull();
  });

  it('refuses a value signed with another key: another token, or the CSRF key', async () => {
    const { value } = await signSession(TOKEN);
    expect(await verifySession(`${TOKEN}-rotated`, value)).toBeNull();
    const csrfKey = (await deriveKey(TOKEN, KEY_LABELS.csrf))!;
    const [id, exp] = value.split('.');
    expect(await verifySession(TOKEN, `${id}.${exp}.${await hmac(csrfKey, `${id}.${exp}`)}`)).toBeNull();
  });

  it('an unset token signs nothing and verifies nothing', async () => {
    await expect(signSession('')).rejects.toThrow(/ADMIN_API_TOKEN/);
    await expect(signSession(undefined)).rejects.toThrow();
    const { value } = await signSession(TOKEN);
    expect(await verifySession('', value)).toBeNull();
    expect(await verifySession(undefined, value)).toBeNull();
  });

  it('signed-out sessions are remembered until they expire, in bounded memory', () => {
    const out = new SignedOutSessions(2);
    const now = Date.now();
    const s = (id: string, inS: number) => ({ id, expiresAt: Math.floor(now / 1000) + inS });
    out.add(s('a', 100), now);
    expect(out.has('a', now)).toBe(true);
    expect(out.has('a', now + 101_000)).toBe(false);
    expect(out.has('b', now)).toBe(false);
    out.add(s('b', 200), now);
    out.add(s('c', 300), now);
    // Full: the one closest to expiry made room.
    expect([out.has('a', now), out.has('b', now), out.has('c', now)]).toEqual([false, true, true]);
  });
});

// ---- CSRF: token and origin ------------------------------------------------------------------------

describe('CSRF token', () => {
  it('is bound to the session and to the admin token', async () => {
    const token = (await csrfToken(TOKEN, 'session-a'))!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await verifyCsrfToken(TOKEN, 'session-a', token)).toBe(true);
    expect(await verifyCsrfToken(TOKEN, 'session-b', token)).toBe(false);
    expect(await verifyCsrfToken(`${TOKEN}x`, 'session-a', token)).toBe(false);
    for (const bad of [undefined, '', token.slice(1), `${token}=`, token.toUpperCase(), 42, ['x']]) {
      expect(await verifyCsrfToken(TOKEN, 'session-a', bad), String(bad)).toBe(false);
    }
    expect(await csrfToken('', 'session-a')).toBeNull();
    expect(await verifyCsrfToken('', 'session-a', token)).toBe(false);
  });
});

describe('cross-site refusal', () => {
  const self = 'https://bot.example';
  const cases: Array<
    [
      method: string,
      origin: string | undefined,
      site: string | undefined,
      expected: ReturnType<typeof crossSiteRefusal>,
    ]
  > = [
    ['POST', self, 'same-origin', null],
    ['POST', self, undefined, null],
    ['POST', undefined, 'same-origin', null],
    ['POST', undefined, undefined, null], // no browser headers: the CSRF token still decides
    ['POST', undefined, 'none', null],
    ['POST', 'https://evil.example', undefined, 'foreign_origin'],
    ['POST', 'https://evil.example', 'same-origin', 'foreign_origin'],
    ['POST', 'http://bot.example', undefined, 'foreign_origin'], // another scheme is another origin
    ['POST', 'https://bot.example:8443', undefined, 'foreign_origin'],
    ['POST', 'https://sub.bot.example', 'same-site', 'foreign_origin'],
    ['POST', 'null', undefined, 'foreign_origin'],
    ['POST', undefined, 'cross-site', 'cross_site'],
    ['POST', self, 'cross-site', 'cross_site'],
    ['POST', undefined, 'same-site', 'cross_site'],
    ['POST', undefined, 'bogus', 'cross_site'],
    ['DELETE', 'https://evil.example', undefined, 'foreign_origin'],
    ['GET', 'https://evil.example', 'cross-site', null],
    ['HEAD', undefined, 'cross-site', null],
  ];
  it.each(cases)('%s Origin=%s Sec-Fetch-Site=%s -> %s', (method, origin, secFetchSite, expected) => {
    expect(crossSiteRefusal({ method, selfOrigin: self, origin, secFetchSite })).toBe(expected);
  });
});

describe('language', () => {
  const cases: Array<[header: string | undefined, expected: string]> = [
    [undefined, 'zh-Hant'],
    ['', 'zh-Hant'],
    ['zh-TW,zh;q=0.9', 'zh-Hant'],
    ['en-US,en;q=0.9', 'en'],
    ['en', 'en'],
    ['zh-TW,en;q=0.8', 'zh-Hant'],
    ['en-GB,zh-TW;q=0.9', 'en'],
    ['zh-TW;q=0.5,en;q=0.8', 'en'],
    ['ja-JP,en;q=0.5', 'en'],
    ['ja-JP', 'zh-Hant'],
    ['fr, *;q=0.5', 'zh-Hant'],
    ['en;q=0', 'zh-Hant'],
    ['EN-us', 'en'],
    ['zh-Hant-TW, en', 'zh-Hant'],
    ['en;q=0.8, zh;q=0.8', 'en'],
    ['garbage;;;q=x,,', 'zh-Hant'],
  ];
  it.each(cases)('Accept-Language %j -> %s', (header, expected) => expect(pickLanguage(header)).toBe(expected));
});

// ---- signing in and out over HTTP -----------------------------------------------------------------

describe('sign-in over HTTP', () => {
  it('the sign-in page is one password field, open without a session', async () => {
    const app = consoleApp();
    const res = await send(app, 'GET', '/login');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html.match(/<input/g)).toHaveLength(1);
    expect(html).toContain('type="password"');
    expect(html).toContain('action="/admin/login"');
    // No menu for someone not signed in.
    expect(html).not.toContain('/admin/logout');
  });

  it('the right token: a session cookie (HttpOnly, SameSite=Strict, Secure, Path=/admin, 12 h) and a 303 to /admin', async () => {
    const app = consoleApp();
    const res = await send(app, 'POST', '/login', {
      form: { token: TOKEN },
      headers: { 'cf-connecting-ip': uniqueIp() },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin');
    const c = sessionCookie(res)!;
    expect(c.attrs).toEqual(
      expect.arrayContaining(['httponly', 'samesite=strict', 'secure', 'path=/admin', `max-age=${SESSION_TTL_S}`]),
    );
    expect(await verifySession(TOKEN, c.value)).not.toBeNull();

    const overview = await send(app, 'GET', '', { cookie: c.cookie });
    expect(overview.status).toBe(200);
    // Signed in, the sign-in page sends you on.
    expect((await send(app, 'GET', '/login', { cookie: c.cookie })).headers.get('location')).toBe('/admin');
  });

  it('over plain http (local development) the cookie is not Secure', async () => {
    const app = consoleApp();
    const res = await send(app, 'POST', '/login', {
      origin: 'http://localhost:8787',
      form: { token: TOKEN },
      headers: { 'cf-connecting-ip': uniqueIp() },
    });
    expect(res.status).toBe(303);
    expect(sessionCookie(res)!.attrs).not.toContain('secure');
  });

  it('a wrong token: 401, the form again with a message, no cookie', async () => {
    const app = consoleApp();
    for (const token of ['wrong', TOKEN.slice(0, -1), `${TOKEN} `, TOKEN.toUpperCase(), '']) {
      const res = await send(app, 'POST', '/login', {
        form: { token },
        headers: { 'cf-connecting-ip': uniqueIp(), 'accept-language': 'en' },
      });
      expect(res.status, token).toBe(401);
      expect(sessionCookie(res), token).toBeUndefined();
      expect(await res.text()).toContain('That token is not correct.');
    }
    const noField = await send(app, 'POST', '/login', { form: {}, headers: { 'cf-connecting-ip': uniqueIp() } });
    expect(noField.status).toBe(401);
  });

  it('an unset ADMIN_API_TOKEN refuses every sign-in, the empty string included', async () => {
    const app = consoleApp();
    const page = await send(app, 'GET', '/login', {
      env: { ADMIN_API_TOKEN: '' },
      headers: { 'accept-language': 'en' },
    });
    expect(await page.text()).toContain('nobody can sign in');
    for (const token of ['', 'anything', TOKEN]) {
      const res = await send(app, 'POST', '/login', {
        env: { ADMIN_API_TOKEN: '' },
        form: { token },
        headers: { 'cf-connecting-ip': uniqueIp() },
      });
      expect(res.status).toBe(401);
      expect(sessionCookie(res)).toBeUndefined();
    }
    // A cookie signed while the token was set proves nothing once it is gone.
    const cookie = await signIn(app);
    expect((await send(app, 'GET', '', { cookie, env: { ADMIN_API_TOKEN: '' } })).status).toBe(303);
  });

  it(`${AUTH_LIMIT.perClient} wrong tokens per client, then 429 (with Retry-After) even for the right one; other clients unaffected; audited`, async () => {
    const app = consoleApp();
    const ip = uniqueIp();
    const attempt = (token: string, client = ip) =>
      send(app, 'POST', '/login', {
        form: { token },
        headers: { 'cf-connecting-ip': client, 'accept-language': 'en' },
      });
    try {
      for (let i = 0; i < AUTH_LIMIT.perClient; i++) expect((await attempt(`wrong-${i}`)).status).toBe(401);
      const limited = await attempt(TOKEN);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
      expect(sessionCookie(limited)).toBeUndefined();
      expect(await limited.text()).toContain('Too many wrong tries. Try again in 15 minutes.');
      // Refused before the token is compared: nothing more is recorded for the limited client.
      expect((await attempt('wrong-again')).status).toBe(429);
      const other = uniqueIp();
      expect((await attempt(TOKEN, other)).status).toBe(303);
      const trail = await withDb((db) =>
        db.execute<{ action: string; n: number }>(
          sql`SELECT action, count(*)::int AS n FROM audit_log WHERE client IN (${ip}, ${other}) GROUP BY action ORDER BY action`,
        ),
      );
      expect(trail.rows).toEqual([
        { action: 'auth.rate_limited', n: 1 },
        { action: 'console.sign_in', n: 1 },
        { action: 'console.sign_in_refused', n: AUTH_LIMIT.perClient },
      ]);
    } finally {
      await forgetAuthFailures([ip]);
    }
  });

  it('with Cloudflare Access configured, token sign-in is off: no form, every post refused, token sessions no longer count', async () => {
    const app = consoleApp();
    const cookie = await signIn(app);
    const page = await send(app, 'GET', '/login', { env: ACCESS_ENV, headers: { 'accept-language': 'en' } });
    const html = await page.text();
    expect(html).toContain('signing in with the token is off');
    expect(html).not.toContain('name="token"');
    const res = await send(app, 'POST', '/login', { env: ACCESS_ENV, form: { token: TOKEN } });
    expect(res.status).toBe(403);
    expect(sessionCookie(res)).toBeUndefined();
    // A session signed before Access was configured signs nobody in now.
    expect((await send(app, 'GET', '', { cookie })).status).toBe(200);
    expect((await send(app, 'GET', '', { cookie, env: ACCESS_ENV })).status).toBe(303);
  });

  it('an ADMIN_API_TOKEN shorter than 32 characters is no token: sign-in off, its sessions void', async () => {
    const app = consoleApp();
    const short = 'short-admin-token-31-characters'.slice(0, 31);
    const page = await send(app, 'GET', '/login', {
      env: { ADMIN_API_TOKEN: short },
      headers: { 'accept-language': 'en' },
    });
    expect(await page.text()).toContain('nobody can sign in');
    const res = await send(app, 'POST', '/login', { env: { ADMIN_API_TOKEN: short }, form: { token: short } });
    expect(res.status).toBe(401);
    expect(sessionCookie(res)).toBeUndefined();
    const cookie = (await signSession(short)).value;
    expect(
      (await send(app, 'GET', '', { cookie: `${SESSION_COOKIE}=${cookie}`, env: { ADMIN_API_TOKEN: short } })).status,
    ).toBe(303);
  });

  it('clients without CF-Connecting-IP share one bucket', () => {
    expect(clientOf(undefined)).toBe('unknown');
    expect(clientOf('  ')).toBe('unknown');
    expect(clientOf(' 203.0.113.9 ')).toBe('203.0.113.9');
  });

  it('logs say who tried and how it went, never a token or a session', async () => {
    const lines: string[] = [];
    const record = (line: unknown) => void lines.push(String(line));
    const spies = (['log', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation(record),
    );
    try {
      const app = consoleApp();
      const wrong = `${TOKEN}-almost`;
      await send(app, 'POST', '/login', { form: { token: wrong }, headers: { 'cf-connecting-ip': 'log-test' } });
      const ok = await send(app, 'POST', '/login', {
        form: { token: TOKEN },
        headers: { 'cf-connecting-ip': 'log-test' },
      });
      const { cookie, value } = sessionCookie(ok)!;
      const csrf = await csrfOf(await send(app, 'GET', '', { cookie }));
      await send(app, 'POST', '/logout', { cookie, form: { _csrf: csrf! } });
      const text = lines.join('\n');
      expect(text).toContain('console.sign_in_failed');
      expect(text).toContain('console.signed_in');
      expect(text).toContain('console.signed_out');
      for (const secret of [TOKEN, wrong, value, csrf!]) expect(text).not.toContain(secret);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('a sign-in form posted from another origin is refused before the token is looked at', async () => {
    const app = consoleApp();
    const res = await send(app, 'POST', '/login', {
      form: { token: TOKEN },
      headers: { origin: 'https://evil.example', 'cf-connecting-ip': uniqueIp() },
    });
    expect(res.status).toBe(403);
    expect(sessionCookie(res)).toBeUndefined();
  });
});

describe('without a session', () => {
  it('every page redirects to sign-in (303), unknown ones too; other methods get 401', async () => {
    const app = consoleApp();
    for (const path of ['', '/groups', '/line-users', '/inbox', '/no-such-page', '/groups/x/y']) {
      const res = await send(app, 'GET', path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location'), path).toBe('/admin/login');
    }
    for (const [method, path] of [
      ['POST', '/logout'],
      ['POST', `/groups/${crypto.randomUUID()}/ai`],
      ['PUT', ''],
      ['DELETE', '/groups'],
    ]) {
      expect((await send(app, method!, path!, { form: { allow: 'true' } })).status, `${method} ${path}`).toBe(401);
    }
  });

  it('a tampered, expired or foreign cookie counts as none, and is deleted', async () => {
    const app = consoleApp();
    const good = await signIn(app);
    const value = good.slice(SESSION_COOKIE.length + 1);
    const expired = (await signSession(TOKEN, Date.now() - SESSION_TTL_S * 1000 - 1)).value;
    const foreign = (await signSession('some-other-deployment')).value;
    for (const v of [`${value.slice(0, -2)}AA`, expired, foreign, 'junk']) {
      const res = await send(app, 'GET', '', { cookie: `${SESSION_COOKIE}=${v}` });
      expect(res.status).toBe(303);
      const cleared = res.headers.getSetCookie().find((l) => l.startsWith(`${SESSION_COOKIE}=`))!;
      expect(cleared).toMatch(/Max-Age=0/i);
      expect(cleared).toMatch(/Path=\/admin/);
    }
  });

  it('rotating ADMIN_API_TOKEN ends every session', async () => {
    const app = consoleApp();
    const cookie = await signIn(app);
    expect((await send(app, 'GET', '', { cookie })).status).toBe(200);
    expect((await send(app, 'GET', '', { cookie, env: { ADMIN_API_TOKEN: `${TOKEN}-rotated` } })).status).toBe(303);
  });
});

describe('sign-out', () => {
  it('clears the cookie and ends the session: the old cookie no longer signs in', async () => {
    const app = consoleApp();
    const cookie = await signIn(app);
    const csrf = await csrfOf(await send(app, 'GET', '', { cookie }));
    expect(csrf).toBeTruthy();
    const res = await send(app, 'POST', '/logout', { cookie, form: { _csrf: csrf! } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/login');
    expect(res.headers.getSetCookie().find((l) => l.startsWith(`${SESSION_COOKIE}=`))).toMatch(/Max-Age=0/i);
    // A copy of the cookie replayed after sign-out is refused (denylisted until it expires).
    expect((await send(app, 'GET', '', { cookie })).status).toBe(303);
  });

  it('needs the CSRF token: a forged sign-out changes nothing', async () => {
    const app = consoleApp();
    const cookie = await signIn(app);
    expect((await send(app, 'POST', '/logout', { cookie })).status).toBe(403);
    expect((await send(app, 'POST', '/logout', { cookie, form: { _csrf: 'x'.repeat(43) } })).status).toBe(403);
    expect((await send(app, 'GET', '', { cookie })).status).toBe(200);
  });
});

// ---- Cloudflare Access ------------------------------------------------------------------------------

const TEAM = 'linebot-test.cloudflareaccess.com';
const AUD = 'a1b2c3d4e5f6-test-audience';
const ACCESS_ENV = { ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: AUD };

async function rsaKey(kid: string) {
  const pair = (await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const publicJwk = {
    ...((await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey),
    kid,
    alg: 'RS256',
    use: 'sig',
  };
  const privateJwk = { ...((await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey), kid, alg: 'RS256' };
  return { publicJwk, privateJwk };
}

describe('Cloudflare Access', async () => {
  const key = await rsaKey('access-key-1');
  const impostor = await rsaKey('access-key-1'); // same kid, another key
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (over: Record<string, unknown> = {}) => ({
    aud: [AUD],
    email: 'ops@example.com',
    sub: 'user-7f3a',
    iss: `https://${TEAM}`,
    iat: now() - 10,
    nbf: now() - 10,
    exp: now() + 600,
    type: 'app',
    ...over,
  });
  const assertion = (over?: Record<string, unknown>, signWith = key.privateJwk) =>
    Jwt.sign(claims(over), signWith as never);

  const jwksCalls: string[] = [];
  const fetchJwks: FetchJwks = async (url) => {
    jwksCalls.push(url);
    return [key.publicJwk as never];
  };
  const log = createLogger({ test: 'access' });
  // When Access counts as configured: test/settings.test.ts.
  const config = configOf(ACCESS_ENV).access!;

  it('a valid assertion proves its user; the keys come from the team certs URL, cached', async () => {
    jwksCalls.length = 0;
    const jwks = jwksCache(fetchJwks);
    expect(await verifyAccessJwt(await assertion(), config, jwks, log)).toEqual({
      sub: 'user-7f3a',
      email: 'ops@example.com',
    });
    expect(await verifyAccessJwt(await assertion({ aud: AUD }), config, jwks, log)).not.toBeNull();
    expect(jwksCalls).toEqual([`https://${TEAM}/cdn-cgi/access/certs`]);
  });

  const b64url = (v: string | ArrayBuffer) =>
    (typeof v === 'string' ? btoa(v) : btoa(String.fromCharCode(...new Uint8Array(v))))
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_');
  /** A token signed HS256 with the team's public key as the secret (the classic algorithm confusion). */
  const hs256WithPublicKey = async () => {
    const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'access-key-1' }))}.${b64url(JSON.stringify(claims()))}`;
    const publicKeyBytes = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const secret = await crypto.subtle.importKey('raw', publicKeyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    return `${input}.${b64url(await crypto.subtle.sign('HMAC', secret, new TextEncoder().encode(input)))}`;
  };

  // Each refused for its own reason (the log says which check failed, never the token).
  const refused: Array<[name: string, make: () => Promise<string>, reason: string]> = [
    ['another audience', () => assertion({ aud: ['someone-else'] }), 'JwtTokenAudience'],
    ['no audience', () => assertion({ aud: undefined }), 'JwtPayloadRequiresAud'],
    ['expired', () => assertion({ exp: now() - 5 }), 'JwtTokenExpired'],
    ['no expiry', () => assertion({ exp: undefined }), 'no exp claim'],
    ['not yet valid', () => assertion({ nbf: now() + 300 }), 'JwtTokenNotBefore'],
    ['another issuer', () => assertion({ iss: 'https://evil.cloudflareaccess.com' }), 'JwtTokenIssuer'],
    ['no subject', () => assertion({ sub: undefined }), 'no sub claim'],
    [
      'signed by another key with the same kid',
      () => assertion({}, impostor.privateJwk),
      'JwtTokenSignatureMismatched',
    ],
    [
      'a changed payload',
      async () => {
        const [h, , sig] = (await assertion()).split('.');
        return `${h}.${b64url(JSON.stringify(claims({ email: 'boss@example.com' })))}.${sig}`;
      },
      'JwtTokenSignatureMismatched',
    ],
    ['HS256 with the public key as the secret', hs256WithPublicKey, 'JwtSymmetricAlgorithmNotAllowed'],
    [
      'alg none',
      async () =>
        `${b64url(JSON.stringify({ alg: 'none', kid: 'access-key-1' }))}.${(await assertion()).split('.')[1]}.`,
      'JwtHeaderInvalid',
    ],
    ['garbage', async () => 'not.a.jwt', 'JwtTokenInvalid'],
  ];
  it.each(refused)('refuses %s', async (_name, make, reason) => {
    const warnings: Array<Record<string, unknown>> = [];
    const recording = {
      ...log,
      warn: (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, ...fields }),
    };
    const token = await make();
    expect(await verifyAccessJwt(token, config, jwksCache(fetchJwks), recording)).toBeNull();
    expect(warnings).toEqual([{ msg: 'console.access_jwt_refused', reason }]);
    expect(JSON.stringify(warnings)).not.toContain(token);
  });

  it('an unknown key id refetches the keys (rotation), at most once a minute', async () => {
    let keys = [impostor.publicJwk];
    let calls = 0;
    const jwks = jwksCache(async () => {
      calls++;
      return keys as never;
    });
    const t0 = Date.now();
    expect(await jwks('u', 'k', t0)).toHaveLength(1);
    keys = [key.publicJwk];
    await jwks('u', 'unknown', t0 + 1000);
    expect(calls).toBe(1);
    await jwks('u', 'unknown', t0 + 61_000);
    expect(calls).toBe(2);
    await jwks('u', 'access-key-1', t0 + 62_000);
    expect(calls).toBe(2);
    // Known keys are kept 10 minutes from their fetch.
    await jwks('u', 'access-key-1', t0 + 61_000 + 10 * 60_000);
    expect(calls).toBe(3);
  });

  it('a JWKS that cannot be fetched signs nobody in', async () => {
    const jwks = jwksCache(async () => {
      throw new Error('certs unreachable');
    });
    expect(await verifyAccessJwt(await assertion(), config, jwks, log)).toBeNull();
  });

  it('over HTTP: the header signs in when Access is configured, and only then', async () => {
    const app = consoleApp({ fetchJwks } satisfies Partial<ConsoleDeps> & { fetchJwks: FetchJwks });
    const header = { 'cf-access-jwt-assertion': await assertion() };
    const page = await send(app, 'GET', '', { headers: header, env: ACCESS_ENV });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/admin/logout');
    // Not configured: the header is ignored.
    expect((await send(app, 'GET', '', { headers: header })).status).toBe(303);
    expect((await send(app, 'GET', '', { headers: header, env: { ...ACCESS_ENV, ACCESS_AUD: '' } })).status).toBe(303);
    // Configured, but a wrong assertion: not signed in.
    const wrongAud = { 'cf-access-jwt-assertion': await assertion({ aud: ['other'] }) };
    expect((await send(app, 'GET', '', { headers: wrongAud, env: ACCESS_ENV })).status).toBe(303);
  });

  it('over HTTP: Access operators post forms with their CSRF token, and sign out at Access', async () => {
    const app = consoleApp({ fetchJwks });
    const headers = { 'cf-access-jwt-assertion': await assertion() };
    const csrf = await csrfOf(await send(app, 'GET', '', { headers, env: ACCESS_ENV }));
    expect((await send(app, 'POST', '/logout', { headers, env: ACCESS_ENV })).status).toBe(403);
    const out = await send(app, 'POST', '/logout', { headers, env: ACCESS_ENV, form: { _csrf: csrf! } });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/cdn-cgi/access/logout');
  });
});
