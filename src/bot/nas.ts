/**
 * `/find <keywords>` and `/send <n>`: search the NAS within the chat's scope, keep the list for the
 * chat (nas_search_lists), and turn a number of it into a send request. `/send` is not answered
 * here when it works: the file message the Worker sends once the on-prem job uploads the file uses
 * the message's reply token.
 */
import { eq, sql } from 'drizzle-orm';
import { chatActor, recordAudit } from '../audit/record';
import type { Transaction } from '../db/client';
import { nasSearchLists } from '@linebot-edge/shared/schema';
import { taipeiDateTime } from '../lib/taipei';
import { createSendRequest, type NasConfig } from '../nas/requests';
import { nasScopeOf } from '../nas/scope';
import {
  fileInScope,
  isProblem,
  MAX_FILE_TYPES,
  MAX_RESULTS,
  parseFindText,
  searchNasFiles,
  type NasFileHit,
  type NasQuery,
  type QueryProblem,
} from '../nas/search';
import type { NasScopeDecision } from '../access/policy';
import { say, type BotLang } from '../messages/catalog';
import { CODE_LENGTH } from '../domain/binding-code';

/** A list can be picked from this long after the search. */
export const SEARCH_LIST_TTL_MINUTES = 30;
/** Long names and folders are cut in the list, so ten results stay one LINE message. */
const LIST_TTL_SQL = sql.raw(`interval '${SEARCH_LIST_TTL_MINUTES} minutes'`);
const MAX_NAME_CHARS = 120;
const MAX_FOLDER_CHARS = 120;

export interface NasAsk {
  lineUserPk: string;
  chatPk: string | null;
  /** What asked: the webhook event id (the send request's key is derived from it). */
  eventKey: string;
  replyToken: string | null;
  sentAt: Date;
  nas: NasConfig;
  /** The asker's company account (users.id), for the audit trail; null or absent: not bound. */
  userId?: number | null;
  /** The asker's language: the replies are theirs. */
  lang: BotLang;
}

/** Who asked, from where, as the audit trail records it. */
const askerOf = (ask: Pick<NasAsk, 'lineUserPk' | 'chatPk' | 'userId'>) => ({
  ...chatActor(ask.lineUserPk, ask.userId),
  lineGroupId: ask.chatPk,
});

/** `group:<line_groups.id>` or `user:<line_users.id>`. */
const chatKeyOf = (ask: Pick<NasAsk, 'lineUserPk' | 'chatPk'>) =>
  ask.chatPk !== null ? `group:${ask.chatPk}` : `user:${ask.lineUserPk}`;

/** The reply to a scope that does not allow a search (null: it does). */
function refusal(lang: BotLang, decision: NasScopeDecision): string | null {
  switch (decision.kind) {
    case 'scope':
      return null;
    case 'unbound':
      return say(lang, 'bind.prompt', { codeLength: CODE_LENGTH });
    case 'noProject':
      return say(lang, 'find.noProject');
    case 'noFolder':
      return say(lang, 'find.noFolder', { project: decision.projectName });
    case 'notMember':
      return say(lang, 'find.notMember', { project: decision.projectName });
    case 'noProjects':
      return decision.withoutFolder.length === 0
        ? say(lang, 'find.noProjects')
        : say(lang, 'find.projectsWithoutFolder', { projects: decision.withoutFolder });
  }
}

function problemReply(lang: BotLang, p: QueryProblem): string {
  switch (p.problem) {
    case 'noKeywords':
      return say(lang, 'find.usage');
    case 'tooManyKeywords':
      return say(lang, 'find.tooManyKeywords', { max: p.max });
    case 'keywordTooLong':
      return say(lang, 'find.keywordTooLong', { max: p.max });
    case 'badFileType':
      return say(lang, 'find.badType', { value: p.value, maxTypes: MAX_FILE_TYPES });
  }
}

export async function findFiles(tx: Transaction, ask: NasAsk, text: string): Promise<string> {
  const query = parseFindText(text);
  if (isProblem(query)) return problemReply(ask.lang, query);
  const decision = await nasScopeOf(tx, ask);
  if (decision.kind !== 'scope') return refusal(ask.lang, decision)!;
  // One more than shown: enough to say there are more.
  const hits = await searchNasFiles(tx, decision.scope, query, MAX_RESULTS + 1);
  // The keywords and how many were found, never the results.
  await recordAudit(tx, {
    action: 'nas.search',
    ...askerOf(ask),
    details: {
      how: 'command',
      keywords: query.keywords,
      types: query.extensions,
      results: Math.min(hits.length, MAX_RESULTS),
      more: hits.length > MAX_RESULTS,
    },
  });
  const key = chatKeyOf(ask);
  if (hits.length === 0) {
    // No list: a `/send 1` now must not pick from an older search.
    await tx.delete(nasSearchLists).where(eq(nasSearchLists.chatKey, key));
    return say(ask.lang, 'find.nothing', { wanted: describeQuery(query) });
  }
  const shown = hits.slice(0, MAX_RESULTS);
  const fileIds = shown.map((h) => h.id);
  await tx
    .insert(nasSearchLists)
    .values({ chatKey: key, lineUserId: ask.lineUserPk, fileIds })
    .onConflictDoUpdate({
      target: nasSearchLists.chatKey,
      set: { lineUserId: ask.lineUserPk, fileIds, createdAt: sql`now()` },
    });
  return listText(ask.lang, query, shown, hits.length > MAX_RESULTS);
}

