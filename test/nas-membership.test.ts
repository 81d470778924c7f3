/**
 * Project membership and the NAS, end to end through the webhook: who may search and send where
 * (src/access/policy.ts `nasScopeFor`), a membership change through the admin API counting from the
 * next message, a send request checked again when its file is delivered, a group's project change
 * revoking its share links, and the audit trail those leave.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { auditLog, nasSendRequests, shareLinks } from '@linebot-edge/shared/schema';
import { createShareLink } from '../src/nas/share-links';
import {
  addMember,
  adminFetch,
  createProject,
  createProjectWithFolder,
  expectJson,
  removeMember,
} from './support/admin';
import { accountOf, boundUser, groupPkOf, pkOf, repliesTo, say } from './support/chat';
import { withDb } from './support/db';
import { violations } from './support/emulator';
import { newId } from './support/line';
import { bytesOf, call, loadRequest, seedSendRequest, updateRequest, upload } from './support/nas';
import { insertNasFiles, newShare } from './support/nas-find';

const started = Date.now();
const NOT_MEMBER = '不是專案';

/** A group the bot knows (a first message of `userId` records it), bound to `projectId` through the admin API. */
async function groupOf(userId: string, projectId: string) {
  const groupId = newId.group();
  await say({ userId, groupId }, 'hello');
  const groupPk = await groupPkOf(groupId);
  await expectJson(await adminFetch('PATCH', `/groups/${groupPk}`, { body: { projectId } }), 200);
  return { groupId, groupPk };
}

const auditOf = (where: { actorLineUserId?: string; lineGroupId?: string; targetId?: string }) =>
  withDb((db) =>
    db
      .select()
      .from(auditLog)
      .where(
        and(
          where.actorLineUserId ? eq(auditLog.actorLineUserId, where.actorLineUserId) : undefined,
          where.lineGroupId ? eq(auditLog.lineGroupId, where.lineGroupId) : undefined,
          where.targetId ? eq(auditLog.targetId, where.targetId) : undefined,
        ),
      )
      .orderBy(asc(auditLog.id)),
  );

const requestsOf = (lineUserPk: string) =>
  withDb((db) => db.select().from(nasSendRequests).where(eq(nasSendRequests.lineUserId, lineUserPk)));

/** What the on-prem job does with a pending request: claim it, then upload the file (size bytes). */
async function nasJobUploads(id: string) {
  const row = await updateRequest(id, {
    status: 'uploading',
    claimedAt: new Date(),
    claimedBy: 'test-job',
    attempts: 1,
  });
  expect((await upload(id, 'file', bytesOf(row.size))).status).toBe(200);
  return loadRequest(id);
}

describe('a group bound to a project', () => {
  it('a membership change through the admin API counts from the next message', async () => {
    const share = newShare();
    const project = await createProjectWithFolder(`${share}/案場A`);
    await insertNasFiles(share, [{ path: '案場A/報價單.pdf' }]);
    const userId = await boundUser();
    const { groupId } = await groupOf(userId, project.id);

    // Bound but no member: one short message naming the project and who adds members.
    const refused = (await say({ userId, groupId }, '/find 報價單')).replies;
    expect(refused).toHaveLength(1);
    expect(refused[0]).toContain(`您不是專案「${project.name}」的成員`);
    expect(refused[0]).toContain('An administrator adds members.');

    await addMember(project.id, accountOf(userId));
    expect((await say({ userId, groupId }, '/find 報價單')).replies[0]).toContain('1. 報價單.pdf');

    await removeMember(project.id, accountOf(userId));
    expect((await say({ userId, groupId }, '/find 報價單')).replies[0]).toContain(NOT_MEMBER);
    // The list made while a member is no way around it.
    expect((await say({ userId, groupId }, '/send 1')).replies[0]).toContain(NOT_MEMBER);
    expect(await requestsOf(await pkOf(userId))).toEqual([]);

    // A manager searches alike; an admin needs no membership; an unbound sender hears nothing.
    await addMember(project.id, accountOf(userId), 'manager');
    expect((await say({ userId, groupId }, '/find 報價單')).replies[0]).toContain('1. 報價單.pdf');
    const admin = await boundUser('admin');
    expect((await say({ userId: admin, groupId }, '/find 報價單')).replies[0]).toContain('1. 報價單.pdf');
    expect((await say({ userId: newId.user(), groupId }, '/find 報價單')).replies).toEqual([]);
  });

  it("another project's member is no member here", async () => {
    const share = newShare();
    const here = await createProjectWithFolder(`${share}/A`);
    const elsewhere = await createProjectWithFolder(`${share}/A`);
    const userId = await boundUser();
    await addMember(elsewhere.id, accountOf(userId));
    const { groupId } = await groupOf(userId, here.id);
    expect((await say({ userId, groupId }, '/find x')).replies[0]).toContain(NOT_MEMBER);
  });
});

