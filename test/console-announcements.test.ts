/**
 * Announcements inside workerd against the test Postgres and the LINE emulator: the preview's
 * chats and push estimate (once per member, per part), a file outside a chosen chat's folder
 * refused, sending to a project's groups (one push each, even after a double submit), each chat's
 * outcome, a resume after LINE failed for one chat that sends nothing twice, the Cron finishing
 * it, forged posts refused and a signed-out client given nothing.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { announcements, auditLog, nasSendRequests, operatorSends } from '@linebot-edge/shared/schema';
import { createProjectWithFolder, seedGroup } from './support/admin';
import { expectForgedPostsRefused, operator, send, submit } from './support/console';
import { withDb } from './support/db';
import { addFault, lineRequests } from './support/emulator';
import { bytesOf, runCron, upload } from './support/nas';
import { insertNasFiles } from './support/nas-find';

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const pushesTo = async (to: string) =>
  (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to: string }).to === to && r.status === 200);
const rowsOf = (announcementId: string) =>
  withDb((db) => db.select().from(operatorSends).where(eq(operatorSends.announcementId, announcementId)));
const announcementRow = (id: string) =>
  withDb(async (db) => (await db.select().from(announcements).where(eq(announcements.id, id)))[0]);

/** A project with a folder and two active groups (3 and 5 members), and a group of no project (2 members). */
async function setting() {
  const folder = `ann-${unique()}`;
  const project = await createProjectWithFolder(`projects/${folder}`);
  const a = await seedGroup({ name: `A ${unique()}`, projectId: project.id, memberCount: 3 });
  const b = await seedGroup({ name: `B ${unique()}`, projectId: project.id, memberCount: 5 });
  // Left the project's chats: never announced to.
  const left = await seedGroup({ name: `Left ${unique()}`, projectId: project.id, memberCount: 9, isActive: false });
  const loose = await seedGroup({ name: `Loose ${unique()}`, memberCount: 2 });
  const [file] = await insertNasFiles('projects', [{ path: `${folder}/notice-${unique()}.pdf` }]);
  return { folder, project, a, b, left, loose, file: file! };
}

/** A form body with repeated fields, as a browser sends checkboxes. */
const body = (csrf: string, fields: Array<[string, string]>) =>
  `${new URLSearchParams([...fields, ['_csrf', csrf]]).toString()}`;