/** A send request for file `index` of the chat's list, or the reason there is none (a reply text). Null: requested, say nothing now. */
export async function sendFile(tx: Transaction, ask: NasAsk, index: number | null): Promise<string | null> {
  if (index === null) return say(ask.lang, 'send.usage');
  const [list] = await tx
    .select({
      fileIds: nasSearchLists.fileIds,
      fresh: sql<boolean>`${nasSearchLists.createdAt} > now() - ${LIST_TTL_SQL}`,
    })
    .from(nasSearchLists)
    .where(eq(nasSearchLists.chatKey, chatKeyOf(ask)));
  if (!list) return say(ask.lang, 'send.noList');
  if (!list.fresh) return say(ask.lang, 'send.listExpired', { minutes: SEARCH_LIST_TTL_MINUTES });
  const ids = Array.isArray(list.fileIds) ? list.fileIds : [];
  if (index < 1 || index > ids.length) return say(ask.lang, 'send.noSuchNumber', { count: ids.length });

  // The list may be older than a project change, an unbinding or the file's removal: check now.
  const decision = await nasScopeOf(tx, ask);
  if (decision.kind !== 'scope') return refusal(ask.lang, decision)!;
  const file = await fileInScope(tx, decision.scope, String(ids[index - 1]));
  if (!file) return say(ask.lang, 'send.fileGone');
  if (file.size > ask.nas.sendMaxBytes) return tooLargeReply(ask.lang, file.name, file.size, ask.nas.sendMaxBytes);

  const request = await createSendRequest(tx, {
    requestKey: `event:${ask.eventKey}`,
    file,
    lineUserPk: ask.lineUserPk,
    chatPk: ask.chatPk,
    replyToken: ask.replyToken,
    eventAt: ask.sentAt,
    publicBaseUrl: ask.nas.publicBaseUrl,
  });
  if (request.created) {
    await recordAudit(tx, {
      action: 'nas.send_requested',
      ...askerOf(ask),
      targetType: 'nas_send_request',
      targetId: request.id,
      details: { how: 'command', share: file.share, path: file.path, size: file.size },
    });
  }
  return null;
}

/** The keywords and types as the user will recognise them. */
const describeQuery = (q: NasQuery) =>
  [...q.keywords, ...(q.extensions.length > 0 ? [`type:${q.extensions.join(',')}`] : [])].join(' ');

/** A file over NAS_SEND_MAX_BYTES: `/send` and a tap on an AI offer say the same. */
export const tooLargeReply = (lang: BotLang, name: string, size: number, maxBytes: number) =>
  say(lang, 'send.tooLarge', { name, size: formatSize(size), max: formatSize(maxBytes) });

function listText(lang: BotLang, query: NasQuery, hits: NasFileHit[], more: boolean): string {
  const lines = [
    say(lang, more ? 'find.foundMore' : 'find.found', { count: hits.length, query: describeQuery(query) }),
  ];
  hits.forEach((h, i) => {
    lines.push(`${i + 1}. ${clip(h.name, MAX_NAME_CHARS)}`);
    lines.push(`   📁 ${clip(folderOf(h), MAX_FOLDER_CHARS)}`);
    lines.push(`   ${formatSize(h.size)}・${taipeiDateTime(h.modifiedAt)}`);
  });
  lines.push('');
  if (more) lines.push(say(lang, 'find.listCut', { max: MAX_RESULTS }));
  lines.push(say(lang, 'find.listFooter', { minutes: SEARCH_LIST_TTL_MINUTES }));
  return lines.join('\n');
}

/** `share/folder` of a file: where to find it on the NAS. */
export const folderOf = (f: { share: string; path: string }) => {
  const slash = f.path.lastIndexOf('/');
  return slash < 0 ? f.share : `${f.share}/${f.path.slice(0, slash)}`;
};

/** 532 B, 12.3 KB, 4.5 MB, 1.2 GB (1024-based, as file managers show). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, '')} ${units[u]}`;
}

/** At most `max` characters, never half a surrogate pair, marked with … when cut. */
function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}
