/**
 * The management API refuses bad input with 400 naming the field, unknown ids with 404, duplicates
 * with 409, oversize bodies with 413 and non-JSON bodies with 415: never a 500. Every answer is
 * also checked against the served OpenAPI document.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  contract,
  createAccount,
  createProject,
  seedGroup,
  seedInboxEvent,
  type AdminFetchOptions,
  type Contract,
} from './support/admin';

type FieldError = { in: string; path: string; message: string };
let api: Contract;
beforeAll(async () => {
  api = await contract();
});

async function expectError(method: string, path: string, status: number, code: string, options?: AdminFetchOptions) {
  const res = await api.call(method, path, options);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
  expect(res.body.error.code).toBe(code);
  return res.body as { error: { code: string; message: string; fields?: FieldError[] } };
}

async function expect400(
  method: string,
  path: string,
  field: { in: string; path: string },
  options?: AdminFetchOptions,
) {
  const body = await expectError(method, path, 400, 'invalid_request', options);
  expect(body.error.fields, body.error.message).toEqual(expect.arrayContaining([expect.objectContaining(field)]));
  return body;
}

const uuid = () => crypto.randomUUID();
const b64url = (text: string) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

describe('400: which field and why', () => {
  it('POST /users', async () => {
    await expect400('POST', '/users', { in: 'body', path: 'username' }, { body: {} });
    await expect400('POST', '/users', { in: 'body', path: 'username' }, { body: { username: 'has space' } });
    await expect400('POST', '/users', { in: 'body', path: 'username' }, { body: { username: 'nul\u0000' } });
    await expect400('POST', '/users', { in: 'body', path: 'role' }, { body: { username: 'ok.name', role: 'owner' } });
    await expect400('POST', '/users', { in: 'body', path: 'username' }, { body: { username: 'x'.repeat(101) } });
    await expect400(
      'POST',
      '/users',
      { in: 'body', path: 'displayName' },
      { body: { username: 'ok.name', displayName: 'A\u0000' } },
    );
    await expect400(
      'POST',
      '/users',
      { in: 'body', path: 'displayName' },
      { body: { username: 'ok.name', displayName: 'lone \ud800' } },
    );
    await expect400(
      'POST',
      '/users',
      { in: 'body', path: 'isAdmin' },
      { body: { username: 'ok.name', isAdmin: true } },
    );
    await expect400('POST', '/users', { in: 'body', path: '(root)' }, { body: ['username'] });
  });

  it('a body that is not JSON, or JSON of the wrong shape', async () => {
    const json = { 'content-type': 'application/json' };
    for (const rawBody of ['{"username":', '', 'nul', '{"a":1}x']) {
      await expectError('POST', '/users', 400, 'invalid_request', { rawBody, headers: json });
    }
    // Nesting deep enough to exhaust a recursive parser, under the size limit.
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    await expect400('POST', '/users', { in: 'body', path: '(root)' }, { rawBody: deep, headers: json });
    await expect400(
      'POST',
      '/users',
      { in: 'body', path: '(root)' },
      { rawBody: `{"username":${deep}}`.slice(0, 60_000), headers: json },
    );
    // 1e400 parses as Infinity, which is no string.
    await expect400('POST', '/projects', { in: 'body', path: 'name' }, { rawBody: '{"name":1e400}', headers: json });
    await expect400(
      'PATCH',
      `/groups/${uuid()}`,
      { in: 'body', path: 'allowAiResponse' },
      { rawBody: '{"allowAiResponse":"\\u0000"}', headers: json },
    );
  });

  it('POST /projects', async () => {
    await expect400('POST', '/projects', { in: 'body', path: 'name' }, { body: { name: '   ' } });
    await expect400('POST', '/projects', { in: 'body', path: 'name' }, { body: { name: 42 } });
    await expect400('POST', '/projects', { in: 'body', path: 'name' }, { body: { name: 'a\u0000b' } });
    await expect400('POST', '/projects', { in: 'body', path: 'name' }, { body: { name: '\udc00' } });
  });

  it('path ids: integers within their column, UUIDs well formed', async () => {
    for (const id of ['abc', '0', '-1', '1.5', '1e3', '0x10', '2147483648', '99999999999999999999', '%00', '%20']) {
      await expect400('POST', `/users/${id}/binding-code`, { in: 'path', path: 'userId' });
    }
    for (const id of ['0', '-1', '9007199254740992', '1e400', 'NaN']) {
      await expect400('POST', `/events/${id}/retry`, { in: 'path', path: 'id' });
    }
    for (const id of ['1', '42', 'not-a-uuid', `${uuid()}0`, '%00', encodeURIComponent('\u{1F600}')]) {
      await expect400('DELETE', `/line-users/${id}/binding`, { in: 'path', path: 'id' });
      await expect400('PATCH', `/groups/${id}`, { in: 'path', path: 'id' }, { body: { allowAiResponse: true } });
    }
  });

  it('PATCH /groups/:id', async () => {
    const id = uuid();
    await expect400('PATCH', `/groups/${id}`, { in: 'body', path: 'projectId' }, { body: { projectId: 'not-a-uuid' } });
    await expect400(
      'PATCH',
      `/groups/${id}`,
      { in: 'body', path: 'allowAiResponse' },
      { body: { allowAiResponse: 'yes' } },
    );
    await expect400('PATCH', `/groups/${id}`, { in: 'body', path: '(root)' }, { body: {} });
    await expect400('PATCH', `/groups/${id}`, { in: 'body', path: 'groupName' }, { body: { groupName: 'renamed' } });
    await expect400(
      'PATCH',
      `/groups/${id}`,
      { in: 'body', path: 'aiInstructions' },
      { body: { aiInstructions: 'x'.repeat(4001) } },
    );
    await expect400(
      'PATCH',
      `/groups/${id}`,
      { in: 'body', path: 'aiInstructions' },
      { body: { aiInstructions: 'a\u0000b' } },
    );
    await expect400(
      'PATCH',
      `/groups/${id}`,
      { in: 'body', path: 'aiInstructions' },
      { body: { aiInstructions: 'lone \ud800' } },
    );
    await expect400('PATCH', `/groups/${id}`, { in: 'body', path: 'aiInstructions' }, { body: { aiInstructions: 42 } });
  });

  it('PATCH /projects/:id', async () => {
    const id = uuid();
    for (const bad of ['1', 'not-a-uuid', `${uuid()}0`]) {
      await expect400('PATCH', `/projects/${bad}`, { in: 'path', path: 'id' }, { body: { name: 'x' } });
    }
    await expect400('PATCH', `/projects/${id}`, { in: 'body', path: '(root)' }, { body: {} });
    await expect400('PATCH', `/projects/${id}`, { in: 'body', path: 'name' }, { body: { name: '  ' } });
    await expect400('PATCH', `/projects/${id}`, { in: 'body', path: 'name' }, { body: { name: null } });
    await expect400(
      'PATCH',
      `/projects/${id}`,
      { in: 'body', path: 'aiInstructions' },
      { body: { aiInstructions: 'x'.repeat(4001) } },
    );
    await expect400(
      'PATCH',
      `/projects/${id}`,
      { in: 'body', path: 'aiInstructions' },
      { body: { aiInstructions: ['x'] } },
    );
    await expect400('PATCH', `/projects/${id}`, { in: 'body', path: 'id' }, { body: { id, name: 'x' } });
    await expect400(
      'POST',
      '/projects',
      { in: 'body', path: 'aiInstructions' },
      { body: { name: 'x', aiInstructions: '\u0000' } },
    );
  });

  it('GET /ai-usage: days YYYY-MM-DD (Asia/Taipei), to not before from, at most 366 days', async () => {
    for (const bad of [
      '2026-02-30',
      '2026-13-01',
      '0000-01-01',
      '2026-1-1',
      '20260101',
      '2026-01-01T00:00:00Z',
      'today',
      '',
      '%00',
    ]) {
      await expect400('GET', `/ai-usage?from=${bad}&to=2026-03-01`, { in: 'query', path: 'from' });
      await expect400('GET', `/ai-usage?from=2026-01-01&to=${bad}`, { in: 'query', path: 'to' });
    }
    await expect400('GET', '/ai-usage?from=2026-01-02&to=2026-01-01', { in: 'query', path: 'to' });
    // A full leap year is 366 days; a day more is too many.
    expect((await api.call('GET', '/ai-usage?from=2024-01-01&to=2024-12-31')).status).toBe(200);
    await expect400('GET', '/ai-usage?from=2024-01-01&to=2025-01-01', { in: 'query', path: 'from' });
    // Against the defaults: the field given is the one named.
    await expect400('GET', '/ai-usage?from=9999-12-31', { in: 'query', path: 'from' });
    await expect400('GET', '/ai-usage?from=2001-01-01', { in: 'query', path: 'from' });
    await expect400('GET', '/ai-usage?from=2026-01-01&from=2026-01-02', { in: 'query', path: 'from' });
  });

  it('list queries', async () => {
    await expect400('GET', '/line-users?bound=maybe', { in: 'query', path: 'bound' });
    await expect400('GET', '/groups?active=1', { in: 'query', path: 'active' });
    for (const limit of ['0', '1000', '1e1', '-5', '', 'ten', '99999999999999999999']) {
      await expect400('GET', `/messages?limit=${limit}`, { in: 'query', path: 'limit' });
    }
    await expect400('GET', '/messages?limit=1&limit=2', { in: 'query', path: 'limit' });
    await expect400('GET', '/files?fileType=pdf', { in: 'query', path: 'fileType' });
    await expect400('GET', '/events?status=lost', { in: 'query', path: 'status' });
    await expect400('GET', '/ai-logs?limit=201', { in: 'query', path: 'limit' });
  });

  it('U+0000 in a query filter', async () => {
    await expect400('GET', '/messages?groupId=C%00', { in: 'query', path: 'groupId' });
    await expect400('GET', '/files?lineUserId=%00', { in: 'query', path: 'lineUserId' });
    await expect400('GET', '/events?eventType=message%00', { in: 'query', path: 'eventType' });
    await expect400('GET', `/messages?groupId=${'C'.repeat(65)}`, { in: 'query', path: 'groupId' });
    await expect400('GET', '/ai-logs?lineUserId=U%00', { in: 'query', path: 'lineUserId' });
  });

  it('a cursor that did not come from a previous page, or decodes out of range', async () => {
    const foreign = [
      'nonsense',
      '%00',
      '\u0000',
      btoa('12:ab'),
      btoa('1:2:3'),
      b64url(`1700000000000:${uuid()}x`),
      b64url('1700000000000:12'), // an inbox cursor on a UUID list
      b64url('99999999999999:' + uuid()), // year 5138 is fine, see below
      b64url('999999999999999:' + uuid()), // year 33658
      b64url('-999999999999999:' + uuid()),
      b64url('8640000000000001:' + uuid()),
      'x'.repeat(201),
    ];
    for (const before of foreign) {
      const res = await api.call('GET', `/messages?before=${encodeURIComponent(before)}`);
      if (before === foreign[7]) {
        expect(res.status, before).toBe(200);
        continue;
      }
      expect(res.status, `${before} ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.fields).toEqual([expect.objectContaining({ in: 'query', path: 'before' })]);
    }
    await expect400('GET', `/ai-logs?before=${b64url('1700000000000:12')}`, { in: 'query', path: 'before' });
    for (const before of [
      b64url(`1700000000000:${uuid()}`),
      b64url('1700000000000:9007199254740992'),
      b64url('1700000000000:0'),
    ]) {
      await expect400('GET', `/events?before=${before}`, { in: 'query', path: 'before' });
    }
    expect((await api.call('GET', `/events?before=${b64url('1700000000000:9007199254740991')}`)).status).toBe(200);
  });
});

describe('404: unknown ids', () => {
  it.each([
    ['POST', '/users/2147483647/binding-code', undefined],
    ['DELETE', `/line-users/${uuid()}/binding`, undefined],
    ['DELETE', '/line-users/00000000-0000-0000-0000-000000000000/binding', undefined],
    ['PATCH', `/groups/${uuid().toUpperCase()}`, { allowAiResponse: true }],
    ['PATCH', `/projects/${uuid()}`, { aiInstructions: null }],
    ['POST', '/events/9007199254740991/retry', undefined],
  ])('%s %s', async (method, path, body) => {
    await expectError(method, path, 404, 'not_found', { body });
  });

  it('a group patched with a project that does not exist', async () => {
    const group = await seedGroup();
    await expectError('PATCH', `/groups/${group.id}`, 404, 'not_found', { body: { projectId: uuid() } });
    const after = await api.call('GET', '/groups');
    expect(after.body.items.find((g: { id: string }) => g.id === group.id).project).toBeNull();
  });

  it('an unknown admin path or method', async () => {
    await expectError('GET', '/nothing-here', 404, 'not_found');
    await expectError('PUT', '/users', 404, 'not_found', { body: {} });
  });
});

describe('409: conflicts', () => {
  it('a username that exists, whatever its case; a project name that exists', async () => {
    const account = await createAccount();
    await expectError('POST', '/users', 409, 'conflict', { body: { username: account.username } });
    await expectError('POST', '/users', 409, 'conflict', { body: { username: account.username.toUpperCase() } });
    const project = await createProject();
    await expectError('POST', '/projects', 409, 'conflict', { body: { name: project.name } });
    // Renaming onto another project's name; keeping its own name is no conflict.
    const other = await createProject();
    await expectError('PATCH', `/projects/${other.id}`, 409, 'conflict', { body: { name: project.name } });
    expect((await api.call('PATCH', `/projects/${project.id}`, { body: { name: project.name } })).status).toBe(200);
  });

  it('retrying an event that is not failed or dead', async () => {
    const row = await seedInboxEvent({ status: 'done' });
    await expectError('POST', `/events/${row.id}/retry`, 409, 'conflict');
  });
});

describe('413 and 415: the body itself', () => {
  const big = JSON.stringify({ name: 'x', pad: 'y'.repeat(70 * 1024) });

  it.each([
    ['POST', '/users'],
    ['POST', '/projects'],
    ['PATCH', `/groups/${uuid()}`],
    ['PATCH', `/projects/${uuid()}`],
    ['POST', '/users/1/binding-code'],
    ['DELETE', `/line-users/${uuid()}/binding`],
    ['POST', '/events/1/retry'],
  ])('over 64 KiB: %s %s -> 413', async (method, path) => {
    await expectError(method, path, 413, 'payload_too_large', {
      rawBody: big,
      headers: { 'content-type': 'application/json' },
    });
  });

  it.each([
    ['text/plain', '{"name":"x"}'],
    ['application/x-www-form-urlencoded', 'name=x'],
    ['multipart/form-data; boundary=b', '--b--'],
    ['application/json;', '{"name":"x"}'],
    ['application/jsonx', '{"name":"x"}'],
  ])('Content-Type %s on a JSON route -> 415', async (type, rawBody) => {
    for (const [method, path] of [
      ['POST', '/users'],
      ['POST', '/projects'],
      ['PATCH', `/groups/${uuid()}`],
      ['PATCH', `/projects/${uuid()}`],
    ] as const) {
      await expectError(method, path, 415, 'unsupported_media_type', { rawBody, headers: { 'content-type': type } });
    }
  });

  it('a body without a Content-Type is not taken for JSON', async () => {
    await expectError('POST', '/projects', 415, 'unsupported_media_type', { rawBody: '{"name":"x"}' });
  });
});
