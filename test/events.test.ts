/**
 * What each event type stores: posted through the webhook, processed in waitUntil, checked in
 * the database rows it must produce and in the LINE API calls it made (recorded by the emulator).
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { lineFiles, lineGroups, lineMessages, lineUsers, lineWebhookEvents } from '@linebot-edge/shared/schema';
import { withDb } from './support/db';
import { addFault, lineRequests, seedGroup, seedProfile, violations } from './support/emulator';
import { event, messageEvent, newId, postEvents, textEvent, type TestEvent } from './support/line';

const started = Date.now();

const userRow = (lineUserId: string) =>
  withDb(async (db) => (await db.select().from(lineUsers).where(eq(lineUsers.lineUserId, lineUserId)))[0]);
const groupRow = (lineGroupId: string) =>
  withDb(async (db) => (await db.select().from(lineGroups).where(eq(lineGroups.lineGroupId, lineGroupId)))[0]);
const messageRow = (messageId: string) =>
  withDb(async (db) => (await db.select().from(lineMessages).where(eq(lineMessages.messageId, messageId)))[0]);
/** The file of the message LINE calls `messageId`, joined the article's way (line_files.message_id = line_messages.id). */
const fileRow = (messageId: string) =>
  withDb(async (db) => {
    const [row] = await db
      .select({ f: lineFiles, fileIdOfMessage: lineMessages.fileId })
      .from(lineFiles)
      .innerJoin(lineMessages, eq(lineMessages.id, lineFiles.messageId))
      .where(eq(lineMessages.messageId, messageId));
    // Both directions of the relation agree: the message names its file.
    if (row) expect(row.fileIdOfMessage).toBe(row.f.id);
    return row?.f;
  });
const inboxRow = (webhookEventId: string) =>
  withDb(
    async (db) =>
      (await db.select().from(lineWebhookEvents).where(eq(lineWebhookEvents.webhookEventId, webhookEventId)))[0],
  );

async function post(...events: TestEvent[]) {
  const res = await postEvents(events);
  expect(res.status).toBe(200);
  for (const ev of events) expect((await inboxRow(ev.webhookEventId))?.status, ev.type).toBe('done');
}

const idOf = (ev: TestEvent) => (ev.message as { id: string }).id;

