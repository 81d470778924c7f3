/** Company accounts: the list, the form that creates one, and a binding code shown large. */
import { formatCode } from '../../domain/binding-code';
import type { Account } from '../../domain/accounts';
import { taipeiDateTime } from '../../lib/taipei';
import { t, type Lang } from '../i18n';
import { BASE } from '../types';
import { auditHref } from './audit';
import { AccountTableHead, CsrfField, Empty, PostButton } from './common';

export interface AccountForm {
  username?: string;
  displayName?: string;
  role?: string;
}

export function AccountsPage({
  lang,
  accounts,
  form = {},
  problem,
}: {
  lang: Lang;
  accounts: Account[];
  form?: AccountForm;
  problem?: string;
}) {
  return (
    <>
      <h1>{t(lang, 'accounts.title')}</h1>
      {accounts.length === 0 ? (
        <Empty>{t(lang, 'accounts.empty')}</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <AccountTableHead lang={lang} roleColumn="accounts.role" action="accounts.issue" />
            <tbody>
              {accounts.map((a) => (
                <tr data-account={String(a.id)}>
                  <td class="mono">{a.username}</td>
                  <td>{a.displayName ?? '—'}</td>
                  <td>{t(lang, `role.${a.role}`)}</td>
                  <td>
                    <PostButton
                      action={`${BASE}/accounts/${a.id}/binding-code`}
                      label={t(lang, 'accounts.issue')}
                      kind="secondary"
                    />{' '}
                    <a class="small" href={auditHref({ userId: String(a.id) })}>
                      {t(lang, 'common.auditEntries')}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <section class="panel form-panel" aria-labelledby="create-h">
        <h2 id="create-h">{t(lang, 'accounts.create')}</h2>
        {problem ? (
          <p class="alert" role="alert">
            {problem}
          </p>
        ) : null}
        <form method="post" action={`${BASE}/accounts`}>
          <CsrfField />
          <div class="field">
            <label for="username">{t(lang, 'accounts.username')}</label>
            <input
              id="username"
              name="username"
              type="text"
              required
              maxlength={100}
              pattern="[A-Za-z0-9._@\-]+"
              autocomplete="off"
              value={form.username ?? ''}
            />
            <p class="help">{t(lang, 'accounts.usernameHelp')}</p>
          </div>
          <div class="field">
            <label for="displayName">{t(lang, 'accounts.displayName')}</label>
            <input
              id="displayName"
              name="displayName"
              type="text"
              maxlength={255}
              autocomplete="off"
              value={form.displayName ?? ''}
            />
            <p class="help">{t(lang, 'accounts.displayNameHelp')}</p>
          </div>
          <div class="field">
            <label for="role">{t(lang, 'accounts.role')}</label>
            <select id="role" name="role">
              <option value="member" selected={form.role !== 'admin'}>
                {t(lang, 'role.member')}
              </option>
              <option value="admin" selected={form.role === 'admin'}>
                {t(lang, 'role.admin')}
              </option>
            </select>
          </div>
          <button class="button" type="submit">
            {t(lang, 'accounts.createSubmit')}
          </button>
        </form>
      </section>
    </>
  );
}

export function BindingCodePage({
  lang,
  account,
  code,
}: {
  lang: Lang;
  account: Account;
  code: { code: string; expiresAt: Date } | null;
}) {
  return (
    <section class="panel code-panel">
      <h1>{t(lang, 'code.for', { username: account.username })}</h1>
      {code ? (
        <>
          {/* A <p> takes no accessible name (aria-label on it is ignored): a heading names the code. */}
          <h2 class="visually-hidden">{t(lang, 'code.title')}</h2>
          <p class="code">{formatCode(code.code)}</p>
          <p>
            <time datetime={code.expiresAt.toISOString()}>
              {t(lang, 'code.expires', { time: taipeiDateTime(code.expiresAt) })}
            </time>
          </p>
          <p class="help">{t(lang, 'code.help')}</p>
        </>
      ) : (
        <p>{t(lang, 'code.none')}</p>
      )}
      <PostButton
        action={`${BASE}/accounts/${account.id}/binding-code`}
        label={t(lang, 'code.issueAgain')}
        kind={code ? 'secondary' : undefined}
      />
      <p>
        <a href={`${BASE}/accounts`}>{t(lang, 'code.back')}</a>
        {' · '}
        <a href={auditHref({ userId: String(account.id) })}>{t(lang, 'common.auditEntries')}</a>
      </p>
    </section>
  );
}
