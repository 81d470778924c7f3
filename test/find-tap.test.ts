/**
 * Tap to send, end to end through the webhook: `/find` answers with a Flex list (checked by the
 * LINE emulator against LINE's OpenAPI document) whose 傳送 buttons carry `find:<list id>:<n>`;
 * a tap is `/send <n>` on exactly that list, by reply with the tap's own token; taps out of scope,
 * on an expired or replaced list, or with forged data change nothing; a redelivered tap sends once.
 */
import fc from 'fast-check';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, lineWebhookEvents, nasSearchLists, nasSendRequests } from '@linebot-edge/shared/schema';
import { searchListIdOf } from '../src/bot/nas';
import { boundUser, groupPkOf, pkOf, replyMessagesTo, repliesTo, say } from './support/chat';
import { withDb } from './support/db';
import { event, newId, postEvents, type SourceSpec, type TestEvent } from './support/line';
import { bytesOf, loadRequest, updateRequest, upload } from './support/nas';
import { insertNasFiles, memberInProjectGroup, newShare } from './support/nas-find';

type Action = { type: string; label?: string; data?: string; displayText?: string };

/** Every postback action in a message, in the order LINE shows them (the bubble's, then the quick replies). */
const postbacks = (message: unknown): Action[] =>
  [...JSON.stringify(message).matchAll(/"action":(\{[^{}]*\})/g)]
    .map((m) => JSON.parse(m[1]!) as Action)
    .filter((a) => a.type === 'postback');

const tapEvent = (src: SourceSpec, data: unknown) =>
  event('postback', src, { replyToken: newId.replyToken(), postback: { data } }) as TestEvent & {
    replyToken: string;
  };

async function tap(src: SourceSpec, data: unknown) {
  const ev = tapEvent(src, data);
  expect((await postEvents([ev])).status).toBe(200);
  return ev;
}

const requestsOf = (lineUserPk: string) =>
  withDb((db) => db.select().from(nasSendRequests).where(eq(nasSendRequests.lineUserId, lineUserPk)));
const inboxStatus = async (webhookEventId: string) =>
  (
    await withDb((db) =>
      db
        .select({ status: lineWebhookEvents.status })
        .from(lineWebhookEvents)
        .where(eq(lineWebhookEvents.webhookEventId, webhookEventId)),
    )
  )[0]?.status;

/** A bound member's group, bound to a project whose folder holds two files, after `/find 報價`. */
async function searched() {
  const share = newShare();
  const { userId, groupId, project } = await memberInProjectGroup(`${share}/案場A`);
  const files = await insertNasFiles(share, [
    { path: '案場A/報價單-新.pdf', size: 2048, modifiedAt: new Date('2026-11-20T06:30:00Z') },
    { path: '案場A/舊/報價單-舊.pdf', size: 4096, modifiedAt: new Date('2026-11-01T06:30:00Z') },
  ]);
  const { ev } = await say({ userId, groupId }, '/find 報價單');
  const [list] = await replyMessagesTo(ev.replyToken);
  const groupPk = await groupPkOf(groupId);
  return { share, project, userId, groupId, files, list: list!, userPk: await pkOf(userId), groupPk };
}

