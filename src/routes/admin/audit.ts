/** The audit trail (append-only): list it, newest first, filtered by action, operator, account and chat. */
import { createRoute, z } from '@hono/zod-openapi';
import { auditFilterQuery } from '../../audit/filters';
import { auditVias } from '@linebot-edge/shared/schema';
import { listAudit } from '../../domain/audit';
import { adminRouter } from './context';
import { errorResponses, json, Limit, page } from '../../api/schemas';

const timestamp = z.string().openapi({ format: 'date-time' });

const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: timestamp,
    action: z.string().openapi({ description: 'what happened, one of the `action` filter values' }),
    via: z.enum(auditVias).openapi({
      description: 'where it came from: a LINE chat, the console, this API, the NAS agent, the Worker itself',
    }),
    userId: z.number().int().nullable().openapi({ description: 'the company account that acted' }),
    username: z.string().nullable(),
    lineUserId: z.string().nullable().openapi({ description: 'the LINE user that acted (LINE id)' }),
    operator: z
      .string()
      .nullable()
      .openapi({ description: 'the console operator (Access e-mail, or `token`), or `api`' }),
    lineGroupId: z
      .string()
      .nullable()
      .openapi({ description: "the group's or room's LINE id; null for a 1:1 chat or none" }),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    client: z.string().nullable().openapi({ description: 'client address (console and API)' }),
    details: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'facts of the action; never secrets or message text' }),
  })
  .openapi('AuditEntry');

export const auditRoutes = adminRouter().openapi(
  createRoute({
    method: 'get',
    path: '/audit',
    operationId: 'listAudit',
    summary:
      'The audit trail, newest first: NAS files sent, searches, bindings, memberships, settings, revocations, sign-ins, rate limits',
    request: {
      query: z.object({ ...auditFilterQuery, limit: Limit }),
    },
    responses: {
      200: json(page(AuditEntrySchema, 'AuditPage'), 'A page of audit entries'),
      ...errorResponses(400, 401),
    },
  }),
  async (c) => {
    const { items, nextCursor } = await listAudit(c.get('db'), c.req.valid('query'));
    return c.json({ items: items.map((r) => r.item), nextCursor }, 200);
  },
);
