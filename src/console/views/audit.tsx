/**
 * The audit trail: newest first, with the filters an operator asks by (action or a family of
 * them, operator, account, chat), each entry linking to the entries like it and to its chat.
 */
import { auditActions } from '../../audit/record';
import type { AuditChat, AuditItem, AuditNames } from '../../domain/audit';
import { t, type Lang } from '../i18n';
import { BASE } from '../types';
import { Empty, Filters, hrefOf, Pager, TextFilter, When } from './common';
import { DisplayName } from './people';

export type AuditListQuery = Record<string, string | undefined>;

/** The audit screen filtered: `/admin/audit?action=…&groupId=…` (what other pages link to). */
export const auditHref = (filters: AuditListQuery) => hrefOf(`${BASE}/audit`, filters);

/** The families of actions (`nas.`, `binding.`), from the known actions. */
const families = [...new Set(auditActions.map((a) => a.slice(0, a.indexOf('.') + 1)))];

/** The action filter: a family or one action; a family typed into the URL (`foo.`) is kept as an option. */
function ActionSelect({ lang, value }: { lang: Lang; value?: string }) {
  const known = value === undefined || families.includes(value) || (auditActions as readonly string[]).includes(value);
  return (
    <div class="field">
      <label for="f-action">{t(lang, 'audit.filterAction')}</label>
      <select id="f-action" name="action">
        <option value="">{t(lang, 'common.all')}</option>
        <optgroup label={t(lang, 'audit.families')}>
          {families.map((f) => (
            <option value={f} selected={f === value}>{`${f}*`}</option>
          ))}
          {known ? null : (
            <option value={value} selected>
              {value.endsWith('.') ? `${value}*` : value}
            </option>
          )}
        </optgroup>
        <optgroup label={t(lang, 'audit.actions')}>
          {auditActions.map((a) => (
            <option value={a} selected={a === value}>
              {a}
            </option>
          ))}
        </optgroup>
      </select>
    </div>
  );
}

/** Who acted: the account (and its LINE name), the console operator, or the API; each a filter. */
function Actor({ item, names }: { item: AuditItem; names: AuditNames }) {
  return (
    <>
      {item.username !== null ? (
        <a href={auditHref({ userId: String(item.userId) })}>{item.username}</a>
      ) : item.userId !== null ? (
        <span>#{item.userId}</span>
      ) : null}
      {item.lineUserId ? (
        <div>
          <a href={auditHref({ lineUserId: item.lineUserId })}>
            <DisplayName name={names.actorName} lineId={item.lineUserId} />
          </a>
        </div>
      ) : null}
      {item.operator ? (
        <div>
          <a class="mono" href={auditHref({ operator: item.operator })}>
            {item.operator}
          </a>
        </div>
      ) : null}
    </>
  );
}

/** The chat an entry names, linked: a group's page, or a 1:1 chat's messages; and its entries. */
function Chat({ lang, chat }: { lang: Lang; chat: AuditChat }) {
  if (!chat) return null;
  const group = chat.kind === 'group';
  return (
    <>
      {group ? null : <span class="muted">{`${t(lang, 'audit.oneToOne')} `}</span>}
      <a href={group ? `${BASE}/groups/${chat.id}` : hrefOf(`${BASE}/messages`, { lineUserId: chat.id })}>
        <DisplayName name={chat.name} lineId={chat.lineId ?? chat.id} />
      </a>
      <div>
        <a class="small" href={auditHref(group ? { groupId: chat.id } : { lineUserId: chat.id })}>
          {t(lang, 'audit.chatEntries')}
        </a>
      </div>
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
  entries: Array<{ item: AuditItem; names: AuditNames; chat: AuditChat }>;
  nextCursor: string | null;
  query: AuditListQuery;
}) {
  return (
    <>
      <h1>{t(lang, 'audit.title')}</h1>
      <p class="help">{t(lang, 'audit.help')}</p>
      <Filters action={`${BASE}/audit`} lang={lang}>
        <ActionSelect lang={lang} value={query.action} />
        <TextFilter
          name="operator"
          label={t(lang, 'audit.filterOperator')}
          value={query.operator}
          maxlength={256}
          describedBy="audit-operator-help"
        />
        <TextFilter name="userId" label={t(lang, 'audit.filterUser')} value={query.userId} />
        <TextFilter name="groupId" label={t(lang, 'audit.filterChat')} value={query.groupId} />
        <TextFilter name="lineUserId" label={t(lang, 'audit.filterLineUser')} value={query.lineUserId} />
      </Filters>
      <p class="help" id="audit-operator-help">
        {t(lang, 'audit.filterHelp')}
      </p>
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
              {entries.map(({ item, names, chat }) => (
                <tr data-audit={item.id} data-action={item.action}>
                  <td>
                    <When at={item.at} />
                  </td>
                  <td>
                    <a href={auditHref({ action: item.action })}>
                      <code>{item.action}</code>
                    </a>
                  </td>
                  <td>
                    <Actor item={item} names={names} />
                  </td>
                  <td>
                    {item.via}
                    {item.client ? <div class="muted">{item.client}</div> : null}
                  </td>
                  <td class="chat">
                    <Chat lang={lang} chat={chat} />
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
