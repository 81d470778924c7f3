/** The groups-and-rooms list and a group's page: its settings, latest messages and files. */
import { hasLinePreview, type FileItem, type FileSummary } from '../../domain/files';
import type { PauseItem } from '../../domain/ai-pauses';
import type { GroupItem } from '../../domain/groups';
import type { MessageItem } from '../../domain/messages';
import { formatNumber, t, type Lang, type MessageKey } from '../i18n';
import { BASE } from '../types';
import { auditHref } from './audit';
import { CsrfField, Empty, Filters, formatBytes, hrefOf, Pager, PostButton, Select, typeLabel, When } from './common';
import { AiPausePanel, PauseBadge } from './ai-pause';
import { Avatar, DisplayName } from './people';
import { SendPanel, type SendPanelData } from './send';

export interface GroupListQuery {
  active?: boolean;
  ai?: boolean;
  unbound?: boolean;
  after?: string;
}

const boolText = (v: boolean | undefined) => (v === undefined ? undefined : String(v));

function GroupBadges({ lang, g, pause }: { lang: Lang; g: GroupItem; pause?: PauseItem | null }) {
  return (
    <span class="badges">
      <span class="badge">{t(lang, g.sourceType === 'room' ? 'groups.room' : 'groups.group')}</span>
      <span class={g.isActive ? 'badge good' : 'badge muted'}>
        {t(lang, g.isActive ? 'groups.active' : 'groups.left')}
      </span>
      <span class={g.allowAiResponse ? 'badge good' : 'badge'}>
        {t(lang, g.allowAiResponse ? 'groups.aiOn' : 'groups.aiOff')}
      </span>
      <PauseBadge lang={lang} pause={pause} />
    </span>
  );
}

const members = (lang: Lang, n: number | null) =>
  n === null ? t(lang, 'groups.membersUnknown') : t(lang, 'groups.members', { n: formatNumber(lang, n) });

export function GroupListPage({
  lang,
  groups,
  next,
  query,
  pauses,
}: {
  lang: Lang;
  groups: GroupItem[];
  next: string | null;
  query: GroupListQuery;
  /** The AI pauses in force, by group id. */
  pauses: Map<string, PauseItem>;
}) {
  const yesNo = (on: MessageKey, off: MessageKey) => [
    { value: 'true', label: t(lang, on) },
    { value: 'false', label: t(lang, off) },
  ];
  const q = {
    active: boolText(query.active),
    ai: boolText(query.ai),
    unbound: boolText(query.unbound),
    after: query.after,
  };
  return (
    <>
      <h1>{t(lang, 'groups.title')}</h1>
      <Filters action={`${BASE}/groups`} lang={lang}>
        <Select
          lang={lang}
          name="active"
          label={t(lang, 'groups.filterActive')}
          value={q.active}
          choices={yesNo('groups.activeOnly', 'groups.leftOnly')}
        />
        <Select
          lang={lang}
          name="ai"
          label={t(lang, 'groups.filterAi')}
          value={q.ai}
          choices={yesNo('groups.aiOn', 'groups.aiOff')}
        />
        <Select
          lang={lang}
          name="unbound"
          label={t(lang, 'groups.filterProject')}
          value={q.unbound}
          choices={yesNo('groups.unboundOnly', 'groups.boundOnly')}
        />
      </Filters>
      {groups.length === 0 ? (
        <Empty>{t(lang, 'groups.empty')}</Empty>
      ) : (
        <ul class="items">
          {groups.map((g) => (
            <li class="item" data-group={g.id}>
              <Avatar url={g.pictureUrl} />
              <div class="item-main">
                <a class="item-title" href={`${BASE}/groups/${g.id}`}>
                  <DisplayName name={g.name} lineId={g.lineGroupId} />
                </a>
                <div class="item-meta">
                  <span>{members(lang, g.memberCount)}</span>
                  <span>{g.project ? g.project.name : t(lang, 'groups.noProject')}</span>
                </div>
                <GroupBadges lang={lang} g={g} pause={pauses.get(g.id)} />
              </div>
            </li>
          ))}
        </ul>
      )}
      <Pager lang={lang} path={`${BASE}/groups`} query={q} cursor={next} param="after" />
    </>
  );
}

/** A file's name, else the last part of its NAS path (images have no name of their own). */
const nameOf = (file?: { fileName: string | null; nasPath: string | null }) =>
  file?.fileName ?? file?.nasPath?.split('/').pop() ?? null;

