/**
 * The `npm run line` sender's bodies are what LINE sends: every builder's output validates
 * against LINE's webhook spec (CallbackRequest), mentions point at the right characters, a
 * redelivery keeps the ids, and the signature is the one LINE's own SDK computes. What the bot
 * sends back reads as the chat shows it (a textV2's mention of the asker as `@name`).
 */
import { validateSignature } from '@line/bot-sdk';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createOpenApiValidator } from '../../scripts/line-emulator/index.ts';
import { build, Directory, signature } from '../../scripts/line/index.ts';
import { describeBotMessages, renderTextV2, type Names } from '../../scripts/line-emulator/transcript.ts';

const webhookSpec = createOpenApiValidator(
  fileURLToPath(new URL('../fixtures/line-openapi/webhook.yml', import.meta.url)),
);
const directory = new Directory({
  botUserId: 'U00000000000000000000000000000b07',
  users: [
    { name: 'alice', displayName: 'Alice Chen' },
    { name: 'bob', displayName: 'Bob Tanaka' },
  ],
  groups: [{ name: 'ops', groupName: 'Site Ops' }],
  rooms: [{ name: 'lunch' }],
});
const alice = directory.user('alice').userId;
const bob = directory.user('bob').userId;
const ops = directory.chat('group', 'ops').id;
const lunch = directory.chat('room', 'lunch').id;

describe('webhook bodies', () => {
  const inGroup = build.inGroup(ops, alice);
  const cases: Array<[string, build.WebhookEvent]> = [
    ['text', build.text(inGroup, 'hi @bob and @bot, @All', directory.mentionable(), '123456')],
    ['image', build.media(inGroup, 'image')],
    ['video', build.media(build.inRoom(lunch, alice), 'video', { durationMs: 1234 })],
    ['audio', build.media(build.inUser(alice), 'audio')],
    ['file', build.media(inGroup, 'file', { fileName: 'plan.pdf', fileSize: 10 })],
    ['sticker', build.sticker(inGroup)],
    ['location', build.location(inGroup, { title: 'Gate', address: 'Tower B', latitude: 25, longitude: 121.5 })],
    ['follow', build.follow(alice, true)],
    ['unfollow', build.unfollow(alice)],
    ['join', build.join(build.inGroup(ops))],
    ['leave', build.leave(build.inRoom(lunch))],
    ['memberJoined', build.memberJoined(build.inGroup(ops), [alice, bob])],
    ['memberLeft', build.memberLeft(build.inGroup(ops), [bob])],
    ['unsend', build.unsend(inGroup, '123456')],
    ['postback', build.postback(build.inUser(alice), 'action=menu')],
  ];

  it.each(cases)('%s validates against the webhook spec', (_name, event) => {
    const body = build.webhookBody(directory.botUserId, [event]);
    expect(webhookSpec.validateRequest('POST', '/callback', body).errors).toEqual([]);
    expect(event.webhookEventId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/); // a ULID
    expect(event.mode).toBe('active');
    expect(event.deliveryContext).toEqual({ isRedelivery: false });
  });

  it('the spec check is real: a broken body fails it', () => {
    const broken = build.webhookBody(directory.botUserId, [
      { ...build.sticker(build.inUser(alice)), message: { id: '1', type: 'sticker' } },
    ]);
    expect(webhookSpec.validateRequest('POST', '/callback', broken).errors.length).toBeGreaterThan(0);
  });

  it('mentions users, the bot and everyone at the right characters', () => {
    const text = 'hi @bob and @bot, @All';
    const event = build.text(build.inGroup(ops, alice), text, directory.mentionable());
    const message = event.message as {
      text: string;
      mention: {
        mentionees: Array<{ index: number; length: number; type: string; userId?: string; isSelf?: boolean }>;
      };
    };
    const spans = message.mention.mentionees.map((m) => text.slice(m.index, m.index + m.length));
    expect(spans).toEqual(['@bob', '@bot', '@All']);
    expect(message.mention.mentionees.map(({ type, userId, isSelf }) => ({ type, userId, isSelf }))).toEqual([
      { type: 'user', userId: bob, isSelf: undefined },
      { type: 'user', userId: directory.botUserId, isSelf: true },
      { type: 'all', userId: undefined, isSelf: undefined },
    ]);
  });

  it('redelivers the same events with isRedelivery true', () => {
    const body = build.webhookBody(directory.botUserId, [build.text(build.inUser(alice), 'x')]);
    const again = build.redelivery(body);
    expect(again.events[0]!.webhookEventId).toBe(body.events[0]!.webhookEventId);
    expect(again.events[0]!.deliveryContext.isRedelivery).toBe(true);
    expect(body.events[0]!.deliveryContext.isRedelivery).toBe(false);
  });

  it('gives unknown names stable LINE-shaped ids', () => {
    const zoe = directory.user('zoe');
    expect(zoe).toMatchObject({ adHoc: true, displayName: 'zoe' });
    expect(zoe.userId).toMatch(/^U[0-9a-f]{32}$/);
    expect(directory.user('zoe').userId).toBe(zoe.userId);
    expect(directory.user('Alice Chen').userId).toBe(alice);
    expect(directory.chat('group', 'new team').id).toMatch(/^C[0-9a-f]{32}$/);
  });

  it('signs as LINE does (the SDK agrees)', () => {
    const raw = JSON.stringify(build.webhookBody(directory.botUserId, [build.text(build.inUser(alice), 'こんにちは')]));
    expect(validateSignature(raw, 'secret', signature('secret', raw))).toBe(true);
    expect(validateSignature(raw, 'other', signature('secret', raw))).toBe(false);
  });
});

describe('the bot side of the transcript', () => {
  const names: Names = { user: (id) => directory.user(id).displayName, group: (id) => id, room: (id) => id };
  const mention = (userId: string) => ({ type: 'mention', mentionee: { type: 'user', userId } });

  it('reads a textV2 as LINE shows it: mentions as @name, @All, emojis, escaped braces', () => {
    const answer = {
      type: 'textV2',
      text: '{asker} 明天九點。',
      substitution: { asker: mention(alice) },
      quoteToken: 'q',
    };
    expect(describeBotMessages([answer], names)).toBe('[textV2] @Alice Chen 明天九點。');
    expect(
      renderTextV2(
        {
          text: '{a} {b}, {all}: {{x}} {smile} {missing}',
          substitution: {
            a: mention(alice),
            b: mention(bob),
            all: { type: 'mention', mentionee: { type: 'all' } },
            smile: { type: 'emoji', productId: 'p', emojiId: '001' },
          },
        },
        names,
      ),
    ).toBe('@Alice Chen @Bob Tanaka, @All: {x} (emoji) {missing}');
    // Without names: the emulator's default for an unknown user.
    expect(renderTextV2({ text: '{asker} hi', substitution: { asker: mention(alice) } })).toBe(
      `@User ${alice.slice(-4)} hi`,
    );
  });

  it('leaves other messages as the emulator summarises them', () => {
    expect(
      describeBotMessages(
        [
          { type: 'text', text: 'a\nb' },
          { type: 'sticker', packageId: '446', stickerId: '1988' },
        ],
        names,
      ),
    ).toBe('[text] a ⏎ b | [sticker] 446/1988');
  });
});
