/**
 * `/find` and `/send` end to end: signed events through the webhook, replies through the LINE
 * emulator, the search list and the send requests read back from Postgres. NAS index rows are
 * inserted directly, as the on-prem indexer writes them.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { lineGroups, nasSearchLists, nasSendRequests, projects } from '@linebot-edge/shared/schema';
import { createSendRequest } from '../src/nas/requests';
import { addMember, adminFetch, contract, createProject, createProjectWithFolder, expectJson } from './support/admin';
import { withDb } from './support/db';
import { accountOf, boundUser, groupPkOf, isBound, pkOf, repliesTo, say } from './support/chat';
import { violations } from './support/emulator';
import { newId, postEvents, textEvent } from './support/line';
import { insertNasFiles, newShare } from './support/nas-find';

const started = Date.now();
const day = (d: number) => new Date(Date.UTC(2026, 10, d, 6, 30)); // 14:30 in Taipei

/** A bound user who is a member of a project whose folder is the whole `share`: what they search in a 1:1 chat. */
async function memberOfShare(share: string) {
  const userId = await boundUser();
  await addMember((await createProjectWithFolder(share)).id, accountOf(userId));
  return userId;
}

/**
 * A group the bot knows (a first message records it), bound to a project with this NAS folder
 * (null: none), of which `userId` is a member if bound.
 */
async function groupWithFolder(userId: string, nasFolder: string | null | undefined) {
  const groupId = newId.group();
  await say({ userId, groupId }, 'hello');
  if (nasFolder !== undefined) {
    const project = await createProject();
    if (nasFolder !== null)
      await expectJson(await adminFetch('PATCH', `/projects/${project.id}`, { body: { nasFolder } }), 200);
    if (isBound(userId)) await addMember(project.id, accountOf(userId));
    await withDb((db) =>
      db.update(lineGroups).set({ projectId: project.id }).where(eq(lineGroups.lineGroupId, groupId)),
    );
    return { groupId, projectId: project.id };
  }
  return { groupId, projectId: null };
}

const requestsOf = (lineUserPk: string) =>
  withDb((db) => db.select().from(nasSendRequests).where(eq(nasSendRequests.lineUserId, lineUserPk)));

