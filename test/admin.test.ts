/** The management API, happy paths: every route doing what the company system expects. */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lineGroups, lineUsers } from '../src/db/schema';
import { adminFetch, createAccount, createProject, expectJson, issueCode } from './support/admin';
import { withDb } from './support/db';
import { addFault } from './support/emulator';
import { messageEvent, newId, postEvents, textEvent } from './support/line';

const pkOfLineUser = async (lineUserId: string) =>
  (await withDb((db) => db.select({ id: lineUsers.id }).from(lineUsers).where(eq(lineUsers.lineUserId, lineUserId))))[0]!.id;
const pkOfGroup = async (lineGroupId: string) =>
  (await withDb((db) => db.select({ id: lineGroups.id }).from(lineGroups).where(eq(lineGroups.lineGroupId, lineGroupId))))[0]!.id;

describe('accounts and projects', () => {
  it('creates and lists accounts', async () => {
    const created = await createAccount('admin', 'Ada');
    expect(created).toMatchObject({ displayName: 'Ada', role: 'admin' });
    expect(Object.keys(created).sort()).toEqual(['displayName', 'id', 'role', 'username']);
    const minimal = await expectJson(await adminFetch('POST', '/users', { body: { username: `min.${Date.now()}` } }), 201);
    expect(minimal).toMatchObject({ role: 'member', displayName: null });
    const list = await expectJson(await adminFetch('GET', '/users'), 200);
    expect(list.items).toEqual(expect.arrayContaining([created, minimal]));
  });

  it('creates and lists projects', async () => {
    const p = await createProject();
    expect(p.id).toMatch(/^[0-9a-f-]{36}$/);
    const list = await expectJson(await adminFetch('GET', '/projects'), 200);
    expect(list.items).toContainEqual(p);
  });

  it('issues a 6-digit binding code valid for 10 minutes', async () => {
    const account = await createAccount();
    const before = Date.now();
    const { code, expiresAt } = await issueCode(account.id);
    expect(code).toMatch(/^\d{6}$/);
    const ttl = new Date(expiresAt).getTime() - before;
    expect(ttl).toBeGreaterThan(9.5 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000 + 1000);
  });
});

describe('LINE users', () => {
  it('lists with binding state, filters bound=true|false, pages with a cursor, and unbinds', async () => {
    const account = await createAccount('member', 'Bound Person');
    const bound = newId.user();
    const unbound = newId.user();
    const { code } = await issueCode(account.id);
    await postEvents([textEvent({ userId: bound }, code)]);
    await postEvents([textEvent({ userId: unbound }, 'hi')]);

    const boundPage = await expectJson(await adminFetch('GET', '/line-users?bound=true&limit=200'), 200);
    const b = boundPage.items.find((u: { lineUserId: string }) => u.lineUserId === bound);
    expect(b).toMatchObject({ bound: true, user: { id: account.id, displayName: 'Bound Person', role: 'member' } });
    expect(boundPage.items.every((u: { bound: boolean }) => u.bound)).toBe(true);
    const unboundPage = await expectJson(await adminFetch('GET', '/line-users?bound=false&limit=200'), 200);
    expect(unboundPage.items.find((u: { lineUserId: string }) => u.lineUserId === unbound)).toMatchObject({ bound: false, user: null });
    expect(unboundPage.items.find((u: { lineUserId: string }) => u.lineUserId === bound)).toBeUndefined();

    // Walk all pages of size 2: no repeats, newest first.
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 500; i++) {
      const q: string = cursor ? `&before=${encodeURIComponent(cursor)}` : '';
      const pageOf: { items: Array<{ id: number }>; nextCursor: string | null } = await expectJson(await adminFetch('GET', `/line-users?limit=2${q}`), 200);
      seen.push(...pageOf.items.map((u) => u.id));
      cursor = pageOf.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(await pkOfLineUser(bound));

    expect((await adminFetch('DELETE', `/line-users/${await pkOfLineUser(bound)}/binding`)).status).toBe(204);
    const after = await expectJson(await adminFetch('GET', '/line-users?bound=true&limit=200'), 200);
    expect(after.items.find((u: { lineUserId: string }) => u.lineUserId === bound)).toBeUndefined();
  });
});

