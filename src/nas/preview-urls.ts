/**
 * The URL of a NAS image's preview in a `/find` list (`GET /p/<token>`): LINE's apps fetch a Flex
 * image's URL whenever a member scrolls to the message, so it is stable, and it is unguessable and
 * bound to who asked: the token is a signed statement "file F, as it was at modified_at M, may be
 * shown to the chat C where the LINE user A searched, until E". Nothing is stored per list; the
 * preview is served only while the statement still holds (see `loadServablePreview`): the file is
 * indexed with that very modification time and its preview fresh, A's NAS scope in C (the one
 * policy, `nasScopeFor`) still covers it, and E (30 days, as an image message's share link) has not
 * passed by Postgres' clock.
 *
 * Token: base64url of a 61-byte payload (version 1, F, A, C or zeros for a 1:1 chat, M in
 * microseconds since the epoch, E in epoch seconds), a dot, and the HMAC-SHA256 of that text under
 * a key derived from NAS_AGENT_TOKEN (label PREVIEW_URL_LABEL). Without the token no previews are
 * shown; rotating it ends every preview URL already sent (the lists keep their texts and buttons).
 */
import { decodeBase64Url } from 'hono/utils/encode';
import { base64url, deriveKey, hmac, hmacVerify } from '../security/hmac';
import { isUuid } from '../lib/uuid';

/** How long a preview URL works: as long as an image message's share link (src/nas/share-links.ts). */
export const PREVIEW_URL_TTL_DAYS = 30;

const PREVIEW_URL_LABEL = 'linebot-edge nas preview url v1';
const VERSION = 1;
const PAYLOAD_BYTES = 61;
/** 82 base64url characters (61 bytes), a dot, 43 (the HMAC). */
const TOKEN = /^([A-Za-z0-9_-]{82})\.([A-Za-z0-9_-]{43})$/;

export interface PreviewGrant {
  /** nas_files.id */
  fileId: string;
  /** line_users.id of the asker. */
  askerPk: string;
  /** line_groups.id of the group or room; null in a 1:1 chat. */
  chatPk: string | null;
  /** nas_files.modified_at the preview shows, in microseconds since the epoch (Postgres' precision). */
  modifiedMicros: bigint;
  /** Epoch seconds, from Postgres' clock. */
  expiresAt: number;
}

const keys = new Map<string, Promise<CryptoKey | null>>();

/** The signing key for NAS_AGENT_TOKEN (derived once per isolate and token); null without one. */
export function previewUrlKey(agentToken: string | undefined): Promise<CryptoKey | null> {
  if (!agentToken) return Promise.resolve(null);
  let key = keys.get(agentToken);
  if (!key) {
    if (keys.size > 4) keys.clear();
    key = deriveKey(agentToken, PREVIEW_URL_LABEL);
    keys.set(agentToken, key);
  }
  return key;
}

function uuidBytes(id: string, into: Uint8Array, at: number) {
  const hex = id.replace(/-/g, '');
  for (let i = 0; i < 16; i++) into[at + i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
}

function uuidOf(bytes: Uint8Array, at: number): string {
  let hex = '';
  for (let i = 0; i < 16; i++) hex += bytes[at + i]!.toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** The token of a grant; throws on ids that are not UUIDs (they come from the database). */
export async function signPreviewToken(key: CryptoKey, grant: PreviewGrant): Promise<string> {
  const ids = [grant.fileId, grant.askerPk, grant.chatPk ?? ZERO_UUID];
  if (!ids.every(isUuid)) throw new Error('a preview grant names ids that are not UUIDs');
  const payload = new Uint8Array(PAYLOAD_BYTES);
  const view = new DataView(payload.buffer);
  payload[0] = VERSION;
  ids.forEach((id, i) => uuidBytes(id, payload, 1 + i * 16));
  view.setBigInt64(49, grant.modifiedMicros);
  view.setUint32(57, grant.expiresAt);
  const text = base64url(payload);
  return `${text}.${await hmac(key, text)}`;
}

/** The grant a token states, or null: malformed, another version, or not signed with this key. */
export async function readPreviewToken(key: CryptoKey, token: string): Promise<PreviewGrant | null> {
  const m = TOKEN.exec(token);
  if (!m || !(await hmacVerify(key, m[1]!, m[2]!))) return null;
  const payload = decodeBase64Url(m[1]!);
  if (payload.length !== PAYLOAD_BYTES || payload[0] !== VERSION) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const chatPk = uuidOf(payload, 33);
  return {
    fileId: uuidOf(payload, 1),
    askerPk: uuidOf(payload, 17),
    chatPk: chatPk === ZERO_UUID ? null : chatPk,
    modifiedMicros: view.getBigInt64(49),
    expiresAt: view.getUint32(57),
  };
}

/** `${base}/p/${token}`, on an origin without a trailing slash. */
export const previewUrl = (base: string, token: string) => `${base.replace(/\/+$/, '')}/p/${token}`;

/**
 * An origin LINE's apps can fetch a Flex image from: https (LINE requires it), or http on the
 * local machine (the dev stack's emulator). Anything else gets no previews rather than a list LINE
 * refuses as a whole.
 */
export function previewBase(base: string | null): string | null {
  if (!base) return null;
  try {
    const u = new URL(base);
    if (u.protocol === 'https:' || (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)))
      return base.replace(/\/+$/, '');
  } catch {
    // not a URL: no previews
  }
  return null;
}
