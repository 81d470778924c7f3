/**
 * The console's screens inside workerd against the test Postgres: each renders what this test
 * seeded, each form changes the database and lands on a page with its notice, each form is
 * refused without its CSRF token or from a foreign origin with nothing changed, what LINE users
 * wrote is shown escaped, unknown ids are 404 pages and a signed-out browser is sent to sign-in.
 */
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { formatCode } from '../src/domain/binding-code';
import {
  lineBindingCodes,
  lineGroups,
  lineMessages,
  lineUsers,
  lineWebhookEvents,
  users,
} from '@linebot-edge/shared/schema';
import { taipeiDateTime } from '../src/lib/taipei';
import {
  createAccount,
  createProject,
  seedAiAnswer,
  seedFile,
  seedGroup,
  seedInboxEvent,
  seedLineUser,
  seedMessage,
} from './support/admin';
import {
  ESCAPED,
  expectEscaped,
  expectForgedPostsRefused,
  HOSTILE,
  operator,
  page,
  send,
  submit,
} from './support/console';
import { withDb } from './support/db';
import { addFault, lineRequests } from './support/emulator';
import { newId } from './support/line';

const groupRow = (id: string) =>
  withDb(async (db) => (await db.select().from(lineGroups).where(eq(lineGroups.id, id)))[0]!);
const lineUserRow = (id: string) =>
  withDb(async (db) => (await db.select().from(lineUsers).where(eq(lineUsers.id, id)))[0]!);
const eventRow = (id: number) =>
  withDb(async (db) => (await db.select().from(lineWebhookEvents).where(eq(lineWebhookEvents.id, id)))[0]!);
const accountsNamed = (username: string) => withDb((db) => db.select().from(users).where(eq(users.username, username)));
const codesOf = (userId: number) =>
  withDb((db) => db.select().from(lineBindingCodes).where(eq(lineBindingCodes.userId, userId)));

const SCREENS = ['/groups', '/line-users', '/accounts', '/messages', '/files', '/inbox', '/ai-logs', '/ai-logs/usage'];

describe('without a session', () => {
  it('every screen redirects to sign-in, every form is 401 and changes nothing', async () => {
    const group = await seedGroup({ allowAiResponse: false });
    for (const path of [
      ...SCREENS,
      `/groups/${group.id}`,
      `/line-users/${crypto.randomUUID()}/unbind`,
      '/accounts/1/binding-code',
    ]) {
      const res = await send('GET', path);
      expect([res.status, res.headers.get('location')], path).toEqual([303, '/admin/login']);
    }
    for (const [path, form] of [
      [`/groups/${group.id}/ai`, { allow: 'true' }],
      [`/groups/${group.id}/instructions`, { aiInstructions: 'x' }],
      [`/groups/${group.id}/project`, { projectId: '' }],
      ['/accounts', { username: `nobody.${Date.now()}` }],
      ['/inbox/1/retry', {}],
    ] as const) {
      expect((await send('POST', path, { form })).status, path).toBe(401);
    }
    expect((await groupRow(group.id)).allowAiResponse).toBe(false);
  });
});

describe('navigation', () => {
  it('every screen is in the menu, and marked when it is the current one', async () => {
    const { cookie } = await operator();
    for (const [path, label] of [
      ['/groups', '群組'],
      ['/line-users', 'LINE 使用者'],
      ['/accounts', '帳號'],
      ['/messages', '訊息'],
      ['/files', '檔案'],
      ['/inbox', '收件匣'],
      ['/ai-logs', 'AI 紀錄'],
    ]) {
      const html = await page(path!, cookie);
      expect(html, path).toContain(`<a href="/admin${path}" aria-current="page">${label}</a>`);
      // Inside tags only: escaped names of other tests' groups (`&lt;img onerror=…`) are text.
      expect(html).not.toMatch(/<script|<[^>]*\sstyle=|<[^>]*\son[a-z]+=/i);
    }
    const usage = await page('/ai-logs/usage', cookie);
    expect(usage).toContain('<a href="/admin/ai-logs" aria-current="page">AI 紀錄</a>');
  });
});