describe('a 1:1 chat', () => {
  it("the union of the account's projects' folders; admins every share; no project, or none with a folder, says why", async () => {
    const [a, b, c] = [newShare(), newShare(), newShare()];
    const marker = `m${crypto.randomUUID().slice(0, 8)}`;
    await insertNasFiles(a, [{ path: `案場/${marker}-A.pdf` }]);
    await insertNasFiles(b, [{ path: `案場/${marker}-B.pdf` }]);
    await insertNasFiles(c, [{ path: `x/${marker}-C.pdf` }, { path: `y/${marker}-C2.pdf` }]);
    const projectA = await createProjectWithFolder(a);
    await createProjectWithFolder(b);
    const projectC = await createProjectWithFolder(`${c}/x`);

    const userId = await boundUser();
    await addMember(projectA.id, accountOf(userId));
    let text = (await say({ userId }, `/find ${marker}`)).replies[0]!;
    expect(text).toContain('找到 1 個');
    expect(text).toContain(`${marker}-A.pdf`);
    expect(text).not.toContain(`${marker}-B.pdf`);

    await addMember(projectC.id, accountOf(userId), 'manager');
    text = (await say({ userId }, `/find ${marker}`)).replies[0]!;
    expect(text).toContain('找到 2 個');
    expect(text).toContain(`${marker}-C.pdf`);
    expect(text).not.toContain(`${marker}-C2.pdf`);
    expect(text).not.toContain(`${marker}-B.pdf`);

    const admin = await boundUser('admin');
    expect((await say({ userId: admin }, `/find ${marker}`)).replies[0]).toContain('找到 4 個');

    const loner = await boundUser();
    const none = (await say({ userId: loner }, `/find ${marker}`)).replies;
    expect(none).toHaveLength(1);
    expect(none[0]).toContain('您還不是任何專案的成員');
    const folderless = await createProject();
    await addMember(folderless.id, accountOf(loner));
    expect((await say({ userId: loner }, `/find ${marker}`)).replies[0]).toContain(
      `您所屬的專案（${folderless.name}）尚未設定 NAS 資料夾`,
    );
  });
});

