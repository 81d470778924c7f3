/**
 * Share links: the list (the API's filters and cursor paging) and revoke, through the same domain
 * functions as `GET /share-links` and `DELETE /share-links/{id}`. Revoke names the link, not a
 * flip: sent twice, the link stays revoked with its first time.
 */
import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { listShareLinks, revokeShareLink } from '../../domain/share-links';
import { ChatQuery, Cursor, shareLinkStates } from '../../api/schemas';
import { consoleActor } from '../audit';
import { redirectWithNotice } from '../flash';
import { isUuid, parseQuery, queryOf } from '../forms';
import { t } from '../i18n';
import { renderMessage } from '../render';
import { BASE, type ConsoleEnv } from '../types';
import { ShareLinksPage } from '../views/share-links';

const PAGE = 50;

// The API's query schema, without its limit (the console pages by 50).
const ListQuery = z.object({ ...ChatQuery, state: z.enum(shareLinkStates).optional(), before: Cursor });

export const shareLinkRoutes = new Hono<ConsoleEnv>()
  .get('/share-links', async (c) => {
    const lang = c.get('lang');
    const q = parseQuery(c, ListQuery);
    const { items, nextCursor } = await listShareLinks(c.get('db'), { ...q, limit: PAGE });
    const given = queryOf(c);
    const query = { state: given.state, groupId: given.groupId, lineUserId: given.lineUserId, before: given.before };
    return c.render(<ShareLinksPage lang={lang} links={items} nextCursor={nextCursor} query={query} />, {
      title: t(lang, 'shareLinks.title'),
      screen: 'shareLinks',
    });
  })
  .post('/share-links/:id/revoke', async (c) => {
    const id = c.req.param('id');
    if (!isUuid(id)) return renderMessage(c, 404);
    const link = await revokeShareLink(c.get('db'), id, consoleActor(c));
    if (!link) return renderMessage(c, 404);
    c.get('log').info('console.share_link_revoked', { shareLinkId: id, by: c.get('operator').via });
    return redirectWithNotice(c, `${BASE}/share-links`, 'notice.shareLinkRevoked');
  });