describe('message events', () => {
  it('a group text stores the sender (member profile), the group (summary and count) and the message', async () => {
    const userId = newId.user();
    const groupId = newId.group();
    await seedProfile({ userId, displayName: '王小明', pictureUrl: 'https://example.com/p.png' });
    await seedGroup({ groupId, groupName: '工地群組', count: 12 });
    const ev = textEvent({ userId, groupId }, '明天 9 點開會');
    await post(ev);

    const user = await userRow(userId);
    expect(user).toMatchObject({ displayName: '王小明', pictureUrl: 'https://example.com/p.png' });
    expect(user?.profileRefreshedAt).toBeInstanceOf(Date);
    const group = await groupRow(groupId);
    expect(group).toMatchObject({ name: '工地群組', memberCount: 12, sourceType: 'group', isActive: true });
    const message = await messageRow(idOf(ev));
    expect(message).toMatchObject({
      messageType: 'text',
      content: '明天 9 點開會',
      sourceType: 'group',
      replyToken: ev.replyToken,
      lineUserId: user!.id,
      lineGroupId: group!.id,
      sentAt: new Date(ev.timestamp),
      isFromBot: false,
      aiProcessed: false,
      fileId: null,
    });
    // The article's UUID ids.
    for (const id of [user!.id, group!.id, message!.id])
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(message?.rawMessage).toEqual(ev.message);
    expect(await fileRow(idOf(ev))).toBeUndefined();

    const calls = (await lineRequests(groupId)).map((r) => r.path);
    expect(calls.sort()).toEqual(
      [
        `/v2/bot/group/${groupId}/member/${userId}`,
        `/v2/bot/group/${groupId}/members/count`,
        `/v2/bot/group/${groupId}/summary`,
      ].sort(),
    );
  });

  it('a room text uses the room member profile and count, and marks the chat a room', async () => {
    const userId = newId.user();
    const roomId = newId.room();
    const ev = textEvent({ userId, roomId }, 'room hello');
    await post(ev);
    expect(await groupRow(roomId)).toMatchObject({ sourceType: 'room', memberCount: 3, name: null });
    expect((await messageRow(idOf(ev)))?.sourceType).toBe('room');
    const paths = (await lineRequests(roomId)).map((r) => r.path).sort();
    expect(paths).toEqual([`/v2/bot/room/${roomId}/member/${userId}`, `/v2/bot/room/${roomId}/members/count`].sort());
  });

  it('a 1:1 text uses the user profile endpoint and keeps language', async () => {
    const userId = newId.user();
    await seedProfile({ userId, displayName: 'Amy', language: 'zh-TW' });
    const ev = textEvent({ userId }, 'hi');
    await post(ev);
    expect(await userRow(userId)).toMatchObject({ displayName: 'Amy', language: 'zh-TW' });
    expect(await messageRow(idOf(ev))).toMatchObject({ lineGroupId: null, sourceType: 'user', content: 'hi' });
    expect((await lineRequests(userId)).map((r) => r.path)).toEqual([`/v2/bot/profile/${userId}`]);
  });

  it('media hosted by LINE gets a line_files row with nas_path NULL; external media does not', async () => {
    const src = { userId: newId.user(), groupId: newId.group() };
    const image = messageEvent(src, { type: 'image', contentProvider: { type: 'line' } });
    const external = messageEvent(src, {
      type: 'image',
      contentProvider: {
        type: 'external',
        originalContentUrl: 'https://example.com/a.jpg',
        previewImageUrl: 'https://example.com/a-s.jpg',
      },
    });
    const video = messageEvent(src, { type: 'video', duration: 60000, contentProvider: { type: 'line' } });
    const audio = messageEvent(src, { type: 'audio', duration: 4200, contentProvider: { type: 'line' } });
    const file = messageEvent(src, { type: 'file', fileName: '報價單 v2.pdf', fileSize: 123456 });
    await post(image, external, video, audio, file);

    expect(await fileRow(idOf(image))).toMatchObject({ fileType: 'image', nasPath: null, fileName: null });
    expect(await fileRow(idOf(external))).toBeUndefined();
    expect((await messageRow(idOf(external)))?.messageType).toBe('image');
    expect(await fileRow(idOf(video))).toMatchObject({ fileType: 'video', duration: 60000, nasPath: null });
    expect(await fileRow(idOf(audio))).toMatchObject({ fileType: 'audio', duration: 4200 });
    expect(await fileRow(idOf(file))).toMatchObject({
      fileType: 'file',
      fileName: '報價單 v2.pdf',
      fileSize: 123456,
      nasPath: null,
    });
    expect((await messageRow(idOf(file)))?.content).toBe('報價單 v2.pdf');
  });

  it('location, sticker and unknown message types store their content (or none) without failing', async () => {
    const src = { userId: newId.user() };
    const location = messageEvent(src, {
      type: 'location',
      title: '台北 101',
      address: '台北市信義區信義路五段7號',
      latitude: 25.03,
      longitude: 121.56,
    });
    const stickerText = messageEvent(src, {
      type: 'sticker',
      packageId: '1',
      stickerId: '1',
      stickerResourceType: 'STATIC',
      text: 'OK!',
    });
    const stickerKeywords = messageEvent(src, {
      type: 'sticker',
      packageId: '1',
      stickerId: '2',
      stickerResourceType: 'STATIC',
      keywords: ['happy', 'smile'],
    });
    const unknown = messageEvent(src, { type: 'hologram', payload: { x: 1 } });
    await post(location, stickerText, stickerKeywords, unknown);

    expect((await messageRow(idOf(location)))?.content).toBe('台北 101\n台北市信義區信義路五段7號');
    expect((await messageRow(idOf(stickerText)))?.content).toBe('OK!');
    expect((await messageRow(idOf(stickerKeywords)))?.content).toBe('happy, smile');
    expect(await messageRow(idOf(unknown))).toMatchObject({ messageType: 'hologram', content: null });
    expect((await messageRow(idOf(unknown)))?.rawMessage).toEqual(unknown.message);
  });

  it('a profile LINE refuses (404) is not an error: the message is stored, the user has no name', async () => {
    const userId = newId.user();
    const groupId = newId.group();
    await addFault({ path: `/v2/bot/group/${groupId}/member/${userId}`, status: 404, body: { message: 'Not found' } });
    const ev = textEvent({ userId, groupId }, 'still stored');
    await post(ev);
    expect(await userRow(userId)).toMatchObject({ displayName: null });
    expect((await messageRow(idOf(ev)))?.content).toBe('still stored');
    // The refusal is remembered for the TTL: the next message does not ask again.
    await post(textEvent({ userId, groupId }, 'again'));
    expect(await lineRequests(`/member/${userId}`)).toHaveLength(1);
  });

  it('50 messages from one user in one group cost exactly one profile call', async () => {
    const userId = newId.user();
    const groupId = newId.group();
    for (let i = 0; i < 5; i++) {
      await post(...Array.from({ length: 10 }, (_, j) => textEvent({ userId, groupId }, `message ${i * 10 + j}`)));
    }
    const [{ n }] = (
      await withDb((db) =>
        db.execute<{ n: number }>(
          sql`select count(*)::int as n from line_messages m join line_users u on u.id = m.line_user_id where u.line_user_id = ${userId}`,
        ),
      )
    ).rows as [{ n: number }];
    expect(n).toBe(50);
    expect(await lineRequests(`/member/${userId}`)).toHaveLength(1);
    expect(await lineRequests(`/group/${groupId}/summary`)).toHaveLength(1);
    expect(await lineRequests(`/group/${groupId}/members/count`)).toHaveLength(1);
  });

  it('a profile older than the TTL is fetched again', async () => {
    const userId = newId.user();
    await post(textEvent({ userId }, 'first'));
    await withDb((db) =>
      db
        .update(lineUsers)
        .set({ profileRefreshedAt: sql`now() - interval '25 hours'` })
        .where(eq(lineUsers.lineUserId, userId)),
    );
    await seedProfile({ userId, displayName: 'Renamed' });
    await post(textEvent({ userId }, 'second'));
    expect(await lineRequests(`/profile/${userId}`)).toHaveLength(2);
    expect((await userRow(userId))?.displayName).toBe('Renamed');
  });
});

