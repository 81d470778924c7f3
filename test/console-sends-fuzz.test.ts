/**
 * Property: whatever a signed-in operator's browser posts to the forms that send as the bot (a
 * text, a NAS file, an announcement) or asks of their pages, with a valid session and CSRF token,
 * the answer is a page or a redirect, never a 5xx, and carries the security headers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src/console/headers';
import { createProjectWithFolder, seedGroup, seedLineUser } from './support/admin';
import { operator, send } from './support/console';
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
    const ids = fc.oneof(
      fc.constantFrom(...known),
      fc.uuid().map(String),
      fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
      fc.constantFrom('%', '%zz', '..', '%2F', '0'),
    );
    const value = fc.oneof(
      fc.constantFrom(...known, '', 'true', 'plan', 'x'.repeat(5001), '\u0000', '\ud800', '<img src=x>'),
      fc.uuid().map(String),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST'),
      template: fc.constantFrom(...TEMPLATES),
      id: ids,
      query: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 3 }),
      form: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 8 })), value), {
        maxLength: 6,
      }),
    });
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const path = r.template.replace('{id}', r.id);
        const qs = new URLSearchParams(r.query).toString();
        const res =
          r.method === 'GET'
            ? await send('GET', `${path}${qs ? `?${qs}` : ''}`, { cookie: op.cookie })
            : await send('POST', path, {
                cookie: op.cookie,
                rawBody: `${new URLSearchParams(r.form).toString()}&_csrf=${op.csrf}`,
              });
        const body = await res.text();
        const what = `${r.method} ${path} ${qs} ${JSON.stringify(r.form)} -> ${res.status} ${body.slice(0, 300)}`;
        expect(res.status, what).toBeLessThan(500);
        expect(res.headers.get('content-security-policy'), what).toBe(CONTENT_SECURITY_POLICY);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }),
      {
        numRuns: 200,
        examples: [
          [
            {
              method: 'POST',
              template: '/groups/{id}/send',
              id: group.id,
              query: {},
              form: [
                ['sendId', crypto.randomUUID()],
                ['text', 'fuzz hello'],
              ],
            },
          ],
          [
            {
              method: 'POST',
              template: '/groups/{id}/send-file',
              id: group.id,
              query: {},
              form: [
                ['sendId', crypto.randomUUID()],
                ['fileId', file!.id],
              ],
            },
          ],
        ],
      },
    );
    for (const status of [200, 303, 400, 404])
      expect(statuses.get(status) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0);
  });
});
