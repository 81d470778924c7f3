/** Refusals and errors as pages, with their status, in the operator's language. */
import type { Context } from 'hono';
import { t } from './i18n';
import type { ConsoleEnv } from './types';
import { MessagePage, type MessageStatus } from './views/message';

/** `detail`: what exactly was wrong (a field and why), shown under the status's own sentence. */
export function renderMessage(c: Context<ConsoleEnv>, status: MessageStatus, detail?: string) {
  const lang = c.get('lang') ?? 'zh-Hant';
  c.status(status);
  return c.render(<MessagePage lang={lang} status={status} signedIn={Boolean(c.get('operator'))} detail={detail} />, {
    title: t(lang, 'error.title'),
  });
}
