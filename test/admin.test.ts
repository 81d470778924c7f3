/**
 * The management API, happy paths: every route doing what the company system expects. Rows are
 * seeded directly (the webhook path has its own tests); every answer is checked against the
 * served OpenAPI document as well.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  contract,
  createAccount,
  createProject,
  issueCode,
  seedFile,
  seedGroup,
  seedInboxEvent,
  seedLineUser,
  seedMessage,
  type Contract,
} from './support/admin';

let api: Contract;
beforeAll(async () => {
  api = await contract();
});

/** The answer's JSON, which must have the given status (and match the document). */
async function call(method: string, path: string, status: number, body?: unknown) {
  const res = await api.call(method, path, { body });
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body;
}

/** All pages of a list, following nextCursor. */
async function allPages<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page: { items: T[]; nextCursor: string | null } = await call(
      'GET',
      cursor ? `${path}${sep}before=${cursor}` : path,
      200,
    );
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) return items;
  }
  throw new Error('more than 1000 pages');
}

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('accounts and projects', () => {
  it('creates and lists accounts', async () => {
    const created = await createAccount('admin', 'Ada');
    expect(created).toMatchObject({ displayName: 'Ada', role: 'admin' });
    expect(Object.keys(created).sort()).toEqual(['displayName', 'id', 'role', 'username']);
    const minimal = await call('POST', '/users', 201, { username: `min.${unique()}` });
    expect(minimal).toMatchObject({ role: 'member', displayName: null });
    const list = await call('GET', '/users', 200);
    expect(list.items).toEqual(expect.arrayContaining([created, minimal]));
  });

  it('creates and lists projects', async () => {
    const p = await createProject();
    expect(p.id).toMatch(UUID);
    const list = await call('GET', '/projects', 200);
    expect(list.items).toContainEqual(p);
  });

  it('issues a binding code (9 characters without look-alikes, shown in groups of three) valid for 10 minutes', async () => {
    const account = await createAccount();
    const before = Date.now();
    const { code, expiresAt } = await issueCode(account.id);
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}$/);
    const ttl = new Date(expiresAt).getTime() - before;
    expect(ttl).toBeGreaterThan(9.5 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000 + 1000);
  });
});

