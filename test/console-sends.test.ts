/**
 * Sending as the bot from the console, inside workerd against the test Postgres and the LINE
 * emulator: a text into a group and a 1:1 chat (one push however often the form arrives, an
 * is_from_bot row naming the operator, one audit entry), LINE's quota refusal (429 page, the row
 * failed), a NAS file (a `console:` send request with no reply token, pushed once when the job has
 * uploaded it, the row settled), files outside the chat's folders refused, the push quota and cost
 * on the page, forged posts refused and a signed-out client given nothing.
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, lineMessages, nasSendRequests, operatorSends } from '@linebot-edge/shared/schema';
import { addMember, createAccount, createProjectWithFolder, seedGroup, seedLineUser } from './support/admin';
import { expectForgedPostsRefused, operator, page, send, submit } from './support/console';
import { withDb } from './support/db';
import { lineRequests, refusePushesForQuota } from './support/emulator';
import { bytesOf, reportFailure, upload } from './support/nas';
import { insertNasFiles } from './support/nas-find';

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

const pushesTo = async (to: string) =>
  (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to: string }).to === to && r.status === 200);
const sendRow = (id: string) =>
  withDb(async (db) => (await db.select().from(operatorSends).where(eq(operatorSends.id, id)))[0]);
const botRowsOf = (where: { groupPk?: string; userPk?: string }) =>
  withDb((db) =>
    db
      .select()
      .from(lineMessages)
      .where(
        and(
          eq(lineMessages.isFromBot, true),
          where.groupPk ? eq(lineMessages.lineGroupId, where.groupPk) : eq(lineMessages.lineUserId, where.userPk!),
        ),
      ),
  );
const auditOf = (targetId: string) => withDb((db) => db.select().from(auditLog).where(eq(auditLog.targetId, targetId)));
const sendIdOn = (html: string) => /name="sendId" value="([0-9a-f-]{36})"/.exec(html)![1]!;

/** A file in the `projects` share's index, at `folder/…`. */
async function seedNasFile(folder: string, name = `plan-${unique()}.pdf`, size = 1000) {
  return (await insertNasFiles('projects', [{ path: `${folder}/${name}`, size }]))[0]!;
}

/** A group bound to a project whose folder is `projects/<folder>`. */
async function projectGroup(memberCount = 4) {
  const folder = `site-${unique()}`;
  const project = await createProjectWithFolder(`projects/${folder}`);
  const group = await seedGroup({ name: `Site ${unique()}`, projectId: project.id, memberCount });
  return { folder, project, group };
}

