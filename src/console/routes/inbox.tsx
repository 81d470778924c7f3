/** The inbox screen: failed and dead events (or any one status), and retrying one now. */
import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { listEvents, retryEvent } from '../../domain/events';
import { processInBackground } from '../../services';
import { Cursor, EventId, EventStatus, Text } from '../../api/schemas';
import { redirectWithNotice } from '../flash';
import { parseQuery, queryOf } from '../forms';
import { t } from '../i18n';
import { renderMessage } from '../render';
import { BASE, type ConsoleEnv } from '../types';
import { InboxPage } from '../views/inbox';

const Query = z.object({ status: EventStatus.optional(), eventType: Text(64).optional(), before: Cursor });

export const inboxRoutes = new Hono<ConsoleEnv>()
  .get('/inbox', async (c) => {
    const lang = c.get('lang');
    const { status, ...q } = parseQuery(c, Query);
    // By default what needs an operator: the failed, the dead and what LINE sent that was no event.
    const { items, nextCursor } = await listEvents(c.get('db'), {
      ...q,
      statuses: status ? [status] : ['failed', 'dead', 'invalid'],
      limit: 50,
    });
    const { status: s, eventType, before } = queryOf(c);
    return c.render(
      <InboxPage lang={lang} events={items} nextCursor={nextCursor} query={{ status: s, eventType, before }} />,
      {
        title: t(lang, 'inbox.title'),
        screen: 'inbox',
      },
    );
  })
  .post('/inbox/:id/retry', async (c) => {
    const lang = c.get('lang');
    const parsed = EventId.safeParse(c.req.param('id'));
    if (!parsed.success) return renderMessage(c, 400);
    const id = parsed.data;
    const retry = await retryEvent(c.get('db'), id);
    if (retry.result === 'not_found') return renderMessage(c, 404);
    if (retry.result === 'not_retryable')
      return renderMessage(
        c,
        409,
        t(lang, 'inbox.notRetryable', { id, status: t(lang, `eventStatus.${retry.status}`) }),
      );
    const log = c.get('log');
    processInBackground(c.env, log, (p) => c.executionCtx.waitUntil(p), retry.event, new URL(c.req.url).origin);
    log.info('console.event_retry', { inboxId: id, attempts: retry.event.attempts, by: c.get('operator').via });
    return redirectWithNotice(c, `${BASE}/inbox`, 'notice.retried');
  });
