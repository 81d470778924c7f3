/**
 * The audit trail: append-only in the database itself, listed newest first by the management API
 * (filters by action or a family of actions, operator, account and chat, cursor paging with each
 * entry once) and shown by the console's audit screen with the same filters, kept across pages,
 * what LINE users set shown as text; whatever the filters, never a 5xx.
 */
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordAudit, type AuditEntry } from '../src/audit/record';
import { adminFetch, createAccount, expectJson, seedGroup, seedLineUser } from './support/admin';
import { ESCAPED, expectEscaped, HOSTILE, operator, page, send } from './support/console';
import { withDb } from './support/db';

const unique = () => crypto.randomUUID().slice(0, 8);
const record = (...entries: AuditEntry[]) =>
  withDb(async (db) => {
    for (const e of entries) await recordAudit(db, e);
  });
const listed = async (q: string) =>
  (await expectJson(await adminFetch('GET', `/audit?${q}`), 200)).items as Array<{
    action: string;
    operator: string | null;
    details: { n?: number };
  }>;
const ns = (items: Array<{ details: { n?: number } }>) => items.map((e) => e.details.n);

describe('the audit log table', () => {
  it('refuses UPDATE and DELETE: an entry once written stays as written', async () => {
    const account = await createAccount();
    await withDb((db) => recordAudit(db, { action: 'binding.bound', via: 'chat', actorUserId: account.id }));
    const [{ id }] = (
      await withDb((db) =>
        db.execute(sql`select max(id)::int as id from audit_log where actor_user_id = ${account.id}`),
      )
    ).rows as [{ id: number }];
    await expect(
      withDb((db) => db.execute(sql`update audit_log set action = 'nas.search' where id = ${id}`)),
    ).rejects.toThrow();
    await expect(withDb((db) => db.execute(sql`delete from audit_log where id = ${id}`))).rejects.toThrow();
    const rows = (await withDb((db) => db.execute(sql`select action from audit_log where id = ${id}`))).rows;
    expect(rows).toEqual([{ action: 'binding.bound' }]);
  });
});