describe('groups', () => {
  it('lists groups and patches AI replies and the project', async () => {
    const groupId = newId.group();
    await postEvents([textEvent({ userId: newId.user(), groupId }, 'hello group')]);
    const id = await pkOfGroup(groupId);
    const list = await expectJson(await adminFetch('GET', '/groups'), 200);
    expect(list.items.find((g: { id: number }) => g.id === id)).toMatchObject({ lineGroupId: groupId, allowAiResponse: false, project: null });

    const project = await createProject();
    const patched = await expectJson(await adminFetch('PATCH', `/groups/${id}`, { body: { allowAiResponse: true, projectId: project.id } }), 200);
    expect(patched).toMatchObject({ id, allowAiResponse: true, project: { id: project.id, name: project.name } });
    const cleared = await expectJson(await adminFetch('PATCH', `/groups/${id}`, { body: { projectId: null } }), 200);
    expect(cleared).toMatchObject({ allowAiResponse: true, project: null });
  });
});

describe('messages and files', () => {
  it('lists a group\'s messages newest first with cursor paging, by LINE id or numeric id', async () => {
    const groupId = newId.group();
    const userId = newId.user();
    const base = Date.now() - 60_000;
    const events = [0, 1, 2].map((i) => ({ ...textEvent({ userId, groupId }, `m${i}`), timestamp: base + i * 1000 }));
    await postEvents(events);

    const first = await expectJson(await adminFetch('GET', `/messages?groupId=${groupId}&limit=2`), 200);
    expect(first.items.map((m: { content: string }) => m.content)).toEqual(['m2', 'm1']);
    expect(first.items[0]).toMatchObject({ lineGroupId: groupId, lineUserId: userId, messageType: 'text', sourceType: 'group' });
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await expectJson(await adminFetch('GET', `/messages?groupId=${groupId}&limit=2&before=${first.nextCursor}`), 200);
    expect(second.items.map((m: { content: string }) => m.content)).toEqual(['m0']);
    expect(second.nextCursor).toBeNull();

    const byPk = await expectJson(await adminFetch('GET', `/messages?groupId=${await pkOfGroup(groupId)}&limit=10`), 200);
    expect(byPk.items).toHaveLength(3);
    const byUser = await expectJson(await adminFetch('GET', `/messages?lineUserId=${userId}`), 200);
    expect(byUser.items).toHaveLength(3);
  });

  it('lists files with their sync state', async () => {
    const groupId = newId.group();
    const src = { userId: newId.user(), groupId };
    const image = messageEvent(src, { type: 'image', contentProvider: { type: 'line' } });
    const file = messageEvent(src, { type: 'file', fileName: 'plan.pdf', fileSize: 2048 });
    await postEvents([image, file]);
    const page = await expectJson(await adminFetch('GET', `/files?groupId=${groupId}`), 200);
    expect(page.items).toHaveLength(2);
    expect(page.items.find((f: { fileType: string }) => f.fileType === 'file')).toMatchObject({
      fileName: 'plan.pdf',
      fileSize: 2048,
      nasPath: null,
      syncStatus: 'pending',
      lineGroupId: groupId,
    });
    const images = await expectJson(await adminFetch('GET', `/files?groupId=${groupId}&fileType=image`), 200);
    expect(images.items.map((f: { messageId: string }) => f.messageId)).toEqual([image.message.id]);
  });
});

describe('inbox events', () => {
  it('lists failed events and retries one', async () => {
    const userId = newId.user();
    await addFault({ path: `/v2/bot/profile/${userId}`, status: 500, times: 3 });
    const ev = textEvent({ userId }, 'retry me');
    await postEvents([ev]);
    const failed = await expectJson(await adminFetch('GET', '/events?status=failed&limit=200'), 200);
    const row = failed.items.find((e: { webhookEventId: string }) => e.webhookEventId === ev.webhookEventId);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, eventType: 'message' });
    expect(row.lastError).toContain('500');
    expect(row.payload).toEqual(ev);

    const retry = await expectJson(await adminFetch('POST', `/events/${row.id}/retry`), 202);
    expect(retry).toEqual({ id: row.id, status: 'processing', attempts: 2 });
    const done = await expectJson(await adminFetch('GET', '/events?status=done&eventType=message&limit=200'), 200);
    expect(done.items.find((e: { id: number }) => e.id === row.id)).toMatchObject({ status: 'done', attempts: 2 });
  });
});

describe('OpenAPI document', () => {
  it('describes every route with its security scheme', async () => {
    const doc = await expectJson(await adminFetch('GET', '/openapi.json'), 200);
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/events',
        '/events/{id}/retry',
        '/files',
        '/groups',
        '/groups/{id}',
        '/line-users',
        '/line-users/{id}/binding',
        '/messages',
        '/projects',
        '/users',
        '/users/{userId}/binding-code',
      ].sort(),
    );
    expect(doc.components.securitySchemes.adminToken).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/groups/{id}'].patch.responses['404']).toBeDefined();
    expect(doc.components.schemas.Error).toBeDefined();
  });
});
