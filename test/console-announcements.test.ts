/**
 * Announcements inside workerd against the test Postgres and the LINE emulator: the preview's
 * chats and push estimate (once per member, per part), a file outside a chosen chat's folder
 * refused, sending to a project's groups (one push each, even after a double submit), each chat's
 * outcome, a resume after LINE failed for one chat that sends nothing twice, the Cron finishing
 * it, forged posts refused and a signed-out client given nothing. The month's push quota running
 * out mid-way pauses it (the rest pending, left alone by the Cron) until "send the rest"; LINE's
 * rate limit fails that chat and leaves the rest to the next Cron run, never pauses; failed chats
 * retried, each pushed once (a chat LINE had already got the message in: 409, nothing twice).
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  announcements,
  auditLog,
  lineMessages,
  linePushRefusals,
  nasSendRequests,
  operatorSends,
} from '@linebot-edge/shared/schema';
import { derivedRetryKey } from '../src/line/messages';
import { createProjectWithFolder, seedGroup } from './support/admin';
import { expectForgedPostsRefused, operator, send, submit } from './support/console';
import { withDb } from './support/db';
import { addFault, lineRequests, refusePushesForQuota } from './support/emulator';
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

/** Every push request to `to`, whatever LINE answered. */
const pushRequestsTo = async (to: string) =>
  (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to: string }).to === to);
const auditOf = (id: string, action: string) =>
  withDb((db) =>
    db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, id), eq(auditLog.action, action))),
  );

/** A project's `n` groups in the order an announcement's rows go out (by row id: they are written at one `now()`). */
async function groupsInSendOrder(announcementId: string, n: number) {
  const project = await createProjectWithFolder(`projects/quota-${unique()}`);
  const groups = [];
  for (let i = 0; i < n; i++) groups.push(await seedGroup({ name: `Q${i} ${unique()}`, projectId: project.id }));
  const keyed = await Promise.all(
    groups.map(async (g) => ({ g, row: await derivedRetryKey(`announcement:${announcementId}:${g.id}:text`, 0) })),
  );
  keyed.sort((x, y) => (x.row < y.row ? -1 : 1));
  return { project, groups: keyed.map((k) => k.g) };
}

const announce = (op: { cookie: string; csrf: string }, id: string, text: string, projectId: string) =>
  send('POST', '/announcements', {
    cookie: op.cookie,
    rawBody: body(op.csrf, [
      ['announcementId', id],
      ['text', text],
      ['projectId', projectId],
    ]),
  });

