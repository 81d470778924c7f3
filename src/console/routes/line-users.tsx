/** LINE users: the list with binding state, and unbinding one (confirm page, then POST). */
import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { pausesIn } from '../../domain/ai-pauses';
import { getLineUser, listLineUsers, removeBinding } from '../../domain/line-users';
import { BoolQuery, Cursor } from '../../api/schemas';
import { consoleActor } from '../audit';
import { redirectWithNotice } from '../flash';
import { isUuid, parseQuery, queryOf } from '../forms';
import { t } from '../i18n';
import { renderMessage } from '../render';
import { BASE, type ConsoleEnv } from '../types';
import { LineUserListPage, UnbindPage } from '../views/line-users';

const ListQuery = z.object({ bound: BoolQuery.optional(), before: Cursor });

export const lineUserRoutes = new Hono<ConsoleEnv>()
  .get('/line-users', async (c) => {
    const lang = c.get('lang');
    const q = parseQuery(c, ListQuery);
    const { items, nextCursor } = await listLineUsers(c.get('db'), { ...q, limit: 50 });
    const pauses = await pausesIn(c.get('db'), { lineUserIds: items.map((u) => u.id) });
    const { bound, before } = queryOf(c);
    return c.render(
      <LineUserListPage lang={lang} users={items} nextCursor={nextCursor} query={{ bound, before }} pauses={pauses} />,
      { title: t(lang, 'lineUsers.title'), screen: 'lineUsers' },
    );
  })
  .get('/line-users/:id/unbind', async (c) => {
    const lang = c.get('lang');
    const id = c.req.param('id');
    const user = isUuid(id) ? await getLineUser(c.get('db'), id) : null;
    if (!user) return renderMessage(c, 404);
    return c.render(<UnbindPage lang={lang} user={user} />, {
      title: t(lang, 'lineUsers.confirmTitle'),
      screen: 'lineUsers',
    });
  })
  .post('/line-users/:id/unbind', async (c) => {
    const id = c.req.param('id');
    if (!isUuid(id)) return renderMessage(c, 400);
    if (!(await removeBinding(c.get('db'), id, consoleActor(c)))) return renderMessage(c, 404);
    c.get('log').info('console.line_user_unbound', { lineUserPk: id, by: c.get('operator').via });
    return redirectWithNotice(c, `${BASE}/line-users`, 'notice.unbound');
  });
