/** Refusals and errors as pages, with their status, in the operator's language. */
import type { Context } from 'hono';
import { t } from './i18n';
import type { ConsoleEnv } from './types';
import { MessagePage, type MessageStatus } from './views/message';

export function renderMessage(c: Context<ConsoleEnv>, status: MessageStatus) {
  const lang = c.get('lang') ?? 'zh-Hant';
  c.status(status);
  return c.render(<MessagePage lang={lang} status={status} signedIn={Boolean(c.get('operator'))} />, { title: t(lang, 'error.title') });
}