describe('GET /audit', () => {
  it('pages newest first through one account’s entries, each once, filters kept', async () => {
    const account = await createAccount();
    const group = await seedGroup();
    const other = await seedGroup();
    await withDb(async (db) => {
      for (let i = 0; i < 7; i++) {
        await recordAudit(db, {
          action: i % 2 === 0 ? 'nas.search' : 'nas.file_sent',
          via: 'chat',
          actorUserId: account.id,
          lineGroupId: i < 5 ? group.id : other.id,
          details: { n: i },
        });
      }
    });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/audit?userId=${account.id}&limit=3${cursor ? `&before=${cursor}` : ''}`;
      const body: { items: Array<{ details: { n: number } }>; nextCursor: string | null } = await expectJson(
        await adminFetch('GET', q),
        200,
      );
      seen.push(...body.items.map((e) => e.details.n));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);

    const searches = await expectJson(await adminFetch('GET', `/audit?userId=${account.id}&action=nas.search`), 200);
    expect(searches.items.map((e: { details: { n: number } }) => e.details.n)).toEqual([6, 4, 2, 0]);
    // By our UUID or LINE's id of the chat.
    const byUuid = await expectJson(await adminFetch('GET', `/audit?groupId=${group.id}`), 200);
    const byLineId = await expectJson(await adminFetch('GET', `/audit?groupId=${group.lineGroupId}`), 200);
    expect(byUuid.items.map((e: { details: { n: number } }) => e.details.n)).toEqual([4, 3, 2, 1, 0]);
    expect(byLineId.items).toEqual(byUuid.items);
    expect(byUuid.items[0].lineGroupId).toBe(group.lineGroupId);
  });

  it('filters by a family of actions (a dotted prefix) and by the operator, exactly or by a prefix', async () => {
    const who = `ops-${unique()}@example.com`;
    const token = `token:${unique()}`;
    await record(
      { action: 'group.settings_changed', via: 'console', operator: who, details: { n: 1 } },
      { action: 'group.project_set', via: 'console', operator: who, details: { n: 2 } },
      { action: 'project.created', via: 'console', operator: who, details: { n: 3 } },
      { action: 'bot_text.changed', via: 'console', operator: `${who}.evil`, details: { n: 4 } },
      { action: 'bot_text.reset', via: 'console', operator: token, details: { n: 5 } },
      // LIKE's wildcards in a filter are literal characters.
      { action: 'bot_text.reset', via: 'console', operator: `${token}%_x`, details: { n: 6 } },
    );
    const by = encodeURIComponent(who);
    expect(ns(await listed(`operator=${by}`))).toEqual([3, 2, 1]);
    expect(ns(await listed(`operator=${by}&action=group.`))).toEqual([2, 1]);
    expect(ns(await listed(`operator=${by}&action=group.project_set`))).toEqual([2]);
    expect(ns(await listed(`operator=${by}*`))).toEqual([4, 3, 2, 1]);
    expect(ns(await listed(`operator=${encodeURIComponent(`${token}*`)}`))).toEqual([6, 5]);
    expect(ns(await listed(`operator=${encodeURIComponent(`${token}%*`)}`))).toEqual([6]);
    expect(ns(await listed(`operator=${encodeURIComponent(`${token.slice(0, -1)}_*`)}`))).toEqual([]);
    expect(ns(await listed(`operator=${encodeURIComponent(token.slice(0, -1))}`))).toEqual([]);
  });

  it("filters by a LINE user: what they did, and what was done to their 1:1 chat, by our UUID or LINE's id", async () => {
    const user = await seedLineUser();
    const other = await seedLineUser();
    const group = await seedGroup();
    await record(
      { action: 'nas.search', via: 'chat', actorLineUserId: user.id, lineGroupId: group.id, details: { n: 1 } },
      { action: 'binding.bound', via: 'chat', actorLineUserId: user.id, details: { n: 2 } },
      // An operator acting on the user's 1:1 chat (as the AI pause records it).
      {
        action: 'group.settings_changed',
        via: 'console',
        operator: 'x',
        targetType: 'line_user',
        targetId: user.id,
        details: { n: 3 },
      },
      { action: 'nas.search', via: 'chat', actorLineUserId: other.id, details: { n: 4 } },
      {
        action: 'group.settings_changed',
        via: 'console',
        targetType: 'line_group',
        targetId: user.id,
        details: { n: 5 },
      },
    );
    expect(ns(await listed(`lineUserId=${user.id}`))).toEqual([3, 2, 1]);
    expect(ns(await listed(`lineUserId=${user.id.toUpperCase()}`))).toEqual([3, 2, 1]);
    expect(ns(await listed(`lineUserId=${user.lineUserId}`))).toEqual([3, 2, 1]);
    expect(ns(await listed(`lineUserId=${user.id}&groupId=${group.id}`))).toEqual([1]);
    expect(ns(await listed(`lineUserId=${user.id}&action=nas.`))).toEqual([1]);
    expect(ns(await listed('lineUserId=U0000000000000000000000000000dead'))).toEqual([]);
  });

  it('documents its filters in the OpenAPI document it serves', async () => {
    const doc = await expectJson(await adminFetch('GET', '/openapi.json'), 200);
    const [path] = Object.keys(doc.paths).filter((p) => p.endsWith('/audit'));
    const params = doc.paths[path!].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(
      expect.arrayContaining(['action', 'operator', 'userId', 'groupId', 'lineUserId', 'before', 'limit']),
    );
  });

  it('refuses what is not a filter with a 400 saying which', async () => {
    for (const q of [
      'action=nas.everything',
      'action=nas',
      'action=NAS.',
      'action=.',
      'action=nas..',
      `action=${'a.'.repeat(40)}`,
      `operator=${'x'.repeat(300)}`,
      'operator=%00',
      'lineUserId=%00',
      'userId=abc',
      'userId=0',
      'limit=500',
      'before=nope',
    ]) {
      const res = await adminFetch('GET', `/audit?${q}`);
      const body = await expectJson(res, 400);
      expect(body.error.code, q).toBe('invalid_request');
    }
  });
});

describe('the console’s audit screen', () => {
  it('lists entries with their actor and chat as text, and filters by action and account', async () => {
    const account = await createAccount();
    const asker = await seedLineUser({ displayName: HOSTILE, userId: account.id });
    const group = await seedGroup({ name: HOSTILE });
    await withDb(async (db) => {
      await recordAudit(db, {
        action: 'nas.search',
        via: 'chat',
        actorUserId: account.id,
        actorLineUserId: asker.id,
        lineGroupId: group.id,
        details: { keywords: [HOSTILE], results: 0 },
      });
      await recordAudit(db, {
        action: 'project.member_set',
        via: 'api',
        actorUserId: account.id,
        operator: 'api',
        targetType: 'project',
        targetId: 'p1',
      });
    });
    const op = await operator();
    const html = await page(`/audit?userId=${account.id}`, op.cookie);
    expect(html).toContain('data-action="nas.search"');
    expect(html).toContain('data-action="project.member_set"');
    expect(html).toContain(ESCAPED);
    expectEscaped(html);
    const filtered = await page(`/audit?userId=${account.id}&action=project.member_set`, op.cookie);
    expect(filtered).not.toContain('data-action="nas.search"');
    expect(filtered).toContain('data-action="project.member_set"');
    expect((await send('GET', '/audit?action=bogus', { cookie: op.cookie })).status).toBe(400);
    const signedOut = await send('GET', '/audit');
    expect([signedOut.status, signedOut.headers.get('location')]).toEqual([303, '/admin/login']);
  });
});

describe('the console’s audit screen filters', () => {
  /** The hrefs of the page's links, decoded (`&amp;` back to `&`). */
  const hrefs = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

  it('keeps every filter across pages, and takes a LINE user given as userId', async () => {
    const who = `pager-${unique()}@example.com`;
    const user = await seedLineUser();
    await record(
      ...Array.from(
        { length: 53 },
        (_, n): AuditEntry => ({
          action: n % 2 ? 'group.project_set' : 'group.settings_changed',
          via: 'console',
          operator: who,
          targetType: 'line_user',
          targetId: user.id,
          details: { n },
        }),
      ),
      { action: 'project.created', via: 'console', operator: who, details: { n: 99 } },
    );
    const op = await operator();
    const first = await page(
      `/audit?action=group.&operator=${encodeURIComponent(`${who.slice(0, 12)}*`)}&userId=${user.id}`,
      op.cookie,
    );
    expect(first.match(/<tr data-audit=/g)).toHaveLength(50);
    expect(first).not.toContain('data-action="project.created"');
    // The form shows the filters as read (the LINE user in its own field).
    expect(first).toContain('<option value="group." selected="">group.*</option>');
    expect(first).toContain(`id="f-lineUserId" name="lineUserId" type="text" value="${user.id}"`);
    const next = hrefs(first).find((h) => h.includes('before='))!;
    const params = new URL(next, 'https://x').searchParams;
    expect(Object.fromEntries(params)).toMatchObject({
      action: 'group.',
      operator: `${who.slice(0, 12)}*`,
      lineUserId: user.id,
    });
    const second = await page(next.replace('/admin', ''), op.cookie);
    expect(second.match(/<tr data-audit=/g)).toHaveLength(3);
    expect(hrefs(second).some((h) => h.includes('before='))).toBe(false);
    // Each row links to the chat it names (the user's 1:1 chat) and to entries like it.
    expect(second).toContain(`href="/admin/messages?lineUserId=${user.id}"`);
    expect(second).toContain(`href="/admin/audit?lineUserId=${user.id}"`);
    expect(second).toContain(`href="/admin/audit?operator=${encodeURIComponent(who)}"`);
    expect(second).toContain('href="/admin/audit?action=group.settings_changed"');
  });

  it('links a group’s page, the LINE users, the accounts and a binding code page to their entries, and each row to its group', async () => {
    const account = await createAccount();
    const group = await seedGroup({ name: 'Audit link group' });
    const user = await seedLineUser({ userId: account.id });
    await record({
      action: 'nas.search',
      via: 'chat',
      actorUserId: account.id,
      actorLineUserId: user.id,
      lineGroupId: group.id,
    });
    const op = await operator();
    expect(await page(`/groups/${group.id}`, op.cookie)).toContain(`href="/admin/audit?groupId=${group.id}"`);
    expect(await page('/line-users', op.cookie)).toContain(`href="/admin/audit?lineUserId=${user.id}"`);
    expect(await page('/accounts', op.cookie)).toContain(`href="/admin/audit?userId=${account.id}"`);
    expect(await page(`/accounts/${account.id}/binding-code`, op.cookie)).toContain(
      `href="/admin/audit?userId=${account.id}"`,
    );
    const html = await page(`/audit?groupId=${group.id}&action=nas.search`, op.cookie);
    expect(html).toContain(`href="/admin/groups/${group.id}"`);
    expect(html).toContain('Audit link group');
    expect(html).toContain(`href="/admin/audit?userId=${account.id}"`);
    expect(html).toContain(`href="/admin/audit?lineUserId=${user.lineUserId}"`);
  });

  it('answers any filter with the page or a 400 saying why, never a 5xx', async () => {
    const op = await operator();
    const user = await seedLineUser();
    const group = await seedGroup();
    const value = fc.oneof(
      fc.constantFrom(
        '',
        'nas.',
        'nas.search',
        'group.',
        'a.b.',
        'nas',
        'NAS.',
        '.',
        'token:*',
        '*',
        '%',
        '_',
        '\\',
        '42',
        '0',
        '-1',
        '99999999999999999999',
        user.id,
        user.lineUserId,
        group.id,
        'MTIzOmFiYw',
        '\u0000',
        '\ud800',
        'x'.repeat(300),
        "' OR 1=1 --",
      ),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.uuid().map(String),
    );
    const query = fc.dictionary(
      fc.constantFrom('action', 'operator', 'userId', 'groupId', 'lineUserId', 'before', 'limit', 'x'),
      value,
      { maxKeys: 5 },
    );
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const qs = new URLSearchParams(q).toString();
        const res = await send('GET', `/audit?${qs}`, { cookie: op.cookie });
        const body = await res.text();
        expect([200, 400], `${qs} -> ${res.status} ${body.slice(0, 300)}`).toContain(res.status);
        if (res.status === 400) expect(body).toMatch(/(action|operator|userId|groupId|lineUserId|before)/);
        statuses.add(res.status);
      }),
      { numRuns: 150 },
    );
    expect([...statuses].sort()).toEqual([200, 400]);
  });
});
