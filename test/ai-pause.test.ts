/**
 * Taking over a chat from the AI: an operator pauses it (console or API); questions to the bot are
 * stored but reach no Claude call, the chat is told once per pause that a person is handling it,
 * nothing answers them later (the backstop included), and the AI answers again after the pause
 * (expired, by Postgres' clock) or once resumed. Audited; shown on the console's screens.
 */
import { createExecutionContext, env, introspectWorkflowInstance, waitOnExecutionContext } from 'cloudflare:test';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { restartStalledAnswers } from '../src/ai/backstop';
import { deleteExpiredPauses } from '../src/domain/ai-pauses';
import { instanceIdFor } from '../src/ai/answers';
import { aiPauses, auditLog, lineAiAnswers, lineGroups, lineMessages } from '@linebot-edge/shared/schema';
import { say as catalog } from '../src/messages/catalog';
import { createLogger } from '../src/lib/log';
import { adminFetch, expectJson, seedGroup, seedLineUser } from './support/admin';
import { boundUser, groupPkOf, pkOf, repliesTo } from './support/chat';
import { claudeRequests } from './support/claude';
import { ORIGIN, operator, page, send, submit } from './support/console';
import { createApp } from '../src/app';
import { createConsole } from '../src/console/index';
import { withDb } from './support/db';
import { messageEvent, newId, postEvents, textEvent, type SourceSpec, type TestMessageEvent } from './support/line';

const NOTICE = catalog('zh-TW', 'ai.paused');

async function groupWithAi(userId: string) {
  const groupId = newId.group();
  expect((await postEvents([textEvent({ userId, groupId }, 'hello all')])).status).toBe(200);
  await withDb((db) => db.update(lineGroups).set({ allowAiResponse: true }).where(eq(lineGroups.lineGroupId, groupId)));
  return { groupId, groupPk: await groupPkOf(groupId) };
}

/** A mention of the bot (LINE's isSelf) in a group. */
const mention = (src: SourceSpec, question: string) =>
  messageEvent(src, {
    type: 'text',
    text: `@小幫手 ${question}`,
    mention: { mentionees: [{ index: 0, length: 4, isSelf: true, type: 'user' }] },
  });

/** Posts a question the AI may not answer: processed in full when postEvents returns. */
async function askPaused(ev: TestMessageEvent) {
  expect((await postEvents([ev])).status).toBe(200);
  return repliesTo(ev.replyToken);
}

/** Posts a question the AI answers, and waits for its Workflow. */
async function askAnswered(ev: TestMessageEvent) {
  await using instance = await introspectWorkflowInstance(env.AI_ANSWER, await instanceIdFor(ev.webhookEventId));
  expect((await postEvents([ev])).status).toBe(200);
  await instance.waitForStatus('complete');
  return (
    await withDb((db) => db.select().from(lineAiAnswers).where(eq(lineAiAnswers.webhookEventId, ev.webhookEventId)))
  )[0];
}

const storedQuestion = async (ev: TestMessageEvent) =>
  (await withDb((db) => db.select().from(lineMessages).where(eq(lineMessages.messageId, ev.message.id))))[0];
const answersOf = (evs: TestMessageEvent[]) =>
  withDb((db) =>
    db
      .select()
      .from(lineAiAnswers)
      .where(
        inArray(
          lineAiAnswers.webhookEventId,
          evs.map((e) => e.webhookEventId),
        ),
      ),
  );
const pauseRow = async (column: 'group' | 'user', pk: string) =>
  (
    await withDb((db) =>
      db
        .select()
        .from(aiPauses)
        .where(eq(column === 'group' ? aiPauses.lineGroupId : aiPauses.lineUserId, pk)),
    )
  )[0];
/** The pause ended a minute ago, as Postgres tells the time. */
const expire = (column: 'group' | 'user', pk: string) =>
  withDb((db) =>
    db
      .update(aiPauses)
      .set({ pausedUntil: sql`now() - interval '1 minute'` })
      .where(eq(column === 'group' ? aiPauses.lineGroupId : aiPauses.lineUserId, pk)),
  );

