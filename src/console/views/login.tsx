/** The sign-in form: one password field for the admin token. */
import { t, type Lang } from '../i18n';
import { BASE } from '../types';

export type LoginProblem =
  | { kind: 'wrong' }
  | { kind: 'disabled' }
  | { kind: 'access' }
  | { kind: 'limited'; retryAfterSeconds: number };

export function LoginPage({ lang, problem }: { lang: Lang; problem?: LoginProblem }) {
  const message =
    problem?.kind === 'wrong'
      ? t(lang, 'login.wrong')
      : problem?.kind === 'disabled' || problem?.kind === 'access'
        ? t(lang, `login.${problem.kind}`)
        : problem?.kind === 'limited'
          ? t(lang, 'login.limited', { minutes: Math.max(1, Math.ceil(problem.retryAfterSeconds / 60)) })
          : undefined;
  return (
    <section class="panel login">
      <h1>{t(lang, 'app.name')}</h1>
      {message ? (
        <p class="alert" role="alert">
          {message}
        </p>
      ) : null}
      {problem?.kind === 'access' ? null : (
        <form method="post" action={`${BASE}/login`}>
          <label for="token">{t(lang, 'login.token')}</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
          <p class="help">{t(lang, 'login.help')}</p>
          <button class="button" type="submit">
            {t(lang, 'login.submit')}
          </button>
        </form>
      )}
    </section>
  );
}
