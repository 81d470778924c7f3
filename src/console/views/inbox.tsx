/** The inbox: events that failed or died, with their errors, and a retry button each. */
import { webhookEventStatuses } from '@linebot-edge/shared/schema';
import type { EventItem } from '../../domain/events';
import { t, type Lang } from '../i18n';
import { BASE } from '../types';
import { Empty, Filters, Pager, PostButton, TextFilter, When } from './common';

export function InboxPage({
  lang,
  events,
  nextCursor,
  query,
}: {
  lang: Lang;
  events: EventItem[];
  nextCursor: string | null;
  query: Record<string, string | undefined>;
}) {
  return (
    <>
      <h1>{t(lang, 'inbox.title')}</h1>
      <Filters action={`${BASE}/inbox`} lang={lang}>
        <div class="field">
          <label for="f-status">{t(lang, 'inbox.filterStatus')}</label>
          <select id="f-status" name="status">
            <option value="">{t(lang, 'inbox.failedAndDead')}</option>
            {webhookEventStatuses.map((s) => (
              <option value={s} selected={query.status === s}>
                {t(lang, `eventStatus.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <TextFilter name="eventType" label={t(lang, 'inbox.filterType')} value={query.eventType} />
      </Filters>
      {events.length === 0 ? (
        <Empty>{t(lang, 'inbox.empty')}</Empty>
      ) : (
        <ul class="items events">
          {events.map((e) => (
            <li class="item" data-event={String(e.id)}>
              <div class="item-main">
                <div class="item-title">
                  <span class="mono">#{e.id}</span> {e.eventType}
                  {e.sourceType ? <span class="muted"> · {e.sourceType}</span> : null}
                </div>
                <span class="badges">
                  <span
                    class={
                      e.status === 'dead' || e.status === 'invalid'
                        ? 'badge bad'
                        : e.status === 'failed'
                          ? 'badge warn'
                          : 'badge'
                    }
                  >
                    {t(lang, `eventStatus.${e.status}`)}
                  </span>
                  <span class="badge">{t(lang, 'inbox.attempts', { n: e.attempts })}</span>
                </span>
                <div class="item-meta">
                  <span>
                    {t(lang, 'inbox.received')} <When at={e.receivedAt} />
                  </span>
                  {e.nextAttemptAt ? (
                    <span>
                      {t(lang, 'inbox.nextAttempt')} <When at={e.nextAttemptAt} />
                    </span>
                  ) : null}
                  <span class="mono">{e.webhookEventId}</span>
                </div>
                {e.lastError ? <pre class="error">{e.lastError}</pre> : null}
                {e.payload !== null ? (
                  <details>
                    <summary>{t(lang, 'inbox.payload')}</summary>
                    <pre>{JSON.stringify(e.payload, null, 2)}</pre>
                  </details>
                ) : (
                  <span class="muted">{t(lang, 'inbox.payloadPurged')}</span>
                )}
                {e.status === 'failed' || e.status === 'dead' ? (
                  <PostButton action={`${BASE}/inbox/${e.id}/retry`} label={t(lang, 'inbox.retry')} />
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      )}
      <Pager lang={lang} path={`${BASE}/inbox`} query={query} cursor={nextCursor} />
    </>
  );
}
