/** The audit trail: the API's filters (action, operator, account, chat) and cursor paging, read-only. */
import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { auditFilterQuery } from '../../audit/filters';
import { listAudit } from '../../domain/audit';
import { parseQuery, queryOf } from '../forms';
import { t } from '../i18n';
import type { ConsoleEnv } from '../types';
import { AuditPage } from '../views/audit';

const PAGE = 50;

// The API's query schema, without its limit (the console pages by 50).
const ListQuery = z.object(auditFilterQuery);

/** The filters the screen keeps (its form and the pager's links). */
const FILTERS = ['action', 'operator', 'userId', 'groupId', 'lineUserId', 'before'] as const;

/**
 * `userId` names an account (a number); a link from a LINE user's page may give the LINE user
 * there instead (our UUID or LINE's U... id): read as `lineUserId`, the same filter.
 */
function normalized(given: Record<string, string>): Record<string, string> {
  const { userId, ...rest } = given;
  if (userId === undefined || /^\d+$/.test(userId) || rest.lineUserId !== undefined) return given;
  return { ...rest, lineUserId: userId };
}

export const auditRoutes = new Hono<ConsoleEnv>().get('/audit', async (c) => {
  const lang = c.get('lang');
  const given = normalized(queryOf(c));
  const q = parseQuery(c, ListQuery, given);
  const { items, nextCursor } = await listAudit(c.get('db'), { ...q, limit: PAGE });
  const query = Object.fromEntries(FILTERS.map((k) => [k, given[k]]));
  return c.render(<AuditPage lang={lang} entries={items} nextCursor={nextCursor} query={query} />, {
    title: t(lang, 'audit.title'),
    screen: 'audit',
  });
});
