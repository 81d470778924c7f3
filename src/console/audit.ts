/** The console operator as the audit trail names them: the Access e-mail (or subject), or `token:<session id>`. */
import type { Context } from 'hono';
import type { AuditActor } from '../audit/record';
import type { ConsoleEnv } from './types';

export function consoleActor(c: Context<ConsoleEnv>): AuditActor {
  const o = c.get('operator');
  // The session id names a sign-in, it opens nothing: the cookie's signature is the credential.
  const operator = o.via === 'access' ? (o.email ?? `access:${o.sub}`) : `token:${o.session.id}`;
  return { via: 'console', operator, client: c.req.header('cf-connecting-ip') ?? null };
}