describe('a text as the bot', () => {
  it('into a group: one push even after a double submit, an is_from_bot row naming the operator, sent, audited once', async () => {
    const op = await operator();
    const { group } = await projectGroup(7);
    const html = await page(`/groups/${group.id}`, op.cookie);
    // The cost of a push here and the quota left are on the page.
    expect(html).toContain('data-push-cost="7"');
    expect(html).toContain('以機器人傳送');
    const sendId = sendIdOn(html);
    const form = { sendId, text: '明天 9 點\r\n開工' };

    const first = await submit(`/groups/${group.id}/send`, op, form);
    expect(first.location).toBe(`/admin/groups/${group.id}#send`);
    expect(first.html).toContain('已以機器人送出訊息。');
    // The same form again (a double submit, a retried request): nothing sent twice.
    const again = await submit(`/groups/${group.id}/send`, op, form);
    expect(again.html).toContain('沒有重複傳送');

    const pushes = await pushesTo(group.lineGroupId);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.body).toMatchObject({
      to: group.lineGroupId,
      messages: [{ type: 'text', text: '明天 9 點\n開工' }],
    });
    expect(pushes[0]!.headers['x-line-retry-key']).toMatch(/^[0-9a-f-]{36}$/);

    const rows = await botRowsOf({ groupPk: group.id });
    expect(rows.map((r) => [r.content, r.sentByOperator?.startsWith('token:')])).toEqual([['明天 9 點\n開工', true]]);
    const row = await sendRow(sendId);
    expect(row).toMatchObject({ status: 'sent', lineGroupId: group.id, lineUserId: null, error: null });
    expect(row!.operator).toBe(rows[0]!.sentByOperator);
    expect(row!.sentAt).not.toBeNull();
    const audit = await auditOf(sendId);
    expect(audit.map((a) => [a.action, a.via, a.lineGroupId, a.operator])).toEqual([
      ['console.message_sent', 'console', group.id, row!.operator],
    ]);
    // The text is not in the trail, only its length.
    expect(JSON.stringify(audit[0]!.details)).not.toContain('開工');
    // The page lists it, with a link to the trail of this chat's sends.
    const after = await page(`/groups/${group.id}`, op.cookie);
    expect(after).toContain(`data-operator-send="${sendId}" data-status="sent"`);
    // The timeline names the operator beside the bot's message.
    expect(after).toContain(` · ${row!.operator}`);
    expect(after).toContain(`/admin/audit?action=console.message_sent&amp;groupId=${group.id}`);
    expect(sendIdOn(after)).not.toBe(sendId);
  });

  it('two submissions of one form at once still push once', async () => {
    const op = await operator();
    const group = await seedGroup({ name: 'Race' });
    const sendId = crypto.randomUUID();
    const form = { _csrf: op.csrf, sendId, text: 'at once' };
    const results = await Promise.all([
      send('POST', `/groups/${group.id}/send`, { cookie: op.cookie, form }),
      send('POST', `/groups/${group.id}/send`, { cookie: op.cookie, form }),
    ]);
    expect(results.map((r) => r.status)).toEqual([303, 303]);
    expect(await pushesTo(group.lineGroupId)).toHaveLength(1);
    expect(await botRowsOf({ groupPk: group.id })).toHaveLength(1);
    expect((await sendRow(sendId))!.status).toBe('sent');
    expect(await auditOf(sendId)).toHaveLength(1);
  });

  it('into a 1:1 chat from the LINE user page', async () => {
    const op = await operator();
    const user = await seedLineUser({ displayName: 'Amy' });
    const list = await page('/line-users', op.cookie);
    expect(list).toContain(`/admin/line-users/${user.id}/send`);
    const html = await page(`/line-users/${user.id}/send`, op.cookie);
    expect(html).toContain('data-push-cost="1"');
    const sendId = sendIdOn(html);
    const { location } = await submit(`/line-users/${user.id}/send`, op, { sendId, text: 'hi Amy' });
    expect(location).toBe(`/admin/line-users/${user.id}/send#send`);
    expect((await pushesTo(user.lineUserId)).map((p) => p.body)).toEqual([
      { to: user.lineUserId, messages: [{ type: 'text', text: 'hi Amy' }] },
    ]);
    expect((await botRowsOf({ userPk: user.id })).map((r) => [r.content, r.sourceType])).toEqual([['hi Amy', 'user']]);
    const row = await sendRow(sendId);
    expect(row).toMatchObject({ status: 'sent', lineUserId: user.id, lineGroupId: null });
    // Audited against the LINE user, the send in its details: the audit screen's filter by the
    // user (our id or LINE's) lists it, and the page links there.
    const audit = await withDb((db) =>
      db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'console.message_sent'), eq(auditLog.targetId, user.id))),
    );
    expect(audit.map((a) => [a.targetType, a.lineGroupId, a.operator, a.details])).toEqual([
      ['line_user', null, row!.operator, expect.objectContaining({ operatorSendId: sendId })],
    ]);
    for (const ref of [user.id, user.lineUserId]) {
      const trail = await page(`/audit?action=console.message_sent&lineUserId=${ref}`, op.cookie);
      expect(trail, ref).toContain(`data-audit="${audit[0]!.id}"`);
    }
    const after = await page(`/line-users/${user.id}/send`, op.cookie);
    expect(after).toContain(`/admin/audit?action=console.message_sent&amp;lineUserId=${user.id}`);
  });

  it('refused: blank, too long, no form id, a form id used for another text (409), an unknown chat (404); nothing sent', async () => {
    const op = await operator();
    const group = await seedGroup({ name: 'Refusals' });
    const path = `/groups/${group.id}/send`;
    const post = (form: Record<string, string>) =>
      send('POST', path, { cookie: op.cookie, form: { _csrf: op.csrf, ...form } });
    expect((await post({ sendId: crypto.randomUUID(), text: '  \r\n ' })).status).toBe(400);
    expect((await post({ sendId: crypto.randomUUID(), text: 'x'.repeat(5001) })).status).toBe(400);
    expect((await post({ sendId: 'not-a-uuid', text: 'x' })).status).toBe(400);
    expect((await post({ text: 'x' })).status).toBe(400);
    expect((await post({ sendId: crypto.randomUUID(), text: 'a\u0000b' })).status).toBe(400);
    expect(await pushesTo(group.lineGroupId)).toHaveLength(0);

    const sendId = crypto.randomUUID();
    expect((await post({ sendId, text: 'first' })).status).toBe(303);
    const reused = await post({ sendId, text: 'second' });
    expect(reused.status).toBe(409);
    expect(await reused.text()).toContain('重新整理');
    // The same id into another chat: refused too.
    const other = await seedGroup({ name: 'Other' });
    const elsewhere = await send('POST', `/groups/${other.id}/send`, {
      cookie: op.cookie,
      form: { _csrf: op.csrf, sendId, text: 'first' },
    });
    expect(elsewhere.status).toBe(409);
    expect(await pushesTo(group.lineGroupId)).toHaveLength(1);
    expect(await pushesTo(other.lineGroupId)).toHaveLength(0);

    const unknown = await send('POST', `/groups/${crypto.randomUUID()}/send`, {
      cookie: op.cookie,
      form: { _csrf: op.csrf, sendId: crypto.randomUUID(), text: 'x' },
    });
    expect(unknown.status).toBe(404);
    expect((await send('GET', `/line-users/${crypto.randomUUID()}/send`, { cookie: op.cookie })).status).toBe(404);
  });

  it('LINE refuses the push for the quota: a 429 page, the row failed, counted as a refusal, not sent again', async () => {
    const op = await operator();
    const group = await seedGroup({ name: 'No quota' });
    await refusePushesForQuota(group.lineGroupId);
    const sendId = crypto.randomUUID();
    const form = { _csrf: op.csrf, sendId, text: 'too late' };
    const res = await send('POST', `/groups/${group.id}/send`, { cookie: op.cookie, form });
    expect(res.status).toBe(429);
    expect(await res.text()).toContain('額度已用完');
    expect(await sendRow(sendId)).toMatchObject({ status: 'failed', error: 'quota', sentAt: null });
    expect(await botRowsOf({ groupPk: group.id })).toHaveLength(0);
    // The same form again answers from the row: no second push attempt.
    const before = (await lineRequests('/v2/bot/message/push')).filter(
      (r) => (r.body as { to: string }).to === group.lineGroupId,
    ).length;
    expect((await send('POST', `/groups/${group.id}/send`, { cookie: op.cookie, form })).status).toBe(429);
    const after = (await lineRequests('/v2/bot/message/push')).filter(
      (r) => (r.body as { to: string }).to === group.lineGroupId,
    ).length;
    expect(after).toBe(before);
    expect(await auditOf(sendId)).toHaveLength(0);
  });
});

