/** The month's push quota: LINE's limit and use (cached up to 10 minutes) and the pushes it refused. */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, json, PushQuotaSchema } from '../../api/schemas';
import { pushQuota } from '../../domain/push-quota';
import { lineClientOf } from '../../services';
import { adminRouter } from './context';

export const pushQuotaRoutes = adminRouter().openapi(
  createRoute({
    method: 'get',
    path: '/push-quota',
    operationId: 'getPushQuota',
    summary: "This month's push quota and use (LINE's, cached up to 10 minutes) and the pushes LINE refused (429)",
    responses: { 200: json(PushQuotaSchema, 'The quota, its use and the refusals'), ...errorResponses(401) },
  }),
  async (c) => c.json(await pushQuota({ db: c.get('db'), line: lineClientOf(c.env), log: c.get('log') }), 200),
);
