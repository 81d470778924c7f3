/**
 * Property: whatever path, query string or form body a signed-in operator's browser sends to the
 * console (with a valid session and CSRF token, so the requests get past the guards into the
 * screens and their forms), the answer is a page or a redirect, never a 5xx, and always carries
 * the security headers.
 */
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src/console/headers';
import { createAccount, seedGroup, seedInboxEvent, seedLineUser } from './support/admin';
import { operator } from './support/console';
import { consoleRequests, fieldValues, formPost, fuzzAsOperator } from './support/console-fuzz';

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

/** Values that are valid somewhere (the rest are near-valid or hostile). */
const value = fieldValues([
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
]);

describe('console: no 5xx for any input', () => {
  it('random paths, queries and forms', async () => {
    const op = await operator();
    const group = await seedGroup();
    const lineUser = await seedLineUser();
    const account = await createAccount();
    const event = await seedInboxEvent({ status: 'done' });
    const request = consoleRequests({
      templates: TEMPLATES,
      known: [group.id, lineUser.id, String(account.id), String(event.id)],
      fields: FIELDS,
      values: value,
    });
    const statuses = await fuzzAsOperator(
      op,
      request,
      {
        numRuns: 300,
        examples: [
          // A form that must succeed (AI on for the seeded group), whatever the random runs draw.
          formPost('/groups/{id}/ai', group.id, { allow: 'true' }),
          // And taking its chats over from the AI (the seeded group's, the seeded user's).
          formPost('/groups/{id}/ai-pause', group.id, { hours: 'until' }),
          formPost('/line-users/{id}/ai-pause', lineUser.id, { hours: '4' }),
        ],
      },
      ({ res, what }) => {
        expect(res.status, what).toBeLessThan(500);
        expect(res.headers.get('content-security-policy'), what).toBe(CONTENT_SECURITY_POLICY);
      },
    );
    // The inputs got past the session and CSRF checks into the screens and their forms: pages,
    // redirects after forms, refused input and unknown ids all occurred.
    for (const status of [200, 303, 400, 404])
      expect(statuses.get(status) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0);
  });
});
