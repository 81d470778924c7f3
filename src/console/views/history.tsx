/** Messages and files of every chat, with their filters and pager. */
import { fileSyncStatuses } from '@linebot-edge/shared/schema';
import type { FileItem } from '../../domain/files';
import type { MessageItem } from '../../domain/messages';
import { t, type Lang } from '../i18n';
import { BASE } from '../types';
import { Empty, Filters, Pager, Select, TextFilter, typeLabel, When } from './common';
import { FileTable, MessageBody } from './groups';
import { DisplayName } from './people';

export type HistoryQuery = Record<string, string | undefined>;

const MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'file', 'sticker', 'location'];
const FILE_TYPES = ['image', 'video', 'audio', 'file'];

function ChatFilters({ lang, query }: { lang: Lang; query: HistoryQuery }) {
  return (
    <>
      <TextFilter name="groupId" label={t(lang, 'messages.filterChat')} value={query.groupId} />
      <TextFilter name="lineUserId" label={t(lang, 'messages.filterUser')} value={query.lineUserId} />
    </>
  );
}

/** The chat a message is in: its group (linked), or the 1:1 chat. */
function ChatOf({ lang, m }: { lang: Lang; m: MessageItem }) {
  if (!m.lineGroupId) return <span class="muted">{t(lang, 'common.oneToOne')}</span>;
  return (
    <a href={`${BASE}/messages?groupId=${encodeURIComponent(m.lineGroupId)}`}>
      <DisplayName name={m.groupName} lineId={m.lineGroupId} />
    </a>
  );
}

export function MessagesPage({
  lang,
  messages,
  nextCursor,
  query,
}: {
  lang: Lang;
  messages: MessageItem[];
  nextCursor: string | null;
  query: HistoryQuery;
}) {
  return (
    <>
      <h1>{t(lang, 'messages.title')}</h1>
      <Filters action={`${BASE}/messages`} lang={lang}>
        <ChatFilters lang={lang} query={query} />
        <Select
          lang={lang}
          name="messageType"
          label={t(lang, 'messages.filterType')}
          value={query.messageType}
          choices={MESSAGE_TYPES.map((v) => ({ value: v, label: typeLabel(lang, v) }))}
        />
      </Filters>
      {messages.length === 0 ? (
        <Empty>{t(lang, 'messages.empty')}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="messages">
            <thead>
              <tr>
                <th scope="col">{t(lang, 'common.time')}</th>
                <th scope="col">{t(lang, 'messages.chat')}</th>
                <th scope="col">{t(lang, 'messages.sender')}</th>
                <th scope="col">{t(lang, 'messages.content')}</th>
              </tr>
            </thead>
            <tbody>
              {messages.map((m) => (
                <tr data-message={m.id} class={m.isFromBot ? 'from-bot' : undefined}>
                  <td>
                    <When at={m.sentAt} />
                  </td>
                  <td>
                    <ChatOf lang={lang} m={m} />
                  </td>
                  <td>
                    {m.isFromBot ? (
                      <span class="badge good">{t(lang, 'msg.bot')}</span>
                    ) : m.lineUserId ? (
                      <DisplayName name={m.senderName} lineId={m.lineUserId} />
                    ) : (
                      '—'
                    )}
                  </td>
                  <td class="content">
                    <MessageBody lang={lang} m={m} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager lang={lang} path={`${BASE}/messages`} query={query} cursor={nextCursor} />
    </>
  );
}

export function FilesPage({
  lang,
  files,
  nextCursor,
  query,
}: {
  lang: Lang;
  files: FileItem[];
  nextCursor: string | null;
  query: HistoryQuery;
}) {
  return (
    <>
      <h1>{t(lang, 'files.title')}</h1>
      <Filters action={`${BASE}/files`} lang={lang}>
        <ChatFilters lang={lang} query={query} />
        <Select
          lang={lang}
          name="fileType"
          label={t(lang, 'messages.filterType')}
          value={query.fileType}
          choices={FILE_TYPES.map((v) => ({ value: v, label: typeLabel(lang, v) }))}
        />
        <Select
          lang={lang}
          name="syncStatus"
          label={t(lang, 'files.status')}
          value={query.syncStatus}
          choices={fileSyncStatuses.map((v) => ({ value: v, label: t(lang, `syncStatus.${v}`) }))}
        />
      </Filters>
      {files.length === 0 ? <Empty>{t(lang, 'files.empty')}</Empty> : <FileTable lang={lang} files={files} />}
      <Pager lang={lang} path={`${BASE}/files`} query={query} cursor={nextCursor} />
    </>
  );
}
