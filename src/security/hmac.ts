/**
 * HMAC-SHA256 under keys derived (HKDF, one fixed label per purpose) from a deployment secret: the
 * console's session and CSRF tokens (src/console) and /find's preview URLs (src/nas/preview-urls.ts).
 * A label per purpose keeps a value signed for one from ever verifying for another; rotating the
 * secret ends everything signed under it.
 */
import { decodeBase64Url, encodeBase64Url } from 'hono/utils/encode';

const enc = new TextEncoder();

/** An HMAC-SHA256 key for one purpose, derived from `secret`; null when no secret is set. */
export async function deriveKey(secret: string | undefined, label: string): Promise<CryptoKey | null> {
  if (!secret) return null;
  const base = await crypto.subtle.importKey('raw', enc.encode(secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc.encode(label) },
    base,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify'],
  );
}

export const base64url = (bytes: ArrayBuffer | Uint8Array) =>
  encodeBase64Url(bytes instanceof Uint8Array ? bytes.slice().buffer : bytes).replace(/=+$/, '');

export async function hmac(key: CryptoKey, data: string): Promise<string> {
  return base64url(await crypto.subtle.sign('HMAC', key, enc.encode(data)));
}

/** crypto.subtle.verify compares in constant time; a signature that is not base64url is simply wrong. */
export async function hmacVerify(key: CryptoKey, data: string, signature: string): Promise<boolean> {
  // 43 base64url characters carry 258 bits for 256: only the canonical spelling (the last
  // character's two spare bits zero) is accepted, so a signature has exactly one valid form.
  if (!/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(signature)) return false;
  return crypto.subtle.verify('HMAC', key, decodeBase64Url(signature), enc.encode(data));
}
