/**
 * The management API's exact contract: the OpenAPI 3.1 document it serves is well formed, and real
 * answers of every operation, for every status the document lists (success and error, including the
 * 401, 413 and 415 envelopes), match it. A drift between the zod schemas and what a handler returns
 * fails here, and so does a documented answer no request can produce.
 */
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTH_LIMIT } from '../src/security/limiter';
import {
  adminFetch,
  contract,
  createAccount,
  createProject,
  operationsOf,
  seedAiAnswer,
  seedFile,
  seedGroup,
  seedInboxEvent,
  seedLineUser,
  seedMessage,
  type AdminFetchOptions,
  type Contract,
} from './support/admin';
import { bytesOf, seedShareLink } from './support/nas';
import { forgetAuthFailures, newClientIp } from './support/clients';
import { withDb } from './support/db';
import { recordAudit } from '../src/audit/record';

let api: Contract;
beforeAll(async () => {
  api = await contract();
});

const walk = (node: unknown, visit: (key: string, value: unknown, parent: Record<string, unknown>) => void) => {
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    visit(k, v, node as Record<string, unknown>);
    walk(v, visit);
  }
};
const refsIn = (node: unknown) => {
  const refs: string[] = [];
  walk(node, (k, v) => k === '$ref' && typeof v === 'string' && refs.push(v));
  return refs;
};

describe('the document', () => {
  it('is OpenAPI 3.1 and every operation has a unique operationId and the answers it can give', () => {
    const { doc } = api;
    expect(doc.openapi).toBe('3.1.0');
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThanOrEqual(13);
    const ids = ops.map((o) => o.op.operationId);
    expect(
      ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id)),
      ids.join(),
    ).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { method, template, op } of ops) {
      const statuses = Object.keys(op.responses);
      const where = `${method} ${template}`;
      expect(statuses, where).toContain('401');
      expect(statuses, where).toContain('429');
      expect(statuses, where).toContain('503');
      if (op.parameters?.length || op.requestBody) expect(statuses, where).toContain('400');
      if (op.parameters?.some((p: { in: string }) => p.in === 'path')) expect(statuses, where).toContain('404');
      if (method !== 'GET') expect(statuses, where).toContain('413');
      if (op.requestBody) {
        expect(statuses, where).toContain('415');
        expect(Object.keys(op.requestBody.content), where).toEqual(['application/json']);
      }
      for (const [status, response] of Object.entries<any>(op.responses)) {
        if (status === '204') {
          expect(response.content, where).toBeUndefined();
          continue;
        }
        expect(Object.keys(response.content), `${where} ${status}`).toEqual(['application/json']);
        if (Number(status) >= 400)
          expect(response.content['application/json'].schema, `${where} ${status}`).toEqual({
            $ref: '#/components/schemas/Error',
          });
      }
    }
  });

  it('has no 3.0 leftovers: nullables are type lists or anyOf with null, never `nullable` or allOf over a $ref', () => {
    walk(api.doc, (key, value) => {
      expect(key).not.toBe('nullable');
      if (key === 'allOf') expect(refsIn(value)).toEqual([]);
    });
    const lineUser = api.doc.components.schemas.LineUser;
    expect(lineUser.properties.user).toEqual({ anyOf: [{ $ref: '#/components/schemas/User' }, { type: 'null' }] });
    expect(api.doc.components.schemas.Group.properties.project).toEqual({
      anyOf: [{ $ref: '#/components/schemas/Project' }, { type: 'null' }],
    });
  });

  it('resolves every $ref, and every component schema is reachable from an operation', () => {
    const { doc } = api;
    const schemas = doc.components.schemas;
    const reachable = new Set<string>();
    const visit = (ref: string) => {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      const name = ref.slice('#/components/schemas/'.length);
      expect(schemas[name], ref).toBeDefined();
      if (reachable.has(name)) return;
      reachable.add(name);
      refsIn(schemas[name]).forEach(visit);
    };
    refsIn(doc.paths).forEach(visit);
    expect([...reachable].sort()).toEqual(Object.keys(schemas).sort());
  });
});

