/**
 * `/find <keywords>` and `/send <n>`: search the NAS within the chat's scope, keep the list for the
 * chat (nas_search_lists), and turn a number of it into a send request. `/send` is not answered
 * here when it works: the file message the Worker sends once the on-prem job uploads the file uses
 * the message's reply token.
 *
 * `/find` answers with a Flex message (src/line/file-flex.ts): each file with a 傳送 button whose
 * postback data is `find:<list id>:<n>`, and the numbered text as its altText. A tap is `/send <n>`
 * on exactly that list (src/events/handlers/find-tap.ts): the list id is derived in Postgres from
 * the chat's internal key and the moment of the search (`LIST_ID_SQL`), so it names one search of
 * one chat, a newer search in the chat retires it, and nobody outside can make one up.
 */
import type { messagingApi } from '@line/bot-sdk';
import { eq, sql } from 'drizzle-orm';
import { chatActor, recordAudit } from '../audit/record';
import type { Queryable, Transaction } from '../db/client';
import { nasSearchLists } from '@linebot-edge/shared/schema';
import { taipeiDateTime } from '../lib/taipei';
import { previewUrlsFor } from '../nas/file-previews';
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
import { fileListMessage } from '../line/file-flex';
import { isUuid } from '../lib/uuid';
import { oneLine } from '../ai/quote';

/** A list can be picked from this long after the search. */
export const SEARCH_LIST_TTL_MINUTES = 30;
/** Long names and folders are cut in the list, so ten results stay one LINE message. */
const LIST_TTL_SQL = sql.raw(`interval '${SEARCH_LIST_TTL_MINUTES} minutes'`);
const MAX_NAME_CHARS = 120;
const MAX_FOLDER_CHARS = 120;

/**
 * A list's id: a UUID made of a digest of its chat key and `created_at` (to the microsecond, which
 * every new search of the chat sets afresh). The chat keys hold internal ids no LINE user sees.
 */
const LIST_ID_SQL = sql<string>`substr(encode(sha256(convert_to(${nasSearchLists.chatKey} || ':' || to_char(${nasSearchLists.createdAt} at time zone 'UTC', 'YYYYMMDDHH24MISSUS'), 'UTF8')), 'hex'), 1, 32)::uuid`;

const FIND_PREFIX = 'find:';
/** The quick reply "search again": opens the keyboard with `/find ` typed; its tap itself does nothing. */
export const FIND_AGAIN_DATA = `${FIND_PREFIX}again`;
/** The 傳送 button of entry `n` (1-based) of a list. */
const tapData = (listId: string, n: number) => `${FIND_PREFIX}${listId}:${n}`;
/** A postback the bot's `/find` messages could have sent. */
export const isFindData = (data: unknown): data is string => typeof data === 'string' && data.startsWith(FIND_PREFIX);

export interface FindTap {
  listId: string;
  index: number;
}

/** The list and number in a 傳送 button's data, exactly as the bot writes it; null for anything else (edited or forged). */
export function findTapOf(data: unknown): FindTap | null {
  if (!isFindData(data)) return null;
  const m = /^find:([0-9a-f-]{36}):([1-9][0-9]{0,2})$/.exec(data);
  if (!m || !isUuid(m[1]!)) return null;
  const index = Number(m[2]);
  return index <= MAX_RESULTS ? { listId: m[1]!, index } : null;
}

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

export async function findFiles(tx: Transaction, ask: NasAsk, text: string): Promise<string | messagingApi.Message> {
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
  const [list] = await tx
    .insert(nasSearchLists)
    .values({ chatKey: key, lineUserId: ask.lineUserPk, fileIds })
    .onConflictDoUpdate({
      target: nasSearchLists.chatKey,
      set: { lineUserId: ask.lineUserPk, fileIds, createdAt: sql`now()` },
    })
    .returning({ listId: LIST_ID_SQL });
  const previews = await previewUrlsFor(tx, ask, shown);
  return listMessage(ask.lang, query, shown, hits.length > MAX_RESULTS, list!.listId, previews);
}