describe('a group paused from the console', () => {
  it('stores mentions without a Claude call, says so once per pause, never answers them later, and answers again after the pause', async () => {
    const userId = await boundUser();
    const { groupId, groupPk } = await groupWithAi(userId);
    const op = await operator();
    const paused = await submit(`/groups/${groupPk}/ai-pause`, op, { hours: '1' });
    expect(paused.location).toBe(`/admin/groups/${groupPk}`);
    const row = await pauseRow('group', groupPk);
    expect(row).toMatchObject({ pausedBy: expect.stringMatching(/^token:/), noticeSentAt: null });
    // One hour from Postgres' now(), as Postgres computed it.
    const [{ hours }] = (
      await withDb((db) =>
        db.execute(
          sql`select extract(epoch from paused_until - paused_at) / 3600 as hours from ai_pauses where line_group_id = ${groupPk}`,
        ),
      )
    ).rows as [{ hours: string }];
    expect(Number(hours)).toBeCloseTo(1, 5);

    // The first mention: stored, decided, no Claude call, no answer row; the notice by reply.
    const m1 = newId.event();
    const q1 = mention({ userId, groupId }, `誰在處理？ ${m1}`);
    expect(await askPaused(q1)).toEqual([NOTICE]);
    expect(await storedQuestion(q1)).toMatchObject({ content: `@小幫手 誰在處理？ ${m1}`, aiProcessed: true });
    expect((await pauseRow('group', groupPk))!.noticeSentAt).not.toBeNull();

    // The second: stored, and silence (one notice per pause), also when the event is redelivered.
    const m2 = newId.event();
    const q2 = mention({ userId, groupId }, `還在嗎？ ${m2}`);
    expect(await askPaused(q2)).toEqual([]);
    expect(await askPaused(q2)).toEqual([]);
    expect(await storedQuestion(q2)).toMatchObject({ aiProcessed: true });
    // An `@name` address and a 1:1 chat's question of another user are the same rule: not here.
    const m3 = newId.event();
    const q3 = textEvent({ userId, groupId }, `@helper 明天呢 ${m3}`);
    expect(await askPaused(q3)).toEqual([]);

    // Commands still work while the AI is paused.
    const help = textEvent({ userId, groupId }, '/help');
    expect((await askPaused(help)).join('')).toContain('/find');

    expect(await claudeRequests(m1)).toEqual([]);
    expect(await claudeRequests(m2)).toEqual([]);
    expect(await claudeRequests(m3)).toEqual([]);
    expect(await answersOf([q1, q2, q3])).toEqual([]);
    // The bot's side of the chat: the notice once (an is_from_bot row, as every send), /help's reply.
    const botRows = await withDb((db) =>
      db
        .select({ content: lineMessages.content })
        .from(lineMessages)
        .where(and(eq(lineMessages.lineGroupId, groupPk), eq(lineMessages.isFromBot, true))),
    );
    expect(botRows.filter((r) => r.content === NOTICE)).toHaveLength(1);
    expect(botRows).toHaveLength(2);

    // The page shows who paused it and until when; the list too.
    const html = await page(`/groups/${groupPk}`, op.cookie);
    expect(html).toContain('data-ai-pause-panel');
    expect(html).toContain(row!.pausedBy);
    expect(html).toContain(`/admin/audit?action=ai.paused&amp;groupId=${groupPk}`);
    expect(html).toContain('恢復 AI');
    // Other files add groups meanwhile (oldest first, 50 a page): the page that starts with this one.
    const [before] = await withDb((db) =>
      db.execute<{ id: string }>(
        sql`select g.id from line_groups g, line_groups me where me.id = ${groupPk} and g.allow_ai_response
              and (g.created_at, g.id) < (me.created_at, me.id) order by g.created_at desc, g.id desc limit 1`,
      ),
    ).then((r) => r.rows);
    const list = await page(`/groups?ai=true${before ? `&after=${before.id}` : ''}`, op.cookie);
    const item = list.slice(list.indexOf(`data-group="${groupPk}"`));
    expect(item.slice(0, item.indexOf('</li>'))).toContain('AI 已暫停');

    // The pause ends (by Postgres' clock): the backstop, even an hour later, answers nothing of it...
    await expire('group', groupPk);
    // (Other files' stalled answers share the database: its counts are theirs; these have no row.)
    await withDb((db) => restartStalledAnswers(db, env.AI_ANSWER, createLogger({ test: 'ai-pause' })));
    expect(await answersOf([q1, q2, q3])).toEqual([]);
    expect(await claudeRequests(m1)).toEqual([]);
    // ...and the next mention is answered by Claude again; the page says so.
    const m4 = newId.event();
    const answer = await askAnswered(mention({ userId, groupId }, `現在呢？ ${m4}`));
    expect(answer).toMatchObject({ status: 'answered' });
    expect(await claudeRequests(m4)).toHaveLength(1);
    expect(await page(`/groups/${groupPk}`, op.cookie)).not.toContain('data-ai-paused');

    // A new pause (the old row expired) tells the chat again, once.
    await submit(`/groups/${groupPk}/ai-pause`, op, { hours: 'until' });
    expect((await pauseRow('group', groupPk))!).toMatchObject({ pausedUntil: null, noticeSentAt: null });
    expect(await askPaused(mention({ userId, groupId }, `再一次 ${newId.event()}`))).toEqual([NOTICE]);
    // Changing the pause while in force is the same take-over: no second notice.
    await submit(`/groups/${groupPk}/ai-pause`, op, { hours: '24' });
    expect((await pauseRow('group', groupPk))!.noticeSentAt).not.toBeNull();
    expect(await askPaused(mention({ userId, groupId }, `又一次 ${newId.event()}`))).toEqual([]);

    // Resumed: answered at once; a second resume changes nothing and says so.
    const resumed = await submit(`/groups/${groupPk}/ai-resume`, op);
    expect(resumed.html).toContain('已恢復 AI 回答');
    expect(await pauseRow('group', groupPk)).toBeUndefined();
    expect((await submit(`/groups/${groupPk}/ai-resume`, op)).html).toContain('AI 本來就沒有暫停');
    const m5 = newId.event();
    expect(await askAnswered(mention({ userId, groupId }, `恢復了嗎 ${m5}`))).toMatchObject({ status: 'answered' });

    // The trail: three pauses and one resume, by the console, in this group.
    const trail = await withDb((db) =>
      db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.targetId, groupPk), inArray(auditLog.action, ['ai.paused', 'ai.resumed'])))
        .orderBy(asc(auditLog.id)),
    );
    expect(
      trail.map((e) => [e.action, e.via, e.lineGroupId, e.targetType, (e.details as { hours?: unknown }).hours]),
    ).toEqual([
      ['ai.paused', 'console', groupPk, 'line_group', 1],
      ['ai.paused', 'console', groupPk, 'line_group', null],
      ['ai.paused', 'console', groupPk, 'line_group', 24],
      ['ai.resumed', 'console', groupPk, 'line_group', undefined],
    ]);
    const audit = await page(`/audit?action=ai.paused&groupId=${groupPk}`, op.cookie);
    expect(audit.match(/ai\.paused/g)!.length).toBeGreaterThanOrEqual(3);
  });
});

