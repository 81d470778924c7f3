/**
 * Who sent an event and where: `line_users` and `line_groups` rows, with LINE profiles and group
 * summaries cached in them. A profile is fetched only when the row is missing or older than the
 * TTL, so a busy group costs no LINE API calls per message (the seed article made three).
 */
import { sql } from 'drizzle-orm';
import type { Queryable, Transaction } from '../db/client';
import { lineGroups, lineUsers, users } from '@linebot-edge/shared/schema';
import { LineApiError } from '../line/errors';
import type { LineClient, UserProfile } from '../line/client';
import type { Chat, EventDeps } from './types';

type LineUserInsert = typeof lineUsers.$inferInsert;
type LineGroupInsert = typeof lineGroups.$inferInsert;

export interface Known {
  user: { id: string; refreshedAt: Date | null } | null;
  chat: { id: string; refreshedAt: Date | null } | null;
}

/** One round trip for both cache lookups. */
export async function loadKnown(db: Queryable, lineUserId: string | undefined, chat: Chat | null): Promise<Known> {
  if (!lineUserId && !chat) return { user: null, chat: null };
  const result = await db.execute<{ user: RowRef | null; chat: RowRef | null }>(sql`
    select
      (select json_build_object('id', ${lineUsers.id}, 'refreshedAt', ${lineUsers.profileRefreshedAt})
         from ${lineUsers} where ${lineUsers.lineUserId} = ${lineUserId ?? null}) as "user",
      (select json_build_object('id', ${lineGroups.id}, 'refreshedAt', ${lineGroups.summaryRefreshedAt})
         from ${lineGroups} where ${lineGroups.lineGroupId} = ${chat?.id ?? null}) as "chat"`);
  const row = result.rows[0];
  return { user: toKnown(row?.user), chat: toKnown(row?.chat) };
}

/** Who tapped a button of the bot's, as stored: their row, account and language. */
export interface Tapper {
  id: string;
  /** The company account they are bound to, if any. */
  userId: number | null;
  role: (typeof users.$inferSelect)['role'] | null;
  language: string | null;
}

/**
 * A postback's tapper and chat as the database knows them, in one round trip (the tap handlers:
 * offers, `/find` lists, late answers). `chatPk` is null for a 1:1 tap and for a chat never stored.
 */
export async function loadTapper(
  db: Queryable,
  lineUserId: string,
  chat: Chat | null,
): Promise<{ tapper: Tapper | null; chatPk: string | null }> {
  const result = await db.execute<{ tapper: Tapper | null; chat_pk: string | null }>(sql`
    select
      (select json_build_object('id', ${lineUsers.id}, 'userId', ${lineUsers.userId}, 'role', ${users.role}, 'language', ${lineUsers.language})
         from ${lineUsers} left join ${users} on ${users.id} = ${lineUsers.userId}
        where ${lineUsers.lineUserId} = ${lineUserId}) as "tapper",
      (select ${lineGroups.id} from ${lineGroups} where ${lineGroups.lineGroupId} = ${chat?.id ?? null}) as "chat_pk"`);
  const row = result.rows[0];
  return { tapper: row?.tapper ?? null, chatPk: row?.chat_pk ?? null };
}

type RowRef = { id: string; refreshedAt: string | null };
const toKnown = (r: RowRef | null | undefined) =>
  r ? { id: r.id, refreshedAt: r.refreshedAt ? new Date(r.refreshedAt) : null } : null;

export const isStale = (known: { refreshedAt: Date | null } | null, ttlMs: number, now = Date.now()) =>
  !known?.refreshedAt || now - known.refreshedAt.getTime() >= ttlMs;

/** Profile fields as LINE gave them; `null` when LINE refused (404: not a friend, left the group). */
export type ProfileFields = Pick<LineUserInsert, 'displayName' | 'pictureUrl' | 'statusMessage' | 'language'>;

/** The sender's profile through the endpoint that fits where they spoke. */
export async function fetchProfile(
  line: LineClient,
  lineUserId: string,
  chat: Chat | null,
): Promise<ProfileFields | null> {
  try {
    const p =
      chat?.type === 'group'
        ? await line.getGroupMemberProfile(chat.id, lineUserId)
        : chat?.type === 'room'
          ? await line.getRoomMemberProfile(chat.id, lineUserId)
          : await line.getProfile(lineUserId);
    const fields: ProfileFields = { displayName: p.displayName, pictureUrl: p.pictureUrl ?? null };
    // Member profiles carry no status message or language: keep what a 1:1 profile told us.
    if (!chat) {
      const full = p as UserProfile;
      fields.statusMessage = full.statusMessage ?? null;
      fields.language = full.language ?? null;
    }
    return fields;
  } catch (err) {
    if (err instanceof LineApiError && err.isNotFound) return null;
    throw err;
  }
}