describe('LINE users', () => {
  it('lists with binding state, filters bound=true|false, pages with a cursor, and unbinds', async () => {
    const account = await createAccount('member', 'Bound Person');
    const bound = await seedLineUser({ userId: account.id, displayName: 'Bound' });
    const unbound = await seedLineUser({ displayName: 'Unbound' });

    const boundPage = await call('GET', '/line-users?bound=true&limit=200', 200);
    expect(boundPage.items.find((u: { id: string }) => u.id === bound.id)).toMatchObject({
      lineUserId: bound.lineUserId,
      bound: true,
      user: { id: account.id, displayName: 'Bound Person', role: 'member' },
    });
    expect(boundPage.items.every((u: { bound: boolean }) => u.bound)).toBe(true);
    const unboundPage = await call('GET', '/line-users?bound=false&limit=200', 200);
    expect(unboundPage.items.find((u: { id: string }) => u.id === unbound.id)).toMatchObject({
      bound: false,
      user: null,
    });
    expect(unboundPage.items.find((u: { id: string }) => u.id === bound.id)).toBeUndefined();

    // Every row once, newest first.
    const all = await allPages<{ id: string; createdAt: string }>('/line-users?limit=50');
    expect(new Set(all.map((u) => u.id)).size).toBe(all.length);
    expect(all.map((u) => u.id)).toEqual(expect.arrayContaining([bound.id, unbound.id]));
    const times = all.map((u) => Date.parse(u.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    expect(await call('DELETE', `/line-users/${bound.id}/binding`, 204)).toBeNull();
    const after = await call('GET', '/line-users?bound=true&limit=200', 200);
    expect(after.items.find((u: { id: string }) => u.id === bound.id)).toBeUndefined();
    // Unbinding is idempotent.
    await call('DELETE', `/line-users/${bound.id}/binding`, 204);
  });

  it('pages rows created in the same millisecond by their UUID', async () => {
    // A millisecond of 2001 no other test uses; start just above it (cursors are base64url of "ms:id").
    const at = Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e10);
    const seeded = await Promise.all([0, 1, 2].map(() => seedLineUser({ createdAt: new Date(at) })));
    let cursor = btoa(`${at + 1}:00000000-0000-0000-0000-000000000000`).replace(/=+$/, '');
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const page = await call('GET', `/line-users?limit=1&before=${cursor}`, 200);
      seen.push(page.items[0].id);
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(
      seeded
        .map((s) => s.id)
        .sort()
        .reverse(),
    );
  });
});

describe('groups', () => {
  it('lists groups and patches AI replies and the project', async () => {
    const group = await seedGroup({ name: 'Ops' });
    const list = await call('GET', '/groups', 200);
    expect(list.items.find((g: { id: string }) => g.id === group.id)).toMatchObject({
      lineGroupId: group.lineGroupId,
      name: 'Ops',
      sourceType: 'group',
      allowAiResponse: false,
      project: null,
    });

    const project = await createProject();
    const patched = await call('PATCH', `/groups/${group.id}`, 200, { allowAiResponse: true, projectId: project.id });
    expect(patched).toMatchObject({
      id: group.id,
      allowAiResponse: true,
      project: { id: project.id, name: project.name },
    });
    const cleared = await call('PATCH', `/groups/${group.id}`, 200, { projectId: null });
    expect(cleared).toMatchObject({ allowAiResponse: true, project: null });
    const inactive = await call('GET', '/groups?active=false', 200);
    expect(inactive.items.find((g: { id: string }) => g.id === group.id)).toBeUndefined();
  });
});

describe('messages and files', () => {
  it("lists a group's messages newest first, both directions, with cursor paging", async () => {
    const group = await seedGroup({ name: 'Team' });
    const user = await seedLineUser({ displayName: 'Amy' });
    const base = Date.now() - 60_000;
    const [m0, m1] = await Promise.all(
      [0, 1].map((i) =>
        seedMessage({
          lineGroupId: group.id,
          lineUserId: user.id,
          content: `m${i}`,
          sentAt: new Date(base + i * 1000),
        }),
      ),
    );
    const reply = await seedMessage({
      lineGroupId: group.id,
      content: 'bot says hi',
      isFromBot: true,
      sentAt: new Date(base + 2000),
    });

    const first = await call('GET', `/messages?groupId=${group.lineGroupId}&limit=2`, 200);
    expect(first.items.map((m: { content: string }) => m.content)).toEqual(['bot says hi', 'm1']);
    expect(first.items[0]).toMatchObject({
      id: reply.id,
      isFromBot: true,
      aiProcessed: false,
      fileId: null,
      lineUserId: null,
    });
    expect(first.items[1]).toEqual({
      id: m1!.id,
      messageId: m1!.messageId,
      messageType: 'text',
      sourceType: 'group',
      content: 'm1',
      isFromBot: false,
      sentByOperator: null,
      aiProcessed: false,
      fileId: null,
      lineUserId: user.lineUserId,
      senderName: 'Amy',
      lineGroupId: group.lineGroupId,
      groupName: 'Team',
      sentAt: new Date(base + 1000).toISOString(),
      unsentAt: null,
      editedAt: null,
    });
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await call('GET', `/messages?groupId=${group.lineGroupId}&limit=2&before=${first.nextCursor}`, 200);
    expect(second.items.map((m: { id: string }) => m.id)).toEqual([m0!.id]);
    expect(second.nextCursor).toBeNull();

    // Our UUIDs work as filters too, for the group and for the sender.
    expect((await call('GET', `/messages?groupId=${group.id}&limit=10`, 200)).items).toHaveLength(3);
    expect((await call('GET', `/messages?lineUserId=${user.lineUserId}`, 200)).items).toHaveLength(2);
    expect(
      (await call('GET', `/messages?lineUserId=${user.id.toUpperCase()}&groupId=${group.id}`, 200)).items,
    ).toHaveLength(2);
    // Anything else is compared with LINE's id as text: digits are never cast, odd values match nothing.
    for (const odd of ['1', '99999999999999999999', 'not-an-id', encodeURIComponent('Cé中')]) {
      expect((await call('GET', `/messages?groupId=${odd}`, 200)).items, odd).toEqual([]);
    }
  });

  it('lists files with their sync state and their message, linked both ways', async () => {
    const group = await seedGroup();
    const user = await seedLineUser();
    const chat = { lineGroupId: group.id, lineUserId: user.id };
    const image = await seedFile(chat, { fileType: 'image' });
    const doc = await seedFile(chat, {
      fileType: 'file',
      fileName: 'plan.pdf',
      fileSize: 2048,
      syncError: 'daily limit of 1 GiB per sender reached; copied after 00:00 Asia/Taipei',
    });
    const done = await seedFile(chat, {
      fileType: 'image',
      syncStatus: 'synced',
      nasPath: 'x.jpg',
      syncError: 'an old error',
    });

    const page = await call('GET', `/files?groupId=${group.lineGroupId}`, 200);
    expect(page.items.map((f: { id: string }) => f.id).sort()).toEqual(
      [image.file.id, doc.file.id, done.file.id].sort(),
    );
    // The reason a file waits is shown while it waits (or failed), not after it synced.
    expect(page.items.find((f: { id: string }) => f.id === done.file.id)).toMatchObject({
      syncStatus: 'synced',
      syncError: null,
    });
    expect(page.items.find((f: { id: string }) => f.id === doc.file.id)).toMatchObject({
      messageId: doc.message.id,
      lineMessageId: doc.message.messageId,
      fileType: 'file',
      fileName: 'plan.pdf',
      fileSize: 2048,
      nasPath: null,
      syncStatus: 'pending',
      syncError: 'daily limit of 1 GiB per sender reached; copied after 00:00 Asia/Taipei',
      lineUserId: user.lineUserId,
      lineGroupId: group.lineGroupId,
      sentAt: doc.message.sentAt.toISOString(),
    });
    const images = await call('GET', `/files?groupId=${group.id}&fileType=image&syncStatus=pending`, 200);
    expect(images.items.map((f: { messageId: string }) => f.messageId)).toEqual([image.message.id]);
    expect(
      (await call('GET', `/files?lineUserId=${user.id}&syncStatus=synced`, 200)).items.map((f: { id: string }) => f.id),
    ).toEqual([done.file.id]);

    const messages = await call('GET', `/messages?groupId=${group.id}`, 200);
    expect(messages.items.find((m: { id: string }) => m.id === doc.message.id)).toMatchObject({
      messageType: 'file',
      fileId: doc.file.id,
    });
  });
});

describe('inbox events', () => {
  it('lists failed events, pages them, and retries one', async () => {
    const eventType = `test.${unique()}`;
    const at = new Date();
    const rows = await Promise.all(
      [0, 1, 2].map(() =>
        seedInboxEvent({ eventType, status: 'failed', lastError: 'LINE answered 500', receivedAt: at }),
      ),
    );
    const ids = rows.map((r) => r.id).sort((a, b) => b - a);
    const all = await allPages<{ id: number }>(`/events?status=failed&eventType=${eventType}&limit=1`);
    expect(all.map((e) => e.id)).toEqual(ids);

    const row = rows[0]!;
    const failed = await call('GET', `/events?eventType=${eventType}&limit=200`, 200);
    expect(failed.items.find((e: { id: number }) => e.id === row.id)).toMatchObject({
      webhookEventId: row.webhookEventId,
      status: 'failed',
      attempts: 1,
      lastError: 'LINE answered 500',
      payload: row.payload,
    });

    expect(await call('POST', `/events/${row.id}/retry`, 202)).toEqual({
      id: row.id,
      status: 'processing',
      attempts: 2,
    });
    // A postback is kept in the inbox only: the retry marks it done at once.
    const done = await call('GET', `/events?status=done&eventType=${eventType}`, 200);
    expect(done.items).toEqual([expect.objectContaining({ id: row.id, status: 'done', attempts: 2 })]);
  });
});

describe('OpenAPI document', () => {
  it('describes every route (OpenAPI 3.1) with its security scheme', async () => {
    const doc = api.doc;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/ai-logs',
        '/ai-pauses',
        '/ai-usage',
        '/audit',
        '/bot-texts',
        '/bot-texts/{key}/{lang}',
        '/events',
        '/events/{id}/retry',
        '/files',
        '/groups',
        '/groups/{id}',
        '/groups/{id}/ai-pause',
        '/line-users',
        '/line-users/{id}/ai-pause',
        '/line-users/{id}/binding',
        '/messages',
        '/projects',
        '/projects/{id}',
        '/projects/{id}/members',
        '/projects/{id}/members/{userId}',
        '/push-quota',
        '/share-links',
        '/share-links/{id}',
        '/users',
        '/users/{userId}/binding-code',
      ].sort(),
    );
    expect(doc.components.securitySchemes.adminToken).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/groups/{id}']!.patch.responses['404']).toBeDefined();
    expect(doc.components.schemas.Error).toBeDefined();
  });
});
