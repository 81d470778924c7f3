/**
 * The management API, `/api/linebot/admin/*`: every route behind the admin bearer token, JSON in
 * camelCase, described by an OpenAPI 3.1 document at `/api/linebot/admin/openapi.json` that lists
 * every answer an operation gives (test/admin-contract.test.ts checks real answers against it).
 * Order of refusals: 503 (token not configured), 429 (too many wrong tokens), 401 (token), 413 (body over 64 KiB), 400 (path, query), 415, 400 (body).
 */
import { bodyLimit } from 'hono/body-limit';
import { accounts } from './accounts';
import { aiRoutes } from './ai';
import { aiPauseRoutes } from './ai-pauses';
import { auditRoutes } from './audit';
import { botTextRoutes } from './bot-texts';
import { adminRouter, requireAdminToken, withDatabase } from './context';
import { eventRoutes } from './events';
import { groupRoutes } from './groups';
import { historyRoutes } from './history';
import { lineUserRoutes } from './line-users';
import { memberRoutes } from './members';
import { projectRoutes } from './projects';
import { pushQuotaRoutes } from './push-quota';
import { shareLinkRoutes } from './share-links';

export const admin = adminRouter();

// The pool connects on its first query: the token check's limiter (every route, the document too).
admin.use('*', withDatabase);
admin.use('*', requireAdminToken);
// Admin requests are small JSON documents.
admin.use('*', bodyLimit({ maxSize: 64 * 1024 }));

admin.route('/', accounts);
admin.route('/', projectRoutes);
admin.route('/', memberRoutes);
admin.route('/', lineUserRoutes);
admin.route('/', groupRoutes);
admin.route('/', historyRoutes);
admin.route('/', eventRoutes);
admin.route('/', aiRoutes);
admin.route('/', shareLinkRoutes);
admin.route('/', auditRoutes);
admin.route('/', pushQuotaRoutes);
admin.route('/', botTextRoutes);
admin.route('/', aiPauseRoutes);

admin.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', { type: 'http', scheme: 'bearer' });
// OpenAPI 3.1: nullable fields are `type: [..., "null"]` and nullable objects `anyOf` with null,
// which generated clients type as `T | null` (3.0's `nullable` beside a $ref was ignored).
admin.doc31('/openapi.json', {
  openapi: '3.1.0',
  info: {
    title: 'linebot-edge management API',
    version: '1.0.0',
    description:
      "Accounts, binding codes, projects and their members, LINE users and groups, message and file history, the webhook inbox, the AI answers (log and usage), share links, the audit trail, the month's push quota, the bot texts operators reword (the welcome) and the chats whose AI an operator has paused.",
  },
  servers: [{ url: '/api/linebot/admin' }],
  security: [{ adminToken: [] }],
});
