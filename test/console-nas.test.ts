/**
 * The console's NAS screens inside workerd against the test Postgres: share links (list, state
 * and chat filters, cursor paging, revoke, after which `/s/:token` is 410) and projects (groups
 * count, NAS folder set, cleared and refused with the API's own rule, AI instructions, create);
 * forms refused without the CSRF token or from a foreign origin with nothing changed, what LINE
 * users and files are called shown escaped, and a signed-out browser sent to sign-in.
 */
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { nasSendFigures } from '../src/domain/overview-nas';
import { lineUsers, nasFiles, nasSendRequests, projects, shareLinks } from '@linebot-edge/shared/schema';
import { adminFetch, createProject, expectJson, seedGroup, seedLineUser } from './support/admin';
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
import { inSnapshot, taipeiMidnight, withDb } from './support/db';
import { bytesOf, call, seedShareLink } from './support/nas';
import { newId } from './support/line';

const linkRow = (id: string) =>
  withDb(async (db) => (await db.select().from(shareLinks).where(eq(shareLinks.id, id)))[0]!);
const projectRow = (id: string) =>
  withDb(async (db) => (await db.select().from(projects).where(eq(projects.id, id)))[0]!);
const projectsNamed = (name: string) => withDb((db) => db.select().from(projects).where(eq(projects.name, name)));
const pdf = (name = 'plan.pdf') => ({ name, contentType: 'application/pdf', bytes: bytesOf(64, 3) });
const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** The row of a share link on the page (from its `<tr data-share-link>` to the next `</tr>`). */
const rowOf = (html: string, id: string) => {
  const start = html.indexOf(`data-share-link="${id}"`);
  return start < 0 ? null : html.slice(start, html.indexOf('</tr>', start));
};
const idsOn = (html: string) => [...html.matchAll(/data-share-link="([^"]+)"/g)].map((m) => m[1]!);

describe('without a session', () => {
  it('the screens redirect to sign-in and the forms are 401, changing nothing', async () => {
    const { link } = await seedShareLink(pdf());
    const project = await createProject();
    for (const path of ['/share-links', '/projects', '/share-links?state=active']) {
      const res = await send('GET', path);
      expect([res.status, res.headers.get('location')], path).toEqual([303, '/admin/login']);
    }
    for (const [path, form] of [
      [`/share-links/${link.id}/revoke`, {}],
      [`/projects/${project.id}`, { nasFolder: 'projects/x' }],
      ['/projects', { name: `nobody ${unique()}` }],
    ] as const) {
      expect((await send('POST', path, { form })).status, path).toBe(401);
    }
    expect((await linkRow(link.id)).revokedAt).toBeNull();
    expect((await projectRow(project.id)).nasFolder).toBeNull();
  });
});

describe('navigation', () => {
  it('both screens are in the menu, marked when current, with no script or inline style', async () => {
    const { cookie } = await operator();
    for (const [path, label] of [
      ['/share-links', '分享連結'],
      ['/projects', '專案'],
    ]) {
      const html = await page(path!, cookie);
      expect(html, path).toContain(`<a href="/admin${path}" aria-current="page">${label}</a>`);
      // Inside tags only: escaped text (an account named `<img onerror=…>`) may say anything.
      expect(html).not.toMatch(/<script|<[^>]*\s(style|on[a-z]+)=/i);
    }
    const en = await page('/share-links', cookie, 'en');
    expect(en).toContain('<a href="/admin/share-links" aria-current="page">Share links</a>');
    expect(await page('/projects', cookie, 'en')).toContain('Create a project');
  });
});

