/** The AI screens: the answers' log and the usage report, from the API's own queries. */
import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { aiUsage, aiUsagePerUser, listAiLogs } from '../../domain/ai';
import { CalendarDate, ChatQuery, Cursor } from '../../api/schemas';
import { parseQuery, queryOf } from '../forms';
import { t } from '../i18n';
import type { ConsoleEnv } from '../types';
import { AiLogsPage, AiUsagePage } from '../views/ai';

const LogQuery = z.object({ ...ChatQuery, before: Cursor });
const UsageQuery = z.object({ from: CalendarDate.optional(), to: CalendarDate.optional() });

export const aiRoutes = new Hono<ConsoleEnv>()
  .get('/ai-logs', async (c) => {
    const lang = c.get('lang');
    const q = parseQuery(c, LogQuery);
    const { items, nextCursor } = await listAiLogs(c.get('db'), { ...q, limit: 50 });
    const { groupId, lineUserId, before } = queryOf(c);
    return c.render(
      <AiLogsPage lang={lang} answers={items} nextCursor={nextCursor} query={{ groupId, lineUserId, before }} />,
      {
        title: t(lang, 'ai.title'),
        screen: 'aiLogs',
      },
    );
  })
  .get('/ai-logs/usage', async (c) => {
    const lang = c.get('lang');
    const q = parseQuery(c, UsageQuery);
    const db = c.get('db');
    // A range the report cannot cover is the API's 400, rendered with its reason.
    const usage = await aiUsage(db, q);
    const users = await aiUsagePerUser(db, q);
    return c.render(<AiUsagePage lang={lang} usage={usage} users={users} />, {
      title: t(lang, 'ai.usage'),
      screen: 'aiLogs',
    });
  });