describe('groups and rooms', () => {
  it('the list shows picture, name, member count, state, project and AI; filters narrow it', async () => {
    const { cookie } = await operator();
    const project = await createProject();
    // Older than what other test files create, so both are on the first page (oldest first) however many groups the suite made.
    const early = () => new Date(Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e10));
    const bound = await seedGroup({
      name: `Site ${newId.group()}`,
      memberCount: 7,
      allowAiResponse: true,
      projectId: project.id,
      pictureUrl: 'https://profile.line-scdn.net/g1',
      createdAt: early(),
    });
    const hostile = await seedGroup({ name: HOSTILE, isActive: false, sourceType: 'room', createdAt: early() });

    const html = await page('/groups', cookie);
    expect(html).toContain(bound.name!);
    expect(html).toContain('7 位成員');
    expect(html).toContain(project.name);
    expect(html).toContain('src="https://profile.line-scdn.net/g1"');
    expect(html).toContain(`href="/admin/groups/${bound.id}"`);
    expectEscaped(html);

    const on = await page('/groups?ai=true', cookie);
    expect(on).toContain(bound.id);
    expect(on).not.toContain(hostile.id);
    const left = await page('/groups?active=false&unbound=true', cookie);
    expect(left).toContain(hostile.id);
    expect(left).not.toContain(bound.id);
    expect(left).toContain('已離開');
    expect(left).toContain('聊天室');
    // An emptied select is no filter.
    expect(await page('/groups?active=&ai=&unbound=', cookie)).toContain(bound.id);
  });

  it('pages through every group once, the filters kept', async () => {
    const { cookie } = await operator();
    const seeded = await withDb((db) =>
      db
        .insert(lineGroups)
        .values(
          Array.from({ length: 55 }, () => ({ lineGroupId: newId.group(), isActive: false, allowAiResponse: true })),
        )
        .returning({ id: lineGroups.id }),
    );
    const seen: string[] = [];
    let path: string | null = '/groups?active=false&ai=true&unbound=true';
    for (let pages = 0; path && pages < 100; pages++) {
      const html = await page(path, cookie);
      seen.push(...[...html.matchAll(/data-group="([^"]+)"/g)].map((m) => m[1]!));
      const next = /<a href="\/admin(\/groups\?[^"]+)" rel="next">/.exec(html)?.[1];
      path = next ? next.replace(/&amp;/g, '&') : null;
      if (path) expect(path).toContain('active=false');
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const { id } of seeded) expect(seen).toContain(id);
    const bad = await send('GET', '/groups?after=nope', { cookie });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('not a cursor from a previous page');
  });

  it("a group's page: settings, the timeline both sides, files with their sync state, all escaped", async () => {
    const { cookie } = await operator();
    const project = await createProject();
    const group = await seedGroup({
      name: HOSTILE,
      memberCount: 3,
      allowAiResponse: false,
      aiInstructions: 'Answer in 繁體中文 <b>only</b>',
    });
    const sender = await seedLineUser({ displayName: HOSTILE });
    const t0 = Date.now() - 60_000;
    await seedMessage({ lineGroupId: group.id, lineUserId: sender.id, content: HOSTILE, sentAt: new Date(t0) });
    await seedMessage({
      lineGroupId: group.id,
      lineUserId: sender.id,
      content: 'from the bot',
      isFromBot: true,
      sentAt: new Date(t0 + 1000),
    });
    const { file } = await seedFile(
      { lineGroupId: group.id, lineUserId: sender.id, sentAt: new Date(t0 + 2000) },
      {
        fileType: 'file',
        fileName: `<b>plan</b>.pdf`,
        fileSize: 2048,
        syncStatus: 'synced',
        nasPath: 'line/2026/plan.pdf',
      },
    );
    await seedFile(
      { lineGroupId: group.id, lineUserId: sender.id, sentAt: new Date(t0 + 3000) },
      {
        fileType: 'image',
        syncStatus: 'pending',
        syncError: 'daily limit of 1 GiB per sender reached; copied after 00:00 Asia/Taipei',
        nextSyncAt: new Date(Date.now() + 3600_000),
      },
    );

    const html = await page(`/groups/${group.id}`, cookie);
    expectEscaped(html);
    expect(html).not.toContain('<b>');
    expect(html).toContain('Answer in 繁體中文 &lt;b&gt;only&lt;/b&gt;</textarea>');
    expect(html).toContain(`<option value="${project.id}">${project.name}</option>`);
    expect(html).toContain(`action="/admin/groups/${group.id}/ai"`);
    expect(html).toContain('<input type="hidden" name="allow" value="true"/>');
    // Oldest first; the bot's message on its own side.
    const order = [...html.matchAll(/<li class="(msg(?: bot)?)" data-message/g)].map((m) => m[1]);
    expect(order).toEqual(['msg', 'msg bot', 'msg', 'msg']);
    expect(html.indexOf(ESCAPED)).toBeLessThan(html.indexOf('from the bot'));
    expect(html).toContain('&lt;b&gt;plan&lt;/b&gt;.pdf');
    expect(html).toContain('已同步到 NAS');
    expect(html).toContain('等待同步');
    expect(html).toContain('line/2026/plan.pdf');
    // Why a file waits (the nas-sync job's reason), under its status.
    expect(html).toContain(
      '<small class="muted">daily limit of 1 GiB per sender reached; copied after 00:00 Asia/Taipei</small>',
    );
    expect(html).toContain(`data-file="${file.id}"`);
    expect(html).toContain('2.0 KB');

    for (const path of [`/groups/${crypto.randomUUID()}`, '/groups/not-a-uuid', "/groups/'%20OR%201=1"]) {
      expect((await send('GET', path, { cookie })).status, path).toBe(404);
    }
  });

  it('forms: AI on and off, bind and unbind a project, save and clear the instructions', async () => {
    const op = await operator();
    const project = await createProject();
    const group = await seedGroup({ allowAiResponse: false });
    const path = `/groups/${group.id}`;

    const on = await submit(`${path}/ai`, op, { allow: 'true' });
    expect(on.location).toBe(`/admin${path}`);
    expect(on.html).toContain('已開啟 AI 回覆。');
    expect((await groupRow(group.id)).allowAiResponse).toBe(true);
    expect((await submit(`${path}/ai`, op, { allow: 'false' })).html).toContain('已關閉 AI 回覆。');
    expect((await groupRow(group.id)).allowAiResponse).toBe(false);

    const bound = await submit(`${path}/project`, op, { projectId: project.id });
    expect(bound.html).toContain('已綁定專案。');
    expect(bound.html).toContain(`<option value="${project.id}" selected="">`);
    expect((await groupRow(group.id)).projectId).toBe(project.id);
    expect((await submit(`${path}/project`, op, { projectId: '' })).html).toContain('已解除專案綁定。');
    expect((await groupRow(group.id)).projectId).toBeNull();

    const saved = await submit(`${path}/instructions`, op, { aiInstructions: '回答請用繁體中文' });
    expect(saved.html).toContain('已儲存 AI 指示。');
    expect((await groupRow(group.id)).aiInstructions).toBe('回答請用繁體中文');
    expect((await submit(`${path}/instructions`, op, { aiInstructions: '   ' })).html).toContain('已清除 AI 指示。');
    expect((await groupRow(group.id)).aiInstructions).toBeNull();

    // The notice is shown once.
    expect(await page(path, op.cookie)).not.toContain('class="notice"');
  });

  it('bad form input: 400 with the reason, unknown ids 404, nothing changed', async () => {
    const { cookie, csrf } = await operator();
    const group = await seedGroup({ aiInstructions: 'kept' });
    const path = `/groups/${group.id}`;
    const post = (p: string, form: Record<string, string>, lang?: string) =>
      send('POST', p, { cookie, form: { _csrf: csrf, ...form }, headers: lang ? { 'accept-language': lang } : {} });

    const unknownProject = await post(`${path}/project`, { projectId: crypto.randomUUID() }, 'en');
    expect(unknownProject.status).toBe(400);
    expect(await unknownProject.text()).toContain('No such project. Nothing was changed.');
    const notUuid = await post(`${path}/project`, { projectId: 'abc' });
    expect(notUuid.status).toBe(400);
    expect(await notUuid.text()).toContain('must be a UUID');
    expect((await post(`${path}/project`, {})).status).toBe(400);

    const long = await post(`${path}/instructions`, { aiInstructions: 'x'.repeat(4001) });
    expect(long.status).toBe(400);
    expect(await long.text()).toContain('aiInstructions');
    expect((await post(`${path}/instructions`, { aiInstructions: 'a\u0000b' })).status).toBe(400);
    expect((await post(`${path}/instructions`, {})).status).toBe(400);

    for (const sub of ['ai', 'project', 'instructions']) {
      const res = await post(`/groups/${crypto.randomUUID()}/${sub}`, {
        allow: 'true',
        projectId: '',
        aiInstructions: 'x',
      });
      expect(res.status, sub).toBe(404);
      expect(
        (await post(`/groups/nope/${sub}`, { allow: 'true', projectId: '', aiInstructions: 'x' })).status,
        sub,
      ).toBe(400);
    }
    const row = await groupRow(group.id);
    expect(row).toMatchObject({ aiInstructions: 'kept', projectId: null });
  });
});

