/** Calling the management API the way the company system would. */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../../src/index';

export const ADMIN_BASE = 'https://bot.example/api/linebot/admin';

export async function adminFetch(
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string>; env?: Partial<Env> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? env.ADMIN_API_TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${ADMIN_BASE}${path}`, { method, headers, body }), { ...env, ...options.env }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** JSON of a response that must have the given status. */
export async function expectJson<T = any>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export async function createAccount(role: 'admin' | 'member' = 'member', displayName?: string) {
  const username = `user.${unique()}`;
  return expectJson<{ id: number; username: string; displayName: string | null; role: string }>(
    await adminFetch('POST', '/users', { body: { username, role, displayName } }),
    201,
  );
}

export async function createProject(name = `Project ${unique()}`) {
  return expectJson<{ id: string; name: string }>(await adminFetch('POST', '/projects', { body: { name } }), 201);
}

export async function issueCode(userId: number) {
  return expectJson<{ code: string; expiresAt: string }>(await adminFetch('POST', `/users/${userId}/binding-code`), 201);
}
