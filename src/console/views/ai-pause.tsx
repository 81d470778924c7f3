/**
 * Taking over a chat from the AI: whether it is paused, by whom and until when, the form that
 * pauses it (1, 4 or 24 hours, or until resumed) and the button that resumes it. One panel for a
 * group's page and a 1:1 chat's (its LINE user's) page; the badge for the lists.
 */
import type { PauseItem } from '../../domain/ai-pauses';
import type { LineUserItem } from '../../domain/line-users';
import { t, type Lang } from '../i18n';
import { BASE } from '../types';
import { CsrfField, hrefOf, PostButton, When } from './common';
import { Avatar, DisplayName } from './people';

/** The form's durations: hours, or `until` (until resumed). */
export const PAUSE_CHOICES = ['1', '4', '24', 'until'] as const;
const choiceLabel = { '1': 'pause.hour1', '4': 'pause.hour4', '24': 'pause.hour24', until: 'pause.hourUntil' } as const;

/** "AI paused" with who and until when, for a list's row; nothing when not paused. */
export function PauseBadge({ lang, pause }: { lang: Lang; pause: PauseItem | undefined | null }) {
  if (!pause) return null;
  return (
    <span class="badge warn" data-ai-paused>
      {t(lang, 'pause.badge')} · {pause.pausedBy} ·{' '}
      {pause.pausedUntil ? <When at={pause.pausedUntil} /> : t(lang, 'pause.untilResumed')}
    </span>
  );
}

/**
 * The panel: `action` is the chat's console path (`/admin/groups/<id>`), the forms post to
 * `<action>/ai-pause` and `<action>/ai-resume`; `audit` the trail of this chat's pauses.
 */
export function AiPausePanel({
  lang,
  pause,
  action,
  audit,
}: {
  lang: Lang;
  pause: PauseItem | null;
  action: string;
  audit: Record<string, string>;
}) {
  return (
    <section class="panel wide" aria-labelledby="pause-h" data-ai-pause-panel>
      <h2 id="pause-h">{t(lang, 'pause.title')}</h2>
      {pause ? (
        <dl class="facts" data-ai-paused>
          <dt>{t(lang, 'pause.state')}</dt>
          <dd>
            <span class="badge warn">{t(lang, 'pause.badge')}</span>
          </dd>
          <dt>{t(lang, 'pause.by')}</dt>
          <dd>{pause.pausedBy}</dd>
          <dt>{t(lang, 'pause.since')}</dt>
          <dd>
            <When at={pause.pausedAt} />
          </dd>
          <dt>{t(lang, 'pause.until')}</dt>
          <dd>{pause.pausedUntil ? <When at={pause.pausedUntil} /> : t(lang, 'pause.untilResumed')}</dd>
          <dt>{t(lang, 'pause.notice')}</dt>
          <dd>{pause.noticeSentAt ? <When at={pause.noticeSentAt} /> : t(lang, 'pause.noticeNotYet')}</dd>
        </dl>
      ) : (
        <p>{t(lang, 'pause.notPaused')}</p>
      )}
      <p class="help">{t(lang, 'pause.help')}</p>
      <form method="post" action={`${action}/ai-pause`}>
        <CsrfField />
        <label for="pause-hours">{t(lang, 'pause.for')}</label>{' '}
        <select id="pause-hours" name="hours">
          {PAUSE_CHOICES.map((v) => (
            <option value={v} selected={v === '1'}>
              {t(lang, choiceLabel[v])}
            </option>
          ))}
        </select>{' '}
        <button class="button" type="submit">
          {t(lang, pause ? 'pause.change' : 'pause.submit')}
        </button>
      </form>
      {pause ? <PostButton action={`${action}/ai-resume`} label={t(lang, 'pause.resume')} kind="secondary" /> : null}
      <p>
        <a href={hrefOf(`${BASE}/audit`, { action: 'ai.paused', ...audit })}>{t(lang, 'pause.audit')}</a>
      </p>
    </section>
  );
}

/** A 1:1 chat's AI: the LINE user, and the panel. */
export function LineUserAiPage({ lang, user, pause }: { lang: Lang; user: LineUserItem; pause: PauseItem | null }) {
  return (
    <>
      <div class="page-head">
        <Avatar url={user.pictureUrl} />
        <h1>
          <DisplayName name={user.displayName} lineId={user.lineUserId} />
        </h1>
      </div>
      <p>
        <a href={hrefOf(`${BASE}/messages`, { lineUserId: user.id })}>{t(lang, 'lineUsers.messages')}</a>
      </p>
      <div class="settings">
        <AiPausePanel lang={lang} pause={pause} action={`${BASE}/line-users/${user.id}`} audit={{}} />
      </div>
    </>
  );
}
