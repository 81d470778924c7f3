/**
 * Projects of the company system: the list (the console's project select and the management
 * API's `GET /projects`), the projects screen's list with their groups, creating one and changing
 * its name, AI instructions or NAS folder. The API (src/routes/admin/projects.ts) and the console
 * call these, so both write the same columns the same way.
 */
import { asc, eq, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../audit/record';
import type { Database, Queryable } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { lineGroups, projects } from '@linebot-edge/shared/schema';

/** A project as the API and the console show it, on its own and inside a group. */
export const projectColumns = {
  id: projects.id,
  name: projects.name,
  aiInstructions: projects.aiInstructions,
  nasFolder: projects.nasFolder,
};

export async function listProjects(db: Queryable) {
  return db.select(projectColumns).from(projects).orderBy(asc(projects.name)).limit(1000);
}

export type ProjectItem = Awaited<ReturnType<typeof listProjects>>[number];

/** Projects with how many groups and rooms are bound to each, by name. */
export async function listProjectsWithGroups(db: Queryable) {
  // Columns written out with their tables: drizzle leaves them unqualified in a one-table select.
  const groups = sql<number>`(SELECT count(*)::int FROM ${lineGroups} g WHERE g.project_id = ${projects}.id)`.mapWith(
    Number,
  );
  return db
    .select({ ...projectColumns, groups })
    .from(projects)
    .orderBy(asc(projects.name))
    .limit(1000);
}

export interface NewProject {
  name: string;
  aiInstructions?: string | null;
  nasFolder?: string | null;
}

/** What the audit trail keeps of a project's fields: the name and folder, the instructions' length only (free text). */
const auditedFields = (p: ProjectPatch) => ({
  ...(p.name !== undefined ? { name: p.name } : {}),
  ...(p.nasFolder !== undefined ? { nasFolder: p.nasFolder } : {}),
  ...(p.aiInstructions !== undefined
    ? { aiInstructionsLength: p.aiInstructions === null ? null : p.aiInstructions.length }
    : {}),
});

/** The new project, or 'conflict' when its name is taken (names are unique). Values as the API's schema left them. */
export async function createProject(
  db: Database,
  project: NewProject,
  actor: AuditActor,
): Promise<ProjectItem | 'conflict'> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx.insert(projects).values(project).returning(projectColumns);
      await recordAudit(tx, {
        action: 'project.created',
        ...actor,
        targetType: 'project',
        targetId: row!.id,
        details: auditedFields(project),
      });
      return row!;
    });
  } catch (err) {
    if (isUniqueViolation(err)) return 'conflict';
    throw err;
  }
}

export type ProjectPatch = Partial<NewProject>;

/**
 * Applies the fields the patch names (an absent field is left alone, null clears); `id` must be a
 * UUID. The project as it now is, 'not_found', or 'conflict' when the new name is taken.
 */
export async function updateProject(
  db: Database,
  id: string,
  patch: ProjectPatch,
  actor: AuditActor,
): Promise<ProjectItem | 'not_found' | 'conflict'> {
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as ProjectPatch;
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .update(projects)
        .set({ ...set, updatedAt: sql`now()` })
        .where(eq(projects.id, id))
        .returning(projectColumns);
      if (!row) return 'not_found' as const;
      await recordAudit(tx, {
        action: 'project.changed',
        ...actor,
        targetType: 'project',
        targetId: id,
        details: auditedFields(set),
      });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err) && patch.name !== undefined) return 'conflict';
    throw err;
  }
}
