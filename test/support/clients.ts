/**
 * Client addresses for the tests. The limiters count per client (`CF-Connecting-IP`) and the
 * wrong-token limiter also in total, across every test file sharing the database: so a request a
 * helper sends comes from an address of its own, and the wrong-token rows of such a request are
 * deleted once it is answered, so that no test's refused tokens count against another's.
 * Tests of the limits themselves name their clients and clean up after themselves.
 */
import { inArray } from 'drizzle-orm';
import { authFailures } from '@linebot-edge/shared/schema';
import { withDb } from './db';

const hex4 = () => Math.floor(Math.random() * 0x10000).toString(16);

/** A fresh address in the IPv6 documentation prefix (2001:db8::/32). */
export const newClientIp = () => `2001:db8:${hex4()}:${hex4()}:${hex4()}:${hex4()}:${hex4()}:${hex4()}`;

/** Sets a fresh `cf-connecting-ip` unless the headers name one; returns it when it set one. */
export function ownClient(headers: Record<string, string>): string | undefined {
  if (Object.keys(headers).some((k) => k.toLowerCase() === 'cf-connecting-ip')) return undefined;
  const ip = newClientIp();
  headers['cf-connecting-ip'] = ip;
  return ip;
}

/** Forgets the wrong tokens of these clients. */
export async function forgetAuthFailures(clients: Array<string | undefined>) {
  const named = clients.filter((c): c is string => c !== undefined);
  if (named.length > 0) await withDb((db) => db.delete(authFailures).where(inArray(authFailures.client, named)));
}

/** After a helper's request: a refused token (401) of a client the helper chose leaves no row. */
export async function forgetIfRefused(status: number, client: string | undefined) {
  if (status === 401 && client !== undefined) await forgetAuthFailures([client]);
}