describe('thumbnails', () => {
  it("an image still at LINE shows LINE's preview through the Worker; only raster images pass", async () => {
    const { cookie } = await operator();
    const group = await seedGroup();
    const { message, file } = await seedFile(
      { lineGroupId: group.id },
      { fileType: 'image', syncStatus: 'synced', nasPath: 'line/p.jpg' },
    );
    const gone = await seedFile({ lineGroupId: group.id }, { fileType: 'image', syncStatus: 'unavailable' });
    const doc = await seedFile(
      { lineGroupId: group.id },
      { fileType: 'file', fileName: 'a.pdf', syncStatus: 'synced' },
    );

    const html = await page(`/groups/${group.id}`, cookie);
    expect(html).toContain(`<img class="thumb" src="/admin/files/${file.id}/preview" alt="p.jpg"`);
    expect(html).not.toContain(`/admin/files/${gone.file.id}/preview`);
    expect(html).not.toContain(`/admin/files/${doc.file.id}/preview`);

    const res = await send('GET', `/files/${file.id}/preview`, { cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    expect(new TextDecoder().decode(bytes)).toContain(`line-emulator:${message.messageId}`);
    const asked = await lineRequests(`/v2/bot/message/${message.messageId}/content/preview`);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((r) => r.errors.length === 0)).toBe(true);

    // LINE answering with something that is no raster image: refused.
    const svg = await seedFile({ lineGroupId: group.id }, { fileType: 'image' });
    await fetch(`${env.LINE_API_BASE_URL}/__emulator/content/${svg.message.messageId}`, {
      method: 'POST',
      headers: { 'content-type': 'image/svg+xml' },
      body: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    });
    expect((await send('GET', `/files/${svg.file.id}/preview`, { cookie })).status).toBe(404);
    // Gone from LINE: a 404 page, never a 5xx.
    const expired = await seedFile({ lineGroupId: group.id }, { fileType: 'image' });
    await addFault({
      path: `/v2/bot/message/${expired.message.messageId}/content/preview`,
      status: 404,
      body: { message: 'Not found' },
    });
    expect((await send('GET', `/files/${expired.file.id}/preview`, { cookie })).status).toBe(404);
    for (const id of [gone.file.id, doc.file.id, crypto.randomUUID(), 'nope']) {
      expect((await send('GET', `/files/${id}/preview`, { cookie })).status, id).toBe(404);
    }
    expect((await send('GET', `/files/${file.id}/preview`)).status).toBe(303);
  });
});

describe('LINE users', () => {
  it('shows binding state and account; unbinding asks first, then unbinds', async () => {
    const op = await operator();
    const account = await createAccount('member', `Account ${HOSTILE}`);
    const user = await seedLineUser({ displayName: HOSTILE, userId: account.id, isFriend: true });
    const loose = await seedLineUser({ displayName: 'Loose' });

    const html = await page('/line-users', op.cookie);
    expectEscaped(html);
    expect(html).toContain(account.username);
    expect(html).toContain(`href="/admin/line-users/${user.id}/unbind"`);
    expect(html).not.toContain(`href="/admin/line-users/${loose.id}/unbind"`);
    const boundOnly = await page('/line-users?bound=true', op.cookie);
    expect(boundOnly).toContain(user.id);
    expect(boundOnly).not.toContain(loose.id);
    expect(await page('/line-users?bound=false', op.cookie)).not.toContain(`data-line-user="${user.id}"`);

    const confirm = await page(`/line-users/${user.id}/unbind`, op.cookie);
    expect(confirm).toContain('確認解除綁定');
    expect(confirm).toContain(`action="/admin/line-users/${user.id}/unbind"`);
    expectEscaped(confirm);
    expect((await lineUserRow(user.id)).userId).toBe(account.id); // asking changed nothing

    const done = await submit(`/line-users/${user.id}/unbind`, op);
    expect(done.location).toBe('/admin/line-users');
    expect(done.html).toContain('已解除綁定。');
    expect((await lineUserRow(user.id)).userId).toBeNull();
    expect(await page(`/line-users/${user.id}/unbind`, op.cookie)).toContain('沒有需要解除的綁定');

    expect((await send('GET', `/line-users/${crypto.randomUUID()}/unbind`, { cookie: op.cookie })).status).toBe(404);
    expect((await send('GET', '/line-users/x/unbind', { cookie: op.cookie })).status).toBe(404);
    expect(
      (await send('POST', `/line-users/${crypto.randomUUID()}/unbind`, { cookie: op.cookie, form: { _csrf: op.csrf } }))
        .status,
    ).toBe(404);
    expect((await send('POST', '/line-users/x/unbind', { cookie: op.cookie, form: { _csrf: op.csrf } })).status).toBe(
      400,
    );
    expect((await send('GET', '/line-users?before=bogus', { cookie: op.cookie })).status).toBe(400);
  });
});

describe('company accounts', () => {
  it('lists, creates (400 and 409 say why), and issues a code shown large with its Taipei expiry', async () => {
    const op = await operator();
    const username = `clerk.${Date.now().toString(36)}`;
    const created = await submit('/accounts', op, { username, displayName: HOSTILE, role: 'admin' });
    expect(created.location).toBe('/admin/accounts');
    expect(created.html).toContain('已建立帳號。');
    expect(created.html).toContain(username);
    expectEscaped(created.html);
    const [row] = await accountsNamed(username);
    expect(row).toMatchObject({ displayName: HOSTILE, role: 'admin' });

    const taken = await send('POST', '/accounts', {
      cookie: op.cookie,
      form: { _csrf: op.csrf, username: username.toUpperCase(), role: 'member' },
    });
    expect(taken.status).toBe(409);
    const takenHtml = await taken.text();
    expect(takenHtml).toContain(`使用者名稱 ${username.toUpperCase()} 已存在。`);
    expect(takenHtml).toContain(`value="${username.toUpperCase()}"`); // the form keeps what was typed
    const invalid: Array<Record<string, string>> = [
      { username: 'has space' },
      { username: '' },
      { username: 'ok.name', role: 'root' },
      { username: 'x'.repeat(101) },
    ];
    for (const form of invalid) {
      const res = await send('POST', '/accounts', { cookie: op.cookie, form: { _csrf: op.csrf, ...form } });
      expect(res.status, JSON.stringify(form)).toBe(400);
      expect(await res.text()).toContain('class="alert"');
    }
    expect(await accountsNamed('has space')).toEqual([]);
    expect(await accountsNamed('ok.name')).toEqual([]);

    const issued = await submit(`/accounts/${row!.id}/binding-code`, op);
    expect(issued.location).toBe(`/admin/accounts/${row!.id}/binding-code`);
    expect(issued.html).toContain('已發行綁定碼。');
    const live = (await codesOf(row!.id)).filter((c) => !c.revokedAt && !c.usedAt);
    expect(live).toHaveLength(1);
    // Stored without dashes, shown in groups of three.
    expect(live[0]!.code).toMatch(/^[2-9A-HJKMNP-Z]{9}$/);
    expect(issued.html).toContain(
      `<h2 class="visually-hidden">綁定碼</h2><p class="code">${formatCode(live[0]!.code)}</p>`,
    );
    expect(issued.html).toContain(`有效至 ${taipeiDateTime(live[0]!.expiresAt)}（台北時間）`);
    // The code is in no URL.
    expect(issued.location).not.toContain(live[0]!.code);

    // Issuing again revokes the first.
    const again = await submit(`/accounts/${row!.id}/binding-code`, op);
    const codes = await codesOf(row!.id);
    expect(codes.filter((c) => !c.revokedAt)).toHaveLength(1);
    expect(again.html).toContain(formatCode(codes.find((c) => !c.revokedAt)!.code));

    const none = await createAccount();
    expect(await page(`/accounts/${none.id}/binding-code`, op.cookie)).toContain('此帳號目前沒有有效的綁定碼。');
    for (const id of ['2147483647', '0', 'x', '99999999999']) {
      expect((await send('GET', `/accounts/${id}/binding-code`, { cookie: op.cookie })).status, id).toBe(404);
    }
    expect(
      (await send('POST', '/accounts/2147483647/binding-code', { cookie: op.cookie, form: { _csrf: op.csrf } })).status,
    ).toBe(404);
    expect(
      (await send('POST', '/accounts/x/binding-code', { cookie: op.cookie, form: { _csrf: op.csrf } })).status,
    ).toBe(400);
  });
});

describe('messages and files', () => {
  it('messages: filtered by chat, user and type, escaped, paged', async () => {
    const { cookie } = await operator();
    const group = await seedGroup({ name: 'Filter group' });
    const sender = await seedLineUser({ displayName: HOSTILE });
    const text = await seedMessage({ lineGroupId: group.id, lineUserId: sender.id, content: HOSTILE });
    const sticker = await seedMessage({
      lineGroupId: group.id,
      lineUserId: sender.id,
      messageType: 'sticker',
      content: 'happy',
    });
    const elsewhere = await seedMessage({ lineUserId: sender.id, content: 'in the 1:1 chat' });

    const byGroup = await page(`/messages?groupId=${group.id}`, cookie);
    expectEscaped(byGroup);
    expect(byGroup).toContain(`data-message="${text.id}"`);
    expect(byGroup).toContain(`data-message="${sticker.id}"`);
    expect(byGroup).not.toContain(`data-message="${elsewhere.id}"`);
    const byLineId = await page(`/messages?groupId=${group.lineGroupId}&messageType=sticker`, cookie);
    expect(byLineId).toContain(`data-message="${sticker.id}"`);
    expect(byLineId).not.toContain(`data-message="${text.id}"`);
    const byUser = await page(`/messages?lineUserId=${sender.lineUserId}`, cookie);
    expect(byUser).toContain(`data-message="${elsewhere.id}"`);
    expect(byUser).toContain('一對一聊天');

    for (let i = 0; i < 3; i++) await seedMessage({ lineGroupId: group.id, content: `m${i}` });
    // Five messages in the group, 50 a page: no next link; the pager keeps the filters.
    expect(byGroup).not.toContain('rel="next"');
    const bad = await send('GET', `/messages?before=xyz`, { cookie });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('before: not a cursor from a previous page');
  });

  it('messages: the pager walks a chat page by page, each message once, the filter kept', async () => {
    const { cookie } = await operator();
    const group = await seedGroup();
    const base = Date.now() - 3_600_000;
    const seeded = await withDb((db) =>
      db
        .insert(lineMessages)
        .values(
          Array.from({ length: 57 }, (_, i) => ({
            messageId: newId.message(),
            lineGroupId: group.id,
            sourceType: 'group',
            messageType: 'text',
            content: `n${i}`,
            // Some share a millisecond: the cursor's tie-break on the id must hold.
            sentAt: new Date(base + Math.floor(i / 3)),
          })),
        )
        .returning({ id: lineMessages.id }),
    );
    const seen: string[] = [];
    let path: string | null = `/messages?groupId=${group.id}`;
    let pages = 0;
    for (; path && pages < 10; pages++) {
      const html = await page(path, cookie);
      seen.push(...[...html.matchAll(/<tr data-message="([^"]+)"/g)].map((m) => m[1]!));
      const next = /<a href="\/admin(\/messages\?[^"]+)" rel="next">/.exec(html)?.[1];
      path = next ? next.replace(/&amp;/g, '&') : null;
      if (path) expect(path).toContain(`groupId=${group.id}`);
    }
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual(seeded.map((m) => m.id).sort());
  });

  it('files: filtered by type and sync status, with name, size and NAS path', async () => {
    const { cookie } = await operator();
    const group = await seedGroup();
    const synced = await seedFile(
      { lineGroupId: group.id },
      { fileType: 'file', fileName: HOSTILE, syncStatus: 'synced', nasPath: 'a/b.pdf', fileSize: 5 },
    );
    const failed = await seedFile({ lineGroupId: group.id }, { fileType: 'image', syncStatus: 'failed' });

    const all = await page(`/files?groupId=${group.id}`, cookie);
    expectEscaped(all);
    expect(all).toContain(`data-file="${synced.file.id}"`);
    expect(all).toContain(`data-file="${failed.file.id}"`);
    expect(all).toContain('a/b.pdf');
    const onlyFailed = await page(`/files?groupId=${group.id}&syncStatus=failed&fileType=`, cookie);
    expect(onlyFailed).toContain(`data-file="${failed.file.id}"`);
    expect(onlyFailed).not.toContain(`data-file="${synced.file.id}"`);
    expect(onlyFailed).toContain('<option value="failed" selected="">');
    expect(await page(`/files?groupId=${group.id}&fileType=file`, cookie)).not.toContain(
      `data-file="${failed.file.id}"`,
    );
    expect((await send('GET', '/files?syncStatus=lost', { cookie })).status).toBe(400);
  });
});