describe("announcements: the month's push quota, failed chats", () => {
  it('the quota runs out after 2 of 5 chats: 2 pushes, the rest pending, paused, left by the Cron; send the rest: one push each, done', async () => {
    const op = await operator();
    const id = crypto.randomUUID();
    const { project, groups } = await groupsInSendOrder(id, 5);
    // LINE refuses the third chat's push for the quota (every try of the client's); the others it would take.
    await refusePushesForQuota(groups[2]!.lineGroupId, 3);
    expect((await announce(op, id, '本月停車位調整', project.id)).status).toBe(303);

    for (const g of groups.slice(0, 2)) expect(await pushesTo(g.lineGroupId), g.name!).toHaveLength(1);
    const refused = await pushRequestsTo(groups[2]!.lineGroupId);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.status === 429)).toBe(true);
    // Stopped at the refusal: the chats after it were not even tried.
    for (const g of groups.slice(3)) expect(await pushRequestsTo(g.lineGroupId), g.name!).toHaveLength(0);
    const statusByChat = async () =>
      Object.fromEntries((await rowsOf(id)).map((r) => [r.lineGroupId, [r.status, r.error]]));
    expect(await statusByChat()).toEqual(
      Object.fromEntries(groups.map((g, i) => [g.id, i < 2 ? ['sent', null] : ['pending', null]])),
    );
    expect(await announcementRow(id)).toMatchObject({ status: 'paused', finishedAt: null });

    // The Cron and a continue leave it: nothing more is pushed, it stays paused.
    await runCron();
    const stale = await send('POST', `/announcements/${id}/continue`, { cookie: op.cookie, form: { _csrf: op.csrf } });
    expect(stale.status).toBe(409);
    for (const g of groups.slice(2)) expect(await pushesTo(g.lineGroupId), g.name!).toHaveLength(0);
    expect((await announcementRow(id))!.status).toBe('paused');

    // The page says why, how many chats are left and the quota now, with the one way on.
    const page = await (await send('GET', `/announcements/${id}`, { cookie: op.cookie })).text();
    expect(page).toContain('data-status="paused"');
    expect(page).toContain('data-chats-left="3"');
    expect(page).toContain('本月的推播額度已用完');
    expect(page).toMatch(/本月(剩餘)?推播額度/);
    expect(page).toContain(`action="/admin/announcements/${id}/resume"`);
    expect(page).not.toContain(`action="/admin/announcements/${id}/retry"`);
    const list = await (await send('GET', '/announcements', { cookie: op.cookie })).text();
    expect(list).toContain(`data-announcement="${id}" data-status="paused"`);
    // Retrying is for failed chats, not for a paused announcement's rest.
    const retry = await send('POST', `/announcements/${id}/retry`, { cookie: op.cookie, form: { _csrf: op.csrf } });
    expect(retry.status).toBe(409);

    // The quota allows more again (the refusal is used up): send the rest.
    const { html } = await submit(`/announcements/${id}/resume`, op);
    for (const g of groups) expect(await pushesTo(g.lineGroupId), g.name!).toHaveLength(1);
    expect(html).toContain('data-progress="5/0/5"');
    expect(Object.values(await statusByChat())).toEqual(groups.map(() => ['sent', null]));
    expect(await announcementRow(id)).toMatchObject({ status: 'done', finishedAt: expect.any(Date) });
    const resumed = await auditOf(id, 'console.announcement_resumed');
    expect(resumed.map((e) => [e.via, e.operator?.startsWith('token:'), e.details])).toEqual([
      ['console', true, { pending: 3 }],
    ]);
    // A second "send the rest" (a page left open) changes nothing.
    const again = await send('POST', `/announcements/${id}/resume`, { cookie: op.cookie, form: { _csrf: op.csrf } });
    expect(again.status).toBe(409);
    await runCron();
    for (const g of groups) expect(await pushesTo(g.lineGroupId), g.name!).toHaveLength(1);
    expect(await auditOf(id, 'console.announcement_resumed')).toHaveLength(1);
  });

  it("LINE's rate limit (a 429 not the quota) on one chat: that row failed, the rest left to the next Cron run, never paused; retry failed chats sends it once", async () => {
    const op = await operator();
    const id = crypto.randomUUID();
    const { project, groups } = await groupsInSendOrder(id, 2);
    const [a, b] = groups as [(typeof groups)[0], (typeof groups)[0]];
    // Every try of the client's for the first chat: the limit outlasts its retries.
    await addFault({
      path: '/v2/bot/message/push',
      bodyContains: a.lineGroupId,
      status: 429,
      body: { message: 'The API rate limit has been exceeded. Try again later.' },
      times: 3,
    });
    await announce(op, id, '水塔清洗', project.id);
    expect((await pushRequestsTo(a.lineGroupId)).map((r) => r.status)).toEqual([429, 429, 429]);
    // The chunk stopped at the limit: the next chat was not tried into it.
    expect(await pushRequestsTo(b.lineGroupId)).toEqual([]);
    expect(await announcementRow(id)).toMatchObject({ status: 'sending' });
    expect((await rowsOf(id)).find((r) => r.lineGroupId === b.id)).toMatchObject({ status: 'pending' });
    await runCron();
    expect(await pushesTo(b.lineGroupId)).toHaveLength(1);
    const failed = (await rowsOf(id)).find((r) => r.lineGroupId === a.id)!;
    expect(failed).toMatchObject({
      status: 'failed',
      error: 'LINE refused the message (429: rate limit, try again later)',
    });
    expect(await announcementRow(id)).toMatchObject({ status: 'done' });
    const refusals = await withDb((db) =>
      db
        .select()
        .from(linePushRefusals)
        .where(eq(linePushRefusals.pushKey, `console:${failed.id}`)),
    );
    expect(refusals).toEqual([]);

    await submit(`/announcements/${id}/retry`, op);
    expect(await pushesTo(a.lineGroupId)).toHaveLength(1);
    expect(await pushesTo(b.lineGroupId)).toHaveLength(1);
    expect((await rowsOf(id)).map((r) => r.status)).toEqual(['sent', 'sent']);
  });

  it('a chat LINE refused (400): retry failed chats pushes it once; a second retry has nothing to do', async () => {
    const op = await operator();
    const id = crypto.randomUUID();
    const { project, groups } = await groupsInSendOrder(id, 2);
    const [a, b] = groups as [(typeof groups)[0], (typeof groups)[0]];
    await addFault({ path: '/v2/bot/message/push', bodyContains: b.lineGroupId, status: 400, times: 1 });
    await announce(op, id, '電梯保養', project.id);
    expect(await pushesTo(a.lineGroupId)).toHaveLength(1);
    expect(await pushesTo(b.lineGroupId)).toHaveLength(0);
    const failed = (await rowsOf(id)).find((r) => r.lineGroupId === b.id)!;
    expect(failed).toMatchObject({ status: 'failed', error: 'LINE refused the message (400)' });
    expect((await announcementRow(id))!.status).toBe('done');
    // Not a quota refusal: the Cron leaves a failed row as it is.
    await runCron();
    expect(await pushesTo(b.lineGroupId)).toHaveLength(0);

    const page = await (await send('GET', `/announcements/${id}`, { cookie: op.cookie })).text();
    expect(page).toContain('data-retryable="1"');
    expect(page).not.toContain(`action="/admin/announcements/${id}/resume"`);
    const { html } = await submit(`/announcements/${id}/retry`, op);
    expect(html).toContain('data-progress="2/0/2"');
    expect(await pushesTo(a.lineGroupId)).toHaveLength(1);
    expect((await pushesTo(b.lineGroupId)).map((p) => p.body)).toEqual([
      { to: b.lineGroupId, messages: [{ type: 'text', text: '電梯保養' }] },
    ]);
    expect((await rowsOf(id)).find((r) => r.id === failed.id)).toMatchObject({ status: 'sent', error: null });
    expect(await announcementRow(id)).toMatchObject({ status: 'done', finishedAt: expect.any(Date) });
    expect((await auditOf(id, 'console.announcement_retried')).map((e) => e.details)).toEqual([{ rows: 1 }]);
    // The chat's message audited once, by the run that sent it.
    const sent = await withDb((db) => db.select().from(auditLog).where(eq(auditLog.targetId, failed.id)));
    expect(sent.map((e) => e.action)).toEqual(['console.message_sent']);

    const again = await send('POST', `/announcements/${id}/retry`, { cookie: op.cookie, form: { _csrf: op.csrf } });
    expect(again.status).toBe(409);
    expect(await pushesTo(b.lineGroupId)).toHaveLength(1);
    expect(await auditOf(id, 'console.announcement_retried')).toHaveLength(1);
  });

  it('a failed row whose push LINE did take: the retry is answered 409 (sent), no second message', async () => {
    const op = await operator();
    const id = crypto.randomUUID();
    const { project, groups } = await groupsInSendOrder(id, 1);
    const g = groups[0]!;
    await announce(op, id, '消防演練', project.id);
    expect(await pushesTo(g.lineGroupId)).toHaveLength(1);
    // Recorded failed although LINE had taken it (its answer lost on the way).
    const [row] = await rowsOf(id);
    await withDb((db) =>
      db
        .update(operatorSends)
        .set({ status: 'failed', error: 'LINE refused the message (400)', sentAt: null })
        .where(eq(operatorSends.id, row!.id)),
    );
    await withDb((db) => db.update(announcements).set({ status: 'done' }).where(eq(announcements.id, id)));

    const { html } = await submit(`/announcements/${id}/retry`, op);
    expect(html).toContain('data-progress="1/0/1"');
    const requests = await pushRequestsTo(g.lineGroupId);
    expect(requests.map((r) => r.status)).toEqual([200, 409]);
    // The same retry key both times: LINE knew the message.
    expect(requests[1]!.headers['x-line-retry-key']).toBe(requests[0]!.headers['x-line-retry-key']);
    expect((await rowsOf(id))[0]).toMatchObject({ status: 'sent', error: null });
    const bot = await withDb((db) =>
      db
        .select()
        .from(lineMessages)
        .where(and(eq(lineMessages.lineGroupId, g.id), eq(lineMessages.isFromBot, true))),
    );
    expect(bot.map((m) => m.content)).toEqual(['消防演練']);
  });

  it('resume and retry: forged posts refused, unknown ids 404, nothing changed', async () => {
    const op = await operator();
    const id = crypto.randomUUID();
    const { project, groups } = await groupsInSendOrder(id, 1);
    const g = groups[0]!;
    await refusePushesForQuota(g.lineGroupId, 3);
    await announce(op, id, '停電通知', project.id);
    expect((await announcementRow(id))!.status).toBe('paused');
    await expectForgedPostsRefused(op, [
      [`/announcements/${id}/resume`, {}],
      [`/announcements/${id}/retry`, {}],
    ]);
    expect((await announcementRow(id))!.status).toBe('paused');
    expect(await pushesTo(g.lineGroupId)).toHaveLength(0);
    expect(await auditOf(id, 'console.announcement_resumed')).toHaveLength(0);
    for (const path of [`/announcements/${crypto.randomUUID()}`, '/announcements/nope', '/announcements/%zz'])
      for (const action of ['resume', 'retry']) {
        const res = await send('POST', `${path}/${action}`, { cookie: op.cookie, form: { _csrf: op.csrf } });
        expect(res.status, `${path}/${action}`).toBe(404);
      }
    const signedOut = await send('POST', `/announcements/${id}/resume`, { form: {} });
    expect(signedOut.status).toBe(401);
    expect((await announcementRow(id))!.status).toBe('paused');
  });
});