describe('/find as a Flex list', () => {
  it('one entry per file with a 傳送 postback button, the numbered text as altText, a quick reply to search again', async () => {
    const s = await searched();
    expect(s.list.type).toBe('flex');
    // The text version, for clients without Flex: today's numbered list.
    expect(s.list.altText).toContain('1. 報價單-新.pdf');
    expect(s.list.altText).toContain(`2. 報價單-舊.pdf\n   📁 ${s.share}/案場A/舊\n   4 KB・2026-11-01 14:30`);
    const json = JSON.stringify(s.list.contents);
    expect(json).toContain('"text":"1. 報價單-新.pdf"');
    expect(json).toContain(`"text":"📁 ${s.share}/案場A"`);
    expect(json).toContain('"text":"2 KB・2026-11-20 14:30"');
    const listId = await withDb((db) => searchListIdOf(db, `group:${s.groupPk}`));
    expect(listId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(postbacks(s.list.contents)).toEqual([
      { type: 'postback', label: '傳送', data: `find:${listId}:1`, displayText: '傳送「報價單-新.pdf」' },
      { type: 'postback', label: '傳送', data: `find:${listId}:2`, displayText: '傳送「報價單-舊.pdf」' },
    ]);
    expect(postbacks(s.list.quickReply)).toEqual([
      {
        type: 'postback',
        label: '重新搜尋',
        data: 'find:again',
        inputOption: 'openKeyboard',
        fillInText: '/find ',
      },
    ]);
    // A new search in the chat is a new list, with new ids.
    await say({ userId: s.userId, groupId: s.groupId }, '/find 報價單');
    expect(await withDb((db) => searchListIdOf(db, `group:${s.groupPk}`))).not.toBe(listId);
  });

  it('a tap sends by reply with its own token, once however often LINE delivers it; typed /send still works', async () => {
    const s = await searched();
    const [, second] = postbacks(s.list.contents);
    const src = { userId: s.userId, groupId: s.groupId };
    const ev = await tap(src, second!.data);
    expect(await repliesTo(ev.replyToken)).toEqual([]); // the token is left for the file message
    const [request, ...more] = await requestsOf(s.userPk);
    expect(more).toEqual([]);
    expect(request).toMatchObject({
      requestKey: `event:${ev.webhookEventId}`,
      nasFileId: s.files[1]!.id,
      path: '案場A/舊/報價單-舊.pdf',
      lineGroupId: s.groupPk,
      replyToken: ev.replyToken,
      eventAt: new Date(ev.timestamp),
      status: 'pending',
    });
    const [audit] = await withDb((db) =>
      db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'nas.send_requested'), eq(auditLog.targetId, request!.id))),
    );
    expect(audit!.details).toMatchObject({ how: 'tap', path: '案場A/舊/報價單-舊.pdf' });

    // LINE redelivers the same tap: nothing more.
    expect((await postEvents([{ ...ev, deliveryContext: { isRedelivery: true } }])).status).toBe(200);
    expect(await requestsOf(s.userPk)).toHaveLength(1);

    // The on-prem job uploads it: the file message is the tap's one reply.
    await updateRequest(request!.id, {
      status: 'uploading',
      claimedAt: new Date(),
      claimedBy: 'test-job',
      attempts: 1,
    });
    expect((await upload(request!.id, 'file', bytesOf(4096))).status).toBe(200);
    const delivered = await repliesTo(ev.replyToken);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatch(/^📎 報價單-舊\.pdf（4 KB）\n下載連結：https:\/\/bot\.example\/s\//);
    expect(await loadRequest(request!.id)).toMatchObject({ status: 'sent', sentBy: 'reply' });

    // Typing keeps working beside the buttons.
    const typed = await say(src, '/send 1');
    expect(typed.replies).toEqual([]);
    expect((await requestsOf(s.userPk)).map((r) => r.nasFileId).sort()).toEqual(
      [s.files[0]!.id, s.files[1]!.id].sort(),
    );
  });

  it('out of scope, expired, replaced, another chat’s or edited: refused with one short reply (silence for the unbound in a group), nothing changes', async () => {
    const s = await searched();
    const [first] = postbacks(s.list.contents);
    const listId = first!.data!.split(':')[1]!;
    const src = { userId: s.userId, groupId: s.groupId };
    const refusedWith = async (who: SourceSpec, data: unknown, text: string | null) => {
      const ev = await tap(who, data);
      expect(await inboxStatus(ev.webhookEventId)).toBe('done');
      expect(await repliesTo(ev.replyToken)).toEqual(text === null ? [] : [expect.stringContaining(text)]);
    };

    // A bound colleague who is not a member of the project; an unbound stranger.
    const colleague = await boundUser();
    await refusedWith({ userId: colleague, groupId: s.groupId }, first!.data, '您不是專案');
    await refusedWith({ userId: newId.user(), groupId: s.groupId }, first!.data, null);
    // The same button in the searcher's 1:1 chat: not that chat's list.
    await refusedWith({ userId: s.userId }, first!.data, '這個按鈕已失效');
    // Edited numbers and garbage.
    for (const data of [
      `find:${listId}:3`,
      `find:${listId}:0`,
      `find:${listId}:01`,
      `find:${listId}:11`,
      `find:${listId}:1:1`,
      `find:${listId.toUpperCase()}:1`,
      `find:${crypto.randomUUID()}:1`,
      'find:',
      'find:xyz',
    ])
      await refusedWith(src, data, '這個按鈕已失效');
    // "Search again" only opens the keyboard on the phone.
    await refusedWith(src, 'find:again', null);
    expect(await requestsOf(s.userPk)).toEqual([]);
    expect(await requestsOf(await pkOf(colleague))).toEqual([]);

    // Expired: 30 minutes after the search.
    await withDb((db) =>
      db
        .update(nasSearchLists)
        .set({ createdAt: sql`now() - interval '31 minutes'` })
        .where(eq(nasSearchLists.chatKey, `group:${s.groupPk}`)),
    );
    const expiredId = await withDb((db) => searchListIdOf(db, `group:${s.groupPk}`));
    await refusedWith(src, `find:${expiredId}:1`, '搜尋結果已超過 30 分鐘');
    // Replaced: the old buttons do not pick from the newer list.
    await say(src, '/find 報價單');
    await refusedWith(src, `find:${expiredId}:1`, '這個按鈕已失效');
    // The file changed in the index since the search.
    const freshId = await withDb((db) => searchListIdOf(db, `group:${s.groupPk}`));
    await withDb((db) => db.execute(sql`UPDATE nas_files SET path = '案場B/moved.pdf' WHERE id = ${s.files[0]!.id}`));
    await refusedWith(src, `find:${freshId}:1`, '這個檔案已不存在');
    expect(await requestsOf(s.userPk)).toEqual([]);

    // Still good: the real button of the fresh list.
    const real = await tap(src, `find:${freshId}:2`);
    expect((await requestsOf(s.userPk)).map((r) => r.replyToken)).toEqual([real.replyToken]);
  });

  it('property: any postback data after find: never fails the webhook and sends nothing unless it is the real button', async () => {
    const s = await searched();
    const real = postbacks(s.list.contents).map((a) => a.data!);
    const listId = real[0]!.split(':')[1]!;
    const data = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }).map((t) => `find:${t}`),
      fc
        .tuple(fc.constantFrom(listId, crypto.randomUUID(), ''), fc.string({ maxLength: 6 }))
        .map(([id, n]) => `find:${id}:${n}`),
      fc.integer({ min: -5, max: 1e6 }).map((n) => `find:${listId}:${n}`),
      fc.constantFrom(`find:${listId}:1 `, `find:${listId}:+1`, `find:${listId}:1e0`, `find:${listId}:1\u0000`),
    );
    await fc.assert(
      fc.asyncProperty(data, async (d) => {
        fc.pre(!real.includes(d));
        const ev = tapEvent({ userId: s.userId, groupId: s.groupId }, d);
        const res = await postEvents([ev]);
        expect(res.status).toBe(200);
        expect(await inboxStatus(ev.webhookEventId)).toBe('done');
        expect(await requestsOf(s.userPk)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