/** The id of a chat's current list (`chatKey`: `group:<id>` or `user:<id>`), if it has one. */
export async function searchListIdOf(db: Queryable, chatKey: string): Promise<string | undefined> {
  const [row] = await db
    .select({ listId: LIST_ID_SQL })
    .from(nasSearchLists)
    .where(eq(nasSearchLists.chatKey, chatKey));
  return row?.listId;
}

export interface SendOptions {
  /** A tap on a 傳送 button: only the list it was on, and its number must be on it. */
  tap?: { listId: string };
}

/** A send request for file `index` of the chat's list, or the reason there is none (a reply text). Null: requested, say nothing now. */
export async function sendFile(
  tx: Transaction,
  ask: NasAsk,
  index: number | null,
  options: SendOptions = {},
): Promise<string | null> {
  if (index === null) return say(ask.lang, 'send.usage');
  const [list] = await tx
    .select({
      listId: LIST_ID_SQL,
      fileIds: nasSearchLists.fileIds,
      fresh: sql<boolean>`${nasSearchLists.createdAt} > now() - ${LIST_TTL_SQL}`,
    })
    .from(nasSearchLists)
    .where(eq(nasSearchLists.chatKey, chatKeyOf(ask)));
  // A tap names its list: another chat's, an older one, or one made up is not this chat's list now.
  if (options.tap && list?.listId !== options.tap.listId) return say(ask.lang, 'find.tapInvalid');
  if (!list) return say(ask.lang, 'send.noList');
  if (!list.fresh) return say(ask.lang, 'send.listExpired', { minutes: SEARCH_LIST_TTL_MINUTES });
  const ids = Array.isArray(list.fileIds) ? list.fileIds : [];
  if (index < 1 || index > ids.length)
    return options.tap ? say(ask.lang, 'find.tapInvalid') : say(ask.lang, 'send.noSuchNumber', { count: ids.length });

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
      details: { how: options.tap ? 'tap' : 'command', share: file.share, path: file.path, size: file.size },
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

/** The list as a Flex message: each file with its 傳送 button, the text version as altText, a quick reply to search again. */
function listMessage(
  lang: BotLang,
  query: NasQuery,
  hits: NasFileHit[],
  more: boolean,
  listId: string,
  previews: Map<string, string>,
): messagingApi.FlexMessage {
  const button = say(lang, 'offer.button');
  const footer = say(lang, 'find.tapFooter', { button, minutes: SEARCH_LIST_TTL_MINUTES });
  return fileListMessage({
    altText: listText(lang, query, hits, more),
    heading: say(lang, more ? 'find.foundMore' : 'find.found', { count: hits.length, query: describeQuery(query) }),
    entries: hits.map((h, i) => {
      const name = oneLine(h.name, MAX_NAME_CHARS);
      return {
        name: `${i + 1}. ${name}`,
        details: [
          `📁 ${oneLine(folderOf(h), MAX_FOLDER_CHARS)}`,
          `${formatSize(h.size)}・${taipeiDateTime(h.modifiedAt)}`,
        ],
        button: { label: button, data: tapData(listId, i + 1), displayText: say(lang, 'offer.displayText', { name }) },
        ...(previews.has(h.id) ? { imageUrl: previews.get(h.id)! } : {}),
      };
    }),
    footer: more ? `${say(lang, 'find.listCut', { max: MAX_RESULTS })}\n${footer}` : footer,
    quickReply: {
      items: [
        {
          type: 'action',
          action: {
            type: 'postback',
            label: say(lang, 'find.searchAgain'),
            data: FIND_AGAIN_DATA,
            inputOption: 'openKeyboard',
            fillInText: '/find ',
          },
        },
      ],
    },
  });
}

/** The text version: what clients without Flex show, and the notification. */
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
