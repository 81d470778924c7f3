/**
 * The management API, `/api/linebot/admin/*`: every route behind the admin bearer token, JSON in
 * camelCase, described by an OpenAPI document at `/api/linebot/admin/openapi.json`.
 */
import { bodyLimit } from 'hono/body-limit';
import { accounts } from './accounts';
import { adminRouter, requireAdminToken, withDatabase } from './context';
import { eventRoutes } from './events';
import { groupRoutes } from './groups';
import { historyRoutes } from './history';
import { lineUserRoutes } from './line-users';
import { projectRoutes } from './projects';

export const admin = adminRouter();

admin.use('*', requireAdminToken);
// Admin requests are small JSON documents.
admin.use('*', bodyLimit({ maxSize: 64 * 1024 }));
admin.use('*', async (c, next) => (c.req.path.endsWith('/openapi.json') ? next() : withDatabase(c, next)));

admin.route('/', accounts);
admin.route('/', projectRoutes);
admin.route('/', lineUserRoutes);
admin.route('/', groupRoutes);
admin.route('/', historyRoutes);
admin.route('/', eventRoutes);

admin.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', { type: 'http', scheme: 'bearer' });
admin.doc('/openapi.json', {
  openapi: '3.0.3',
  info: {
    title: 'linebot-edge management API',
    version: '1.0.0',
    description: 'Accounts, binding codes, projects, LINE users and groups, message and file history, and the webhook inbox.',
  },
  servers: [{ url: '/api/linebot/admin' }],
  security: [{ adminToken: [] }],
});