/**
 * What a file message shows: a thumbnail while LINE still has the image or video (LINE's preview
 * through the Worker: the NAS copy is on-prem, out of the Worker's reach), its kind, name and
 * NAS sync state.
 */
function FileChip({ lang, type, file }: { lang: Lang; type: string; file?: FileSummary | FileItem }) {
  const name = nameOf(file) ?? t(lang, 'file.noName');
  return (
    <span class="file-chip">
      {file && hasLinePreview(file) ? (
        <img
          class="thumb"
          src={`${BASE}/files/${file.id}/preview`}
          alt={name}
          loading="lazy"
          width={120}
          height={120}
        />
      ) : null}
      <span class="file-type">{typeLabel(lang, file?.fileType ?? type)}</span>
      <span class="name">{name}</span>
      {file ? <span class={`sync sync-${file.syncStatus}`}>{t(lang, `syncStatus.${file.syncStatus}`)}</span> : null}
    </span>
  );
}

const MEDIA = new Set(['image', 'video', 'audio', 'file']);

/** A message's body as text: never markup, whatever it contains. */
export function MessageBody({ lang, m, file }: { lang: Lang; m: MessageItem; file?: FileSummary }) {
  if (m.unsentAt) return <span class="muted">{t(lang, 'msg.unsent')}</span>;
  if (MEDIA.has(m.messageType) || file) return <FileChip lang={lang} type={m.messageType} file={file} />;
  const label = m.messageType === 'text' ? null : <span class="badge">{typeLabel(lang, m.messageType)}</span>;
  return (
    <>
      {label}
      {m.content ? <span class="text">{m.content}</span> : <span class="muted">{t(lang, 'msg.empty')}</span>}
    </>
  );
}

/** Oldest at the top, as a chat reads; the bot's messages on the other side. */
function Timeline({ lang, messages, files }: { lang: Lang; messages: MessageItem[]; files: Map<string, FileSummary> }) {
  return (
    <ol class="timeline">
      {[...messages].reverse().map((m) => (
        <li class={m.isFromBot ? 'msg bot' : 'msg'} data-message={m.id}>
          <div class="msg-head">
            {m.isFromBot ? (
              <span class="name">
                {t(lang, 'msg.bot')}
                {m.sentByOperator ? <span class="muted mono">{` · ${m.sentByOperator}`}</span> : null}
              </span>
            ) : (
              <DisplayName name={m.senderName} lineId={m.lineUserId ?? t(lang, 'msg.unknownSender')} />
            )}
            <When at={m.sentAt} />
            {m.editedAt ? <span class="muted">{t(lang, 'msg.edited')}</span> : null}
          </div>
          <div class="bubble">
            <MessageBody lang={lang} m={m} file={files.get(m.id)} />
          </div>
        </li>
      ))}
    </ol>
  );
}

