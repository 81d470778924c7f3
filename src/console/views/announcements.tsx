/**
 * Announcements: the list, the composing page (message, chats by project or by hand, an optional
 * NAS file, then a preview with the chats, the push estimate and the quota left, and the send
 * form), and an announcement's progress with each chat's outcome; paused for the push quota, the
 * quota left now and "send the rest"; with failed rows, "retry failed chats".
 */
import type {
  AnnouncementDraft,
  AnnouncementPlan,
  AnnouncementProgress,
  listAnnouncements,
} from '../../domain/announcements';
import type { GroupItem } from '../../domain/groups';
import type { ProjectItem } from '../../domain/projects';
import type { PushQuota } from '../../domain/push-quota';
import type { NasFileHit } from '../../nas/search';
import { formatNumber, t, type Lang, type MessageKey } from '../i18n';
import { BASE } from '../types';
import { CsrfField, Empty, formatBytes, When } from './common';
import { QuotaLine } from './send';

type AnnouncementItem = Awaited<ReturnType<typeof listAnnouncements>>[number];

const statusKey = (status: AnnouncementItem['status']): MessageKey =>
  status === 'done' ? 'ann.statusDone' : status === 'paused' ? 'ann.statusPaused' : 'ann.statusSending';

export function AnnouncementListPage({ lang, items }: { lang: Lang; items: AnnouncementItem[] }) {
  return (
    <>
      <h1>{t(lang, 'ann.title')}</h1>
      <p class="help">{t(lang, 'ann.help')}</p>
      <p>
        <a class="button" href={`${BASE}/announcements/new`}>
          {t(lang, 'ann.new')}
        </a>
      </p>
      {items.length === 0 ? (
        <Empty>{t(lang, 'ann.none')}</Empty>
      ) : (
        <ul class="items">
          {items.map((a) => (
            <li class="item" data-announcement={a.id} data-status={a.status}>
              <div class="item-main">
                <a class="item-title" href={`${BASE}/announcements/${a.id}`}>
                  {(a.text ?? a.name ?? '').slice(0, 80)}
                </a>
                <span class="item-meta">
                  <When at={a.createdAt} /> · <span class="mono">{a.operator}</span>
                </span>
                <span class="item-meta">
                  {`${t(lang, statusKey(a.status))} · `}
                  {t(lang, 'ann.progress', {
                    sent: a.sent,
                    failed: a.failed,
                    open: a.total - a.sent - a.failed,
                    total: a.total,
                  })}
                </span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export interface ComposeData {
  draft: AnnouncementDraft;
  q: string;
  projects: ProjectItem[];
  groups: GroupItem[];
  hits: NasFileHit[] | null;
  /** Set once previewed: what sending would do. */
  plan: AnnouncementPlan | null;
  problem: string | null;
  quota: PushQuota | null;
  /** The send form's submission id (the announcement's id). */
  announcementId: string;
}

/** The draft as hidden fields: the send form carries exactly what was previewed. */
function DraftFields({ draft }: { draft: AnnouncementDraft }) {
  return (
    <>
      <input type="hidden" name="text" value={draft.text ?? ''} />
      {draft.fileId ? <input type="hidden" name="fileId" value={draft.fileId} /> : null}
      {draft.projectIds.map((id) => (
        <input type="hidden" name="projectId" value={id} />
      ))}
      {draft.lineGroupIds.map((id) => (
        <input type="hidden" name="groupId" value={id} />
      ))}
    </>
  );
}

export function ComposePage({ lang, data }: { lang: Lang; data: ComposeData }) {
  const { draft, plan } = data;
  const quotaLeft =
    data.quota?.type === 'limited' && data.quota.value !== null
      ? Math.max(0, data.quota.value - (data.quota.totalUsage ?? 0))
      : null;
  return (
    <>
      <h1>{t(lang, 'ann.new')}</h1>
      <p class="help">{t(lang, 'ann.help')}</p>
      {data.problem ? (
        <p class="error" role="alert">
          {data.problem}
        </p>
      ) : null}
      <form method="post" action={`${BASE}/announcements/preview`} class="panel form-panel">
        <CsrfField />
        <div class="field">
          <label for="ann-text">{t(lang, 'ann.text')}</label>
          <textarea id="ann-text" name="text" rows={4} maxlength={5000}>
            {draft.text ?? ''}
          </textarea>
        </div>
        <fieldset>
          <legend>{t(lang, 'ann.projects')}</legend>
          {data.projects.length === 0 ? <p class="muted">{t(lang, 'ann.noProjects')}</p> : null}
          {data.projects.map((p) => (
            <label class="check">
              <input type="checkbox" name="projectId" value={p.id} checked={draft.projectIds.includes(p.id)} /> {p.name}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t(lang, 'ann.groups')}</legend>
          {data.groups.length === 0 ? <p class="muted">{t(lang, 'ann.noGroups')}</p> : null}
          {data.groups.map((g) => (
            <label class="check">
              <input type="checkbox" name="groupId" value={g.id} checked={draft.lineGroupIds.includes(g.id)} />{' '}
              {g.name ?? g.lineGroupId}
              {g.project ? <span class="muted">{` (${g.project.name})`}</span> : null}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t(lang, 'ann.file')}</legend>
          <p class="help">{t(lang, 'ann.fileHelp')}</p>
          <label for="ann-q">{t(lang, 'send.searchLabel')}</label>{' '}
          <input id="ann-q" type="search" name="q" value={data.q} maxlength={200} />
          <label class="check">
            <input type="radio" name="fileId" value="" checked={!draft.fileId} /> {t(lang, 'ann.noFile')}
          </label>
          {(data.hits ?? []).map((hit) => (
            <label class="check" data-nas-file={hit.id}>
              <input type="radio" name="fileId" value={hit.id} checked={draft.fileId === hit.id} />{' '}
              <span class="mono">{`${hit.share}/${hit.path}`}</span> {formatBytes(lang, hit.size)}
            </label>
          ))}
          {data.hits !== null && data.hits.length === 0 ? <p class="muted">{t(lang, 'send.noHits')}</p> : null}
        </fieldset>
        <button class="button secondary" type="submit">
          {t(lang, 'ann.preview')}
        </button>
      </form>

      {plan && !data.problem ? (
        <section class="panel" id="preview" aria-labelledby="preview-h">
          <h2 id="preview-h">{t(lang, 'ann.preview')}</h2>
          <p data-chats={plan.chats.length} data-push-estimate={plan.pushEstimate}>
            {t(lang, 'ann.summary', {
              chats: formatNumber(lang, plan.chats.length),
              pushes: formatNumber(lang, plan.pushEstimate),
            })}
          </p>
          {plan.unknownMembers > 0 ? (
            <p class="note">{t(lang, 'ann.unknownMembers', { n: plan.unknownMembers })}</p>
          ) : null}
          {data.quota ? <QuotaLine lang={lang} quota={data.quota} /> : null}
          {quotaLeft !== null && plan.pushEstimate > quotaLeft ? (
            <p class="alert" role="alert">
              {t(lang, 'ann.overQuota')}
            </p>
          ) : null}
          <ul>
            {plan.chats.map((c) => (
              <li>
                {c.name ?? c.lineGroupId}
                <span class="muted">{` · ${c.memberCount ?? '?'}`}</span>
              </li>
            ))}
          </ul>
          {plan.file ? <p class="mono">{`${plan.file.share}/${plan.file.path}`}</p> : null}
          <form method="post" action={`${BASE}/announcements`}>
            <CsrfField />
            <input type="hidden" name="announcementId" value={data.announcementId} />
            <DraftFields draft={draft} />
            <button class="button" type="submit">
              {t(lang, 'ann.send')}
            </button>
          </form>
        </section>
      ) : null}
    </>
  );
}

/** A form of one button that acts on the announcement (its help under it). */
function ActionForm(props: { action: string; label: string; help: string; secondary?: boolean }) {
  return (
    <form method="post" action={props.action}>
      <CsrfField />
      <button class={props.secondary ? 'button secondary' : 'button'} type="submit">
        {props.label}
      </button>
      <p class="help">{props.help}</p>
    </form>
  );
}

export interface AnnouncementPageData {
  progress: AnnouncementProgress;
  /** What src/access/policy.ts `announcementActionFor` allows now: the forms shown. */
  may: { resume: boolean; retry: boolean };
  /** The month's push quota, read for a paused announcement. */
  quota: PushQuota | null;
}

export function AnnouncementPage({ lang, data }: { lang: Lang; data: AnnouncementPageData }) {
  const { progress, may } = data;
  const { announcement: a, counts } = progress;
  const total = counts.pending + counts.sending + counts.sent + counts.failed;
  const self = `${BASE}/announcements/${a.id}`;
  return (
    <>
      <h1>{t(lang, 'ann.title')}</h1>
      <dl class="facts">
        <dt>{t(lang, 'send.status')}</dt>
        <dd data-status={a.status}>{t(lang, statusKey(a.status))}</dd>
        <dt>{t(lang, 'send.by')}</dt>
        <dd class="mono">{a.operator}</dd>
        <dt>{t(lang, 'ann.created')}</dt>
        <dd>
          <When at={a.createdAt} />
        </dd>
        <dt>{t(lang, 'ann.estimate')}</dt>
        <dd>{formatNumber(lang, a.pushEstimate)}</dd>
        <dt>{t(lang, 'send.what')}</dt>
        <dd>
          {a.text}
          {a.name ? <span class="mono">{` ${a.share}/${a.path}`}</span> : null}
        </dd>
      </dl>
      <p data-progress={`${counts.sent}/${counts.failed}/${total}`}>
        {t(lang, 'ann.progress', {
          sent: counts.sent,
          failed: counts.failed,
          open: counts.pending + counts.sending,
          total,
        })}
      </p>
      {may.resume ? (
        <section class="panel" id="paused" data-chats-left={progress.chatsLeft}>
          <p class="alert" role="alert">
            {t(lang, 'ann.paused', {
              chats: formatNumber(lang, progress.chatsLeft),
              rows: formatNumber(lang, counts.pending),
            })}
          </p>
          {data.quota ? <QuotaLine lang={lang} quota={data.quota} /> : null}
          <ActionForm action={`${self}/resume`} label={t(lang, 'ann.resume')} help={t(lang, 'ann.pausedHelp')} />
        </section>
      ) : null}
      {may.retry ? (
        <div data-retryable={progress.retryable}>
          <ActionForm
            action={`${self}/retry`}
            label={t(lang, 'ann.retry')}
            help={t(lang, 'ann.retryHelp', { n: formatNumber(lang, progress.retryable) })}
            secondary
          />
        </div>
      ) : null}
      {a.status === 'sending' ? (
        <>
          <p>
            <a href={self}>{t(lang, 'ann.refresh')}</a>
          </p>
          <ActionForm
            action={`${self}/continue`}
            label={t(lang, 'ann.continue')}
            help={t(lang, 'ann.continueHelp')}
            secondary
          />
        </>
      ) : null}
      <h2>{t(lang, 'ann.chats')}</h2>
      <div class="table-wrap">
        <table>
          <tbody>
            {progress.chats.map((c) => (
              <tr data-chat={c.lineGroupId}>
                <td>
                  <a href={`${BASE}/groups/${c.lineGroupId}`}>{c.name ?? c.lineGroupId}</a>
                </td>
                <td>
                  {c.rows.map((r) => (
                    <span class="badges" data-operator-send={r.id} data-status={r.status}>
                      <span class="badge">{t(lang, `ann.part.${r.part}` as MessageKey)}</span>
                      <span class={r.status === 'sent' ? 'badge good' : 'badge'}>
                        {t(lang, `sendStatus.${r.status}` as MessageKey)}
                      </span>
                      {r.error ? <span class="muted">{` ${r.error}`}</span> : null}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>
        <a href={`${BASE}/audit?${new URLSearchParams({ action: 'console.announcement_sent' }).toString()}`}>
          {t(lang, 'send.auditLink')}
        </a>
      </p>
    </>
  );
}