describe('share links', () => {
  it('lists file, chat, times, state and downloads; escapes the names; filters by state and chat', async () => {
    const { cookie } = await operator();
    const group = await seedGroup({ name: HOSTILE });
    const asker = await seedLineUser({ displayName: `Asker ${unique()}` });
    const active = await seedShareLink(pdf(HOSTILE), { lineGroupId: group.id, lineUserId: asker.id });
    const expired = await seedShareLink(pdf(`old-${unique()}.pdf`), {
      lineGroupId: group.id,
      expiresAt: new Date(Date.now() - 60_000),
    });
    const revoked = await seedShareLink(pdf(`gone-${unique()}.pdf`), { lineGroupId: group.id, revokedAt: new Date() });
    // Two downloads, counted by /s/ itself.
    expect((await call('GET', `/s/${active.token}`, { token: null })).status).toBe(200);
    expect((await call('GET', `/s/${active.token}`, { token: null })).status).toBe(200);

    const html = await page(`/share-links?groupId=${group.id}`, cookie);
    expect(idsOn(html)).toEqual([revoked.link.id, expired.link.id, active.link.id]);
    expectEscaped(html);
    const row = rowOf(html, active.link.id)!;
    expect(row).toContain(`${ESCAPED}</span>`);
    expect(row).toContain('有效');
    expect(row).toContain(asker.displayName!);
    expect(row).toMatch(/<td class="num">2<\/td>/);
    expect(row).toContain(`datetime="${active.link.expiresAt.toISOString()}"`);
    expect(row).toContain(`action="/admin/share-links/${active.link.id}/revoke"`);
    expect(rowOf(html, expired.link.id)).toContain('已過期');
    const revokedRow = rowOf(html, revoked.link.id)!;
    expect(revokedRow).toContain('已撤銷');
    expect(revokedRow).not.toContain('/revoke"');

    for (const [state, id] of [
      ['active', active.link.id],
      ['expired', expired.link.id],
      ['revoked', revoked.link.id],
    ] as const) {
      expect(idsOn(await page(`/share-links?groupId=${group.id}&state=${state}`, cookie)), state).toEqual([id]);
    }
    // By LINE's id of the group, and of the asker; empty fields are no filter.
    expect(idsOn(await page(`/share-links?groupId=${group.lineGroupId}&state=`, cookie))).toHaveLength(3);
    expect(idsOn(await page(`/share-links?lineUserId=${asker.lineUserId}&groupId=`, cookie))).toEqual([active.link.id]);
    expect(idsOn(await page(`/share-links?groupId=${newId.group()}`, cookie))).toEqual([]);

    for (const bad of ['state=gone', 'before=nope', 'groupId=' + 'x'.repeat(500)]) {
      const res = await send('GET', `/share-links?${bad}`, { cookie });
      expect(res.status, bad).toBe(400);
    }
  });

  it('pages through every link of a chat once, newest first, the filters kept', async () => {
    const { cookie } = await operator();
    const group = await seedGroup({ name: 'Paged' });
    const base = Date.now() - 3_600_000;
    const seeded = await withDb((db) =>
      db
        .insert(shareLinks)
        .values(
          Array.from({ length: 57 }, (_, i) => ({
            tokenHash: crypto.randomUUID().replace(/-/g, '').padEnd(64, '0'),
            r2Key: `sends/none/${i}`,
            fileName: `f${i}.pdf`,
            contentType: 'application/pdf',
            size: 10,
            lineGroupId: group.id,
            expiresAt: new Date(Date.now() + 86_400_000),
            // Three share each time: the id breaks the tie.
            createdAt: new Date(base + Math.floor(i / 3) * 1000),
          })),
        )
        .returning({ id: shareLinks.id }),
    );
    const seen: string[] = [];
    let path: string | null = `/share-links?state=active&groupId=${group.id}`;
    let pages = 0;
    for (; path && pages < 10; pages++) {
      const html = await page(path, cookie);
      seen.push(...idsOn(html));
      const next = /<a href="\/admin(\/share-links\?[^"]+)" rel="next">/.exec(html)?.[1];
      path = next ? next.replace(/&amp;/g, '&') : null;
      if (path) expect(path).toContain('state=active');
    }
    expect(pages).toBe(2);
    expect(seen).toHaveLength(57);
    expect(new Set(seen)).toEqual(new Set(seeded.map((r) => r.id)));
  });

  it('revoke: the row is revoked, the notice shown, /s/ answers 410; again keeps the first time; unknown ids are 404', async () => {
    const op = await operator();
    const { token, link } = await seedShareLink(pdf());
    expect((await call('GET', `/s/${token}`, { token: null })).status).toBe(200);

    const { location, html } = await submit(`/share-links/${link.id}/revoke`, op);
    expect(location).toBe('/admin/share-links');
    expect(html).toContain('已撤銷分享連結');
    const revokedAt = (await linkRow(link.id)).revokedAt;
    expect(revokedAt).not.toBeNull();
    expect((await call('GET', `/s/${token}`, { token: null })).status).toBe(410);
    expect(rowOf(html, link.id)).toContain('已撤銷');

    // The API sees the same state (the same domain function).
    const api = await expectJson(await adminFetch('GET', `/share-links?state=revoked&limit=200`), 200);
    expect(api.items.find((l: { id: string }) => l.id === link.id)).toMatchObject({
      state: 'revoked',
      revokedAt: revokedAt!.toISOString(),
    });

    await submit(`/share-links/${link.id}/revoke`, op);
    expect((await linkRow(link.id)).revokedAt).toEqual(revokedAt);

    for (const id of [crypto.randomUUID(), 'nope', '1']) {
      const res = await send('POST', `/share-links/${id}/revoke`, { cookie: op.cookie, form: { _csrf: op.csrf } });
      expect(res.status, id).toBe(404);
    }
  });
});

