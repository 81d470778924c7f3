/**
 * Benchmark traffic: signed webhook bodies, one event each (as LINE mostly sends them), every id
 * fresh so nothing is deduplicated. Two mixes:
 * - `mixed`: what a company account sees: mostly group chatter (text, some with mentions,
 *   stickers, photos, files, locations), some 1:1 messages, and the occasional follow, join,
 *   member change, unsend or postback, from many senders in several groups and rooms;
 * - `group-text`: group text messages only, for the per-message cost comparison.
 */
import { createHmac } from 'node:crypto';
import * as build from '../line/events.ts';

export type Mix = 'mixed' | 'group-text';

export interface WorkloadOptions {
  mix: Mix;
  secret: string;
  destination?: string;
  senders?: number;
  groups?: number;
  rooms?: number;
  /** Members per group, drawn from the senders. */
  groupSize?: number;
}

export interface NextRequest {
  body: string;
  signature: string;
  /** The event's webhookEventId, and its message's id for a message event: what the bench looks for afterwards. */
  eventId: string;
  messageId?: string;
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const hex32 = (prefix: string, i: number) => prefix + i.toString(16).padStart(32, '0');

/** [weight, build] pairs; weights are relative. */
type Maker = (ctx: Context) => build.WebhookEvent;
interface Context {
  sender: string;
  group: string;
  groupMembers: string[];
  room: string;
  /** A recent message id, for unsend. */
  recent: string | undefined;
}

const TEXTS = [
  'ok',
  'Concrete pour moved to 2 pm',
  'Photos of level 3 attached',
  'Who has the key to the site office?',
  '了解しました',
  '收到，明天見',
  'Crane inspection passed ✅',
];

const MIXED: Array<[number, Maker]> = [
  [50, (c) => build.text(build.inGroup(c.group, c.sender), pick(TEXTS))],
  [
    10,
    (c) =>
      build.text(build.inGroup(c.group, c.sender), `@${c.groupMembers[0]!.slice(-4)} please check`, [
        { names: [c.groupMembers[0]!.slice(-4)], userId: c.groupMembers[0]! },
      ]),
  ],
  [8, (c) => build.sticker(build.inGroup(c.group, c.sender))],
  [7, (c) => build.media(build.inGroup(c.group, c.sender), 'image')],
  [2, (c) => build.media(build.inGroup(c.group, c.sender), 'video', { durationMs: 12_000 })],
  [1, (c) => build.media(build.inGroup(c.group, c.sender), 'audio', { durationMs: 4_000 })],
  [
    2,
    (c) => build.media(build.inGroup(c.group, c.sender), 'file', { fileName: 'drawing-rev3.pdf', fileSize: 482_113 }),
  ],
  [
    2,
    (c) =>
      build.location(build.inGroup(c.group, c.sender), {
        title: 'Gate 2',
        address: 'Tower B',
        latitude: 25.03,
        longitude: 121.56,
      }),
  ],
  [3, (c) => build.text(build.inRoom(c.room, c.sender), pick(TEXTS))],
  [8, (c) => build.text(build.inUser(c.sender), pick(TEXTS))],
  [1, (c) => build.follow(c.sender)],
  [0.5, (c) => build.unfollow(c.sender)],
  [1, (c) => build.postback(build.inUser(c.sender), 'action=menu&item=schedule')],
  [
    1,
    (c) =>
      c.recent
        ? build.unsend(build.inGroup(c.group, c.sender), c.recent)
        : build.text(build.inGroup(c.group, c.sender), 'ok'),
  ],
  [0.5, (c) => build.memberJoined(build.inGroup(c.group), [c.sender])],
  [0.5, (c) => build.memberLeft(build.inGroup(c.group), [c.sender])],
  [0.25, (c) => build.join(build.inGroup(c.group))],
  [0.25, (c) => build.leave(build.inGroup(c.group))],
];

const GROUP_TEXT: Array<[number, Maker]> = [[1, (c) => build.text(build.inGroup(c.group, c.sender), pick(TEXTS))]];

export function createWorkload(options: WorkloadOptions): { next(): NextRequest } {
  const destination = options.destination ?? hex32('U', 0xb07);
  const senders = Array.from({ length: options.senders ?? 60 }, (_, i) => hex32('U', 0x1000 + i));
  const groupSize = Math.min(options.groupSize ?? 8, senders.length);
  const groups = Array.from({ length: options.groups ?? 12 }, (_, i) => ({
    id: hex32('C', 0x2000 + i),
    // Overlapping memberships, as in a company: everyone is in a few groups.
    members: Array.from({ length: groupSize }, (_, k) => senders[(i * 5 + k) % senders.length]!),
  }));
  const rooms = Array.from({ length: options.rooms ?? 2 }, (_, i) => hex32('R', 0x3000 + i));
  const makers = options.mix === 'mixed' ? MIXED : GROUP_TEXT;
  const total = makers.reduce((s, [w]) => s + w, 0);
  const recent: string[] = [];

  return {
    next(): NextRequest {
      const group = pick(groups);
      const ctx: Context = {
        sender: pick(group.members),
        group: group.id,
        groupMembers: group.members,
        room: pick(rooms),
        recent: recent.shift(),
      };
      let r = Math.random() * total;
      const maker =
        makers.find(([w]) => {
          r -= w;
          return r < 0;
        })?.[1] ?? makers[0]![1];
      const event = maker(ctx);
      const message = event.message as { id?: string } | undefined;
      if (message?.id && recent.length < 50) recent.push(message.id);
      const body = JSON.stringify(build.webhookBody(destination, [event]));
      const signature = createHmac('sha256', options.secret).update(body).digest('base64');
      return {
        body,
        signature,
        eventId: event.webhookEventId,
        messageId: event.type === 'message' ? message?.id : undefined,
      };
    },
  };
}
