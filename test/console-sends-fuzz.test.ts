/**
 * Property: whatever a signed-in operator's browser posts to the forms that send as the bot (a
 * text, a NAS file, an announcement) or asks of their pages, with a valid session and CSRF token,
 * the answer is a page or a redirect, never a 5xx, and carries the security headers.
 */
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src/console/headers';
import { createProjectWithFolder, seedGroup, seedLineUser } from './support/admin';
import { operator } from './support/console';
import { consoleRequests, fieldValues, formPost, fuzzAsOperator } from './support/console-fuzz';
import { insertNasFiles } from './support/nas-find';

const TEMPLATES = [
  '/groups/{id}',
  '/groups/{id}/send',
  '/groups/{id}/send-file',
  '/line-users/{id}/send',
  '/line-users/{id}/send-file',
  '/announcements',
  '/announcements/new',
  '/announcements/{id}',
  '/announcements/{id}/continue',
  '/announcements/{id}/resume',
  '/announcements/{id}/retry',
];

const FIELDS = ['sendId', 'text', 'fileId', 'q', 'projectId', 'groupId', 'confirm', '__proto__'];

describe('console sends: no 5xx for any input', () => {
  it('random paths, queries and forms', async () => {
    const op = await operator();
    const folder = `fuzz-${crypto.randomUUID().slice(0, 8)}`;
    const project = await createProjectWithFolder(`projects/${folder}`);
    const group = await seedGroup({ projectId: project.id, memberCount: 3 });
    const lineUser = await seedLineUser();
    const [file] = await insertNasFiles('projects', [{ path: `${folder}/plan.pdf` }]);
    const known = [group.id, lineUser.id, project.id, file!.id];
    const request = consoleRequests({
      templates: TEMPLATES,
      known,
      fields: FIELDS,
      values: fieldValues([...known, '', 'true', 'plan', '<img src=x>']),
    });
    const statuses = await fuzzAsOperator(
      op,
      request,
      {
        numRuns: 200,
        examples: [
          formPost('/groups/{id}/send', group.id, { sendId: crypto.randomUUID(), text: 'fuzz hello' }),
          formPost('/groups/{id}/send-file', group.id, { sendId: crypto.randomUUID(), fileId: file!.id }),
        ],
      },
      ({ res, what }) => {
        expect(res.status, what).toBeLessThan(500);
        expect(res.headers.get('content-security-policy'), what).toBe(CONTENT_SECURITY_POLICY);
      },
    );
    for (const status of [200, 303, 400, 404])
      expect(statuses.get(status) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0);
  });
});