describe('a 1:1 chat paused through the management API', () => {
  it('pauses until resumed, tells the user once, lists the pause, and resumes', async () => {
    const userId = await boundUser();
    const userPk = await pkOf(userId);
    const pause = await expectJson(
      await adminFetch('PUT', `/line-users/${userPk}/ai-pause`, { body: { hours: null } }),
      200,
    );
    expect(pause).toMatchObject({
      chatType: 'user',
      lineUserId: userPk,
      groupId: null,
      pausedUntil: null,
      pausedBy: 'api',
    });
    const listed = await expectJson(await adminFetch('GET', '/ai-pauses'), 200);
    expect(listed.items).toContainEqual(expect.objectContaining({ lineUserId: userPk }));

    const m1 = newId.event();
    const q1 = textEvent({ userId }, `人工客服在嗎 ${m1}`);
    expect(await askPaused(q1)).toEqual([NOTICE]);
    const q2 = textEvent({ userId }, `還有一題 ${newId.event()}`);
    expect(await askPaused(q2)).toEqual([]);
    expect(await claudeRequests(m1)).toEqual([]);
    expect(await answersOf([q1, q2])).toEqual([]);
    expect(await storedQuestion(q2)).toMatchObject({ aiProcessed: true });

    // The LINE users screen marks the chat; its page has the panel.
    const op = await operator();
    expect(await page(`/line-users/${userPk}/ai`, op.cookie)).toContain('data-ai-paused');

    expect((await adminFetch('DELETE', `/line-users/${userPk}/ai-pause`)).status).toBe(204);
    expect((await adminFetch('DELETE', `/line-users/${userPk}/ai-pause`)).status).toBe(204);
    const m3 = newId.event();
    expect(await askAnswered(textEvent({ userId }, `好了嗎 ${m3}`))).toMatchObject({ status: 'answered' });
    expect(await claudeRequests(m3)).toHaveLength(1);

    const trail = await withDb((db) =>
      db
        .select({ action: auditLog.action, via: auditLog.via, targetType: auditLog.targetType })
        .from(auditLog)
        .where(and(eq(auditLog.targetId, userPk), inArray(auditLog.action, ['ai.paused', 'ai.resumed'])))
        .orderBy(asc(auditLog.id)),
    );
    expect(trail).toEqual([
      { action: 'ai.paused', via: 'api', targetType: 'line_user' },
      { action: 'ai.resumed', via: 'api', targetType: 'line_user' },
    ]);
  });

  it('a pause for hours from the console page of a LINE user, which ends by itself', async () => {
    const userId = await boundUser();
    const userPk = await pkOf(userId);
    const op = await operator();
    const list = await page('/line-users', op.cookie);
    expect(list).toContain(`/admin/line-users/${userPk}/ai`);
    const done = await submit(`/line-users/${userPk}/ai-pause`, op, { hours: '4' });
    expect(done.location).toBe(`/admin/line-users/${userPk}/ai`);
    expect(done.html).toContain('已暫停 AI');
    expect(await askPaused(textEvent({ userId }, `暫停中 ${newId.event()}`))).toEqual([NOTICE]);
    await expire('user', userPk);
    const m = newId.event();
    expect(await askAnswered(textEvent({ userId }, `結束了 ${m}`))).toMatchObject({ status: 'answered' });
    expect(await page(`/line-users/${userPk}/ai`, op.cookie)).not.toContain('data-ai-paused');
    // The expired row counted as no pause; the cron's clean-up deletes it, and no pause in force.
    const other = await boundUser();
    const otherPk = await pkOf(other);
    await submit(`/line-users/${otherPk}/ai-pause`, op, { hours: '1' });
    // Another file's Cron run may have deleted it first (the database is shared): gone either way.
    await withDb((db) => deleteExpiredPauses(db));
    expect(await pauseRow('user', userPk)).toBeUndefined();
    expect(await pauseRow('user', otherPk)).toBeDefined();
  });
});

