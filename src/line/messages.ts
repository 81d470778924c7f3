/** Building message objects within LINE's limits. */
import type { messagingApi } from '@line/bot-sdk';
import { toHex } from '../lib/hex';

/** LINE counts a text message's length in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 5000;

/**
 * Split text into pieces of at most `max` UTF-16 code units, never between the two halves of
 * a surrogate pair, preferring a line break near the end of each piece.
 */
export function splitText(text: string, max = MAX_TEXT_LENGTH): string[] {
  if (text.length <= max) return [text];
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = max;
    const newline = rest.lastIndexOf('\n', max - 1);
    if (newline >= max * 0.8) cut = newline + 1;
    else if (isHighSurrogate(rest.charCodeAt(cut - 1))) cut -= 1;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

export const textMessages = (text: string): messagingApi.TextMessage[] =>
  splitText(text).map((piece) => ({ type: 'text', text: piece }));

export type QuickReply = messagingApi.QuickReply;

/** LINE shows quick reply buttons only under the last message of a reply or push: they go there. */
export function withQuickReply<M extends messagingApi.Message>(messages: M[], quickReply: QuickReply | undefined): M[] {
  if (!quickReply || messages.length === 0) return messages;
  return messages.map((m, i) => (i === messages.length - 1 ? { ...m, quickReply } : m));
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A stable UUID for batch `index` of a push whose first batch uses `retryKey`. */
export async function derivedRetryKey(retryKey: string, index: number): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${retryKey}:${index}`)),
  );
  const b = digest.slice(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50; // version 5-style (name-based)
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = toHex(b);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
