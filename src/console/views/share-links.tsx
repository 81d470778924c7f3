/** Share links of NAS files sent into chats: the list with its filters and pager, and revoke. */
import type { ShareLinkItem, ShareLinkNames } from '../../domain/share-links';
import { shareLinkStates } from '../../api/schemas';
import { formatNumber, t, type Lang } from '../i18n';
import { BASE } from '../types';
import { Empty, Filters, formatBytes, Pager, PostButton, Select, TextFilter, When } from './common';
import { DisplayName } from './people';

export type ShareLinkListQuery = Record<string, string | undefined>;

const stateBadge = { active: 'badge good', expired: 'badge muted', revoked: 'badge bad' } as const;

/** The chat a link was sent into: its group (the filter link), or the 1:1 chat with the asker. */
function ChatOf({ lang, item, names }: { lang: Lang; item: ShareLinkItem; names: ShareLinkNames }) {
  if (!item.lineGroupId) return <span class="muted">{t(lang, 'common.oneToOne')}</span>;
  return (
    <a href={`${BASE}/share-links?groupId=${encodeURIComponent(item.lineGroupId)}`}>
      <DisplayName name={names.groupName} lineId={item.lineGroupId} />
    </a>
  );
}

export function ShareLinksPage({
  lang,
  links,
  nextCursor,
  query,
}: {
  lang: Lang;
  links: Array<{ item: ShareLinkItem; names: ShareLinkNames }>;
  nextCursor: string | null;
  query: ShareLinkListQuery;
}) {
  return (
    <>
      <h1>{t(lang, 'shareLinks.title')}</h1>
      <p class="help">{t(lang, 'shareLinks.help')}</p>
      <Filters action={`${BASE}/share-links`} lang={lang}>
        <Select
          lang={lang}
          name="state"
          label={t(lang, 'shareLinks.filterState')}
          value={query.state}
          choices={shareLinkStates.map((s) => ({ value: s, label: t(lang, `shareLinkState.${s}`) }))}
        />
        <TextFilter name="groupId" label={t(lang, 'shareLinks.filterChat')} value={query.groupId} />
        <TextFilter name="lineUserId" label={t(lang, 'shareLinks.filterUser')} value={query.lineUserId} />
      </Filters>
      {links.length === 0 ? (
        <Empty>{t(lang, 'shareLinks.empty')}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="share-links">
            <thead>
              <tr>
                <th scope="col">{t(lang, 'shareLinks.file')}</th>
                <th scope="col">{t(lang, 'shareLinks.chat')}</th>
                <th scope="col">{t(lang, 'shareLinks.created')}</th>
                <th scope="col">{t(lang, 'shareLinks.expires')}</th>
                <th scope="col">{t(lang, 'shareLinks.state')}</th>
                <th scope="col" class="num">
                  {t(lang, 'shareLinks.downloads')}
                </th>
                <th scope="col">{t(lang, 'shareLinks.lastDownload')}</th>
                <th scope="col">
                  <span class="visually-hidden">{t(lang, 'shareLinks.revoke')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {links.map(({ item, names }) => (
                <tr data-share-link={item.id} data-state={item.state}>
                  <td>
                    <span class="name">{item.fileName}</span>
                    <span class="muted"> {formatBytes(lang, item.size)}</span>
                  </td>
                  <td>
                    <ChatOf lang={lang} item={item} names={names} />
                    {item.lineUserId ? (
                      <div class="muted">
                        {t(lang, 'shareLinks.asker')}: <DisplayName name={names.senderName} lineId={item.lineUserId} />
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <When at={item.createdAt} />
                  </td>
                  <td>
                    <When at={item.expiresAt} />
                  </td>
                  <td>
                    <span class={stateBadge[item.state]}>{t(lang, `shareLinkState.${item.state}`)}</span>
                    {item.revokedAt ? (
                      <div class="muted">
                        {t(lang, 'shareLinks.revokedAt')} <When at={item.revokedAt} />
                      </div>
                    ) : null}
                  </td>
                  <td class="num">{formatNumber(lang, item.downloadCount)}</td>
                  <td>
                    <When at={item.lastDownloadedAt} />
                  </td>
                  <td>
                    {item.state === 'revoked' ? null : (
                      <PostButton
                        action={`${BASE}/share-links/${item.id}/revoke`}
                        label={t(lang, 'shareLinks.revoke')}
                        kind="danger"
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager lang={lang} path={`${BASE}/share-links`} query={query} cursor={nextCursor} />
    </>
  );
}