describe('inbox', () => {
  it('shows failed and dead events with their errors; retry processes a dead one', async () => {
    const op = await operator();
    const dead = await seedInboxEvent({ status: 'dead', attempts: 8, lastError: `boom ${HOSTILE}` });
    const failed = await seedInboxEvent({
      status: 'failed',
      attempts: 2,
      lastError: 'LINE 500',
      nextAttemptAt: new Date(Date.now() + 60_000),
    });
    const done = await seedInboxEvent({ status: 'done' });

    const html = await page('/inbox', op.cookie);
    expect(html).toContain(`data-event="${dead.id}"`);
    expect(html).toContain(`data-event="${failed.id}"`);
    expect(html).not.toContain(`data-event="${done.id}"`);
    expect(html).toContain(`boom ${ESCAPED}`);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(`action="/admin/inbox/${dead.id}/retry"`);
    expect(await page('/inbox?status=done', op.cookie)).toContain(`data-event="${done.id}"`);
    expect(await page('/inbox?status=dead', op.cookie)).not.toContain(`data-event="${failed.id}"`);

    const retried = await submit(`/inbox/${dead.id}/retry`, op);
    expect(retried.location).toBe('/admin/inbox');
    expect(retried.html).toContain('已開始重新處理事件。');
    // A postback is only kept in the inbox: processing marks it done at once.
    const row = await eventRow(dead.id);
    expect(row.attempts).toBe(9);
    expect(row.status).toBe('done');

    const conflict = await send('POST', `/inbox/${done.id}/retry`, { cookie: op.cookie, form: { _csrf: op.csrf } });
    expect(conflict.status).toBe(409);
    expect(await conflict.text()).toContain('只能重試失敗或放棄的事件');
    expect((await eventRow(done.id)).attempts).toBe(1);
    expect(
      (await send('POST', `/inbox/${Number.MAX_SAFE_INTEGER}/retry`, { cookie: op.cookie, form: { _csrf: op.csrf } }))
        .status,
    ).toBe(404);
    expect((await send('POST', '/inbox/0/retry', { cookie: op.cookie, form: { _csrf: op.csrf } })).status).toBe(400);
    expect((await send('GET', '/inbox?status=lost', { cookie: op.cookie })).status).toBe(400);
  });
});

