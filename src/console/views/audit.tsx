/** The audit trail: newest first, with the filters an operator asks by (action, account, chat). */
import { auditActions } from '../../audit/record';
import type { AuditItem, AuditNames } from '../../domain/audit';
import { t, type Lang } from '../i18n';
import { BASE } from '../types';
import { Empty, Filters, Pager, Select, TextFilter, When } from './common';
import { DisplayName } from './people';

export type AuditListQuery = Record<string, string | undefined>;

/** Who acted: the account (and its LINE name), the console operator, or the API. */
function Actor({ item, names }: { item: AuditItem; names: AuditNames }) {
  return (
    <>
      {item.username !== null ? (
        <a href={`${BASE}/audit?userId=${item.userId}`}>{item.username}</a>
      ) : item.userId !== null ? (
        <span>#{item.userId}</span>
      ) : null}
      {item.lineUserId ? (
        <div class="muted">
          <DisplayName name={names.actorName} lineId={item.lineUserId} />
        </div>
      ) : null}
      {item.operator ? <div class="muted">{item.operator}</div> : null}
    </>
  );
}

/** Details as `key: value` lines; values are what the writer recorded (never message text), shown as text. */
function Details({ details }: { details: Record<string, unknown> }) {
  const entries = Object.entries(details);
  if (entries.length === 0) return null;
  return (
    <dl class="details">
      {entries.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
        </>
      ))}
    </dl>
  );
}

export function AuditPage({
  lang,
  entries,
  nextCursor,
  query,
}: {
  lang: Lang;
  entries: Array<{ item: AuditItem; names: AuditNames }>;
  nextCursor: string | null;
  query: AuditListQuery;
}) {
  return (
    <>
      <h1>{t(lang, 'audit.title')}</h1>
      <p class="help">{t(lang, 'audit.help')}</p>
      <Filters action={`${BASE}/audit`} lang={lang}>
        <Select
          lang={lang}
          name="action"
          label={t(lang, 'audit.filterAction')}
          value={query.action}
          choices={auditActions.map((a) => ({ value: a, label: a }))}
        />
        <TextFilter name="userId" label={t(lang, 'audit.filterUser')} value={query.userId} />
        <TextFilter name="groupId" label={t(lang, 'audit.filterChat')} value={query.groupId} />
      </Filters>
      {entries.length === 0 ? (
        <Empty>{t(lang, 'audit.empty')}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="audit">
            <thead>
              <tr>
                <th scope="col">{t(lang, 'audit.at')}</th>
                <th scope="col">{t(lang, 'audit.action')}</th>
                <th scope="col">{t(lang, 'audit.actor')}</th>
                <th scope="col">{t(lang, 'audit.via')}</th>
                <th scope="col">{t(lang, 'audit.chat')}</th>
                <th scope="col">{t(lang, 'audit.target')}</th>
                <th scope="col">{t(lang, 'audit.details')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map(({ item, names }) => (
                <tr data-audit={item.id} data-action={item.action}>
                  <td>
                    <When at={item.at} />
                  </td>
                  <td>
                    <code>{item.action}</code>
                  </td>
                  <td>
                    <Actor item={item} names={names} />
                  </td>
                  <td>
                    {item.via}
                    {item.client ? <div class="muted">{item.client}</div> : null}
                  </td>
                  <td>
                    {item.lineGroupId ? (
                      <a href={`${BASE}/audit?groupId=${encodeURIComponent(item.lineGroupId)}`}>
                        <DisplayName name={names.groupName} lineId={item.lineGroupId} />
                      </a>
                    ) : null}
                  </td>
                  <td>{item.targetType ? `${item.targetType} ${item.targetId ?? ''}` : null}</td>
                  <td>
                    <Details details={item.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager lang={lang} path={`${BASE}/audit`} query={query} cursor={nextCursor} />
    </>
  );
}