describe('/find', () => {
  it('in a bound group: the project folder only, numbered, with folder, size and Taipei date; the list is kept for the group', async () => {
    const share = newShare();
    const userId = await boundUser();
    const { groupId } = await groupWithFolder(userId, `${share}/案場A`);
    await insertNasFiles(share, [
      { path: '案場A/圖面/平面圖.pdf', size: 1_258_291, modifiedAt: day(20) },
      { path: '案場A/平面圖-舊.dwg', size: 532, modifiedAt: day(1) },
      { path: '案場AB/平面圖.pdf', modifiedAt: day(25) }, // a sibling folder: never
      { path: '其他/平面圖.pdf', modifiedAt: day(25) },
    ]);
    const { replies } = await say({ userId, groupId }, '/find 平面圖');
    expect(replies).toHaveLength(1);
    const text = replies[0]!;
    expect(text).toContain('找到 2 個符合「平面圖」的檔案');
    expect(text).toContain(`1. 平面圖.pdf\n   📁 ${share}/案場A/圖面\n   1.2 MB・2026-11-20 14:30`);
    expect(text).toContain(`2. 平面圖-舊.dwg\n   📁 ${share}/案場A\n   532 B・2026-11-01 14:30`);
    expect(text).not.toContain('案場AB');
    expect(text).toContain('/send 1');
    const groupPk = await groupPkOf(groupId);
    const [kept] = await withDb((db) =>
      db
        .select()
        .from(nasSearchLists)
        .where(eq(nasSearchLists.chatKey, `group:${groupPk}`)),
    );
    expect(kept!.fileIds).toHaveLength(2);
    expect(kept!.lineUserId).toBe(await pkOf(userId));

    // Full-width command, keyword and type filter from a CJK keyboard; /找 without a space.
    expect((await say({ userId, groupId }, '／ｆｉｎｄ　平面圖　ｔｙｐｅ：ｐｄｆ')).replies[0]).toContain(
      '找到 1 個符合「平面圖 type:pdf」',
    );
    expect((await say({ userId, groupId }, '/找平面圖')).replies[0]).toContain('找到 2 個');
  });

  it('a group without a project is told to bind one; a project without a folder, to ask an admin', async () => {
    const userId = await boundUser();
    const noProject = await groupWithFolder(userId, undefined);
    expect((await say({ userId, groupId: noProject.groupId }, '/find 報價')).replies[0]).toContain(
      '此群組尚未綁定專案',
    );
    const noFolder = await groupWithFolder(userId, null);
    expect((await say({ userId, groupId: noFolder.groupId }, '/find 報價')).replies[0]).toContain(
      '尚未設定 NAS 資料夾',
    );
  });

  it('1:1, bound admin: every share; unbound: the binding prompt; unbound in a group: silence', async () => {
    const marker = `m${crypto.randomUUID().slice(0, 8)}`;
    await insertNasFiles(newShare(), [{ path: `a/${marker}-甲.txt`, modifiedAt: day(2) }]);
    await insertNasFiles(newShare(), [{ path: `b/${marker}-乙.txt`, modifiedAt: day(3) }]);
    const userId = await boundUser('admin');
    const { replies } = await say({ userId }, `/find ${marker}`);
    expect(replies[0]).toContain('找到 2 個');
    expect(replies[0]!.indexOf(`${marker}-乙`)).toBeLessThan(replies[0]!.indexOf(`${marker}-甲`)); // newer first

    const stranger = newId.user();
    expect((await say({ userId: stranger }, `/find ${marker}`)).replies[0]).toContain('綁定碼（9 個英數字');
    const group = await groupWithFolder(userId, 'anything');
    expect((await say({ userId: newId.user(), groupId: group.groupId }, `/find ${marker}`)).replies).toEqual([]);
  });

  it('nothing found: says so with tips, and drops the older list; no keywords: how to use it', async () => {
    const share = newShare();
    const userId = await memberOfShare(share);
    const marker = `m${crypto.randomUUID().slice(0, 8)}`;
    await insertNasFiles(share, [{ path: `${marker}.pdf` }]);
    expect((await say({ userId }, `/find ${marker}`)).replies[0]).toContain('找到 1 個');
    const none = (await say({ userId }, `/find ${marker} 不存在`)).replies[0]!;
    expect(none).toContain(`找不到符合「${marker} 不存在」的檔案`);
    expect(none).toContain('小提示');
    expect((await say({ userId }, '/send 1')).replies[0]).toContain('請先用 /find 搜尋');
    expect((await say({ userId }, '/find')).replies[0]).toContain('請在 /find 後面輸入關鍵字');
    expect((await say({ userId }, '/find 1 2 3 4 5 6 7 8 9')).replies[0]).toContain('關鍵字最多 8 個');
  });

  it('more than 10: the 10 most relevant, and a hint to narrow it down', async () => {
    const share = newShare();
    const userId = await memberOfShare(share);
    const marker = `m${crypto.randomUUID().slice(0, 8)}`;
    await insertNasFiles(
      share,
      Array.from({ length: 12 }, (_, i) => ({
        path: `f/${marker}-${String(i).padStart(2, '0')}.txt`,
        modifiedAt: day(1 + i),
      })),
    );
    const text = (await say({ userId }, `/find ${marker}`)).replies[0]!;
    expect(text).toContain('找到超過 10 個');
    expect(text).toContain(`1. ${marker}-11.txt`);
    expect(text).toContain(`10. ${marker}-02.txt`);
    expect(text).not.toContain(`${marker}-01.txt`);
    expect(text).toContain('縮小範圍');
  });

  it('/help lists /find and /send for bound users, not for the unbound', async () => {
    const userId = await boundUser();
    expect((await say({ userId }, '/help')).replies[0]).toContain('/find');
    expect((await say({ userId: newId.user() }, '/help')).replies[0]).not.toContain('/find');
  });
});