describe('a send request is checked again when its file is delivered', () => {
  async function requested() {
    const share = newShare();
    const project = await createProjectWithFolder(`${share}/案場A`);
    await insertNasFiles(share, [{ path: '案場A/合約.pdf', size: 64 }]);
    const userId = await boundUser();
    await addMember(project.id, accountOf(userId));
    const { groupId, groupPk } = await groupOf(userId, project.id);
    expect((await say({ userId, groupId }, '/find 合約')).replies[0]).toContain('1. 合約.pdf');
    const { ev } = await say({ userId, groupId }, '/send 1');
    const [request] = await requestsOf(await pkOf(userId));
    expect(request).toMatchObject({ status: 'pending', replyToken: ev.replyToken });
    return { share, project, userId, groupId, groupPk, ev, request: request! };
  }

  it('a membership removed meanwhile: not delivered, the asker told, audited as refused', async () => {
    const s = await requested();
    await removeMember(s.project.id, accountOf(s.userId));
    const row = await nasJobUploads(s.request.id);
    expect(row).toMatchObject({ status: 'failed', sentBy: 'reply' });
    expect(row.sentAt).not.toBeNull();
    expect(row.error).toContain('沒有傳出');
    const told = await repliesTo(s.ev.replyToken);
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('「合約.pdf」沒有傳出：您已不是可存取這個檔案的專案成員');
    expect(
      await withDb((db) => db.select().from(shareLinks).where(eq(shareLinks.sendRequestId, s.request.id))),
    ).toEqual([]);
    const [refused] = (await auditOf({ targetId: s.request.id })).filter((e) => e.action === 'nas.send_refused');
    expect(refused).toMatchObject({
      via: 'chat',
      actorUserId: accountOf(s.userId),
      actorLineUserId: await pkOf(s.userId),
      lineGroupId: s.groupPk,
      details: { reason: 'notMember', how: 'command', share: s.share, path: '案場A/合約.pdf' },
    });
    // A second delivery attempt (the backstop) tells nothing again.
    expect((await upload(s.request.id, 'file', bytesOf(64))).status).toBe(409);
    expect(await repliesTo(s.ev.replyToken)).toHaveLength(1);
  });

  it('the group unbound from its project meanwhile (/project unbind): not delivered, told why', async () => {
    const s = await requested();
    const admin = await boundUser('admin');
    expect((await say({ userId: admin, groupId: s.groupId }, '/project unbind')).replies[0]).toContain(
      '已解除此群組的專案綁定',
    );
    const row = await nasJobUploads(s.request.id);
    expect(row.status).toBe('failed');
    expect((await repliesTo(s.ev.replyToken))[0]).toContain('此群組已不再綁定專案');
  });

  it("the project's folder moved meanwhile: not delivered; a request still in scope is, once, and audited as sent", async () => {
    const s = await requested();
    await expectJson(
      await adminFetch('PATCH', `/projects/${s.project.id}`, { body: { nasFolder: `${s.share}/案場B` } }),
      200,
    );
    expect((await nasJobUploads(s.request.id)).status).toBe('failed');
    expect((await repliesTo(s.ev.replyToken))[0]).toContain('不在此聊天可存取的資料夾內');
    expect(
      (await auditOf({ targetId: s.request.id })).find((e) => e.action === 'nas.send_refused')!.details,
    ).toMatchObject({ reason: 'outside_scope' });

    const ok = await requested();
    const row = await nasJobUploads(ok.request.id);
    expect(row).toMatchObject({ status: 'sent', sentBy: 'reply' });
    expect((await repliesTo(ok.ev.replyToken))[0]).toContain('📎 合約.pdf');
  });
});