export function FileTable({ lang, files }: { lang: Lang; files: FileItem[] }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">{t(lang, 'files.name')}</th>
            <th scope="col" class="num">
              {t(lang, 'files.size')}
            </th>
            <th scope="col">{t(lang, 'files.status')}</th>
            <th scope="col">{t(lang, 'files.nasPath')}</th>
            <th scope="col">{t(lang, 'common.time')}</th>
          </tr>
        </thead>
        <tbody>
          {files.map((f) => (
            <tr data-file={f.id}>
              <td>
                <FileChip lang={lang} type={f.fileType} file={f} />
              </td>
              <td class="num">{formatBytes(lang, f.fileSize)}</td>
              <td>
                {t(lang, `syncStatus.${f.syncStatus}`)}
                {f.syncError ? (
                  <div>
                    <small class="muted">{f.syncError}</small>
                  </div>
                ) : null}
              </td>
              <td class="path">{f.nasPath ?? '—'}</td>
              <td>
                <When at={f.sentAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export interface GroupPageProps {
  lang: Lang;
  group: GroupItem;
  projects: Array<{ id: string; name: string }>;
  messages: MessageItem[];
  moreMessages: boolean;
  files: Map<string, FileSummary>;
  groupFiles: FileItem[];
  moreFiles: boolean;
  /** Sending as the bot into this chat (./send.tsx). */
  send?: SendPanelData;
  /** The AI pause in force, if an operator has taken over. */
  pause: PauseItem | null;
}

export function GroupPage({
  lang,
  group: g,
  projects,
  messages,
  moreMessages,
  files,
  groupFiles,
  moreFiles,
  send,
  pause,
}: GroupPageProps) {
  const self = `${BASE}/groups/${g.id}`;
  return (
    <>
      <div class="page-head">
        <Avatar url={g.pictureUrl} />
        <h1>
          <DisplayName name={g.name} lineId={g.lineGroupId} />
        </h1>
      </div>
      <GroupBadges lang={lang} g={g} pause={pause} />
      <dl class="facts">
        <dt>{t(lang, 'group.lineId')}</dt>
        <dd class="mono">{g.lineGroupId}</dd>
        <dt>{t(lang, 'group.members')}</dt>
        <dd>{members(lang, g.memberCount)}</dd>
        <dt>{t(lang, 'group.project')}</dt>
        <dd>{g.project ? g.project.name : t(lang, 'groups.noProject')}</dd>
        <dt>{t(lang, 'group.joined')}</dt>
        <dd>
          <When at={g.joinedAt} />
        </dd>
        {g.leftAt ? (
          <>
            <dt>{t(lang, 'group.leftAt')}</dt>
            <dd>
              <When at={g.leftAt} />
            </dd>
          </>
        ) : null}
        <dt>{t(lang, 'common.auditEntries')}</dt>
        <dd>
          <a href={auditHref({ groupId: g.id })}>{t(lang, 'group.auditEntries')}</a>
        </dd>
      </dl>

      <div class="settings">
        <section class="panel" aria-labelledby="ai-h">
          <h2 id="ai-h">{t(lang, 'group.ai')}</h2>
          <p>{t(lang, g.allowAiResponse ? 'group.aiIsOn' : 'group.aiIsOff')}</p>
          <PostButton
            action={`${self}/ai`}
            fields={{ allow: String(!g.allowAiResponse) }}
            label={t(lang, g.allowAiResponse ? 'group.aiTurnOff' : 'group.aiTurnOn')}
            kind={g.allowAiResponse ? 'secondary' : undefined}
          />
        </section>

        <section class="panel" aria-labelledby="project-h">
          <h2 id="project-h">{t(lang, 'group.project')}</h2>
          <form method="post" action={`${self}/project`}>
            <CsrfField />
            <label for="projectId" class="visually-hidden">
              {t(lang, 'group.project')}
            </label>
            <select id="projectId" name="projectId">
              <option value="" selected={!g.project}>
                {t(lang, 'group.projectNone')}
              </option>
              {projects.map((p) => (
                <option value={p.id} selected={g.project?.id === p.id}>
                  {p.name}
                </option>
              ))}
            </select>
            {projects.length === 0 ? <p class="help">{t(lang, 'group.noProjects')}</p> : null}
            <button class="button" type="submit">
              {t(lang, 'group.projectSave')}
            </button>
          </form>
        </section>

        <AiPausePanel lang={lang} pause={pause} action={self} audit={{ groupId: g.id }} />

        <section class="panel wide" aria-labelledby="instructions-h">
          <h2 id="instructions-h">{t(lang, 'group.instructions')}</h2>
          <form method="post" action={`${self}/instructions`}>
            <CsrfField />
            <label for="aiInstructions" class="visually-hidden">
              {t(lang, 'group.instructions')}
            </label>
            <textarea id="aiInstructions" name="aiInstructions" rows={5} maxlength={4000}>
              {g.aiInstructions ?? ''}
            </textarea>
            <p class="help">{t(lang, 'group.instructionsHelp')}</p>
            <button class="button" type="submit">
              {t(lang, 'group.instructionsSave')}
            </button>
          </form>
        </section>
      </div>

      {send ? <SendPanel lang={lang} data={send} isGroup /> : null}

      <h2>{t(lang, 'group.timeline')}</h2>
      {messages.length === 0 ? (
        <Empty>{t(lang, 'group.timelineEmpty')}</Empty>
      ) : (
        <Timeline lang={lang} messages={messages} files={files} />
      )}
      {moreMessages ? (
        <p>
          <a href={hrefOf(`${BASE}/messages`, { groupId: g.id })}>{t(lang, 'group.moreMessages')}</a>
        </p>
      ) : null}

      <h2>{t(lang, 'group.files')}</h2>
      {groupFiles.length === 0 ? (
        <Empty>{t(lang, 'group.filesEmpty')}</Empty>
      ) : (
        <FileTable lang={lang} files={groupFiles} />
      )}
      {moreFiles ? (
        <p>
          <a href={hrefOf(`${BASE}/files`, { groupId: g.id })}>{t(lang, 'group.moreFiles')}</a>
        </p>
      ) : null}
    </>
  );
}