describe('real answers match the document', () => {
  /** Every (operationId, status) a real answer had: at the end, every documented one must be here. */
  const seen = new Set<string>();
  const call = async (method: string, path: string, status: number, options?: AdminFetchOptions) => {
    const res = await api.call(method, path, options);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
    if (res.operation) seen.add(`${res.operation} ${status}`);
    return res.body;
  };
  const noToken = { token: null } as const;
  const big = {
    rawBody: JSON.stringify({ pad: 'x'.repeat(65 * 1024) }),
    headers: { 'content-type': 'application/json' },
  };
  const textBody = { rawBody: 'hello', headers: { 'content-type': 'text/plain' } };
  const unknownUuid = () => crypto.randomUUID();
  const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

  it('accounts', async () => {
    const account = await call('POST', '/users', 201, {
      body: { username: `Contract.${unique()}`, displayName: 'C', role: 'admin' },
    });
    await call('POST', '/users', 201, { body: { username: `contract.${unique()}` } });
    await call('POST', '/users', 400, { body: { username: '' } });
    await call('POST', '/users', 401, { ...noToken, body: { username: 'x' } });
    await call('POST', '/users', 409, { body: { username: account.username.toLowerCase() } });
    await call('POST', '/users', 413, big);
    await call('POST', '/users', 415, textBody);
    const list = await call('GET', '/users', 200);
    expect(list.items).toContainEqual(account);
    await call('GET', '/users', 401, noToken);

    await call('POST', `/users/${account.id}/binding-code`, 201);
    await call('POST', '/users/0/binding-code', 400);
    await call('POST', `/users/${account.id}/binding-code`, 401, noToken);
    await call('POST', '/users/2147483647/binding-code', 404);
    await call('POST', `/users/${account.id}/binding-code`, 413, big);
  });

  it('projects', async () => {
    const project = await call('POST', '/projects', 201, { body: { name: `Contract ${unique()}` } });
    await call('POST', '/projects', 400, { body: { name: '' } });
    await call('POST', '/projects', 401, { ...noToken, body: { name: 'x' } });
    await call('POST', '/projects', 409, { body: { name: project.name } });
    await call('POST', '/projects', 413, big);
    await call('POST', '/projects', 415, textBody);
    await call('GET', '/projects', 200);
    await call('GET', '/projects', 401, noToken);

    const other = await createProject();
    await call('PATCH', `/projects/${project.id}`, 200, { body: { aiInstructions: 'Quote the contract number.' } });
    await call('PATCH', `/projects/${project.id}`, 200, {
      body: { name: `Renamed ${unique()}`, aiInstructions: null },
    });
    await call('PATCH', `/projects/${project.id}`, 400, { body: {} });
    await call('PATCH', `/projects/${project.id}`, 401, { ...noToken, body: { name: 'x' } });
    await call('PATCH', `/projects/${unknownUuid()}`, 404, { body: { name: `Nowhere ${unique()}` } });
    await call('PATCH', `/projects/${project.id}`, 409, { body: { name: other.name } });
    await call('PATCH', `/projects/${project.id}`, 413, big);
    await call('PATCH', `/projects/${project.id}`, 415, textBody);
  });

  it('project members', async () => {
    const project = await createProject();
    const account = await createAccount('member', 'Member C');
    const path = `/projects/${project.id}/members/${account.id}`;
    expect(await call('GET', `/projects/${project.id}/members`, 200)).toEqual({ items: [] });
    const added = await call('PUT', path, 201, { body: { role: 'member' } });
    expect(added).toMatchObject({
      userId: account.id,
      username: account.username,
      displayName: 'Member C',
      accountRole: 'member',
      role: 'member',
    });
    expect(await call('PUT', path, 200, { body: { role: 'manager' } })).toMatchObject({ role: 'manager' });
    expect((await call('GET', `/projects/${project.id}/members`, 200)).items).toEqual([
      expect.objectContaining({ userId: account.id, role: 'manager' }),
    ]);
    await call('GET', '/projects/not-a-uuid/members', 400);
    await call('GET', `/projects/${project.id}/members`, 401, noToken);
    await call('GET', `/projects/${unknownUuid()}/members`, 404);

    await call('PUT', path, 400, { body: { role: 'owner' } });
    await call('PUT', `/projects/${project.id}/members/0`, 400, { body: { role: 'member' } });
    await call('PUT', path, 401, { ...noToken, body: { role: 'member' } });
    await call('PUT', `/projects/${unknownUuid()}/members/${account.id}`, 404, { body: { role: 'member' } });
    await call('PUT', `/projects/${project.id}/members/2147483647`, 404, { body: { role: 'member' } });
    await call('PUT', path, 413, big);
    await call('PUT', path, 415, textBody);

    await call('DELETE', path, 204);
    await call('DELETE', path, 204); // already gone
    await call('DELETE', `/projects/${project.id}/members/x`, 400);
    await call('DELETE', path, 401, noToken);
    await call('DELETE', `/projects/${unknownUuid()}/members/${account.id}`, 404);
    await call('DELETE', path, 413, big);
    expect(await call('GET', `/projects/${project.id}/members`, 200)).toEqual({ items: [] });
  });

  it('LINE users', async () => {
    const account = await createAccount();
    // Rows in milliseconds of 2002 no other test uses, read from a cursor just above it.
    const at = Date.UTC(2002, 0, 1) + Math.floor(Math.random() * 1e10);
    const fields = { displayName: 'Bound', pictureUrl: 'https://x.example/p.png', language: 'en', isFriend: true };
    const bound = await seedLineUser({ ...fields, userId: account.id, createdAt: new Date(at) });
    await seedLineUser({ createdAt: new Date(at - 1) });
    await seedLineUser({ createdAt: new Date(at - 2) });
    const page = await call(
      'GET',
      `/line-users?limit=2&before=${btoa(`${at + 1}:${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`)}`,
      200,
    );
    expect(page.items.map((u: { user: unknown }) => u.user === null)).toEqual([false, true]);
    await call('GET', `/line-users?limit=2&before=${page.nextCursor}`, 200);
    await call('GET', '/line-users?bound=yes', 400);
    await call('GET', '/line-users', 401, noToken);

    await call('DELETE', `/line-users/${bound.id}/binding`, 204);
    await call('DELETE', '/line-users/1/binding', 400);
    await call('DELETE', `/line-users/${bound.id}/binding`, 401, noToken);
    await call('DELETE', `/line-users/${unknownUuid()}/binding`, 404);
    await call('DELETE', `/line-users/${bound.id}/binding`, 413, big);
  });

  it('groups', async () => {
    const project = await createProject();
    const group = await seedGroup({
      name: 'Contract',
      pictureUrl: 'https://x.example/g.png',
      memberCount: 3,
      projectId: project.id,
      leftAt: new Date(),
    });
    await seedGroup({ sourceType: 'room', name: null, memberCount: null, joinedAt: null });
    const list = await call('GET', '/groups', 200);
    expect(list.items.find((g: { id: string }) => g.id === group.id).project).toEqual(project);
    await call('GET', '/groups?active=no', 400);
    await call('GET', '/groups', 401, noToken);

    await call('PATCH', `/groups/${group.id}`, 200, { body: { allowAiResponse: true } });
    await call('PATCH', `/groups/${group.id}`, 200, { body: { projectId: null } });
    await call('PATCH', `/groups/${group.id}`, 200, {
      body: { aiInstructions: 'Site visits are on Fridays.', projectId: project.id },
    });
    await call('PATCH', `/groups/${group.id}`, 200, { body: { aiInstructions: null } });
    await call('PATCH', `/groups/${group.id}`, 400, { body: { projectId: 5 } });
    await call('PATCH', `/groups/${group.id}`, 401, { ...noToken, body: { allowAiResponse: true } });
    await call('PATCH', `/groups/${unknownUuid()}`, 404, { body: { allowAiResponse: true } });
    await call('PATCH', `/groups/${group.id}`, 413, big);
    await call('PATCH', `/groups/${group.id}`, 415, textBody);
  });

  it('messages and files', async () => {
    const group = await seedGroup({ name: 'Files' });
    const user = await seedLineUser({ displayName: 'Sender' });
    await seedMessage({
      lineGroupId: group.id,
      lineUserId: user.id,
      content: 'hi',
      unsentAt: new Date(),
      editedAt: new Date(),
    });
    await seedMessage({ lineGroupId: group.id, isFromBot: true, aiProcessed: true, content: 'answer' });
    await seedFile(
      { lineGroupId: group.id, lineUserId: user.id },
      {
        fileType: 'video',
        fileName: 'clip.mp4',
        fileSize: 10,
        mimeType: 'video/mp4',
        duration: 1200,
        nasPath: 'a/b.mp4',
        syncStatus: 'synced',
      },
    );
    await seedFile({ lineUserId: user.id }, { fileType: 'audio' });

    const messages = await call('GET', `/messages?groupId=${group.id}`, 200);
    expect(messages.items).toHaveLength(3);
    await call('GET', `/messages?lineUserId=${user.lineUserId}&limit=1`, 200);
    await call('GET', '/messages?limit=0', 400);
    await call('GET', '/messages', 401, noToken);

    const files = await call('GET', `/files?lineUserId=${user.id}`, 200);
    expect(files.items).toHaveLength(2);
    await call('GET', '/files?syncStatus=lost', 400);
    await call('GET', '/files', 401, noToken);
  });

  it('AI logs and usage', async () => {
    // Rows on days of 2003 no other test uses, so the usage of that range is these rows alone.
    const day = Date.UTC(2003, 0, 1) + Math.floor(Math.random() * 360) * 86_400_000;
    const group = await seedGroup({ name: 'AI', sourceType: 'room' });
    const user = await seedLineUser({ displayName: 'Asker' });
    await seedAiAnswer({
      lineUserId: user.id,
      lineGroupId: group.id,
      question: '問'.repeat(600),
      status: 'answered',
      outcome: 'answered',
      model: 'claude-sonnet-4-5',
      inputTokens: 1200,
      outputTokens: 80,
      cacheCreationInputTokens: 900,
      cacheReadInputTokens: 300,
      latencyMs: 2100,
      stopReason: 'end_turn',
      toolCalls: [{ name: 'search_chat_history', input: { keywords: 'x' }, ok: true }],
      requestIds: ['req_1', 'req_2'],
      sentBy: 'reply',
      error: null,
      restarts: 1,
      createdAt: new Date(day),
      finishedAt: new Date(day + 2500),
    });
    await seedAiAnswer({ lineUserId: user.id, createdAt: new Date(day + 1) });
    const logs = await call('GET', `/ai-logs?lineUserId=${user.lineUserId}&limit=1`, 200);
    await call('GET', `/ai-logs?lineUserId=${user.id}&before=${logs.nextCursor}`, 200);
    await call('GET', `/ai-logs?groupId=${group.lineGroupId}`, 200);
    await call('GET', '/ai-logs?limit=0', 400);
    await call('GET', '/ai-logs', 401, noToken);

    const date = new Date(day).toISOString().slice(0, 10);
    const usage = await call('GET', `/ai-usage?from=${date}&to=${date}`, 200);
    expect(usage.chats.map((c: { chatType: string }) => c.chatType).sort()).toEqual(['room', 'user']);
    await call('GET', '/ai-usage', 200);
    await call('GET', '/ai-usage?from=2003-02-30', 400);
    await call('GET', '/ai-usage', 401, noToken);
  });

  it('inbox events', async () => {
    const eventType = `contract.${unique()}`;
    const failed = await seedInboxEvent({
      eventType,
      status: 'failed',
      lastError: 'x',
      nextAttemptAt: new Date(),
      processedAt: new Date(),
    });
    const done = await seedInboxEvent({ eventType, status: 'done', sourceType: 'group' });
    await call('GET', `/events?eventType=${eventType}`, 200);
    await call('GET', '/events?status=lost', 400);
    await call('GET', '/events', 401, noToken);

    await call('POST', `/events/${failed.id}/retry`, 202);
    await call('POST', '/events/0/retry', 400);
    await call('POST', `/events/${failed.id}/retry`, 401, noToken);
    await call('POST', '/events/9007199254740991/retry', 404);
    await call('POST', `/events/${done.id}/retry`, 409);
    await call('POST', `/events/${done.id}/retry`, 413, big);
  });

  it('share links', async () => {
    const file = { name: '合約.pdf', contentType: 'application/pdf', bytes: bytesOf(10) };
    const { link, request } = await seedShareLink(file);
    await seedShareLink(file, { revokedAt: new Date(), lastDownloadedAt: new Date(), downloadCount: 3 });
    const list = await call('GET', `/share-links?lineUserId=${request.lineUserId}&state=active&limit=1`, 200);
    expect(list.items.map((l: { id: string }) => l.id)).toEqual([link.id]);
    await call('GET', '/share-links?state=revoked', 200);
    await call('GET', '/share-links?state=lost', 400);
    await call('GET', '/share-links', 401, noToken);

    await call('DELETE', `/share-links/${link.id}`, 200);
    await call('DELETE', '/share-links/1', 400);
    await call('DELETE', `/share-links/${link.id}`, 401, noToken);
    await call('DELETE', `/share-links/${unknownUuid()}`, 404);
    await call('DELETE', `/share-links/${link.id}`, 413, big);
  });

  it('audit trail', async () => {
    const account = await createAccount();
    const group = await seedGroup();
    await withDb((db) =>
      recordAudit(db, {
        action: 'nas.search',
        via: 'chat',
        actorUserId: account.id,
        lineGroupId: group.id,
        details: { keywords: ['合約'], results: 3 },
      }),
    );
    const list = await call(
      'GET',
      `/audit?userId=${account.id}&groupId=${group.lineGroupId}&action=nas.search&limit=1`,
      200,
    );
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({
      action: 'nas.search',
      via: 'chat',
      userId: account.id,
      lineGroupId: group.lineGroupId,
    });
    await call('GET', '/audit?action=nas.nope', 400);
    await call('GET', '/audit', 401, noToken);
  });

  it('bot texts', async () => {
    // welcome.join in English: the bot greets groups in zh-TW, so no other test hears this text.
    const path = '/bot-texts/welcome.join/en';
    const list = await call('GET', '/bot-texts', 200);
    expect(list.items.map((t: { key: string; lang: string }) => `${t.key}/${t.lang}`)).toEqual([
      'welcome.follow/zh-TW',
      'welcome.follow/en',
      'welcome.join/zh-TW',
      'welcome.join/en',
      'ai.paused/zh-TW',
      'ai.paused/en',
    ]);
    await call('GET', '/bot-texts', 401, noToken);

    const set = await call('PUT', path, 200, { body: { text: 'Hello, team! 👋' } });
    expect(set).toMatchObject({ key: 'welcome.join', lang: 'en', text: 'Hello, team! 👋', overridden: true });
    expect(set.defaultText).not.toBe(set.text);
    await call('PUT', path, 200, { body: { text: 'x'.repeat(5000) } });
    await call('PUT', path, 400, { body: { text: 'x'.repeat(5001) } });
    await call('PUT', path, 400, { body: { text: '  \n ' } });
    await call('PUT', '/bot-texts/welcome.join/ja', 400, { body: { text: 'こんにちは' } });
    await call('PUT', path, 401, { ...noToken, body: { text: 'x' } });
    await call('PUT', '/bot-texts/welcome.nope/en', 404, { body: { text: 'x' } });
    await call('PUT', path, 413, big);
    await call('PUT', path, 415, textBody);

    await call('DELETE', path, 204);
    await call('DELETE', path, 204); // already the default
    await call('DELETE', '/bot-texts/welcome.join/xx', 400);
    await call('DELETE', path, 401, noToken);
    await call('DELETE', '/bot-texts/nope/en', 404);
    await call('DELETE', path, 413, big);
    const after = (await call('GET', '/bot-texts', 200)).items.find(
      (t: { key: string; lang: string }) => t.key === 'welcome.join' && t.lang === 'en',
    );
    expect(after).toMatchObject({ overridden: false, updatedAt: null, updatedBy: null });
    expect(after.text).toBe(after.defaultText);
  });

  it('AI pauses', async () => {
    const group = await seedGroup();
    const user = await seedLineUser();
    for (const [chat, id, field] of [
      ['groups', group.id, 'groupId'],
      ['line-users', user.id, 'lineUserId'],
    ] as const) {
      const path = `/${chat}/${id}/ai-pause`;
      const paused = await call('PUT', path, 200, { body: { hours: 4 } });
      expect(paused).toMatchObject({ [field]: id, pausedBy: 'api', noticeSentAt: null });
      expect(paused.pausedUntil).not.toBeNull();
      expect((await call('PUT', path, 200, { body: { hours: null } })).pausedUntil).toBeNull();
      await call('PUT', path, 400, { body: { hours: 0 } });
      await call('PUT', path, 400, { body: { hours: 1.5 } });
      await call('PUT', path, 400, { body: { hours: 721 } });
      await call('PUT', path, 400, { body: {} });
      await call('PUT', path, 400, { body: { hours: 1, until: 'later' } });
      await call('PUT', `/${chat}/not-a-uuid/ai-pause`, 400, { body: { hours: 1 } });
      await call('PUT', path, 401, { ...noToken, body: { hours: 1 } });
      await call('PUT', `/${chat}/${unknownUuid()}/ai-pause`, 404, { body: { hours: 1 } });
      await call('PUT', path, 413, big);
      await call('PUT', path, 415, textBody);
      const listed = await call('GET', '/ai-pauses', 200);
      expect(listed.items).toContainEqual(expect.objectContaining({ [field]: id }));
      await call('DELETE', path, 204);
      await call('DELETE', path, 204); // not paused any more
      await call('DELETE', `/${chat}/not-a-uuid/ai-pause`, 400);
      await call('DELETE', `/${chat}/${unknownUuid()}/ai-pause`, 404);
      await call('DELETE', path, 401, noToken);
      await call('DELETE', path, 413, big);
    }
    await call('GET', '/ai-pauses', 401, noToken);
  });

  it('the push quota', async () => {
    const quota = await call('GET', '/push-quota', 200);
    expect(quota.month).toMatch(/^\d{4}-\d\d$/);
    await call('GET', '/push-quota', 401, noToken);
  });

  it('paths that are no operation answer the Error envelope', async () => {
    await call('GET', '/nope', 404);
    await call('GET', '/nope', 401, noToken);
  });

  it('every operation: 429 once the client is limited, 503 while the token is too short', async () => {
    const ip = newClientIp();
    await withDb((db) =>
      db.execute(
        sql`INSERT INTO auth_failures (surface, client) SELECT 'admin', ${ip} FROM generate_series(1, ${AUTH_LIMIT.perClient}::int)`,
      ),
    );
    const short = env.ADMIN_API_TOKEN.slice(0, 31);
    try {
      for (const { method, template } of operationsOf(api.doc)) {
        const path = template.replace(/\{[^}]+\}/g, '1');
        const limited = await adminFetch(method, path, { headers: { 'cf-connecting-ip': ip } });
        expect(limited.status, `${method} ${path}`).toBe(429);
        expect(Number(limited.headers.get('retry-after')), `${method} ${path}`).toBeGreaterThan(0);
        await call(method, path, 429, { headers: { 'cf-connecting-ip': ip } });
        await call(method, path, 503, { token: short, env: { ADMIN_API_TOKEN: short } });
      }
    } finally {
      await forgetAuthFailures([ip]);
    }
  });

  // Runs last (tests in a file run in order): every documented answer was produced above.
  it('every documented answer is reachable', () => {
    const documented = operationsOf(api.doc).flatMap(({ op }) =>
      Object.keys(op.responses).map((s) => `${op.operationId} ${s}`),
    );
    expect(
      documented.filter((d) => !seen.has(d)),
      'documented answers no test produced',
    ).toEqual([]);
  });
});

describe('the check itself', () => {
  const fake = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const group = {
    id: crypto.randomUUID(),
    lineGroupId: 'C1',
    sourceType: 'group',
    name: null,
    pictureUrl: null,
    memberCount: null,
    isActive: true,
    allowAiResponse: false,
    aiInstructions: null,
    project: null,
    joinedAt: null,
    leftAt: null,
  };

  it('accepts what the document says', async () => {
    await expect(api.check('GET', '/groups', fake({ items: [group] }))).resolves.toMatchObject({ status: 200 });
  });

  it.each([
    ['a field the document does not have', { items: [{ ...group, groupName: null }] }, 200],
    ['a missing field', { items: [{ ...group, name: undefined }] }, 200],
    ['a wrong type', { items: [{ ...group, id: 7 }] }, 200],
    ['a nested object of the wrong shape', { items: [{ ...group, project: { id: 'p' } }] }, 200],
    ['an undocumented status', { items: [] }, 418],
    ['an error without the envelope', { message: 'no' }, 400],
  ])('refuses %s', async (_name, body, status) => {
    await expect(api.check('GET', '/groups', fake(body, status))).rejects.toThrow();
  });
});