export type ChatFields = Pick<LineGroupInsert, 'name' | 'pictureUrl' | 'memberCount'>;

/** Group name, picture and member count; rooms have only a count. Missing pieces (404) are left out. */
export async function fetchChatInfo(line: LineClient, chat: Chat): Promise<ChatFields> {
  const fields: ChatFields = {};
  if (chat.type === 'group') {
    const summary = await orNullIfNotFound(line.getGroupSummary(chat.id));
    if (summary) {
      fields.name = summary.groupName;
      fields.pictureUrl = summary.pictureUrl ?? null;
    }
  }
  const count = await orNullIfNotFound(
    chat.type === 'group' ? line.getGroupMemberCount(chat.id) : line.getRoomMemberCount(chat.id),
  );
  if (count !== null) fields.memberCount = count;
  return fields;
}

async function orNullIfNotFound<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof LineApiError && err.isNotFound) return null;
    throw err;
  }
}

/**
 * Inserts or updates a LINE user; `profile` undefined means "not fetched this time", null means
 * "LINE refused" (the refresh time is still recorded, so we do not ask again before the TTL).
 */
export async function upsertLineUser(
  tx: Transaction,
  lineUserId: string,
  profile: ProfileFields | null | undefined,
  extra: Partial<Pick<LineUserInsert, 'isFriend' | 'followedAt' | 'unfollowedAt'>> = {},
): Promise<string> {
  const set: Partial<LineUserInsert> = { ...extra };
  if (profile !== undefined) Object.assign(set, profile ?? {}, { profileRefreshedAt: new Date() });
  const [row] = await tx
    .insert(lineUsers)
    .values({ lineUserId, ...set })
    .onConflictDoUpdate({ target: lineUsers.lineUserId, set: { ...set, updatedAt: sql`now()` } })
    .returning({ id: lineUsers.id });
  return row!.id;
}

export async function upsertChat(
  tx: Transaction,
  chat: Chat,
  info: ChatFields | undefined,
  extra: Partial<Pick<LineGroupInsert, 'isActive' | 'joinedAt' | 'leftAt' | 'memberCount'>> = {},
): Promise<string> {
  const set: Partial<LineGroupInsert> = { ...extra };
  if (info !== undefined) Object.assign(set, info, { summaryRefreshedAt: new Date() });
  const [row] = await tx
    .insert(lineGroups)
    // Seen first through another event than `join`: when the bot joined is unknown (before this event), not now.
    .values({ lineGroupId: chat.id, sourceType: chat.type, joinedAt: null, ...set })
    .onConflictDoUpdate({ target: lineGroups.lineGroupId, set: { ...set, updatedAt: sql`now()` } })
    .returning({ id: lineGroups.id });
  return row!.id;
}

/**
 * The usual preparation for an event from someone somewhere: look both up, refresh what is
 * stale from LINE, and return a function that writes them inside the event's transaction.
 * Rows already known and fresh cost no writes at all.
 */
export async function prepareParticipants(deps: EventDeps, lineUserId: string | undefined, chat: Chat | null) {
  const known = await loadKnown(deps.db, lineUserId, chat);
  const profile =
    lineUserId && isStale(known.user, deps.profileTtlMs) ? await fetchProfile(deps.line, lineUserId, chat) : undefined;
  const chatInfo = chat && isStale(known.chat, deps.profileTtlMs) ? await fetchChatInfo(deps.line, chat) : undefined;

  const userReady = !lineUserId || (known.user !== null && profile === undefined);
  const chatReady = !chat || (known.chat !== null && chatInfo === undefined);
  return {
    /** Both rows exist and are fresh: their ids, and nothing to write (the common case). */
    resolved: userReady && chatReady ? { userPk: known.user?.id ?? null, chatPk: known.chat?.id ?? null } : null,
    /** Writes what is missing or stale, inside the event's transaction. */
    apply: async (tx: Transaction) => {
      const userPk = !lineUserId ? null : userReady ? known.user!.id : await upsertLineUser(tx, lineUserId, profile);
      const chatPk = !chat ? null : chatReady ? known.chat!.id : await upsertChat(tx, chat, chatInfo);
      return { userPk, chatPk };
    },
  };
}
