/**
 * The one page frame: document head, the navigation (when someone is signed in) with its sign-out
 * form, and the main content. Used through Hono's `jsxRenderer`: a route calls
 * `c.render(<Page ... />, { title, screen })`.
 */
import type { Context } from 'hono';
import type { PropsWithChildren } from 'hono/jsx';
import { CSRF_FIELD } from '../csrf';
import { t } from '../i18n';
import { BASE, screens, type ConsoleEnv, type ScreenKey } from '../types';

export interface PageProps {
  /** The page's own title (the document title adds the console's name). */
  title: string;
  /** The navigation entry to mark as current. */
  screen?: ScreenKey;
}

declare module 'hono' {
  interface ContextRenderer {
    // biome-ignore lint/style/useShorthandFunctionType: an interface, so that it merges with Hono's.
    (content: string | Promise<string>, props: PageProps): Response | Promise<Response>;
  }
}

export function Layout({ children, title, screen }: PropsWithChildren<PageProps>, c: Context<ConsoleEnv>) {
  const lang = c.get('lang');
  const operator = c.get('operator');
  const notice = operator ? c.get('notice') : undefined;
  return (
    <html lang={lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <title>{`${title} · ${t(lang, 'app.name')}`}</title>
        <link rel="stylesheet" href={`${BASE}/assets/console.css`} />
      </head>
      <body>
        {operator ? (
          <header class="top">
            <a class="brand" href={BASE}>
              {t(lang, 'app.name')}
            </a>
            <nav class="nav" aria-label={t(lang, 'nav.label')}>
              {screens.map((s) => (
                <a href={s.path} aria-current={s.key === screen ? 'page' : undefined}>
                  {t(lang, s.label)}
                </a>
              ))}
              <form method="post" action={`${BASE}/logout`}>
                <input type="hidden" name={CSRF_FIELD} value={c.get('csrfToken')} />
                <button type="submit">{t(lang, 'nav.logout')}</button>
              </form>
            </nav>
          </header>
        ) : null}
        <main id="main">
          {notice ? (
            <p class="notice" role="status">
              {t(lang, notice)}
            </p>
          ) : null}
          {children}
        </main>
      </body>
    </html>
  );
}
