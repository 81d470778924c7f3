/**
 * Sending as the bot from a chat's page: the push quota left and what a push here costs, a text
 * box, a search of the chat's NAS folders with a send button per file, and the latest sends with
 * their outcome. Every form carries the submission id made when the page was rendered (`sendId`):
 * the server sends once per id however often the form arrives.
 */
import type { NasFileHit } from '../../nas/search';
import type { OperatorSendItem } from '../../domain/operator-sends';
import type { PushQuota } from '../../domain/push-quota';
import { formatNumber, t, type Lang, type MessageKey } from '../i18n';
import { CsrfField, Empty, formatBytes, When } from './common';

export interface SendPanelData {
  /** The chat page's path: the forms post to `${base}/send` and `${base}/send-file`. */
  base: string;
  /** The page the panel is on: the file search is a GET of it with `q`. */
  page: string;
  sendId: string;
  quota: PushQuota;
  /** Messages one push here counts: a group's member count (null: unknown), 1 for a 1:1 chat. */
  pushCost: number | null;
  sends: OperatorSendItem[];
  /** The file search: what was typed, and the hits (null: nothing searched) or why there are none. */
  search: { q: string; hits: NasFileHit[] | null; refusal: string | null };
  /** Where the audit trail of these sends is: `/admin/audit?action=…&groupId=…`. */
  auditHref: string;
  /** A refused submission, shown above the forms (status 400/409/429 page otherwise). */
  problem?: string;
  text?: string;
}

/** The quota left this month, as the send box says it. */
export function QuotaLine({ lang, quota: q }: { lang: Lang; quota: PushQuota }) {
  const num = (n: number) => formatNumber(lang, n);
  if (q.type === null) return <p class="note">{t(lang, 'send.quotaUnknown')}</p>;
  if (q.type === 'none' || q.value === null)
    return <p class="note">{t(lang, 'send.quotaNone', { used: num(q.totalUsage ?? 0) })}</p>;
  const left = Math.max(0, q.value - (q.totalUsage ?? 0));
  return (
    <p class={q.level === 'exhausted' ? 'alert' : q.level === 'warning' ? 'warn' : 'note'} data-quota-left={left}>
      {t(lang, q.level === 'exhausted' ? 'send.quotaExhausted' : 'send.quotaLeft', {
        left: num(left),
        limit: num(q.value),
      })}
    </p>
  );
}

function costText(lang: Lang, cost: number | null, isGroup: boolean): string {
  if (!isGroup) return t(lang, 'send.costUser');
  return cost === null ? t(lang, 'send.costGroupUnknown') : t(lang, 'send.costGroup', { n: formatNumber(lang, cost) });
}

export function SendPanel({ lang, data, isGroup }: { lang: Lang; data: SendPanelData; isGroup: boolean }) {
  return (
    <section class="panel wide" id="send" aria-labelledby="send-h">
      <h2 id="send-h">{t(lang, 'send.title')}</h2>
      <p class="help">{t(lang, 'send.help')}</p>
      <QuotaLine lang={lang} quota={data.quota} />
      <p class="note" data-push-cost={data.pushCost ?? ''}>
        {costText(lang, data.pushCost, isGroup)}
      </p>
      {data.problem ? (
        <p class="error" role="alert">
          {data.problem}
        </p>
      ) : null}
      <form method="post" action={`${data.base}/send`}>
        <CsrfField />
        <input type="hidden" name="sendId" value={data.sendId} />
        <div class="field">
          <label for="send-text">{t(lang, 'send.text')}</label>
          <textarea id="send-text" name="text" rows={4} maxlength={5000} required aria-describedby="send-text-help">
            {data.text ?? ''}
          </textarea>
          <p class="help" id="send-text-help">
            {t(lang, 'send.textHelp')}
          </p>
        </div>
        <button class="button" type="submit">
          {t(lang, 'send.sendText')}
        </button>
      </form>

      <h3>{t(lang, 'send.file')}</h3>
      <p class="help">{t(lang, 'send.fileHelp')}</p>
      <form method="get" action={data.page} class="inline">
        <label for="send-q">{t(lang, 'send.searchLabel')}</label>{' '}
        <input id="send-q" type="search" name="q" value={data.search.q} maxlength={200} />{' '}
        <button class="button secondary" type="submit">
          {t(lang, 'send.search')}
        </button>
      </form>
      {data.search.refusal ? <p class="note">{data.search.refusal}</p> : null}
      {data.search.hits === null ? null : data.search.hits.length === 0 ? (
        <Empty>{t(lang, 'send.noHits')}</Empty>
      ) : (
        <ul class="items">
          {data.search.hits.map((hit) => (
            <li class="item" data-nas-file={hit.id}>
              <div class="item-main">
                <span class="item-title">{hit.name}</span>
                <span class="item-meta mono">{`${hit.share}/${hit.path}`}</span>
                <span class="item-meta">
                  {formatBytes(lang, hit.size)} · <When at={hit.modifiedAt} />
                </span>
              </div>
              <form method="post" action={`${data.base}/send-file`} class="inline">
                <CsrfField />
                <input type="hidden" name="sendId" value={data.sendId} />
                <input type="hidden" name="fileId" value={hit.id} />
                <button class="button" type="submit">
                  {t(lang, 'send.sendFile')}
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}

      <h3>{t(lang, 'send.latest')}</h3>
      <LatestSends lang={lang} sends={data.sends} />
      <p>
        <a href={data.auditHref}>{t(lang, 'send.auditLink')}</a>
      </p>
    </section>
  );
}

function LatestSends({ lang, sends }: { lang: Lang; sends: OperatorSendItem[] }) {
  if (sends.length === 0) return <Empty>{t(lang, 'send.none')}</Empty>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">{t(lang, 'send.when')}</th>
            <th scope="col">{t(lang, 'send.by')}</th>
            <th scope="col">{t(lang, 'send.what')}</th>
            <th scope="col">{t(lang, 'send.status')}</th>
          </tr>
        </thead>
        <tbody>
          {sends.map((s) => (
            <tr data-operator-send={s.id} data-status={s.status}>
              <td>
                <When at={s.sentAt ?? s.createdAt} />
              </td>
              <td class="mono">{s.operator}</td>
              <td>{s.fileName ?? s.text}</td>
              <td>
                <span class={s.status === 'failed' ? 'badge warn' : s.status === 'sent' ? 'badge good' : 'badge'}>
                  {t(lang, `sendStatus.${s.status}` as MessageKey)}
                </span>
                {s.error ? <span class="muted">{` ${s.error}`}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