describe('AI logs and usage', () => {
  it('the log shows status, outcome, tokens, latency, tools and errors; usage per user, chat and day', async () => {
    const { cookie } = await operator();
    const group = await seedGroup({ name: 'AI group' });
    const asker = await seedLineUser({ displayName: HOSTILE });
    const answered = await seedAiAnswer({
      lineUserId: asker.id,
      lineGroupId: group.id,
      question: `What is ${HOSTILE}?`,
      status: 'answered',
      outcome: 'answered',
      model: 'claude-test',
      inputTokens: 1234,
      outputTokens: 56,
      latencyMs: 789,
      sentBy: 'reply',
      toolCalls: [
        { name: 'search_chat_history', input: { q: 'secret input' }, ok: true },
        { name: 'get_project', ok: false },
      ],
    });
    const broken = await seedAiAnswer({
      lineUserId: asker.id,
      status: 'failed',
      outcome: 'error',
      error: `Claude 529 ${HOSTILE}`,
    });

    const html = await page(`/ai-logs?lineUserId=${asker.id}`, cookie);
    expect(html).toContain(`data-answer="${answered.id}"`);
    expect(html).toContain(`data-answer="${broken.id}"`);
    expectEscaped(html);
    expect(html).toContain('輸入 1,234／輸出 56 tokens');
    expect(html).toContain('Claude 耗時 789 ms');
    expect(html).toContain('<span class="badge">search_chat_history</span>');
    expect(html).toContain('<span class="badge bad">get_project</span>');
    expect(html).not.toContain('secret input');
    expect(html).toContain('回覆（免費）');
    expect(html).toContain(`Claude 529 ${ESCAPED}`);
    expect(await page(`/ai-logs?groupId=${group.id}`, cookie)).not.toContain(`data-answer="${broken.id}"`);

    const usage = await page('/ai-logs/usage', cookie);
    const users = usage.slice(usage.indexOf('data-usage="users"'), usage.indexOf('data-usage="chats"'));
    expect(users).toContain(ESCAPED);
    expect(users).toMatch(/<td class="num">2<\/td><td class="num">1,234<\/td><td class="num">56<\/td>/);
    const chats = usage.slice(usage.indexOf('data-usage="chats"'), usage.indexOf('data-usage="days"'));
    expect(chats).toContain('AI group');
    expect(usage).toContain(
      `<input id="f-to" name="to" type="date" value="${taipeiDateTime(new Date()).slice(0, 10)}"/>`,
    );

    const backwards = await send('GET', '/ai-logs/usage?from=2026-02-01&to=2026-01-01', { cookie });
    expect(backwards.status).toBe(400);
    expect(await backwards.text()).toContain('must not be before from');
    expect((await send('GET', '/ai-logs/usage?from=2026-02-30', { cookie })).status).toBe(400);
  });
});