describe('projects', () => {
  it('lists each project with its groups count, NAS folder and AI instructions, escaped', async () => {
    const { cookie } = await operator();
    const project = await createProject(`${HOSTILE} ${unique()}`);
    await expectJson(
      await adminFetch('PATCH', `/projects/${project.id}`, {
        body: { nasFolder: 'projects/案場A', aiInstructions: 'Use <b>metric</b>' },
      }),
      200,
    );
    await seedGroup({ projectId: project.id });
    await seedGroup({ projectId: project.id });
    const empty = await createProject();

    const html = await page('/projects', cookie);
    expectEscaped(html);
    const item = html.slice(
      html.indexOf(`data-project="${project.id}"`),
      html.indexOf('</li>', html.indexOf(`data-project="${project.id}"`)),
    );
    expect(item).toContain('2 個群組');
    expect(item).toContain('<span class="mono path">projects/案場A</span>');
    expect(item).toContain('value="projects/案場A"');
    expect(item).toContain('Use &lt;b&gt;metric&lt;/b&gt;');
    expect(item).toContain(`action="/admin/projects/${project.id}"`);
    const other = html.slice(
      html.indexOf(`data-project="${empty.id}"`),
      html.indexOf('</li>', html.indexOf(`data-project="${empty.id}"`)),
    );
    expect(other).toContain('0 個群組');
    expect(other).toContain('未設定');
  });

  it('sets, clears and refuses a NAS folder with the API rule (400, the problem shown, nothing changed)', async () => {
    const op = await operator();
    const project = await createProject();

    const set = await submit(`/projects/${project.id}`, op, { nasFolder: 'projects/案場A/圖面/', aiInstructions: '' });
    expect(set.html).toContain('已儲存專案設定');
    expect(await projectRow(project.id)).toMatchObject({ nasFolder: 'projects/案場A/圖面', aiInstructions: null });
    const api = await expectJson(await adminFetch('GET', '/projects'), 200);
    expect(api.items.find((p: { id: string }) => p.id === project.id).nasFolder).toBe('projects/案場A/圖面');

    const refused: Array<[string, string]> = [
      ['projects/../etc', "'.' or '..'"],
      ['/mnt/nas', "not '/'"],
      ['projects//x', "'//'"],
      ['pro jects/x', 'share name'],
      ['projects\\x', "not '\\'"],
      ['p/' + 'x'.repeat(1000), 'at most 1000'],
    ];
    for (const [bad, why] of refused) {
      const res = await send('POST', `/projects/${project.id}`, {
        cookie: op.cookie,
        form: { _csrf: op.csrf, nasFolder: bad, aiInstructions: 'not saved' },
      });
      const html = await res.text();
      expect(res.status, bad).toBe(400);
      expect(html, bad).toContain(why.replace(/'/g, '&#39;'));
      expect(html).toContain('role="alert"');
      // What was typed is kept in the form, as text.
      expect(html).toContain('not saved');
      expect(res.headers.getSetCookie().some((c) => c.startsWith('linebot_console_notice='))).toBe(false);
    }
    expect(await projectRow(project.id)).toMatchObject({ nasFolder: 'projects/案場A/圖面', aiInstructions: null });

    // A form with only instructions leaves the folder alone; an emptied folder clears it.
    await submit(`/projects/${project.id}`, op, { aiInstructions: '回答請用繁體中文' });
    expect(await projectRow(project.id)).toMatchObject({
      nasFolder: 'projects/案場A/圖面',
      aiInstructions: '回答請用繁體中文',
    });
    await submit(`/projects/${project.id}`, op, { nasFolder: '  ', aiInstructions: '回答請用繁體中文' });
    expect((await projectRow(project.id)).nasFolder).toBeNull();

    // Nothing to change, and a project that is not there.
    expect(
      (await send('POST', `/projects/${project.id}`, { cookie: op.cookie, form: { _csrf: op.csrf } })).status,
    ).toBe(400);
    expect(
      (
        await send('POST', `/projects/${crypto.randomUUID()}`, {
          cookie: op.cookie,
          form: { _csrf: op.csrf, nasFolder: 'projects/x' },
        })
      ).status,
    ).toBe(404);
    expect(
      (await send('POST', '/projects/nope', { cookie: op.cookie, form: { _csrf: op.csrf, nasFolder: 'projects/x' } }))
        .status,
    ).toBe(404);
  });

  it('creates a project; a taken name is 409 and a bad folder 400, creating nothing', async () => {
    const op = await operator();
    const name = `Site ${unique()}`;
    const created = await submit('/projects', op, { name, nasFolder: 'projects/new', aiInstructions: '' });
    expect(created.html).toContain('已建立專案');
    expect(await projectsNamed(name)).toMatchObject([{ name, nasFolder: 'projects/new', aiInstructions: null }]);

    const taken = await send('POST', '/projects', { cookie: op.cookie, form: { _csrf: op.csrf, name } });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain(`專案「${name}」已存在`);

    const other = `Other ${unique()}`;
    const bad = await send('POST', '/projects', {
      cookie: op.cookie,
      form: { _csrf: op.csrf, name: other, nasFolder: '../x' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain(`value="${other}"`);
    expect(await projectsNamed(other)).toEqual([]);
    expect((await send('POST', '/projects', { cookie: op.cookie, form: { _csrf: op.csrf, name: '   ' } })).status).toBe(
      400,
    );
  });
});

describe('the forms refuse a foreign origin and a missing CSRF token, changing nothing', () => {
  it('revoke, a project and a new project', async () => {
    const op = await operator();
    const { token, link } = await seedShareLink(pdf());
    const project = await createProject();
    const name = `csrf ${unique()}`;
    const state = async () => ({
      revokedAt: (await linkRow(link.id)).revokedAt,
      project: await projectRow(project.id),
      created: (await projectsNamed(name)).length,
    });
    const before = await state();
    const forms: Array<[string, Record<string, string>]> = [
      [`/share-links/${link.id}/revoke`, {}],
      [`/projects/${project.id}`, { nasFolder: 'projects/x', aiInstructions: 'x' }],
      ['/projects', { name }],
    ];
    await expectForgedPostsRefused(op, forms);
    expect(await state()).toEqual(before);
    expect((await call('GET', `/s/${token}`, { token: null })).status).toBe(200);
  });
});

describe('overview: NAS sends', () => {
  it('counts files sent today (Taipei day) and share links still open', async () => {
    await inSnapshot(async (tx) => {
      const before = await nasSendFigures(tx);
      const [user] = await tx.insert(lineUsers).values({ lineUserId: newId.user() }).returning();
      const [file] = await tx
        .insert(nasFiles)
        .values({
          share: 'projects',
          path: `o/${unique()}.pdf`,
          name: 'o.pdf',
          extension: 'pdf',
          size: 1,
          modifiedAt: new Date(),
          searchText: 'o',
        })
        .returning();
      const request = (status: 'sent' | 'uploaded' | 'failed', sentAt: ReturnType<typeof sql> | null) => ({
        requestKey: `event:${newId.event()}`,
        nasFileId: file!.id,
        share: 'projects',
        path: file!.path,
        name: file!.name,
        size: 1,
        modifiedAt: file!.modifiedAt,
        lineUserId: user!.id,
        eventAt: new Date(),
        status,
        sentAt: sentAt as unknown as Date,
      });
      await tx.insert(nasSendRequests).values([
        request('sent', sql`now()`),
        request('sent', taipeiMidnight), // the first instant of today
        request('sent', sql`${taipeiMidnight} - interval '1 microsecond'`), // yesterday
        request('uploaded', null),
        request('failed', null),
      ]);
      const link = (expiresAt: Date, revokedAt: Date | null = null) => ({
        tokenHash: crypto.randomUUID().replace(/-/g, '').padEnd(64, '0'),
        r2Key: 'sends/x/file',
        fileName: 'o.pdf',
        contentType: 'application/pdf',
        size: 1,
        expiresAt,
        revokedAt,
      });
      const later = new Date(Date.now() + 3_600_000);
      await tx
        .insert(shareLinks)
        .values([link(later), link(later), link(new Date(Date.now() - 1000)), link(later, new Date())]);
      const after = await nasSendFigures(tx);
      expect(after.sentToday - before.sentToday).toBe(2);
      expect(after.activeLinks - before.activeLinks).toBe(2);
    });
  });

  it('the overview page shows the card, linked to the active share links', async () => {
    const { cookie } = await operator();
    const html = await page('', cookie);
    expect(html).toContain('data-figure="nas-sends"');
    expect(html).toContain('href="/admin/share-links?state=active"');
    expect(html).toContain('今日傳送的 NAS 檔案');
  });
});
