/** `Authorization: Bearer <token>` compared in constant time; no expected token refuses everything. */
import { timingSafeEqual } from 'hono/utils/buffer';

export async function bearerMatches(header: string | undefined, expected: string | undefined): Promise<boolean> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return Boolean(expected) && match !== null && (await timingSafeEqual(match[1]!, expected!));
}
