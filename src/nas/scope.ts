/**
 * The data behind the NAS scope rule (src/access/policy.ts `nasScopeFor`): whether the asker is bound
 * now, the project the chat is bound to now with its folder and whether the asker is a member of
 * it, and in a 1:1 chat the projects the asker is a member of. Read afresh for every search, every
 * send and every delivery, so an unbinding, a project change or a membership change takes effect
 * at once, even for an older list or a request made before it.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineGroups, lineUsers, projectMembers, projects, users } from '@linebot-edge/shared/schema';
import {
  nasScopeFor,
  operatorNasScopeFor,
  type ChatType,
  type NasProjectFolder,
  type NasScopeDecision,
} from '../access/policy';

export interface NasAsker {
  /** line_users.id */
  lineUserPk: string;
  /** line_groups.id of the group or room; null in a 1:1 chat. */
  chatPk: string | null;
}

export async function nasScopeOf(db: Queryable, asker: NasAsker): Promise<NasScopeDecision> {
  const [account] = await db
    .select({ id: users.id, role: users.role })
    .from(lineUsers)
    .innerJoin(users, eq(users.id, lineUsers.userId))
    .where(eq(lineUsers.id, asker.lineUserPk));
  let chatType: ChatType = 'user';
  let project: (NasProjectFolder & { askerIsMember: boolean }) | null = null;
  let memberOf: NasProjectFolder[] = [];
  if (asker.chatPk !== null) {
    const [chat] = await db
      .select({
        sourceType: lineGroups.sourceType,
        name: projects.name,
        nasFolder: projects.nasFolder,
        memberId: projectMembers.userId,
      })
      .from(lineGroups)
      .leftJoin(projects, eq(projects.id, lineGroups.projectId))
      // The asker's membership of the chat's project (no account: no row).
      .leftJoin(
        projectMembers,
        and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, account?.id ?? -1)),
      )
      .where(eq(lineGroups.id, asker.chatPk));
    chatType = chat?.sourceType === 'room' ? 'room' : 'group';
    project =
      chat?.name != null ? { name: chat.name, nasFolder: chat.nasFolder, askerIsMember: chat.memberId !== null } : null;
  } else if (account && account.role !== 'admin') {
    memberOf = await db
      .select({ name: projects.name, nasFolder: projects.nasFolder })
      .from(projectMembers)
      .innerJoin(projects, eq(projects.id, projectMembers.projectId))
      .where(eq(projectMembers.userId, account.id))
      .orderBy(asc(projects.name));
  }
  return nasScopeFor({ chatType, account: account ? { role: account.role } : null, project, memberOf });
}

/** A chat as the console names it: a group or room (`chatPk`), or a 1:1 chat by its user. */
export type ConsoleChat = { chatPk: string; lineUserPk: null } | { chatPk: null; lineUserPk: string };

/** What a console operator may send into this chat (`operatorNasScopeFor`), read now. */
export async function operatorNasScopeOf(db: Queryable, chat: ConsoleChat): Promise<NasScopeDecision> {
  if (chat.chatPk === null) return nasScopeOf(db, { lineUserPk: chat.lineUserPk, chatPk: null });
  const [row] = await db
    .select({ sourceType: lineGroups.sourceType, name: projects.name, nasFolder: projects.nasFolder })
    .from(lineGroups)
    .leftJoin(projects, eq(projects.id, lineGroups.projectId))
    .where(eq(lineGroups.id, chat.chatPk));
  return operatorNasScopeFor({
    chatType: row?.sourceType === 'room' ? 'room' : 'group',
    project: row?.name != null ? { name: row.name, nasFolder: row.nasFolder } : null,
    recipient: { account: null, memberOf: [] },
  });
}
