/**
 * Company accounts: list and create them, and issue a binding code. The code is shown on the page
 * the form redirects to, read there from the database (the account's live code): it travels in
 * no URL, no cookie and no log.
 */
import { Hono, type Context } from 'hono';
import { createAccount, getAccount, issueCodeFor, listAccounts, liveCodeOf } from '../../domain/accounts';
import { CreateUserSchema, UserId } from '../../api/schemas';
import { consoleActor } from '../audit';
import { redirectWithNotice } from '../flash';
import { formOf, issuesText } from '../forms';
import { t } from '../i18n';
import { renderMessage } from '../render';
import { BASE, type ConsoleEnv } from '../types';
import { AccountsPage, BindingCodePage, type AccountForm } from '../views/accounts';

const accountId = (c: Context<ConsoleEnv>) => {
  const parsed = UserId.safeParse(c.req.param('id'));
  return parsed.success ? parsed.data : null;
};

export const accountRoutes = new Hono<ConsoleEnv>()
  .get('/accounts', async (c) => {
    const lang = c.get('lang');
    return c.render(<AccountsPage lang={lang} accounts={await listAccounts(c.get('db'))} />, {
      title: t(lang, 'accounts.title'),
      screen: 'accounts',
    });
  })
  .post('/accounts', async (c) => {
    const lang = c.get('lang');
    const fields = await formOf(c);
    const form: AccountForm = { username: fields.username, displayName: fields.displayName, role: fields.role };
    // The API's rules for a new account; an empty display name is none.
    const parsed = CreateUserSchema.safeParse({
      username: form.username ?? '',
      displayName: form.displayName?.trim() ? form.displayName : undefined,
      role: form.role || undefined,
    });
    const db = c.get('db');
    const again = async (status: 400 | 409, problem: string) => {
      c.status(status);
      return c.render(<AccountsPage lang={lang} accounts={await listAccounts(db)} form={form} problem={problem} />, {
        title: t(lang, 'accounts.title'),
        screen: 'accounts',
      });
    };
    if (!parsed.success) return again(400, issuesText(parsed.error));
    const created = await createAccount(db, parsed.data);
    if (created === 'conflict') return again(409, t(lang, 'accounts.taken', { username: parsed.data.username }));
    c.get('log').info('console.account_created', { userId: created.id, role: created.role, by: c.get('operator').via });
    return redirectWithNotice(c, `${BASE}/accounts`, 'notice.accountCreated');
  })
  .get('/accounts/:id/binding-code', async (c) => {
    const lang = c.get('lang');
    const id = accountId(c);
    const db = c.get('db');
    const account = id === null ? null : await getAccount(db, id);
    if (!account) return renderMessage(c, 404);
    const code = await liveCodeOf(db, account.id);
    return c.render(<BindingCodePage lang={lang} account={account} code={code} />, {
      title: t(lang, 'code.title'),
      screen: 'accounts',
    });
  })
  .post('/accounts/:id/binding-code', async (c) => {
    const id = accountId(c);
    if (id === null) return renderMessage(c, 400);
    const issued = await issueCodeFor(c.get('db'), id, consoleActor(c));
    if (!issued) return renderMessage(c, 404);
    // The code is a secret for ten minutes: never logged.
    c.get('log').info('console.binding_code_issued', {
      userId: id,
      expiresAt: issued.expiresAt,
      by: c.get('operator').via,
    });
    return redirectWithNotice(c, `${BASE}/accounts/${id}/binding-code`, 'notice.codeIssued');
  });