describe('/send', () => {
  async function searched(options: { size?: number } = {}) {
    const share = newShare();
    const userId = await boundUser();
    const { groupId, projectId } = await groupWithFolder(userId, `${share}/案場A`);
    const [file] = await insertNasFiles(share, [
      { path: '案場A/報價單.pdf', size: options.size ?? 2048, modifiedAt: day(5) },
    ]);
    expect((await say({ userId, groupId }, '/find 報價單')).replies[0]).toContain('1. 報價單.pdf');
    return {
      share,
      userId,
      groupId,
      projectId,
      file: file!,
      userPk: await pkOf(userId),
      groupPk: await groupPkOf(groupId),
    };
  }

  it('creates one send request with the snapshot, the reply token and no reply now; a redelivery creates nothing', async () => {
    const s = await searched();
    const ev = textEvent({ userId: s.userId, groupId: s.groupId }, '/send 1');
    expect((await postEvents([ev])).status).toBe(200);
    expect((await postEvents([{ ...ev, deliveryContext: { isRedelivery: true } }])).status).toBe(200);
    const rows = await requestsOf(s.userPk);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      requestKey: `event:${ev.webhookEventId}`,
      nasFileId: s.file.id,
      share: s.share,
      path: '案場A/報價單.pdf',
      name: '報價單.pdf',
      size: 2048,
      modifiedAt: day(5),
      lineUserId: s.userPk,
      lineGroupId: s.groupPk,
      replyToken: ev.replyToken,
      eventAt: new Date(ev.timestamp),
      publicBaseUrl: 'https://bot.example', // the origin the webhook was called on
      status: 'pending',
    });
    // The reply token is left for the file message.
    expect(await repliesTo(ev.replyToken)).toEqual([]);
    // The same key again (a retried step) inserts nothing.
    const again = await withDb((db) =>
      createSendRequest(db, {
        requestKey: rows[0]!.requestKey,
        file: s.file,
        lineUserPk: s.userPk,
        chatPk: s.groupPk,
        replyToken: null,
        eventAt: new Date(),
        publicBaseUrl: null,
      }),
    );
    expect(again).toEqual({ created: false, id: null });
    expect(await requestsOf(s.userPk)).toHaveLength(1);
  });

  it("PUBLIC_BASE_URL, when set, is the share links' origin; /傳 works as /send", async () => {
    const s = await searched();
    await say({ userId: s.userId, groupId: s.groupId }, '/傳 1', {
      env: { PUBLIC_BASE_URL: 'https://files.example.com/' },
    });
    const [row] = await requestsOf(s.userPk);
    expect(row!.publicBaseUrl).toBe('https://files.example.com');
  });

  it('a list older than 30 minutes: search again; a number not in the list: which numbers there are', async () => {
    const s = await searched();
    expect((await say({ userId: s.userId, groupId: s.groupId }, '/send 2')).replies[0]).toContain('請輸入 1 到 1 之間');
    expect((await say({ userId: s.userId, groupId: s.groupId }, '/send')).replies[0]).toContain('請輸入要傳送的編號');
    await withDb((db) =>
      db
        .update(nasSearchLists)
        .set({ createdAt: sql`now() - interval '31 minutes'` })
        .where(eq(nasSearchLists.chatKey, `group:${s.groupPk}`)),
    );
    expect((await say({ userId: s.userId, groupId: s.groupId }, '/send 1')).replies[0]).toContain(
      '請重新用 /find 搜尋',
    );
    expect(await requestsOf(s.userPk)).toEqual([]);
  });

  it("out of scope now: the group's project changed, or the file left the index", async () => {
    const s = await searched();
    const elsewhere = await createProjectWithFolder(`${s.share}/案場B`);
    await addMember(elsewhere.id, accountOf(s.userId));
    await withDb((db) => db.update(lineGroups).set({ projectId: elsewhere.id }).where(eq(lineGroups.id, s.groupPk)));
    expect((await say({ userId: s.userId, groupId: s.groupId }, '/send 1')).replies[0]).toContain(
      '不在此聊天可存取的資料夾',
    );
    // The project's folder moved instead.
    await withDb((db) => db.update(lineGroups).set({ projectId: s.projectId }).where(eq(lineGroups.id, s.groupPk)));
    await withDb((db) =>
      db
        .update(projects)
        .set({ nasFolder: `${s.share}/案場AB` })
        .where(eq(projects.id, s.projectId!)),
    );
    expect((await say({ userId: s.userId, groupId: s.groupId }, '/send 1')).replies[0]).toContain(
      '不在此聊天可存取的資料夾',
    );
    // The project lost its folder.
    await withDb((db) => db.update(projects).set({ nasFolder: null }).where(eq(projects.id, s.projectId!)));
    expect((await say({ userId: s.userId, groupId: s.groupId }, '/send 1')).replies[0]).toContain(
      '尚未設定 NAS 資料夾',
    );
    expect(await requestsOf(s.userPk)).toEqual([]);
  });

  it("a file removed from the index is gone; another bound member may send from the group's list; an unbound one hears nothing", async () => {
    const s = await searched();
    const other = await boundUser();
    await addMember(s.projectId!, accountOf(other), 'manager');
    await say({ userId: other, groupId: s.groupId }, '/send 1');
    expect(await requestsOf(await pkOf(other))).toHaveLength(1);
    const stranger = newId.user();
    expect((await say({ userId: stranger, groupId: s.groupId }, '/send 1')).replies).toEqual([]);
    await withDb((db) => db.execute(sql`delete from nas_send_requests where nas_file_id = ${s.file.id}`));
    await withDb((db) => db.execute(sql`delete from nas_files where id = ${s.file.id}`));
    expect((await say({ userId: s.userId, groupId: s.groupId }, '/send 1')).replies[0]).toContain('這個檔案已不存在');
  });

  it('over NAS_SEND_MAX_BYTES: a clear answer with the size, no request', async () => {
    const s = await searched({ size: 150 * 1024 * 1024 });
    const text = (await say({ userId: s.userId, groupId: s.groupId }, '/send 1')).replies[0]!;
    expect(text).toContain('「報價單.pdf」有 150 MB，超過可傳送的上限 100 MB');
    expect(await requestsOf(s.userPk)).toEqual([]);
    // The limit is the var's.
    const small = await searched({ size: 5000 });
    expect(
      (await say({ userId: small.userId, groupId: small.groupId }, '/send 1', { env: { NAS_SEND_MAX_BYTES: '4096' } }))
        .replies[0],
    ).toContain('4.9 KB，超過可傳送的上限 4 KB');
    // Read as the upload endpoint reads it (src/config/settings.ts): a fraction is cut, never the 100 MB default.
    expect(
      (
        await say({ userId: small.userId, groupId: small.groupId }, '/send 1', {
          env: { NAS_SEND_MAX_BYTES: '4096.7' },
        })
      ).replies[0],
    ).toContain('超過可傳送的上限 4 KB');
    expect(await requestsOf(small.userPk)).toEqual([]);
  });

  it("1:1: the list is the user's own", async () => {
    const marker = `m${crypto.randomUUID().slice(0, 8)}`;
    const share = newShare();
    await insertNasFiles(share, [{ path: `${marker}.pdf` }]);
    const userId = await memberOfShare(share);
    await say({ userId }, `/find ${marker}`);
    const userPk = await pkOf(userId);
    const [list] = await withDb((db) =>
      db
        .select()
        .from(nasSearchLists)
        .where(eq(nasSearchLists.chatKey, `user:${userPk}`)),
    );
    expect(list!.fileIds).toHaveLength(1);
    const { ev } = await say({ userId }, '/send 1');
    const rows = await requestsOf(userPk);
    expect(rows.map((r) => [r.requestKey, r.lineGroupId, r.name])).toEqual([
      [`event:${ev.webhookEventId}`, null, `${marker}.pdf`],
    ]);
    // Someone else's 1:1 has no list.
    const other = await boundUser();
    expect((await say({ userId: other }, '/send 1')).replies[0]).toContain('請先用 /find 搜尋');
  });
});

