/**
 * The audit trail: append-only in the database itself, listed newest first by the management API
 * (filters by action, account and chat, cursor paging with each entry once) and shown by the
 * console's audit screen with the same filters, what LINE users set shown as text.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { recordAudit } from '../src/audit/record';
import { adminFetch, createAccount, expectJson, seedGroup, seedLineUser } from './support/admin';
import { ESCAPED, expectEscaped, HOSTILE, operator, page, send } from './support/console';
import { withDb } from './support/db';

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

  it('refuses what is not a filter with a 400 saying which', async () => {
    for (const q of ['action=nas.everything', 'userId=abc', 'userId=0', 'limit=500', 'before=nope']) {
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
