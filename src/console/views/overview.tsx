/** The overview screen: the figures an operator checks first (each names the screen it comes from), and messages per day. */
import { formatAge, formatNumber, t, type Lang } from '../i18n';
import type { Overview } from '../../domain/overview';
import type { PushQuota } from '../../domain/push-quota';
import { BASE } from '../types';
import { BarChart } from './chart';

/** Waiting past this long means the NAS job is down or behind (LINE may expire the content). */
const NAS_STALE_SECONDS = 10 * 60;

export function OverviewPage({ lang, overview }: { lang: Lang; overview: Overview }) {
  const { figures: f, perDay } = overview;
  const num = (n: number) => formatNumber(lang, n);
  const oldest = f.nas.oldestWaitingSeconds;
  return (
    <>
      <h1>{t(lang, 'overview.title')}</h1>
      <dl class="cards">
        <div class="card" data-figure="line-users">
          <dt>
            <a href={`${BASE}/line-users`}>{t(lang, 'overview.lineUsers')}</a>
          </dt>
          <dd class="figure">{num(f.lineUsers)}</dd>
        </div>
        <div class="card" data-figure="groups">
          <dt>
            <a href={`${BASE}/groups`}>{t(lang, 'overview.groups')}</a>
          </dt>
          <dd class="figure">{num(f.groups.active)}</dd>
          <dd class="note">
            {t(lang, 'overview.groupsActive', { active: num(f.groups.active), total: num(f.groups.total) })}
          </dd>
        </div>
        <div class="card" data-figure="messages-today">
          <dt>
            <a href={`${BASE}/messages`}>{t(lang, 'overview.messagesToday')}</a>
          </dt>
          <dd class="figure">{num(f.messagesToday)}</dd>
          <dd class="note">{t(lang, 'overview.messagesTodayNote')}</dd>
        </div>
        <div class="card" data-figure="inbox">
          <dt>
            <a href={`${BASE}/inbox`}>{t(lang, 'overview.inbox')}</a>
          </dt>
          <dd class={f.inbox.failed > 0 ? 'warn' : undefined}>
            {t(lang, 'overview.inboxFailed', { n: num(f.inbox.failed) })}
          </dd>
          <dd class={f.inbox.dead > 0 ? 'bad' : undefined}>
            {t(lang, 'overview.inboxDead', { n: num(f.inbox.dead) })}
          </dd>
        </div>
        <div class="card" data-figure="nas">
          <dt>
            <a href={`${BASE}/files?syncStatus=pending`}>{t(lang, 'overview.nas')}</a>
          </dt>
          <dd class="figure">{num(f.nas.waiting)}</dd>
          <dd class={oldest !== null && oldest > NAS_STALE_SECONDS ? 'note warn' : 'note'}>
            {oldest === null
              ? t(lang, 'overview.nasNone')
              : t(lang, 'overview.nasOldest', { age: formatAge(lang, oldest) })}
          </dd>
        </div>
        <div class="card" data-figure="ai">
          <dt>
            <a href={`${BASE}/ai-logs/usage`}>{t(lang, 'overview.aiToday')}</a>
          </dt>
          <dd class="figure">{num(f.ai.answers)}</dd>
          <dd class="note">
            {t(lang, 'overview.aiTokens', { input: num(f.ai.inputTokens), output: num(f.ai.outputTokens) })}
          </dd>
        </div>
        {f.nasSends ? (
          <div class="card" data-figure="nas-sends">
            <dt>
              <a href={`${BASE}/share-links?state=active`}>{t(lang, 'overview.nasSentToday')}</a>
            </dt>
            <dd class="figure">{num(f.nasSends.sentToday)}</dd>
            <dd class="note">{t(lang, 'overview.shareLinksActive', { n: num(f.nasSends.activeLinks) })}</dd>
          </div>
        ) : null}
        {overview.pushQuota ? <PushQuotaCard lang={lang} quota={overview.pushQuota} /> : null}
      </dl>
      <h2>{t(lang, 'overview.chartTitle')}</h2>
      <BarChart lang={lang} days={perDay} id="messages-per-day" />
    </>
  );
}

/**
 * This month's push quota (LINE's figures, up to 10 minutes old), a warning from 80% and at 100%,
 * and the pushes LINE refused. Old figures say how old; no figures say "unknown".
 */
function PushQuotaCard({ lang, quota: q }: { lang: Lang; quota: PushQuota }) {
  const num = (n: number) => formatNumber(lang, n);
  const age = q.ageSeconds === null ? null : formatAge(lang, q.ageSeconds);
  return (
    <div class="card" data-figure="push-quota" data-level={q.level ?? 'unknown'}>
      <dt>{t(lang, 'overview.pushQuota')}</dt>
      {q.type === null || q.totalUsage === null ? (
        <dd class="figure">{t(lang, 'overview.pushQuotaUnknown')}</dd>
      ) : q.type === 'limited' && q.value !== null ? (
        <>
          <dd class="figure">{`${num(q.percentUsed ?? 0)}%`}</dd>
          <dd class="note">{t(lang, 'overview.pushQuotaUsed', { used: num(q.totalUsage), limit: num(q.value) })}</dd>
        </>
      ) : (
        <>
          <dd class="figure">{t(lang, 'overview.pushQuotaNone')}</dd>
          <dd class="note">{t(lang, 'overview.pushQuotaUsedOnly', { used: num(q.totalUsage) })}</dd>
        </>
      )}
      {q.level === 'exhausted' ? (
        <dd class="bad" role="status">
          {t(lang, 'overview.pushQuotaExhausted')}
        </dd>
      ) : q.level === 'warning' ? (
        <dd class="warn" role="status">
          {t(lang, 'overview.pushQuotaWarning', { percent: num(q.percentUsed ?? 0) })}
        </dd>
      ) : null}
      {age === null ? null : (
        <dd class={q.stale ? 'note warn' : 'note'}>
          {t(lang, q.stale ? 'overview.pushQuotaStale' : 'overview.pushQuotaAge', { age })}
        </dd>
      )}
      <dd class={q.refusedThisMonth > 0 ? 'bad' : 'note'} data-figure="push-refusals">
        {t(lang, 'overview.pushRefused', { n: num(q.refusedThisMonth) })}
      </dd>
    </div>
  );
}