describe('follow, unfollow, join, leave, members', () => {
  it('follow makes a friend with a profile; unfollow ends it', async () => {
    const userId = newId.user();
    await seedProfile({ userId, displayName: 'New Friend', language: 'ja' });
    await post(event('follow', { userId }, { replyToken: newId.replyToken(), follow: { isUnblocked: false } }));
    expect(await userRow(userId)).toMatchObject({
      isFriend: true,
      displayName: 'New Friend',
      language: 'ja',
      unfollowedAt: null,
    });
    await post(event('unfollow', { userId }));
    const user = await userRow(userId);
    expect(user?.isFriend).toBe(false);
    expect(user?.unfollowedAt).toBeInstanceOf(Date);
    expect(user?.displayName).toBe('New Friend');
  });

  it('join stores the group active with summary and count; leave marks it inactive; a rejoin reactivates', async () => {
    const groupId = newId.group();
    await seedGroup({ groupId, groupName: 'Sales', count: 7 });
    await post(event('join', { userId: '', groupId }, { replyToken: newId.replyToken() }));
    expect(await groupRow(groupId)).toMatchObject({ isActive: true, leftAt: null, name: 'Sales', memberCount: 7 });

    await post(event('leave', { userId: '', groupId }));
    const left = await groupRow(groupId);
    expect(left?.isActive).toBe(false);
    expect(left?.leftAt).toBeInstanceOf(Date);

    await post(event('join', { userId: '', groupId }, { replyToken: newId.replyToken() }));
    expect(await groupRow(groupId)).toMatchObject({ isActive: true, leftAt: null });
  });

  it('join and leave work for rooms too', async () => {
    const roomId = newId.room();
    await post(event('join', { userId: '', roomId }, { replyToken: newId.replyToken() }));
    expect(await groupRow(roomId)).toMatchObject({ sourceType: 'room', isActive: true, memberCount: 3 });
    await post(event('leave', { userId: '', roomId }));
    expect((await groupRow(roomId))?.isActive).toBe(false);
  });

  it('memberJoined upserts the new members and takes the count from LINE; memberLeft updates it', async () => {
    const groupId = newId.group();
    const a = newId.user();
    const b = newId.user();
    await seedGroup({ groupId, groupName: 'Ops', count: 5 });
    await post(event('join', { userId: '', groupId }, { replyToken: newId.replyToken() }));
    await seedGroup({ groupId, groupName: 'Ops', count: 7 });
    await post(
      event(
        'memberJoined',
        { userId: '', groupId },
        {
          replyToken: newId.replyToken(),
          joined: {
            members: [
              { type: 'user', userId: a },
              { type: 'user', userId: b },
            ],
          },
        },
      ),
    );
    expect((await groupRow(groupId))?.memberCount).toBe(7);
    expect(await userRow(a)).toBeDefined();
    expect(await userRow(b)).toBeDefined();

    await seedGroup({ groupId, groupName: 'Ops', count: 6 });
    await post(event('memberLeft', { userId: '', groupId }, { left: { members: [{ type: 'user', userId: a }] } }));
    expect((await groupRow(groupId))?.memberCount).toBe(6);
  });
});

