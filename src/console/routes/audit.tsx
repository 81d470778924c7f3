/** The audit trail: the API's filters (action, account, chat) and cursor paging, read-only. */
import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { auditActions } from '../../audit/record';
import { listAudit } from '../../domain/audit';
import { ChatRef, Cursor, UserId } from '../../api/schemas';
import { parseQuery, queryOf } from '../forms';
import { t } from '../i18n';
import type { ConsoleEnv } from '../types';
import { AuditPage } from '../views/audit';

const PAGE = 50;

// The API's query schema, without its limit (the console pages by 50).
const ListQuery = z.object({
  action: z.enum(auditActions).optional(),
  userId: UserId.optional(),
  groupId: ChatRef,
  before: Cursor,
});

export const auditRoutes = new Hono<ConsoleEnv>().get('/audit', async (c) => {
  const lang = c.get('lang');
  const q = parseQuery(c, ListQuery);
  const { items, nextCursor } = await listAudit(c.get('db'), { ...q, limit: PAGE });
  const given = queryOf(c);
  const query = { action: given.action, userId: given.userId, groupId: given.groupId, before: given.before };
  return c.render(<AuditPage lang={lang} entries={items} nextCursor={nextCursor} query={query} />, {
    title: t(lang, 'audit.title'),
    screen: 'audit',
  });
});
