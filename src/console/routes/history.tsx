/** Messages and files of every chat: the API's filters and cursor paging, as pages. */
import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { fileSyncStatuses } from '@linebot-edge/shared/schema';
import { listFiles } from '../../domain/files';
import { listMessages } from '../../domain/messages';
import { ChatQuery, Cursor, Text } from '../../api/schemas';
import { parseQuery, queryOf } from '../forms';
import { t } from '../i18n';
import type { ConsoleEnv } from '../types';
import { FilesPage, MessagesPage } from '../views/history';

const PAGE = 50;

// The API's query schemas, with the console's message type filter.
const MessageQuery = z.object({ ...ChatQuery, messageType: Text(32).optional(), before: Cursor });
const FileQuery = z.object({
  ...ChatQuery,
  fileType: z.enum(['image', 'video', 'audio', 'file']).optional(),
  syncStatus: z.enum(fileSyncStatuses).optional(),
  before: Cursor,
});

/** The filters as given, for the filter form and the pager's links. */
const shown = (q: Record<string, string>, names: string[]) => Object.fromEntries(names.map((n) => [n, q[n]]));

export const historyRoutes = new Hono<ConsoleEnv>()
  .get('/messages', async (c) => {
    const lang = c.get('lang');
    const q = parseQuery(c, MessageQuery);
    const { items, nextCursor } = await listMessages(c.get('db'), { ...q, limit: PAGE });
    const query = shown(queryOf(c), ['groupId', 'lineUserId', 'messageType', 'before']);
    return c.render(<MessagesPage lang={lang} messages={items} nextCursor={nextCursor} query={query} />, {
      title: t(lang, 'messages.title'),
      screen: 'messages',
    });
  })
  .get('/files', async (c) => {
    const lang = c.get('lang');
    const q = parseQuery(c, FileQuery);
    const { items, nextCursor } = await listFiles(c.get('db'), { ...q, limit: PAGE });
    const query = shown(queryOf(c), ['groupId', 'lineUserId', 'fileType', 'syncStatus', 'before']);
    return c.render(<FilesPage lang={lang} files={items} nextCursor={nextCursor} query={query} />, {
      title: t(lang, 'files.title'),
      screen: 'files',
    });
  });