describe('a NAS file as the bot', () => {
  it("into a group: found in the project's folder, asked of the NAS once, pushed once when uploaded, settled", async () => {
    const op = await operator();
    const { folder, group } = await projectGroup();
    const file = await seedNasFile(folder, `平面圖-${unique()}.pdf`);
    const outside = await seedNasFile(`elsewhere-${unique()}`, file.name);

    const html = await page(`/groups/${group.id}?q=${encodeURIComponent(file.name)}`, op.cookie);
    expect(html).toContain(`data-nas-file="${file.id}"`);
    expect(html).not.toContain(`data-nas-file="${outside.id}"`);
    const sendId = sendIdOn(html);

    const first = await submit(`/groups/${group.id}/send-file`, op, { sendId, fileId: file.id });
    expect(first.html).toContain('已請 NAS 傳送檔案');
    const again = await submit(`/groups/${group.id}/send-file`, op, { sendId, fileId: file.id });
    expect(again.html).toContain('沒有重複傳送');

    const requests = await withDb((db) =>
      db
        .select()
        .from(nasSendRequests)
        .where(eq(nasSendRequests.requestKey, `console:${sendId}`)),
    );
    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    // Nobody in the chat asked: no asker, no reply token, so it goes by push.
    expect(request).toMatchObject({ lineUserId: null, lineGroupId: group.id, replyToken: null, nasFileId: file.id });
    expect(await sendRow(sendId)).toMatchObject({ status: 'sending', nasSendRequestId: request.id });
    expect((await auditOf(sendId)).map((a) => [a.action, a.lineGroupId])).toEqual([['console.message_sent', group.id]]);

    // The nas-sync job claims it and uploads the file: the Worker pushes it into the group.
    await withDb((db) =>
      db
        .update(nasSendRequests)
        .set({ status: 'uploading', claimedAt: new Date(), claimedBy: 'test-job', attempts: 1 })
        .where(eq(nasSendRequests.id, request.id)),
    );
    expect((await upload(request.id, 'file', bytesOf(1000))).status).toBe(200);
    const pushes = await pushesTo(group.lineGroupId);
    expect(pushes).toHaveLength(1);
    expect(JSON.stringify(pushes[0]!.body)).toContain(file.name);
    const row = await sendRow(sendId);
    expect(row).toMatchObject({ status: 'sent', error: null });
    const botRows = await botRowsOf({ groupPk: group.id });
    expect(botRows.map((r) => r.sentByOperator)).toEqual([row!.operator]);
    const sent = await withDb(
      async (db) => (await db.select().from(nasSendRequests).where(eq(nasSendRequests.id, request.id)))[0]!,
    );
    expect(sent).toMatchObject({ status: 'sent', sentBy: 'push' });
    const fileAudit = await auditOf(request.id);
    expect(fileAudit.map((a) => [a.action, a.via, a.operator])).toEqual([['nas.file_sent', 'console', row!.operator]]);
  });

  it('a failure is told to the operator on the console, never pushed into the chat', async () => {
    const op = await operator();
    const { folder, group } = await projectGroup();
    const file = await seedNasFile(folder);
    const sendId = crypto.randomUUID();
    await submit(`/groups/${group.id}/send-file`, op, { sendId, fileId: file.id });
    const [request] = await withDb((db) =>
      db
        .select()
        .from(nasSendRequests)
        .where(eq(nasSendRequests.requestKey, `console:${sendId}`)),
    );
    await withDb((db) =>
      db
        .update(nasSendRequests)
        .set({ status: 'uploading', claimedAt: new Date(), claimedBy: 'test-job', attempts: 1 })
        .where(eq(nasSendRequests.id, request!.id)),
    );
    expect((await reportFailure(request!.id, 'missing')).status).toBe(200);
    expect(await pushesTo(group.lineGroupId)).toHaveLength(0);
    const row = await sendRow(sendId);
    expect(row!.status).toBe('failed');
    expect(row!.error).toContain(file.name);
    const html = await page(`/groups/${group.id}`, op.cookie);
    expect(html).toContain(`data-operator-send="${sendId}" data-status="failed"`);
  });

  it("refused outside the chat's folders, in a group without a project, too large, unknown; nothing asked of the NAS", async () => {
    const op = await operator();
    const { folder, group } = await projectGroup();
    const outside = await seedNasFile(`other-${unique()}`);
    // A sibling folder whose name starts like the project's: not inside it.
    const sibling = await seedNasFile(`${folder}-old`);
    const huge = await seedNasFile(folder, `big-${unique()}.pdf`, 10 * 1024 * 1024 * 1024);
    const unbound = await seedGroup({ name: 'No project' });
    const inFolder = await seedNasFile(folder);
    const post = (groupId: string, fileId: string) =>
      send('POST', `/groups/${groupId}/send-file`, {
        cookie: op.cookie,
        form: { _csrf: op.csrf, sendId: crypto.randomUUID(), fileId },
      });
    for (const [groupId, fileId, status] of [
      [group.id, outside.id, 400],
      [group.id, sibling.id, 400],
      [group.id, huge.id, 400],
      [group.id, crypto.randomUUID(), 400],
      [group.id, 'not-a-uuid', 400],
      [unbound.id, inFolder.id, 400],
      [crypto.randomUUID(), inFolder.id, 404],
    ] as const) {
      expect((await post(groupId, fileId)).status, `${groupId} ${fileId}`).toBe(status);
    }
    const made = await withDb((db) =>
      db.select({ id: nasSendRequests.id }).from(nasSendRequests).where(eq(nasSendRequests.lineGroupId, group.id)),
    );
    expect(made).toHaveLength(0);
    // The search says why an unbound group has nothing.
    expect(await page(`/groups/${unbound.id}?q=plan`, op.cookie)).toContain('尚未綁定專案');
  });

  it("into a 1:1 chat: the folders of the user's projects only", async () => {
    const op = await operator();
    const folder = `mine-${unique()}`;
    const project = await createProjectWithFolder(`projects/${folder}`);
    const account = await createAccount('member');
    await addMember(project.id, account.id);
    const user = await seedLineUser({ displayName: 'Bo', userId: account.id });
    const mine = await seedNasFile(folder);
    const theirs = await seedNasFile(`theirs-${unique()}`);
    const post = (fileId: string) =>
      send('POST', `/line-users/${user.id}/send-file`, {
        cookie: op.cookie,
        form: { _csrf: op.csrf, sendId: crypto.randomUUID(), fileId },
      });
    expect((await post(theirs.id)).status).toBe(400);
    expect((await post(mine.id)).status).toBe(303);
    const requests = await withDb((db) =>
      db.select().from(nasSendRequests).where(eq(nasSendRequests.lineUserId, user.id)),
    );
    expect(requests.map((r) => [r.nasFileId, r.lineGroupId, r.replyToken])).toEqual([[mine.id, null, null]]);
    // An unbound user: nothing to send from.
    const stranger = await seedLineUser({ displayName: 'Unbound' });
    expect(await page(`/line-users/${stranger.id}/send?q=x`, op.cookie)).toContain('尚未綁定帳號');
  });
});