describe('unsend and messageEdited', () => {
  it('unsend clears content and raw text, sets unsent_at and flags the file for removal', async () => {
    const src = { userId: newId.user(), groupId: newId.group() };
    const text = textEvent(src, 'oops, wrong group');
    const file = messageEvent(src, { type: 'file', fileName: 'secret.xlsx', fileSize: 10 });
    await post(text, file);
    await post(
      event('unsend', src, { unsend: { messageId: idOf(text) } }),
      event('unsend', src, { unsend: { messageId: idOf(file) } }),
    );

    const m = await messageRow(idOf(text));
    expect(m?.content).toBeNull();
    expect(m?.unsentAt).toBeInstanceOf(Date);
    expect(m?.rawMessage).toEqual({ id: idOf(text), type: 'text', quoteToken: text.message.quoteToken });
    const f = await fileRow(idOf(file));
    expect(f?.removeRequestedAt).toBeInstanceOf(Date);
    expect((await messageRow(idOf(file)))?.content).toBeNull();
  });

  it('an unsend that overtakes its message keeps the message from being stored', async () => {
    const src = { userId: newId.user(), groupId: newId.group() };
    const text = textEvent(src, 'should never be stored');
    await post(event('unsend', src, { unsend: { messageId: idOf(text) } }));
    await post(text);
    const m = await messageRow(idOf(text));
    expect(m?.content).toBeNull();
    expect(m?.unsentAt).toBeInstanceOf(Date);
  });

  it("a known sender's media unsent before it arrives gets neither message content nor a file row", async () => {
    const src = { userId: newId.user(), groupId: newId.group() };
    await post(textEvent(src, 'now the sender and the group are known'));
    const image = messageEvent(src, { type: 'image', contentProvider: { type: 'line' } });
    await post(event('unsend', src, { unsend: { messageId: idOf(image) } }));
    await post(image);
    expect(await messageRow(idOf(image))).toMatchObject({ messageType: 'unsent', content: null });
    expect(await fileRow(idOf(image))).toBeUndefined();
  });

  it('messageEdited updates content and edited_at; an older edit arriving later is ignored', async () => {
    const src = { userId: newId.user(), groupId: newId.group() };
    const original = textEvent(src, 'meet at 9');
    await post(original);
    const messageId = idOf(original);
    const newer = event('messageEdited', src, {
      timestamp: Date.now() + 2000,
      message: { id: messageId, type: 'text', text: 'meet at 10', quoteToken: 'q' },
    });
    const older = event('messageEdited', src, {
      timestamp: Date.now() + 1000,
      message: { id: messageId, type: 'text', text: 'meet at 9:30', quoteToken: 'q' },
    });
    await post(newer);
    await post(older);
    const m = await messageRow(messageId);
    expect(m?.content).toBe('meet at 10');
    expect(m?.editedAt?.getTime()).toBe(newer.timestamp);
  });

  it('an edit of an unsent message does not bring its content back', async () => {
    const src = { userId: newId.user(), groupId: newId.group() };
    const original = textEvent(src, 'private');
    await post(original, event('unsend', src, { unsend: { messageId: idOf(original) } }));
    await post(
      event('messageEdited', src, {
        message: { id: idOf(original), type: 'text', text: 'edited private', quoteToken: 'q' },
      }),
    );
    expect((await messageRow(idOf(original)))?.content).toBeNull();
  });
});

describe('events kept only in the inbox', () => {
  it.each([
    ['postback', { replyToken: 'r', postback: { data: 'action=buy&itemid=1' } }],
    ['videoPlayComplete', { replyToken: 'r', videoPlayComplete: { trackingId: 't1' } }],
    ['beacon', { replyToken: 'r', beacon: { hwid: 'd41d8cd98f', type: 'enter' } }],
    ['accountLink', { replyToken: 'r', link: { result: 'ok', nonce: 'n' } }],
    ['membership', { replyToken: 'r', membership: { type: 'joined', membershipId: 3189 } }],
    ['somethingLineAddsLater', { whatever: true }],
  ])('%s is recorded as received and done', async (type, fields) => {
    const ev = event(type, { userId: newId.user() }, fields);
    await post(ev);
    const row = await inboxRow(ev.webhookEventId);
    expect(row).toMatchObject({ eventType: type, status: 'done', attempts: 1, lastError: null });
    expect(row?.payload).toEqual(ev);
  });

  it('an unknown source type is recorded and skipped', async () => {
    const ev = { ...textEvent({ userId: newId.user() }, 'x'), source: { type: 'spaceship', shipId: 'S1' } };
    await post(ev);
    expect(await messageRow(idOf(ev))).toMatchObject({ sourceType: 'spaceship', lineUserId: null, lineGroupId: null });
  });
});

afterAll(async () => {
  const bad = (await violations()).filter((v) => v.at >= started);
  expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
});
