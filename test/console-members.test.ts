/**
 * The console's project members, inside workerd against the test Postgres: the project page lists
 * each project's members with their roles; an operator adds an account, changes a role and removes
 * one through the same domain functions as the API, each audited as the console operator; bad
 * input is 400 (404 for an unknown project) with nothing changed; forged posts are refused.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, projectMembers } from '@linebot-edge/shared/schema';
import { addMember, createAccount, createProject } from './support/admin';
import { expectEscaped, expectForgedPostsRefused, HOSTILE, operator, page, send, submit } from './support/console';
import { withDb } from './support/db';

const membersOf = (projectId: string) =>
  withDb((db) =>
    db
      .select({ userId: projectMembers.userId, role: projectMembers.role })
      .from(projectMembers)
      .where(eq(projectMembers.projectId, projectId)),
  );
/** The project's membership entries of the audit trail, newest first. */
const auditOf = (projectId: string) =>
  withDb((db) =>
    db
      .select()
      .from(auditLog)
      .where(
        and(
          eq(auditLog.targetType, 'project'),
          eq(auditLog.targetId, projectId),
          inArray(auditLog.action, ['project.member_set', 'project.member_removed']),
        ),
      )
      .orderBy(desc(auditLog.id)),
  );
/** The project's item on the page (its `<li data-project>`). */
const itemOf = (html: string, id: string) => {
  const start = html.indexOf(`data-project="${id}"`);
  return html.slice(start, html.indexOf('</li>', start));
};

describe('project members in the console', () => {
  it('shows members with roles, escaped; the add form suggests accounts from one list on the page', async () => {
    const { cookie } = await operator();
    const project = await createProject();
    const alice = await createAccount('member', HOSTILE);
    const bob = await createAccount('member', 'Bob');
    await addMember(project.id, alice.id, 'manager');
    const empty = await createProject();
    const html = await page('/projects', cookie);
    expectEscaped(html);
    const item = itemOf(html, project.id);
    const row = item.slice(
      item.indexOf(`data-member="${alice.id}"`),
      item.indexOf('</tr>', item.indexOf(`data-member="${alice.id}"`)),
    );
    expect(row).toContain(alice.username);
    expect(row).toContain('<option value="manager" selected="">管理者</option>');
    expect(row).toContain(`action="/admin/projects/${project.id}/members/${alice.id}/remove"`);
    expect(item).toContain('成員 (1)');
    expect(item.slice(item.indexOf('class="add-member"'))).toContain(
      'name="username" type="text" list="account-choices"',
    );
    const choices = html.slice(html.indexOf('<datalist id="account-choices">'), html.indexOf('</datalist>'));
    expect(choices).toContain(`<option value="${bob.username}">Bob</option>`);
    expect(html.match(/<datalist/g)).toHaveLength(1);
    expect(itemOf(html, empty.id)).toContain('尚無成員。');
  });

  it('adds, changes the role, removes (twice is fine); each real change audited as the console operator', async () => {
    const op = await operator();
    const project = await createProject();
    const account = await createAccount();
    const path = `/projects/${project.id}/members`;

    // Added by username, whatever its case; the role form names the member by id.
    const added = await submit(path, op, { username: account.username.toUpperCase(), role: 'member' });
    expect(added.html).toContain('已加入成員。');
    expect(await membersOf(project.id)).toEqual([{ userId: account.id, role: 'member' }]);
    expect((await submit(path, op, { userId: String(account.id), role: 'manager' })).html).toContain(
      '已變更成員的角色。',
    );
    expect(await membersOf(project.id)).toEqual([{ userId: account.id, role: 'manager' }]);
    // The same role again changes nothing and records nothing.
    await submit(path, op, { userId: String(account.id), role: 'manager' });

    expect((await submit(`${path}/${account.id}/remove`, op)).html).toContain('已移除成員。');
    expect(await membersOf(project.id)).toEqual([]);
    await submit(`${path}/${account.id}/remove`, op);

    const trail = await auditOf(project.id);
    expect(trail.map((e) => [e.action, e.via, (e.details as { role?: string }).role ?? null])).toEqual([
      ['project.member_removed', 'console', null],
      ['project.member_set', 'console', 'manager'],
      ['project.member_set', 'console', 'member'],
    ]);
    for (const e of trail) {
      expect(e.operator).toMatch(/^token:/);
      expect((e.details as { userId: number }).userId).toBe(account.id);
    }
  });

  it('bad input: 400 (an unknown account says so), an unknown project 404; nothing changed', async () => {
    const op = await operator();
    const project = await createProject();
    const account = await createAccount();
    const post = (path: string, form: Record<string, string>) =>
      send('POST', path, { cookie: op.cookie, form: { _csrf: op.csrf, ...form } });
    const path = `/projects/${project.id}/members`;
    expect((await post(path, { userId: String(account.id), role: 'owner' })).status).toBe(400);
    expect((await post(path, { username: account.username, role: 'owner' })).status).toBe(400);
    expect((await post(path, { userId: String(account.id) })).status).toBe(400);
    expect((await post(path, { role: 'member' })).status).toBe(400);
    for (const username of ['', '   ', 'no.such.user', `${account.username}%`]) {
      const res = await post(path, { username, role: 'member' });
      expect(res.status, username).toBe(400);
      expect(await res.text()).toContain('沒有這個帳號');
    }
    expect((await post(path, { userId: '0', role: 'member' })).status).toBe(400);
    expect((await post(path, { userId: 'abc', role: 'member' })).status).toBe(400);
    const unknown = await post(path, { userId: '2147483647', role: 'member' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('沒有這個帳號');
    expect(
      (await post(`/projects/${crypto.randomUUID()}/members`, { userId: String(account.id), role: 'member' })).status,
    ).toBe(404);
    expect((await post('/projects/nope/members', { userId: String(account.id), role: 'member' })).status).toBe(404);
    expect((await post(`${path}/x/remove`, {})).status).toBe(400);
    expect((await post(`/projects/${crypto.randomUUID()}/members/${account.id}/remove`, {})).status).toBe(404);
    expect(await membersOf(project.id)).toEqual([]);
    expect(await auditOf(project.id)).toEqual([]);
  });

  it('forged posts are refused, changing nothing', async () => {
    const op = await operator();
    const project = await createProject();
    const member = await createAccount();
    const other = await createAccount();
    await addMember(project.id, member.id);
    const before = await membersOf(project.id);
    await expectForgedPostsRefused(op, [
      [`/projects/${project.id}/members`, { username: other.username, role: 'manager' }],
      [`/projects/${project.id}/members`, { userId: String(member.id), role: 'manager' }],
      [`/projects/${project.id}/members/${member.id}/remove`, {}],
    ]);
    expect(await membersOf(project.id)).toEqual(before);
  });

  it('the page speaks English when the browser prefers it', async () => {
    const { cookie } = await operator();
    const project = await createProject();
    await addMember(project.id, (await createAccount()).id);
    const item = itemOf(await page('/projects', cookie, 'en'), project.id);
    expect(item).toContain('Members (1)');
    expect(item).toContain('Add member');
  });
});
