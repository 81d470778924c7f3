/**
 * Property: whatever path, query string or form body a signed-in operator's browser sends to the
 * console (with a valid session and CSRF token, so the requests get past the guards into the
 * screens and their forms), the answer is a page or a redirect, never a 5xx, and always carries
 * the security headers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src/console/headers';
import { createAccount, seedGroup, seedInboxEvent, seedLineUser } from './support/admin';
import { operator, send } from './support/console';

const TEMPLATES = [
  '',
  '/groups',
  '/groups/{id}',
  '/groups/{id}/ai',
  '/groups/{id}/project',
  '/groups/{id}/instructions',
  '/line-users',
  '/line-users/{id}/unbind',
  '/groups/{id}/ai-pause',
  '/groups/{id}/ai-resume',
  '/line-users/{id}/ai',
  '/line-users/{id}/ai-pause',
  '/line-users/{id}/ai-resume',
  '/accounts',
  '/accounts/{id}/binding-code',
  '/messages',
  '/files',
  '/files/{id}/preview',
  '/inbox',
  '/inbox/{id}/retry',
  '/ai-logs',
  '/ai-logs/usage',
  '/audit',
  // Never a real key ({id} is random): the texts other tests read stay as they are.
  '/bot-texts',
  '/bot-texts/{id}/en',
  '/bot-texts/{id}/{id}/reset',
];

const FIELDS = [
  'active',
  'ai',
  'unbound',
  'after',
  'before',
  'bound',
  'groupId',
  'lineUserId',
  'messageType',
  'fileType',
  'syncStatus',
  'status',
  'eventType',
  'from',
  'to',
  'limit',
  'action',
  'operator',
  'userId',
  'allow',
  'projectId',
  'aiInstructions',
  'username',
  'displayName',
  'role',
  'text',
  'hours',
  '__proto__',
  'constructor',
];

/** Values that are valid somewhere, near-valid, or hostile. */
const value = fc.oneof(
  fc.constantFrom(
    'true',
    'false',
    '',
    'dead',
    'failed',
    'synced',
    'image',
    'admin',
    'member',
    '2026-01-01',
    '2026-02-30',
    '0001-01-01',
    '9999-12-31',
    '1',
    '4',
    '24',
    'until',
  ),
  fc.uuid().map(String),
  fc.integer({ min: -5, max: 2 ** 53 }).map(String),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    '\ud800',
    '<img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    'x'.repeat(5000),
    'MTIzOmFiYw',
    '%',
    '..',
  ),
);

describe('console: no 5xx for any input', () => {
  it('random paths, queries and forms', async () => {
    const op = await operator();
    const group = await seedGroup();
    const lineUser = await seedLineUser();
    const account = await createAccount();
    const event = await seedInboxEvent({ status: 'done' });
    const ids = fc.oneof(
      fc.constantFrom(group.id, lineUser.id, String(account.id), String(event.id)),
      fc.uuid().map(String),
      fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
      fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '%2F', '0', '-1', '99999999999999999999'),
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST'),
      template: fc.constantFrom(...TEMPLATES),
      id: ids,
      query: fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 10 })), value, { maxKeys: 4 }),
      form: fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 10 })), value, { maxKeys: 4 }),
      lang: fc.constantFrom(undefined, 'en', 'zh-TW', '*;q=x'),
    });
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const path = r.template.replace('{id}', r.id);
        const qs = new URLSearchParams(r.query).toString();
        const headers: Record<string, string> = r.lang ? { 'accept-language': r.lang } : {};
        const res =
          r.method === 'GET'
            ? await send('GET', `${path}${qs ? `?${qs}` : ''}`, { cookie: op.cookie, headers })
            : await send('POST', path, {
                cookie: op.cookie,
                headers,
                rawBody: `${new URLSearchParams(r.form).toString()}&_csrf=${op.csrf}`,
              });
        const body = await res.text();
        const what = `${r.method} ${path} ${qs} ${JSON.stringify(r.form)} -> ${res.status} ${body.slice(0, 300)}`;
        expect(res.status, what).toBeLessThan(500);
        expect(res.headers.get('content-security-policy'), what).toBe(CONTENT_SECURITY_POLICY);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }),
      {
        numRuns: 300,
        // A form that must succeed (AI on for the seeded group), whatever the random runs draw.
        examples: [
          [
            {
              method: 'POST',
              template: '/groups/{id}/ai',
              id: group.id,
              query: {},
              form: { allow: 'true' },
              lang: undefined,
            },
          ],
          // And taking its chats over from the AI (the seeded group's, the seeded user's).
          [
            {
              method: 'POST',
              template: '/groups/{id}/ai-pause',
              id: group.id,
              query: {},
              form: { hours: 'until' },
              lang: undefined,
            },
          ],
          [
            {
              method: 'POST',
              template: '/line-users/{id}/ai-pause',
              id: lineUser.id,
              query: {},
              form: { hours: '4' },
              lang: undefined,
            },
          ],
        ],
      },
    );
    // The inputs got past the session and CSRF checks into the screens and their forms: pages,
    // redirects after forms, refused input and unknown ids all occurred.
    for (const status of [200, 303, 400, 404])
      expect(statuses.get(status) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0);
  });
});
