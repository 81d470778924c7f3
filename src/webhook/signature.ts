/**
 * X-Line-Signature: base64(HMAC-SHA256(channel secret, raw body bytes)).
 * Verified with crypto.subtle.verify, which compares in constant time, over the bytes as
 * received (a re-serialised JSON body would not verify).
 */

// Importing a key costs more than verifying with it: import once per isolate and secret.
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(channelSecret: string): Promise<CryptoKey> {
  let key = keys.get(channelSecret);
  if (!key) {
    key = crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(channelSecret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    keys.set(channelSecret, key);
  }
  return key;
}

const BASE64 = /^[A-Za-z0-9+/]{43}=$/; // exactly 32 bytes, the size of an HMAC-SHA256

export async function verifySignature(
  channelSecret: string,
  body: ArrayBuffer | Uint8Array,
  signature: string | undefined | null,
): Promise<boolean> {
  if (!channelSecret || !signature) return false;
  const trimmed = signature.trim();
  if (!BASE64.test(trimmed)) return false;
  const mac = Uint8Array.from(atob(trimmed), (c) => c.charCodeAt(0));
  return crypto.subtle.verify('HMAC', await hmacKey(channelSecret), mac, body);
}

/** Used by tests and local tools (the `line` sender) to sign bodies the way LINE does. */
export async function signBody(channelSecret: string, body: string | Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(channelSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, bytes));
  return btoa(String.fromCharCode(...mac));
}
