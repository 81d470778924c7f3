/** The management API refuses bad input with 400 naming the field, unknown ids with 404, duplicates with 409. */
import { describe, expect, it } from 'vitest';
import { adminFetch, createAccount, createProject, expectJson } from './support/admin';
import { newId, postEvents, textEvent } from './support/line';

type FieldError = { in: string; path: string; message: string };
async function expect400(res: Response, field: { in: string; path: string }) {
  const body = await expectJson<{ error: { code: string; message: string; fields?: FieldError[] } }>(res, 400);
  expect(body.error.code).toBe('invalid_request');
  expect(body.error.fields, body.error.message).toEqual(expect.arrayContaining([expect.objectContaining(field)]));
  return body;
}

describe('400: which field and why', () => {
  it('POST /users', async () => {
    await expect400(await adminFetch('POST', '/users', { body: {} }), { in: 'body', path: 'username' });
    await expect400(await adminFetch('POST', '/users', { body: { username: 'has space' } }), { in: 'body', path: 'username' });
    await expect400(await adminFetch('POST', '/users', { body: { username: 'ok.name', role: 'owner' } }), { in: 'body', path: 'role' });
    await expect400(await adminFetch('POST', '/users', { body: { username: 'x'.repeat(101) } }), { in: 'body', path: 'username' });
  });

  it('a body that is not JSON', async () => {
    const res = await adminFetch('POST', '/users', { rawBody: '{"username":', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('POST /projects', async () => {
    await expect400(await adminFetch('POST', '/projects', { body: { name: '   ' } }), { in: 'body', path: 'name' });
    await expect400(await adminFetch('POST', '/projects', { body: { name: 42 } }), { in: 'body', path: 'name' });
  });

  it('path ids must be positive integers', async () => {
    await expect400(await adminFetch('POST', '/users/abc/binding-code'), { in: 'path', path: 'userId' });
    await expect400(await adminFetch('DELETE', '/line-users/-1/binding'), { in: 'path', path: 'id' });
    await expect400(await adminFetch('PATCH', '/groups/1.5', { body: { allowAiResponse: true } }), { in: 'path', path: 'id' });
    await expect400(await adminFetch('POST', '/events/0/retry'), { in: 'path', path: 'id' });
  });

  it('PATCH /groups/:id', async () => {
    await expect400(await adminFetch('PATCH', '/groups/1', { body: { projectId: 'not-a-uuid' } }), { in: 'body', path: 'projectId' });
    await expect400(await adminFetch('PATCH', '/groups/1', { body: { allowAiResponse: 'yes' } }), { in: 'body', path: 'allowAiResponse' });
    await expect400(await adminFetch('PATCH', '/groups/1', { body: {} }), { in: 'body', path: '(root)' });
    await expect400(await adminFetch('PATCH', '/groups/1', { body: { groupName: 'renamed' } }), { in: 'body', path: '(root)' });
  });

  it('list queries', async () => {
    await expect400(await adminFetch('GET', '/line-users?bound=maybe'), { in: 'query', path: 'bound' });
    await expect400(await adminFetch('GET', '/messages?limit=0'), { in: 'query', path: 'limit' });
    await expect400(await adminFetch('GET', '/messages?limit=1000'), { in: 'query', path: 'limit' });
    await expect400(await adminFetch('GET', '/files?fileType=pdf'), { in: 'query', path: 'fileType' });
    await expect400(await adminFetch('GET', '/events?status=lost'), { in: 'query', path: 'status' });
  });

  it('a cursor that did not come from a previous page', async () => {
    for (const before of ['nonsense', btoa('12:ab'), btoa('1:2:3')]) {
      const res = await adminFetch('GET', `/messages?before=${encodeURIComponent(before)}`);
      expect(res.status, before).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });
});

describe('404: unknown ids', () => {
  it.each([
    ['POST', '/users/99999999/binding-code', undefined],
    ['DELETE', '/line-users/99999999/binding', undefined],
    ['PATCH', '/groups/99999999', { allowAiResponse: true }],
    ['POST', '/events/99999999/retry', undefined],
  ])('%s %s', async (method, path, body) => {
    const res = await adminFetch(method, path, { body });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('a group patched with a project that does not exist', async () => {
    const groupId = newId.group();
    await postEvents([textEvent({ userId: newId.user(), groupId }, 'x')]);
    const groups = await expectJson(await adminFetch('GET', '/groups'), 200);
    const id = groups.items.find((g: { lineGroupId: string }) => g.lineGroupId === groupId).id;
    const res = await adminFetch('PATCH', `/groups/${id}`, { body: { projectId: crypto.randomUUID() } });
    expect(res.status).toBe(404);
    const after = await expectJson(await adminFetch('GET', '/groups'), 200);
    expect(after.items.find((g: { id: number }) => g.id === id).project).toBeNull();
  });

  it('an unknown admin path', async () => {
    const res = await adminFetch('GET', '/nothing-here');
    expect(res.status).toBe(404);
  });
});

describe('409: conflicts', () => {
  it('a username or project name that exists', async () => {
    const account = await createAccount();
    const dup = await adminFetch('POST', '/users', { body: { username: account.username } });
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ error: { code: 'conflict' } });
    const project = await createProject();
    expect((await adminFetch('POST', '/projects', { body: { name: project.name } })).status).toBe(409);
  });

  it('retrying an event that is not failed or dead', async () => {
    const ev = textEvent({ userId: newId.user() }, 'fine');
    await postEvents([ev]);
    const done = await expectJson(await adminFetch('GET', '/events?status=done&limit=200'), 200);
    const row = done.items.find((e: { webhookEventId: string }) => e.webhookEventId === ev.webhookEventId);
    const res = await adminFetch('POST', `/events/${row.id}/retry`);
    expect(res.status).toBe(409);
  });
});