afterAll(async () => {
  expect((await violations()).filter((v) => v.at >= started)).toEqual([]);
});

describe("the admin API: a project's nasFolder", () => {
  it('PATCH sets it (a trailing slash dropped), null clears it; responses match the document', async () => {
    const api = await contract();
    const project = await createProject();
    const set = await api.call('PATCH', `/projects/${project.id}`, { body: { nasFolder: 'projects/案場A/圖面/' } });
    expect(set).toMatchObject({ status: 200, body: { id: project.id, nasFolder: 'projects/案場A/圖面' } });
    // The list's items carry it (the document says so; the list is checked against it).
    expect((await api.call('GET', '/projects')).status).toBe(200);
    // A group's project carries it too.
    const group = await withDb(
      async (db) =>
        (await db.insert(lineGroups).values({ lineGroupId: newId.group(), projectId: project.id }).returning())[0]!,
    );
    expect(
      (await api.call('PATCH', `/groups/${group.id}`, { body: { allowAiResponse: false } })).body.project.nasFolder,
    ).toBe('projects/案場A/圖面');
    expect(
      (await api.call('PATCH', `/projects/${project.id}`, { body: { nasFolder: null } })).body.nasFolder,
    ).toBeNull();
    const created = await api.call('POST', '/projects', {
      body: { name: `Folder ${crypto.randomUUID()}`, nasFolder: 'nas_2' },
    });
    expect(created).toMatchObject({ status: 201, body: { nasFolder: 'nas_2' } });
  });

  it.each([
    ['..', 'projects/../hr'],
    ['.', 'projects/./a'],
    ['a leading slash', '/projects/a'],
    ['a backslash', 'projects\\a'],
    ['NUL', 'projects/a\u0000b'],
    ['a control character', 'projects/a\nb'],
    ['an empty segment', 'projects//a'],
    ['an empty value', ''],
    ['a share name with a space', 'my share/a'],
    ['a share name too long', `${'s'.repeat(65)}/a`],
    ['over 1000 characters', `projects/${'長'.repeat(1000)}`],
    ['a lone surrogate', 'projects/\ud800'],
    ['not a string', 42],
  ])('refused with 400 on nasFolder: %s', async (_what, nasFolder) => {
    const api = await contract();
    const project = await createProject();
    const res = await api.call('PATCH', `/projects/${project.id}`, { body: { nasFolder } });
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'body', path: 'nasFolder' })]),
    );
    const [row] = await withDb((db) =>
      db.select({ nasFolder: projects.nasFolder }).from(projects).where(eq(projects.id, project.id)),
    );
    expect(row!.nasFolder).toBeNull();
  });
});
