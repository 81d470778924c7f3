/**
 * The group screens' forms. `POST /admin/groups/:id/ai` sets AI replies on or off (`allow` =
 * `true` or `false`: the value wanted, not a flip, so a form sent twice does what it says once).
 */
import { Hono } from 'hono';
import { UUID_PATTERN } from '../../routes/admin/schemas';
import { updateGroup } from '../../domain/groups';
import { renderMessage } from '../render';
import { BASE, type ConsoleEnv } from '../types';

export const groupRoutes = new Hono<ConsoleEnv>().post('/groups/:id/ai', async (c) => {
  const id = c.req.param('id');
  // The CSRF check has parsed the form already; this reads Hono's copy.
  const field = (await c.req.parseBody()).allow;
  const allow = field === 'true' ? true : field === 'false' ? false : undefined;
  if (!UUID_PATTERN.test(id) || allow === undefined) return renderMessage(c, 400);
  const result = await updateGroup(c.get('db'), id, { allowAiResponse: allow });
  if (result !== 'updated') return renderMessage(c, 404);
  c.get('log').info('console.group_updated', { groupPk: id, allowAiResponse: allow, by: c.get('operator').via });
  return c.redirect(`${BASE}/groups/${id}`, 303);
});
