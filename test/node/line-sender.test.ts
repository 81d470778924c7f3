/**
 * The `npm run line` sender's bodies are what LINE sends: every builder's output validates
 * against LINE's webhook spec (CallbackRequest), mentions point at the right characters, a
 * redelivery keeps the ids, and the signature is the one LINE's own SDK computes. What the bot
 * sends back reads as the chat shows it (a textV2's mention of the asker as `@name`).
 */
import { validateSignature } from '@line/bot-sdk';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOpenApiValidator,
  readSeedFile,
  startLineEmulator,
  type LineEmulator,
} from '../../scripts/line-emulator/index.ts';
import { build, Directory, signature } from '../../scripts/line/index.ts';
import { DEFAULT_SEED_FILE, PROJECT_ROOT } from '../../scripts/local/paths.ts';
import { fileListMessage } from '../../src/line/file-flex.ts';
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

describe('npm run line -- tap', () => {
  const seeded = new Directory(readSeedFile(DEFAULT_SEED_FILE));
  const me = seeded.user('alice').userId;
  const group = seeded.chat('group', 'ops').id;
  const secret = 'tap-test-secret';
  const received: Array<{ signature: string; raw: string }> = [];
  const dir = mkdtempSync(join(tmpdir(), 'line-tap-'));
  const sentLog = join(dir, 'line-sent.jsonl');
  let emu: LineEmulator;
  let hook: Server;
  let hookUrl: string;

  const list = (prefix: string) =>
    fileListMessage({
      altText: 'files',
      heading: 'found',
      entries: ['a.pdf', 'b.pdf'].map((name, i) => ({
        name,
        details: [],
        button: { label: '傳送', data: `${prefix}:${i + 1}` },
      })),
      quickReply: {
        items: [{ type: 'action', action: { type: 'postback', label: 'again', data: `${prefix}:again` } }],
      },
    });
  const bot = async (path: string, body: unknown) =>
    expect(
      (
        await fetch(`${emu.url}${path}`, {
          method: 'POST',
          headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).status,
    ).toBe(200);
  const line = (args: string[]) =>
    promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/line.ts', ...args, '--url', hookUrl, '--secret', secret, '--emulator', emu.url],
      { cwd: PROJECT_ROOT, env: { ...process.env, LINE_SENT_LOG: sentLog } },
    ).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  beforeAll(async () => {
    emu = await startLineEmulator();
    hook = createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d));
      req.on('end', () => {
        received.push({ signature: String(req.headers['x-line-signature']), raw });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/webhook`;
    // Alice asked in the group (the sent log ties the reply token to the group); the bot replied
    // with a list there, then pushed another into her 1:1 chat.
    const asked = build.text(build.inGroup(group, me), '/find plan', seeded.mentionable());
    writeFileSync(
      sentLog,
      `${JSON.stringify({ at: new Date().toISOString(), url: hookUrl, body: build.webhookBody(seeded.botUserId, [asked]) })}\n`,
    );
    await bot('/v2/bot/message/reply', { replyToken: asked.replyToken, messages: [list('group')] });
    await bot('/v2/bot/message/push', { to: me, messages: [list('one')] });
    await bot('/v2/bot/message/push', { to: me, messages: [{ type: 'text', text: 'no buttons here' }] });
  });
  afterAll(async () => {
    await emu.close();
    await new Promise((resolve) => hook.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('taps button n of the bot’s latest message with buttons in that chat: a signed postback, as LINE sends it', async () => {
    const run = await line(['tap', '2', '--group', 'ops', '--no-wait']);
    expect(run.code, run.stderr).toBe(0);
    const [posted, ...more] = received.splice(0);
    expect(more).toEqual([]);
    expect(validateSignature(posted!.raw, secret, posted!.signature)).toBe(true);
    const body = JSON.parse(posted!.raw);
    expect(webhookSpec.validateRequest('POST', '/callback', body).errors).toEqual([]);
    expect(body.events[0]).toMatchObject({
      type: 'postback',
      source: { type: 'group', groupId: group, userId: me },
      postback: { data: 'group:2' },
    });
    expect(typeof body.events[0].replyToken).toBe('string');

    // In the 1:1 chat: the pushed list; its quick reply is button 3.
    expect((await line(['tap', '3', '--no-wait'])).code).toBe(0);
    expect(JSON.parse(received.splice(0)[0]!.raw).events[0]).toMatchObject({
      source: { type: 'user', userId: me },
      postback: { data: 'one:again' },
    });
  });

  it('without n lists the buttons; a number that is not a button is an error, and nothing is sent', async () => {
    const listed = await line(['tap', '--group', 'ops']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('1. 傳送  (group:1)');
    expect(listed.stdout).toContain('3. again  (group:again)');
    const wrong = await line(['tap', '4', '--group', 'ops']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('no button 4');
    expect((await line(['tap', '1', '--group', 'design'])).stderr).toContain('no buttons to tap');
    expect(received).toEqual([]);
  });
});
