/** LINE users with their binding state, and the confirmation before unbinding one. */
import type { PauseItem } from '../../domain/ai-pauses';
import type { LineUserItem } from '../../domain/line-users';
import { t, type Lang } from '../i18n';
import { BASE } from '../types';
import { auditHref } from './audit';
import { CsrfField, Empty, Filters, hrefOf, Pager, Select, When } from './common';
import { PauseBadge } from './ai-pause';
import { Avatar, DisplayName } from './people';

const accountName = (u: NonNullable<LineUserItem['user']>) =>
  u.displayName ? `${u.displayName} (${u.username})` : u.username;

export function LineUserListPage({
  lang,
  users,
  nextCursor,
  query,
  pauses,
}: {
  lang: Lang;
  users: LineUserItem[];
  nextCursor: string | null;
  query: { bound?: string; before?: string };
  /** The 1:1 chats' AI pauses in force, by LINE user id. */
  pauses: Map<string, PauseItem>;
}) {
  return (
    <>
      <h1>{t(lang, 'lineUsers.title')}</h1>
      <Filters action={`${BASE}/line-users`} lang={lang}>
        <Select
          lang={lang}
          name="bound"
          label={t(lang, 'lineUsers.filterBound')}
          value={query.bound}
          choices={[
            { value: 'true', label: t(lang, 'lineUsers.boundOnly') },
            { value: 'false', label: t(lang, 'lineUsers.unboundOnly') },
          ]}
        />
      </Filters>
      {users.length === 0 ? (
        <Empty>{t(lang, 'lineUsers.empty')}</Empty>
      ) : (
        <ul class="items">
          {users.map((u) => (
            <li class="item" data-line-user={u.id}>
              <Avatar url={u.pictureUrl} />
              <div class="item-main">
                <span class="item-title">
                  <DisplayName name={u.displayName} lineId={u.lineUserId} />
                </span>
                <div class="item-meta">
                  <span class="mono">{u.lineUserId}</span>
                  <span>
                    {t(lang, 'lineUsers.since')} <When at={u.createdAt} />
                  </span>
                </div>
                <span class="badges">
                  <span class={u.isFriend ? 'badge good' : 'badge muted'}>
                    {t(lang, u.isFriend ? 'lineUsers.friend' : 'lineUsers.notFriend')}
                  </span>
                  <span class={u.user ? 'badge good' : 'badge'}>
                    {t(lang, 'lineUsers.account')}: {u.user ? accountName(u.user) : t(lang, 'lineUsers.noAccount')}
                  </span>
                  <PauseBadge lang={lang} pause={pauses.get(u.id)} />
                </span>
                <div class="actions">
                  <a href={hrefOf(`${BASE}/messages`, { lineUserId: u.id })}>{t(lang, 'lineUsers.messages')}</a>
                  <a href={`${BASE}/line-users/${u.id}/send`}>{t(lang, 'send.open')}</a>
                  <a href={auditHref({ lineUserId: u.id })}>{t(lang, 'common.auditEntries')}</a>
                  <a href={`${BASE}/line-users/${u.id}/ai`}>{t(lang, 'pause.userLink')}</a>
                  {u.user ? <a href={`${BASE}/line-users/${u.id}/unbind`}>{t(lang, 'lineUsers.unbind')}</a> : null}
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
      <Pager lang={lang} path={`${BASE}/line-users`} query={query} cursor={nextCursor} />
    </>
  );
}

/** Unbinding asks first: a GET page with the POST form (no script needed for a confirm dialog). */
export function UnbindPage({ lang, user }: { lang: Lang; user: LineUserItem }) {
  return (
    <section class="panel confirm">
      <h1>{t(lang, 'lineUsers.confirmTitle')}</h1>
      <div class="page-head">
        <Avatar url={user.pictureUrl} />
        <DisplayName name={user.displayName} lineId={user.lineUserId} />
      </div>
      {user.user ? (
        <>
          <p>{t(lang, 'lineUsers.confirmText', { account: accountName(user.user) })}</p>
          <form method="post" action={`${BASE}/line-users/${user.id}/unbind`}>
            <CsrfField />
            <button class="button danger" type="submit">
              {t(lang, 'lineUsers.confirm')}
            </button>{' '}
            <a class="button secondary" href={`${BASE}/line-users`}>
              {t(lang, 'common.cancel')}
            </a>
          </form>
        </>
      ) : (
        <p>
          {t(lang, 'lineUsers.notBound')} <a href={`${BASE}/line-users`}>{t(lang, 'common.cancel')}</a>
        </p>
      )}
    </section>
  );
}