describe('the notice is a bot text operators may reword', () => {
  it('the reworded notice is what the chat hears; back to the default after', async () => {
    const userId = await boundUser();
    const { groupId, groupPk } = await groupWithAi(userId);
    const path = '/bot-texts/ai.paused/zh-TW';
    const text = `現在由值班同仁回覆，請稍候。${newId.event()}`;
    await expectJson(await adminFetch('PUT', path, { body: { text } }), 200);
    try {
      await expectJson(await adminFetch('PUT', `/groups/${groupPk}/ai-pause`, { body: { hours: 1 } }), 200);
      expect(await askPaused(mention({ userId, groupId }, `有人在嗎 ${newId.event()}`))).toEqual([text]);
    } finally {
      expect((await adminFetch('DELETE', path)).status).toBe(204);
    }
    const op = await operator();
    expect(await page('/bot-texts', op.cookie)).toContain('data-bot-text="ai.paused/en"');
  });
});

describe('the forms refuse what they should', () => {
  it('a duration not offered, an unknown chat, a forged post: nothing changes', async () => {
    const group = await seedGroup();
    const user = await seedLineUser();
    const op = await operator();
    for (const hours of ['2', '', '1.0', 'forever', '-1']) {
      const res = await send('POST', `/groups/${group.id}/ai-pause`, {
        cookie: op.cookie,
        form: { _csrf: op.csrf, hours },
      });
      expect(res.status, hours).toBe(400);
    }
    const unknown = await send('POST', `/groups/${crypto.randomUUID()}/ai-pause`, {
      cookie: op.cookie,
      form: { _csrf: op.csrf, hours: '1' },
    });
    expect(unknown.status).toBe(404);
    expect((await send('GET', `/line-users/${crypto.randomUUID()}/ai`, { cookie: op.cookie })).status).toBe(404);
    for (const path of [`/groups/${group.id}/ai-pause`, `/line-users/${user.id}/ai-pause`]) {
      const noCsrf = await send('POST', path, { cookie: op.cookie, form: { hours: '1' } });
      expect(noCsrf.status).toBe(403);
      const foreign = await send('POST', path, {
        cookie: op.cookie,
        form: { _csrf: op.csrf, hours: '1' },
        headers: { origin: 'https://evil.example' },
      });
      expect(foreign.status).toBe(403);
      const signedOut = await send('POST', path, { form: { _csrf: op.csrf, hours: '1' } });
      expect(signedOut.status).toBe(401);
    }
    // Behind Cloudflare Access, a client without Access's assertion gets nothing, the session
    // signed with the token included; nor does the API without its token.
    for (const [method, path] of [
      ['POST', `/groups/${group.id}/ai-pause`],
      ['POST', `/line-users/${user.id}/ai-resume`],
      ['GET', `/line-users/${user.id}/ai`],
    ] as const) {
      const res = await withAccessConfigured(method, path, op);
      expect(res.status, `${method} ${path}`).toBe(method === 'GET' ? 303 : 401);
      expect(await res.text()).not.toContain('data-ai-pause-panel');
    }
    expect((await adminFetch('PUT', `/groups/${group.id}/ai-pause`, { token: null, body: { hours: 1 } })).status).toBe(
      401,
    );
    expect((await adminFetch('GET', '/ai-pauses', { token: 'wrong' })).status).toBe(401);
    expect(await pauseRow('group', group.id)).toBeUndefined();
    expect(await pauseRow('user', user.id)).toBeUndefined();
  });
});

/** A request as `send` makes it, to a Worker configured for Cloudflare Access (token sign-in off). */
async function withAccessConfigured(method: string, path: string, op: { cookie: string; csrf: string }) {
  const app = createApp({ console: createConsole({ fetchJwks: async () => [] }) });
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(`${ORIGIN}/admin${path}`, {
      method,
      headers: { cookie: op.cookie, ...(method === 'POST' ? { origin: ORIGIN } : {}) },
      body: method === 'POST' ? new URLSearchParams({ _csrf: op.csrf, hours: '1' }) : undefined,
      redirect: 'manual',
    }),
    { ...env, ACCESS_TEAM_DOMAIN: 'pause-test.cloudflareaccess.com', ACCESS_AUD: 'pause-test-audience' },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}
