/**
 * Share links (`GET /s/:token`): an expiring URL to a file the bot sent into a chat. The token is
 * 16 random bytes, base64url (22 characters); only its SHA-256 is stored, so a database dump
 * cannot be turned into working links, and a lookup by hash leaks nothing through timing.
 */
import { eq, sql } from 'drizzle-orm';
import type { Settings } from '../config/settings';
import type { Queryable } from '../db/client';
import { shareLinks, type nasSendRequests } from '@linebot-edge/shared/schema';
import { sha256Hex } from '../lib/hex';

/**
 * How long a link lives. A download link (a file sent as a text with its link) lives
 * SHARE_LINK_TTL; an image message's links (its originalContentUrl and previewImageUrl) live
 * max(SHARE_LINK_TTL, 30 days): LINE's apps fetch them when a member opens the chat, which may be
 * days later, and an image that stops loading while LINE still shows it is a broken message. An
 * operator can revoke either kind at any time.
 */
const IMAGE_MESSAGE_LINK_TTL_SECONDS = 30 * 86_400;

export type ShareLinkKind = 'image_message' | 'download';

export function shareLinkTtlSeconds(kind: ShareLinkKind, s: Pick<Settings, 'shareLinkTtlSeconds'>): number {
  return kind === 'image_message'
    ? Math.max(s.shareLinkTtlSeconds, IMAGE_MESSAGE_LINK_TTL_SECONDS)
    : s.shareLinkTtlSeconds;
}

/** 22 base64url characters: what `newToken` makes, and the only form `/s/` looks up. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}$/;

function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

const tokenHash = (token: string) => sha256Hex(token);

export type ShareLinkRow = typeof shareLinks.$inferSelect;
type SendRequestRow = typeof nasSendRequests.$inferSelect;

/**
 * The link of an uploaded request's file; the token exists only in the return value (it goes into
 * the message). Its times are Postgres' (`now()`), as are those it is compared with.
 */
export async function createShareLink(db: Queryable, request: SendRequestRow, ttlSeconds: number) {
  if (!request.r2Key || !request.contentType) throw new Error(`send request ${request.id} has no uploaded file`);
  const token = newToken();
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
      expiresAt: sql`now() + make_interval(secs => ${ttlSeconds}::int)`,
      createdAt: sql`now()`,
    })
    .returning();
  return { token, link: link! };
}

export type ShareLinkState = 'active' | 'expired' | 'revoked';

/** The link a token names with its state by Postgres' clock, or null (unknown or malformed: both are a plain 404). */
export async function findShareLink(
  db: Queryable,
  token: string,
): Promise<(ShareLinkRow & { state: ShareLinkState }) | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const [found] = await db
    .select({ link: shareLinks, expired: expiredByDb() })
    .from(shareLinks)
    .where(eq(shareLinks.tokenHash, await tokenHash(token)));
  if (!found) return null;
  return { ...found.link, state: shareLinkState(found.link, found.expired) };
}

/** A download of the whole file (not a later range of it): counted on the link. */
export const countDownload = (db: Queryable, linkId: string) =>
  db
    .update(shareLinks)
    .set({ downloadCount: sql`${shareLinks.downloadCount} + 1`, lastDownloadedAt: sql`now()` })
    .where(eq(shareLinks.id, linkId));

/** A link's state; `expired` as Postgres judges it (`expires_at <= now()`, see `expiredByDb`). */
export function shareLinkState(link: Pick<ShareLinkRow, 'revokedAt'>, expired: boolean): ShareLinkState {
  if (link.revokedAt) return 'revoked';
  return expired ? 'expired' : 'active';
}

/** Whether a link has expired, by Postgres' clock: the one its times were written with. */
export const expiredByDb = () => sql<boolean>`${shareLinks.expiresAt} <= now()`;

/** `${base}/s/${token}` and its preview, on an origin without a trailing slash. */
export function shareUrls(base: string, token: string) {
  const origin = base.replace(/\/+$/, '');
  return { file: `${origin}/s/${token}`, preview: `${origin}/s/${token}/preview` };
}
