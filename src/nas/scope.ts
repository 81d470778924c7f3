/**
 * The data behind the NAS scope rule (src/bot/policy.ts `nasScopeFor`): whether the asker is bound
 * now, and the project the chat is bound to now with its folder. Read afresh for every search and
 * every send, so an unbinding or a project change takes effect at once, even for an older list.
 */
import { eq } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineGroups, lineUsers, projects, users } from '../db/schema';
import { nasScopeFor, type ChatType, type NasScopeDecision } from '../bot/policy';

export interface NasAsker {
  /** line_users.id */
  lineUserPk: string;
  /** line_groups.id of the group or room; null in a 1:1 chat. */
  chatPk: string | null;
}

export async function nasScopeOf(db: Queryable, asker: NasAsker): Promise<NasScopeDecision> {
  const [account] = await db
    .select({ role: users.role })
    .from(lineUsers)
    .innerJoin(users, eq(users.id, lineUsers.userId))
    .where(eq(lineUsers.id, asker.lineUserPk));
  let chatType: ChatType = 'user';
  let project: { name: string; nasFolder: string | null } | null = null;
  if (asker.chatPk !== null) {
    const [chat] = await db
      .select({ sourceType: lineGroups.sourceType, name: projects.name, nasFolder: projects.nasFolder })
      .from(lineGroups)
      .leftJoin(projects, eq(projects.id, lineGroups.projectId))
      .where(eq(lineGroups.id, asker.chatPk));
    chatType = chat?.sourceType === 'room' ? 'room' : 'group';
    project = chat?.name != null ? { name: chat.name, nasFolder: chat.nasFolder } : null;
  }
  return nasScopeFor({ chatType, account: account ? { role: account.role } : null, project });
}
