/**
 * Webhook bodies shaped like LINE's (webhook.yml `CallbackRequest`): a destination, and events
 * with a ULID webhookEventId, deliveryContext, mode, a millisecond timestamp, reply and quote
 * tokens where LINE sends them, and the source of a 1:1 chat, a group or a room.
 */
import { randomBytes } from 'node:crypto';

export type Source =
  | { type: 'user'; userId: string }
  | { type: 'group'; groupId: string; userId?: string }
  | { type: 'room'; roomId: string; userId?: string };

export type WebhookEvent = {
  type: string;
  mode: 'active' | 'standby';
  timestamp: number;
  webhookEventId: string;
  deliveryContext: { isRedelivery: boolean };
  source?: Source;
} & Record<string, unknown>;

export interface WebhookBody {
  destination: string;
  events: WebhookEvent[];
}

// ---------------------------------------------------------------------------------------------
// Ids as LINE makes them

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 48-bit time then 80 random bits, Crockford base32 (LINE's webhookEventId format). */
function ulid(time = Date.now()): string {
  let out = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  for (const b of randomBytes(16)) out += CROCKFORD[b % 32]!;
  return out;
}

let messageSequence = randomBytes(2).readUInt16BE();
/** Message ids are numeric strings (18 digits today); unique within a process. */
function messageId(time = Date.now()): string {
  messageSequence = (messageSequence + 1) % 100_000;
  return String(BigInt(time) * 100_000n + BigInt(messageSequence));
}

const replyToken = () => randomBytes(16).toString('hex');
const quoteToken = () => randomBytes(48).toString('base64url');

// ---------------------------------------------------------------------------------------------
// Sources

export const inUser = (userId: string): Source => ({ type: 'user', userId });
export const inGroup = (groupId: string, userId?: string): Source =>
  userId ? { type: 'group', groupId, userId } : { type: 'group', groupId };
export const inRoom = (roomId: string, userId?: string): Source =>
  userId ? { type: 'room', roomId, userId } : { type: 'room', roomId };

// ---------------------------------------------------------------------------------------------
// Events

function event(
  type: string,
  source: Source | undefined,
  fields: Record<string, unknown> = {},
  time = Date.now(),
): WebhookEvent {
  return {
    type,
    mode: 'active',
    timestamp: time,
    ...(source ? { source } : {}),
    webhookEventId: ulid(time),
    deliveryContext: { isRedelivery: false },
    ...fields,
  };
}

/** A message event; `quoted` adds quoteToken (text, image, video, sticker carry one). */
function messageEvent(source: Source, message: Record<string, unknown>, quoted: boolean): WebhookEvent {
  return event('message', source, {
    replyToken: replyToken(),
    message: { id: messageId(), type: message.type, ...(quoted ? { quoteToken: quoteToken() } : {}), ...message },
  });
}

export interface Mentionable {
  /** Matched after `@` (case-insensitive): a short name or a display name without spaces. */
  names: string[];
  userId: string;
  isSelf?: boolean;
}

/**
 * A text message. `@name` words that match `mentionable` become mentions (index and length in
 * UTF-16 units, as LINE counts); `@All` mentions everyone.
 */
export function text(
  source: Source,
  body: string,
  mentionable: Mentionable[] = [],
  quotedMessageId?: string,
): WebhookEvent {
  const mentionees: Record<string, unknown>[] = [];
  for (const m of body.matchAll(/@([^\s@]+)/g)) {
    const word = m[1]!.replace(/[.,!?:;)]+$/, '');
    const length = word.length + 1;
    if (word.toLowerCase() === 'all') {
      mentionees.push({ index: m.index, length, type: 'all' });
      continue;
    }
    const who = mentionable.find((x) => x.names.some((n) => n.toLowerCase() === word.toLowerCase()));
    if (who)
      mentionees.push({
        index: m.index,
        length,
        type: 'user',
        userId: who.userId,
        ...(who.isSelf ? { isSelf: true } : {}),
      });
  }
  return messageEvent(
    source,
    {
      type: 'text',
      text: body,
      ...(mentionees.length > 0 ? { mention: { mentionees } } : {}),
      ...(quotedMessageId ? { quotedMessageId } : {}),
    },
    true,
  );
}

export type MediaType = 'image' | 'video' | 'audio' | 'file';

/** Media that LINE hosts (contentProvider line): the bot fetches the bytes from the content API. */
export function media(
  source: Source,
  type: MediaType,
  info: { fileName?: string; fileSize?: number; durationMs?: number } = {},
): WebhookEvent {
  switch (type) {
    case 'image':
      return messageEvent(source, { type, contentProvider: { type: 'line' } }, true);
    case 'video':
      return messageEvent(
        source,
        { type, duration: info.durationMs ?? 10_000, contentProvider: { type: 'line' } },
        true,
      );
    case 'audio':
      return messageEvent(
        source,
        { type, duration: info.durationMs ?? 5_000, contentProvider: { type: 'line' } },
        false,
      );
    case 'file':
      return messageEvent(source, { type, fileName: info.fileName ?? 'file.bin', fileSize: info.fileSize ?? 0 }, false);
  }
}

export function sticker(
  source: Source,
  packageId = '446',
  stickerId = '1988',
  keywords: string[] = ['Moon', 'Happy'],
): WebhookEvent {
  return messageEvent(source, { type: 'sticker', packageId, stickerId, stickerResourceType: 'STATIC', keywords }, true);
}

export function location(
  source: Source,
  place: { title?: string; address?: string; latitude: number; longitude: number },
): WebhookEvent {
  return messageEvent(source, { type: 'location', ...place }, false);
}

export const follow = (userId: string, isUnblocked = false) =>
  event('follow', inUser(userId), { replyToken: replyToken(), follow: { isUnblocked } });
export const unfollow = (userId: string) => event('unfollow', inUser(userId));
export const join = (chat: Source) => event('join', chat, { replyToken: replyToken() });
export const leave = (chat: Source) => event('leave', chat);

const members = (userIds: string[]) => ({ members: userIds.map((userId) => ({ type: 'user', userId })) });
export const memberJoined = (chat: Source, userIds: string[]) =>
  event('memberJoined', chat, { replyToken: replyToken(), joined: members(userIds) });
export const memberLeft = (chat: Source, userIds: string[]) => event('memberLeft', chat, { left: members(userIds) });

export const unsend = (source: Source, messageIdToUnsend: string) =>
  event('unsend', source, { unsend: { messageId: messageIdToUnsend } });

export const postback = (source: Source, data: string) =>
  event('postback', source, { replyToken: replyToken(), postback: { data } });

/** The same events again, as LINE redelivers them: same ids, `isRedelivery: true`. */
export function redelivery(body: WebhookBody): WebhookBody {
  return { ...body, events: body.events.map((e) => ({ ...e, deliveryContext: { isRedelivery: true } })) };
}

export const webhookBody = (destination: string, events: WebhookEvent[]): WebhookBody => ({ destination, events });
