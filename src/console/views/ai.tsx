/** The AI answers' log and the usage report (per day, per chat, per asker). */
import type { AiLogItem, AiUsage, UsageFigures } from '../../domain/ai';
import { formatNumber, t, type Lang } from '../i18n';
import { BASE } from '../types';
import { Empty, Filters, Pager, TextFilter, When } from './common';
import { DisplayName } from './people';

function Tabs({ lang, current }: { lang: Lang; current: 'logs' | 'usage' }) {
  return (
    <nav class="tabs" aria-label={t(lang, 'ai.title')}>
      <a href={`${BASE}/ai-logs`} aria-current={current === 'logs' ? 'page' : undefined}>
        {t(lang, 'ai.logs')}
      </a>
      <a href={`${BASE}/ai-logs/usage`} aria-current={current === 'usage' ? 'page' : undefined}>
        {t(lang, 'ai.usage')}
      </a>
    </nav>
  );
}

export function AiLogsPage({
  lang,
  answers,
  nextCursor,
  query,
}: {
  lang: Lang;
  answers: AiLogItem[];
  nextCursor: string | null;
  query: Record<string, string | undefined>;
}) {
  const num = (n: number) => formatNumber(lang, n);
  return (
    <>
      <h1>{t(lang, 'ai.title')}</h1>
      <Tabs lang={lang} current="logs" />
      <Filters action={`${BASE}/ai-logs`} lang={lang}>
        <TextFilter name="groupId" label={t(lang, 'messages.filterChat')} value={query.groupId} />
        <TextFilter name="lineUserId" label={t(lang, 'messages.filterUser')} value={query.lineUserId} />
      </Filters>
      {answers.length === 0 ? (
        <Empty>{t(lang, 'ai.empty')}</Empty>
      ) : (
        <ul class="items answers">
          {answers.map((a) => (
            <li class="item" data-answer={a.id}>
              <div class="item-main">
                <div class="item-meta">
                  <When at={a.createdAt} />
                  <span>
                    {t(lang, 'ai.asker')}: <DisplayName name={a.userName} lineId={a.lineUserId} />
                  </span>
                  <span>
                    {a.lineGroupId ? (
                      <DisplayName name={a.groupName} lineId={a.lineGroupId} />
                    ) : (
                      t(lang, 'common.oneToOne')
                    )}
                  </span>
                </div>
                <p class="question">{a.question}</p>
                <span class="badges">
                  <span class={a.status === 'failed' ? 'badge bad' : a.status === 'answered' ? 'badge good' : 'badge'}>
                    {t(lang, `aiStatus.${a.status}`)}
                  </span>
                  {a.outcome ? <span class="badge">{a.outcome}</span> : null}
                  <span class="badge">{a.sentBy ? t(lang, `ai.sentBy.${a.sentBy}`) : t(lang, 'ai.notSent')}</span>
                  {a.restarts > 0 ? <span class="badge warn">{t(lang, 'ai.restarts', { n: a.restarts })}</span> : null}
                </span>
                <div class="item-meta">
                  <span>{t(lang, 'ai.tokens', { input: num(a.inputTokens), output: num(a.outputTokens) })}</span>
                  {a.cacheCreationInputTokens || a.cacheReadInputTokens ? (
                    <span>
                      {t(lang, 'ai.cache', {
                        creation: num(a.cacheCreationInputTokens),
                        read: num(a.cacheReadInputTokens),
                      })}
                    </span>
                  ) : null}
                  {a.latencyMs !== null ? <span>{t(lang, 'ai.latency', { ms: num(a.latencyMs) })}</span> : null}
                  {a.model ? <span class="mono">{a.model}</span> : null}
                </div>
                <div class="item-meta">
                  <span>{t(lang, 'ai.tools')}:</span>
                  {a.toolCalls.length === 0 ? (
                    <span class="muted">{t(lang, 'ai.noTools')}</span>
                  ) : (
                    a.toolCalls.map((tc) => <span class={tc.ok ? 'badge' : 'badge bad'}>{tc.name}</span>)
                  )}
                </div>
                {a.error ? <pre class="error">{a.error}</pre> : null}
              </div>
            </li>
          ))}
        </ul>
      )}
      <Pager lang={lang} path={`${BASE}/ai-logs`} query={query} cursor={nextCursor} />
    </>
  );
}