describe('every new form refuses a foreign origin and a missing CSRF token, changing nothing', () => {
  it('each form', async () => {
    const op = await operator();
    const project = await createProject();
    const group = await seedGroup({ allowAiResponse: false, aiInstructions: 'before' });
    const account = await createAccount();
    const lineUser = await seedLineUser({ userId: account.id });
    const event = await seedInboxEvent({ status: 'dead' });
    const username = `csrf.${Date.now().toString(36)}`;

    const state = async () => ({
      group: await groupRow(group.id),
      lineUser: (await lineUserRow(lineUser.id)).userId,
      accounts: (await accountsNamed(username)).length,
      codes: (await codesOf(account.id)).length,
      event: (await eventRow(event.id)).status,
    });
    const before = await state();
    const forms: Array<[string, Record<string, string>]> = [
      [`/groups/${group.id}/ai`, { allow: 'true' }],
      [`/groups/${group.id}/project`, { projectId: project.id }],
      [`/groups/${group.id}/instructions`, { aiInstructions: 'after' }],
      [`/line-users/${lineUser.id}/unbind`, {}],
      ['/accounts', { username, role: 'admin' }],
      [`/accounts/${account.id}/binding-code`, {}],
      [`/inbox/${event.id}/retry`, {}],
    ];
    await expectForgedPostsRefused(op, forms);
    expect(await state()).toEqual(before);
  });
});

describe('language', () => {
  it('the screens speak English when the browser prefers it', async () => {
    const { cookie } = await operator();
    const group = await seedGroup({ memberCount: 2 });
    const html = await page(`/groups/${group.id}`, cookie, 'en-US,en;q=0.9');
    expect(html).toContain('Turn AI replies on');
    expect(html).toContain('2 members');
    expect(html).not.toContain('開啟 AI 回覆');
    expect(await page('/inbox', cookie, 'en')).toContain('Failed, dead and invalid');
    expect(await page('/accounts', cookie, 'en')).toContain('Create an account');
  });
});
