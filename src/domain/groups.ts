/**
 * Changing a group or room: AI replies on or off, its AI instructions, the project it is bound
 * to. One function for the console's forms and the management API's `PATCH /groups/{id}`, so
 * both change the same columns the same way.
 */
import { eq, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineGroups, projects } from '../db/schema';

export interface GroupPatch {
  allowAiResponse?: boolean;
  aiInstructions?: string | null;
  /** null unbinds. */
  projectId?: string | null;
}

export type GroupUpdate = 'updated' | 'group_not_found' | 'project_not_found';

/** Applies the fields the patch names (an absent field is left alone); `id` must be a UUID. */
export async function updateGroup(db: Queryable, id: string, patch: GroupPatch): Promise<GroupUpdate> {
  if (patch.projectId) {
    const [project] = await db.select({ id: projects.id }).from(projects).where(eq(projects.id, patch.projectId));
    if (!project) return 'project_not_found';
  }
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as GroupPatch;
  const [updated] = await db
    .update(lineGroups)
    .set({ ...set, updatedAt: sql`now()` })
    .where(eq(lineGroups.id, id))
    .returning({ id: lineGroups.id });
  return updated ? 'updated' : 'group_not_found';
}