describe("a group's project change revokes its active share links", () => {
  /** A link sent into the group, still open. */
  async function openLink(lineGroupId: string) {
    const { request } = await seedSendRequest({
      status: 'sent',
      lineGroupId,
      r2Key: 'sends/x/file',
      contentType: 'application/pdf',
    });
    return withDb((db) => createShareLink(db, request, 3600));
  }
  const linkRow = async (id: string) =>
    (await withDb((db) => db.select().from(shareLinks).where(eq(shareLinks.id, id))))[0]!;

  it('through the API and /project bind; other settings and binding the same project revoke nothing; each audited', async () => {
    const admin = await boundUser('admin');
    const first = await createProjectWithFolder('projects/a');
    const second = await createProject();
    const { groupId, groupPk } = await groupOf(admin, first.id);
    const otherGroup = await openLink((await groupOf(admin, first.id)).groupPk);

    const kept = await openLink(groupPk);
    await expectJson(
      await adminFetch('PATCH', `/groups/${groupPk}`, { body: { allowAiResponse: true, projectId: first.id } }),
      200,
    );
    expect((await linkRow(kept.link.id)).revokedAt).toBeNull();

    await expectJson(await adminFetch('PATCH', `/groups/${groupPk}`, { body: { projectId: second.id } }), 200);
    expect((await linkRow(kept.link.id)).revokedAt).not.toBeNull();
    expect((await call('GET', `/s/${kept.token}`, { token: null })).status).toBe(410);
    expect((await linkRow(otherGroup.link.id)).revokedAt).toBeNull();

    const again = await openLink(groupPk);
    expect((await say({ userId: admin, groupId }, `/project bind ${first.name}`)).replies[0]).toContain(
      '已將此群組綁定到專案',
    );
    expect((await linkRow(again.link.id)).revokedAt).not.toBeNull();

    const trail = (await auditOf({ lineGroupId: groupPk })).filter((e) => e.action !== 'nas.search');
    const facts = trail.map((e) => [e.action, e.via, e.targetId, e.details]);
    expect(facts).toEqual([
      ['group.project_set', 'api', groupPk, { from: null, to: first.id }],
      ['group.settings_changed', 'api', groupPk, { allowAiResponse: true }],
      ['group.project_set', 'api', groupPk, { from: first.id, to: second.id }],
      ['share_link.revoked', 'api', kept.link.id, { reason: 'group_project_changed' }],
      ['group.project_set', 'chat', groupPk, { from: second.id, to: first.id }],
      ['share_link.revoked', 'chat', again.link.id, { reason: 'group_project_changed' }],
    ]);
    expect(trail.at(-1)).toMatchObject({ actorUserId: accountOf(admin), actorLineUserId: await pkOf(admin) });
  });
});

describe('the audit trail', () => {
  it('of a /find and a /send: keywords and counts (never the results), the request, the file that left the NAS', async () => {
    const share = newShare();
    const project = await createProjectWithFolder(share);
    await insertNasFiles(share, [
      { path: '機密/報價單-甲.pdf', size: 64 },
      { path: '報價單-乙.pdf', size: 64 },
    ]);
    const userId = await boundUser();
    await addMember(project.id, accountOf(userId));
    const userPk = await pkOf(userId);
    expect((await say({ userId }, '/find 報價單 type:pdf')).replies[0]).toContain('找到 2 個');
    const { ev } = await say({ userId }, '/send 2');
    const [request] = await requestsOf(userPk);
    await nasJobUploads(request!.id);

    const trail = (await auditOf({ actorLineUserId: userPk })).filter((e) => e.action.startsWith('nas.'));
    expect(trail.map((e) => e.action)).toEqual(['nas.search', 'nas.send_requested', 'nas.file_sent']);
    for (const e of trail) expect(e).toMatchObject({ via: 'chat', actorUserId: accountOf(userId), lineGroupId: null });
    expect(trail[0]!.details).toEqual({
      how: 'command',
      keywords: ['報價單'],
      types: ['pdf'],
      results: 2,
      more: false,
    });
    expect(JSON.stringify(trail[0]!.details)).not.toContain('機密');
    expect(trail[1]).toMatchObject({
      targetType: 'nas_send_request',
      targetId: request!.id,
      details: { how: 'command', share, path: request!.path, size: 64 },
    });
    expect(trail[2]).toMatchObject({
      targetId: request!.id,
      details: { how: 'command', share, path: request!.path, sentBy: 'reply' },
    });
    expect((await repliesTo(ev.replyToken))[0]).toContain('📎');
    // Times are the database's: the file left after it was asked for.
    expect(trail[2]!.at.getTime()).toBeGreaterThanOrEqual(request!.createdAt.getTime());
  });
});

afterAll(async () => {
  expect((await violations()).filter((v) => v.at >= started)).toEqual([]);
});
