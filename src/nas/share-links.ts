/**
 * Share links (`GET /s/:token`): an expiring URL to a file the bot sent into a chat. The token is
 * 16 random bytes, base64url (22 characters); only its SHA-256 is stored, so a database dump
 * cannot be turned into working links, and a lookup by hash leaks nothing through timing.
 */
import { eq } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { shareLinks, type nasSendRequests } from '../db/schema';
import { sha256Hex } from '../lib/hex';
import type { Logger } from '../lib/log';

export const DEFAULT_SHARE_LINK_TTL_SECONDS = 86_400;
/** Bounds of SHARE_LINK_TTL: a link LINE can still fetch a minute later, at most 30 days. */
const MIN_TTL_SECONDS = 60;
const MAX_TTL_SECONDS = 30 * 86_400;

/** 22 base64url characters: what `newToken` makes, and the only form `/s/` looks up. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** SHARE_LINK_TTL in seconds; unset, not a whole number or out of bounds: the default (logged). */
export function shareLinkTtlSeconds(env: Pick<Env, 'SHARE_LINK_TTL'>, log?: Logger): number {
  const raw = (env.SHARE_LINK_TTL ?? '').trim();
  if (raw === '') return DEFAULT_SHARE_LINK_TTL_SECONDS;
  const n = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (n >= MIN_TTL_SECONDS && n <= MAX_TTL_SECONDS) return n;
  log?.warn('nas.share_link_ttl_invalid', { value: raw.slice(0, 40), min: MIN_TTL_SECONDS, max: MAX_TTL_SECONDS });
  return DEFAULT_SHARE_LINK_TTL_SECONDS;
}

export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export const tokenHash = (token: string) => sha256Hex(token);

export type ShareLinkRow = typeof shareLinks.$inferSelect;
type SendRequestRow = typeof nasSendRequests.$inferSelect;

/** The link of an uploaded request's file; the token exists only in the return value (it goes into the message). */
export async function createShareLink(db: Queryable, request: SendRequestRow, ttlSeconds: number, now = new Date()) {
  if (!request.r2Key || !request.contentType) throw new Error(`send request ${request.id} has no uploaded file`);
  const token = newToken();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  const [link] = await db
    .insert(shareLinks)
    .values({
      tokenHash: await tokenHash(token),
      sendRequestId: request.id,
      r2Key: request.r2Key,
      previewR2Key: request.previewR2Key,
      fileName: request.name,
      contentType: request.contentType,
      size: request.size,
      lineUserId: request.lineUserId,
      lineGroupId: request.lineGroupId,
      expiresAt,
      createdAt: now,
    })
    .returning();
  return { token, link: link! };
}

/** The link a token names, or null (unknown or malformed: both are a plain 404). */
export async function findShareLink(db: Queryable, token: string): Promise<ShareLinkRow | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const [link] = await db.select().from(shareLinks).where(eq(shareLinks.tokenHash, await tokenHash(token)));
  return link ?? null;
}

export type ShareLinkState = 'active' | 'expired' | 'revoked';

export function shareLinkState(link: Pick<ShareLinkRow, 'expiresAt' | 'revokedAt'>, now = new Date()): ShareLinkState {
  if (link.revokedAt) return 'revoked';
  return link.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';
}

/** `${base}/s/${token}` and its preview, on an origin without a trailing slash. */
export function shareUrls(base: string, token: string) {
  const origin = base.replace(/\/+$/, '');
  return { file: `${origin}/s/${token}`, preview: `${origin}/s/${token}/preview` };
}
