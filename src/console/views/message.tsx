/** A page that only says what happened: refusals and errors, in the layout (with the menu when signed in). */
import { t, type Lang } from '../i18n';
import { BASE } from '../types';

export type MessageStatus = 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500;

export function MessagePage({
  lang,
  status,
  signedIn,
  detail,
}: {
  lang: Lang;
  status: MessageStatus;
  signedIn: boolean;
  detail?: string;
}) {
  return (
    <section class="panel" role="alert">
      <h1>{`${status} · ${t(lang, 'error.title')}`}</h1>
      <p>{t(lang, `error.${status}`)}</p>
      {detail ? <p class="detail">{detail}</p> : null}
      <p>
        {signedIn ? (
          <a href={BASE}>{t(lang, 'error.back')}</a>
        ) : (
          <a href={`${BASE}/login`}>{t(lang, 'error.signIn')}</a>
        )}
      </p>
    </section>
  );
}