describe('announcements', () => {
  it('the preview counts the chats and the pushes (once per member, per part) against the quota left', async () => {
    const op = await operator();
    const { project, loose, file } = await setting();
    const res = await send('POST', '/announcements/preview', {
      cookie: op.cookie,
      rawBody: body(op.csrf, [
        ['text', '停水通知'],
        ['projectId', project.id],
        ['groupId', loose.id],
      ]),
    });
    const html = await res.text();
    expect(res.status, html.slice(0, 500)).toBe(200);
    expect(html).toContain('data-chats="3" data-push-estimate="10"');
    expect(html).toContain('name="announcementId"');
    // With the project's file: the loose group has no folder, so the file may not go there.
    const withFile = await send('POST', '/announcements/preview', {
      cookie: op.cookie,
      rawBody: body(op.csrf, [
        ['text', '停水通知'],
        ['projectId', project.id],
        ['groupId', loose.id],
        ['fileId', file.id],
      ]),
    });
    const refused = await withFile.text();
    expect(refused).toContain(loose.name!);
    expect(refused).not.toContain('name="announcementId"');
    // The file search looks in the chosen chats' folders.
    const search = await send('POST', '/announcements/preview', {
      cookie: op.cookie,
      rawBody: body(op.csrf, [
        ['projectId', project.id],
        ['q', file.name],
      ]),
    });
    expect(await search.text()).toContain(`data-nas-file="${file.id}"`);
  });

  it("to a project's two groups, a text and a file: one push each even after a double submit; every chat's outcome; done", async () => {
    const op = await operator();
    const { project, a, b, left, file } = await setting();
    const id = crypto.randomUUID();
    const fields: Array<[string, string]> = [
      ['announcementId', id],
      ['text', '明天停水'],
      ['projectId', project.id],
      ['fileId', file.id],
    ];
    const first = await send('POST', '/announcements', { cookie: op.cookie, rawBody: body(op.csrf, fields) });
    expect([first.status, first.headers.get('location')]).toEqual([303, `/admin/announcements/${id}`]);
    const second = await send('POST', '/announcements', { cookie: op.cookie, rawBody: body(op.csrf, fields) });
    expect(second.status).toBe(303);

    for (const g of [a, b]) {
      const pushes = await pushesTo(g.lineGroupId);
      expect(
        pushes.map((p) => p.body),
        g.name!,
      ).toEqual([{ to: g.lineGroupId, messages: [{ type: 'text', text: '明天停水' }] }]);
    }
    expect(await pushesTo(left.lineGroupId)).toHaveLength(0);
    expect(await announcementRow(id)).toMatchObject({ status: 'sending', pushEstimate: 16, nasFileId: file.id });
    const rows = await rowsOf(id);
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => r.text !== null).map((r) => r.status)).toEqual(['sent', 'sent']);
    const fileRows = rows.filter((r) => r.text === null);
    expect(fileRows.map((r) => r.status)).toEqual(['sending', 'sending']);

    // The NAS uploads each chat's file: pushed, the rows settle, the Cron marks the announcement done.
    for (const row of fileRows) {
      await withDb((db) =>
        db
          .update(nasSendRequests)
          .set({ status: 'uploading', claimedAt: new Date(), claimedBy: 'test-job', attempts: 1 })
          .where(eq(nasSendRequests.id, row.nasSendRequestId!)),
      );
      expect((await upload(row.nasSendRequestId!, 'file', bytesOf(1000))).status).toBe(200);
    }
    for (const g of [a, b]) expect(await pushesTo(g.lineGroupId)).toHaveLength(2);
    await runCron();
    const done = await announcementRow(id);
    expect(done!.status).toBe('done');
    expect(done!.finishedAt).not.toBeNull();

    const { html } = await submit(`/announcements/${id}/continue`, op);
    expect(html).toContain('data-progress="4/0/4"');
    expect(html).toContain(`data-chat="${a.id}"`);
    const list = await send('GET', '/announcements', { cookie: op.cookie });
    expect(await list.text()).toContain(`data-announcement="${id}" data-status="done"`);
    const audit = await withDb((db) => db.select().from(auditLog).where(eq(auditLog.targetId, id)));
    expect(audit.map((e) => [e.action, e.via, (e.details as { chats: number }).chats])).toEqual([
      ['console.announcement_sent', 'console', 2],
    ]);
    // Nothing more was pushed by the Cron or the continue.
    for (const g of [a, b]) expect(await pushesTo(g.lineGroupId)).toHaveLength(2);
  });

  it('LINE fails for one chat: the rest is sent, the Cron resumes it, nothing is sent twice', async () => {
    const op = await operator();
    const { project, a, b } = await setting();
    // LINE fails B's push for the first run's two passes (three tries each: the client retries twice).
    await addFault({ path: '/v2/bot/message/push', bodyContains: b.lineGroupId, status: 500, times: 6 });
    const id = crypto.randomUUID();
    await send('POST', '/announcements', {
      cookie: op.cookie,
      rawBody: body(op.csrf, [
        ['announcementId', id],
        ['text', 'resume me'],
        ['projectId', project.id],
      ]),
    });
    expect(await pushesTo(a.lineGroupId)).toHaveLength(1);
    expect(await pushesTo(b.lineGroupId)).toHaveLength(0);
    expect((await rowsOf(id)).map((r) => [r.lineGroupId, r.status]).sort()).toEqual(
      [
        [a.id, 'sent'],
        [b.id, 'sending'],
      ].sort(),
    );
    expect((await announcementRow(id))!.status).toBe('sending');
    await runCron();
    expect(await pushesTo(a.lineGroupId)).toHaveLength(1);
    expect(await pushesTo(b.lineGroupId)).toHaveLength(1);
    expect((await rowsOf(id)).every((r) => r.status === 'sent')).toBe(true);
    expect((await announcementRow(id))!.status).toBe('done');
  });

  it('more chats than one chunk: all sent after the form, each once', async () => {
    const op = await operator();
    const project = await createProjectWithFolder(`projects/many-${unique()}`);
    const groups = [];
    for (let i = 0; i < 23; i++) groups.push(await seedGroup({ name: `M${i} ${unique()}`, projectId: project.id }));
    const id = crypto.randomUUID();
    const res = await send('POST', '/announcements', {
      cookie: op.cookie,
      rawBody: body(op.csrf, [
        ['announcementId', id],
        ['text', 'to many'],
        ['projectId', project.id],
      ]),
    });
    expect(res.status).toBe(303);
    for (const g of groups) expect(await pushesTo(g.lineGroupId), g.name!).toHaveLength(1);
    expect((await rowsOf(id)).filter((r) => r.status === 'sent')).toHaveLength(23);
    // Unknown member counts: not in the estimate.
    expect(await announcementRow(id)).toMatchObject({ status: 'done', pushEstimate: 0 });
  });

  it('refused: no chats, nothing to send, a foreign id; forged posts; a signed-out client', async () => {
    const op = await operator();
    const { project, a } = await setting();
    const post = (fields: Array<[string, string]>) =>
      send('POST', '/announcements', { cookie: op.cookie, rawBody: body(op.csrf, fields) });
    const id = crypto.randomUUID();
    expect(
      (
        await post([
          ['announcementId', id],
          ['text', 'x'],
        ])
      ).status,
    ).toBe(400);
    expect(
      (
        await post([
          ['announcementId', id],
          ['projectId', project.id],
        ])
      ).status,
    ).toBe(400);
    expect(
      (
        await post([
          ['announcementId', 'nope'],
          ['text', 'x'],
          ['projectId', project.id],
        ])
      ).status,
    ).toBe(400);
    expect(
      (
        await post([
          ['announcementId', id],
          ['text', 'x'],
          ['projectId', 'nope'],
        ])
      ).status,
    ).toBe(400);
    expect(await announcementRow(id)).toBeUndefined();
    expect((await send('GET', `/announcements/${crypto.randomUUID()}`, { cookie: op.cookie })).status).toBe(404);

    await expectForgedPostsRefused(op, [
      ['/announcements', { announcementId: id, text: 'forged', projectId: project.id }],
      ['/announcements/preview', { text: 'forged', projectId: project.id }],
      [`/announcements/${id}/continue`, {}],
    ]);
    expect(await announcementRow(id)).toBeUndefined();
    expect(await pushesTo(a.lineGroupId)).toHaveLength(0);

    for (const path of ['/announcements', '/announcements/new', `/announcements/${id}`]) {
      const res = await send('GET', path);
      expect([res.status, res.headers.get('location')], path).toEqual([303, '/admin/login']);
    }
    const signedOut = await send('POST', '/announcements', {
      form: { announcementId: id, text: 'x', projectId: project.id },
    });
    expect(signedOut.status).toBe(401);
    expect(await announcementRow(id)).toBeUndefined();
  });
});