export interface UserUsage extends UsageFigures {
  lineUserId: string;
  displayName: string | null;
}

function FigureCells({ lang, f }: { lang: Lang; f: UsageFigures }) {
  const num = (n: number) => formatNumber(lang, n);
  return (
    <>
      <td class="num">{num(f.answers)}</td>
      <td class="num">{num(f.inputTokens)}</td>
      <td class="num">{num(f.outputTokens)}</td>
      <td class="num">{num(f.cacheReadInputTokens)}</td>
    </>
  );
}

function FigureHeads({ lang, first }: { lang: Lang; first: string }) {
  return (
    <thead>
      <tr>
        <th scope="col">{first}</th>
        <th scope="col" class="num">
          {t(lang, 'ai.answers')}
        </th>
        <th scope="col" class="num">
          {t(lang, 'ai.input')}
        </th>
        <th scope="col" class="num">
          {t(lang, 'ai.output')}
        </th>
        <th scope="col" class="num">
          {t(lang, 'ai.cacheRead')}
        </th>
      </tr>
    </thead>
  );
}

export function AiUsagePage({ lang, usage, users }: { lang: Lang; usage: AiUsage; users: UserUsage[] }) {
  return (
    <>
      <h1>{t(lang, 'ai.title')}</h1>
      <Tabs lang={lang} current="usage" />
      <Filters action={`${BASE}/ai-logs/usage`} lang={lang}>
        <div class="field">
          <label for="f-from">{t(lang, 'ai.from')}</label>
          <input id="f-from" name="from" type="date" value={usage.from} />
        </div>
        <div class="field">
          <label for="f-to">{t(lang, 'ai.to')}</label>
          <input id="f-to" name="to" type="date" value={usage.to} />
        </div>
      </Filters>
      <p class="help">{t(lang, 'ai.range', { from: usage.from, to: usage.to })}</p>
      <div class="table-wrap">
        <table data-usage="totals">
          <FigureHeads lang={lang} first="" />
          <tbody>
            <tr>
              <th scope="row">{t(lang, 'ai.total')}</th>
              <FigureCells lang={lang} f={usage.totals} />
            </tr>
          </tbody>
        </table>
      </div>
      {usage.totals.answers === 0 ? <Empty>{t(lang, 'ai.usageEmpty')}</Empty> : null}

      <h2>{t(lang, 'ai.perUser')}</h2>
      <div class="table-wrap">
        <table data-usage="users">
          <FigureHeads lang={lang} first={t(lang, 'ai.asker')} />
          <tbody>
            {users.map((u) => (
              <tr>
                <th scope="row">
                  <DisplayName name={u.displayName} lineId={u.lineUserId} />
                </th>
                <FigureCells lang={lang} f={u} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>{t(lang, 'ai.perChat')}</h2>
      <div class="table-wrap">
        <table data-usage="chats">
          <FigureHeads lang={lang} first={t(lang, 'messages.chat')} />
          <tbody>
            {usage.chats.map((ch) => (
              <tr>
                <th scope="row">
                  {ch.lineGroupId ? (
                    <DisplayName name={ch.groupName} lineId={ch.lineGroupId} />
                  ) : (
                    t(lang, 'common.oneToOne')
                  )}
                </th>
                <FigureCells lang={lang} f={ch} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>{t(lang, 'ai.perDay')}</h2>
      <div class="table-wrap">
        <table data-usage="days">
          <FigureHeads lang={lang} first={t(lang, 'ai.day')} />
          <tbody>
            {[...usage.days].reverse().map((d) => (
              <tr>
                <th scope="row">{d.date}</th>
                <FigureCells lang={lang} f={d} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
