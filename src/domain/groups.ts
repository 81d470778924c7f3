/**
 * LINE groups and rooms: listing them and changing one (AI replies on or off, its AI instructions,
 * the project it is bound to). One function each for the console's screens and the management
 * API's `GET /groups` and `PATCH /groups/{id}`, so both read and change the same columns the same way.
 */
import { and, asc, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../audit/record';
import type { Database, Queryable } from '../db/client';
import { lineGroups, projects } from '@linebot-edge/shared/schema';
import { projectColumns } from './projects';
import { revokeGroupShareLinks } from './share-links';
import { iso } from '../api/dates';

export interface GroupQuery {
  /** One group by our UUID (the caller checks the form). */
  id?: string;
  active?: boolean;
  /** AI replies allowed. */
  aiOn?: boolean;
  /** true: bound to no project; false: bound to one. */
  unbound?: boolean;
  /** The `next` of the previous page: the id of its last group. */
  after?: string;
  /** Default 1000, what the API has always listed. */
  limit?: number;
}

export type GroupItem = Awaited<ReturnType<typeof listGroups>>['items'][number];

/**
 * Groups and rooms, oldest first (the order they joined the bot's world). Paged by the last id of
 * the previous page, compared with its exact stored time in the database: no rounding, so no
 * group is skipped or repeated; an id that is no group yields an empty page.
 */
export async function listGroups(db: Queryable, q: GroupQuery = {}) {
  const limit = q.limit ?? 1000;
  const where: SQL[] = [];
  if (q.id !== undefined) where.push(eq(lineGroups.id, q.id));
  if (q.active !== undefined) where.push(eq(lineGroups.isActive, q.active));
  if (q.aiOn !== undefined) where.push(eq(lineGroups.allowAiResponse, q.aiOn));
  if (q.unbound !== undefined) where.push(q.unbound ? isNull(lineGroups.projectId) : isNotNull(lineGroups.projectId));
  if (q.after !== undefined) {
    where.push(
      sql`(${lineGroups.createdAt}, ${lineGroups.id}) > (SELECT g.created_at, g.id FROM ${lineGroups} g WHERE g.id = ${q.after})`,
    );
  }
  const rows = await db
    .select({ g: lineGroups, p: projectColumns })
    .from(lineGroups)
    .leftJoin(projects, eq(projects.id, lineGroups.projectId))
    .where(and(...where))
    .orderBy(asc(lineGroups.createdAt), asc(lineGroups.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit).map(({ g, p }) => ({
    id: g.id,
    lineGroupId: g.lineGroupId,
    sourceType: g.sourceType,
    name: g.name,
    pictureUrl: g.pictureUrl,
    memberCount: g.memberCount,
    isActive: g.isActive,
    allowAiResponse: g.allowAiResponse,
    aiInstructions: g.aiInstructions,
    project: p?.id ? p : null,
    joinedAt: iso(g.joinedAt),
    leftAt: iso(g.leftAt),
  }));
  return { items, next: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

/** One group or room by our UUID, or null. */
export async function getGroup(db: Queryable, id: string): Promise<GroupItem | null> {
  return (await listGroups(db, { id, limit: 1 })).items[0] ?? null;
}

export interface GroupPatch {
  allowAiResponse?: boolean;
  aiInstructions?: string | null;
  /** null unbinds. */
  projectId?: string | null;
}

export type GroupUpdate = 'updated' | 'group_not_found' | 'project_not_found';

/**
 * Applies the fields the patch names (an absent field is left alone); `id` must be a UUID. In one
 * transaction with its audit entries; a change of project also revokes the group's active share
 * links (setGroupProject).
 */
export async function updateGroup(
  db: Database,
  id: string,
  patch: GroupPatch,
  actor: AuditActor,
): Promise<GroupUpdate> {
  return db.transaction(async (tx) => {
    if (patch.projectId) {
      const [project] = await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, patch.projectId));
      if (!project) return 'project_not_found';
    }
    const [before] = await tx
      .select({ projectId: lineGroups.projectId })
      .from(lineGroups)
      .where(eq(lineGroups.id, id))
      .for('update');
    if (!before) return 'group_not_found';
    const { projectId, ...settings } = Object.fromEntries(
      Object.entries(patch).filter(([, v]) => v !== undefined),
    ) as GroupPatch;
    if (Object.keys(settings).length > 0) {
      await tx
        .update(lineGroups)
        .set({ ...settings, updatedAt: sql`now()` })
        .where(eq(lineGroups.id, id));
      // The instructions are free text: the trail keeps their length.
      const { aiInstructions, ...rest } = settings;
      const details = {
        ...rest,
        ...(aiInstructions !== undefined
          ? { aiInstructionsLength: aiInstructions === null ? null : aiInstructions.length }
          : {}),
      };
      await recordAudit(tx, {
        action: 'group.settings_changed',
        ...actor,
        lineGroupId: id,
        targetType: 'line_group',
        targetId: id,
        details,
      });
    }
    if (projectId !== undefined) await setGroupProject(tx, id, before.projectId, projectId, actor);
    return 'updated';
  });
}

/**
 * Binds a group or room to a project (null: unbinds), inside the caller's transaction: the API,
 * the console and `/project bind|unbind` all change it here. A real change is audited and revokes
 * the group's active share links: files sent for the old project stop opening.
 */
export async function setGroupProject(
  tx: Queryable,
  groupPk: string,
  from: string | null,
  to: string | null,
  actor: AuditActor,
): Promise<void> {
  await tx.update(lineGroups).set({ projectId: to, updatedAt: sql`now()` }).where(eq(lineGroups.id, groupPk));
  if (from === to) return;
  await recordAudit(tx, {
    action: 'group.project_set',
    ...actor,
    lineGroupId: groupPk,
    targetType: 'line_group',
    targetId: groupPk,
    details: { from, to },
  });
  await revokeGroupShareLinks(tx, groupPk, actor);
}