describe('refusals', () => {
  it('forged posts (no or a wrong CSRF token, a foreign Origin, cross-site) are refused with nothing sent', async () => {
    const op = await operator();
    const { folder, group } = await projectGroup();
    const user = await seedLineUser();
    const file = await seedNasFile(folder);
    const sendId = crypto.randomUUID();
    await expectForgedPostsRefused(op, [
      [`/groups/${group.id}/send`, { sendId, text: 'forged' }],
      [`/groups/${group.id}/send-file`, { sendId, fileId: file.id }],
      [`/line-users/${user.id}/send`, { sendId, text: 'forged' }],
      [`/line-users/${user.id}/send-file`, { sendId, fileId: file.id }],
    ]);
    expect(await sendRow(sendId)).toBeUndefined();
    expect(await pushesTo(group.lineGroupId)).toHaveLength(0);
    expect(await pushesTo(user.lineUserId)).toHaveLength(0);
  });

  it('a signed-out client gets nothing: sign-in redirect for the page, 401 for the forms', async () => {
    const group = await seedGroup();
    const user = await seedLineUser();
    const res = await send('GET', `/line-users/${user.id}/send`);
    expect([res.status, res.headers.get('location')]).toEqual([303, '/admin/login']);
    const sendId = crypto.randomUUID();
    for (const path of [`/groups/${group.id}/send`, `/line-users/${user.id}/send`]) {
      expect((await send('POST', path, { form: { sendId, text: 'x' } })).status, path).toBe(401);
    }
    expect(await sendRow(sendId)).toBeUndefined();
  });
});
