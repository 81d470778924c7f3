/**
 * Project membership (project_members): who belongs to which project, as `member` or `manager`.
 * The company system keeps it current through the management API (`/projects/{id}/members`), the
 * console's project page edits it too; both call these, and each change is audited in its own
 * transaction. The NAS scope reads it afresh for every search, send and delivery (src/nas/scope.ts),
 * so a change takes effect at the next message.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../audit/record';
import type { Database, Queryable } from '../db/client';
import { projectMembers, projects, users, type projectMemberRoles } from '@linebot-edge/shared/schema';

export type MemberRole = (typeof projectMemberRoles)[number];

export interface ProjectMember {
  userId: number;
  username: string;
  displayName: string | null;
  /** The account's own role in the company system (admins search every share anyway). */
  accountRole: 'admin' | 'member';
  /** The role in this project. */
  role: MemberRole;
  createdAt: string;
  updatedAt: string;
}

const projectExists = async (db: Queryable, projectId: string) =>
  (await db.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId))).length === 1;

/** Members with their accounts, by username; of one project, or of every project (the console's page). */
async function memberRows(db: Queryable, projectId?: string) {
  const rows = await db
    .select({ m: projectMembers, u: { username: users.username, displayName: users.displayName, role: users.role } })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(projectId === undefined ? undefined : eq(projectMembers.projectId, projectId))
    .orderBy(asc(sql`lower(${users.username})`), asc(users.id));
  return rows.map(({ m, u }) => ({
    projectId: m.projectId,
    member: {
      userId: m.userId,
      username: u.username,
      displayName: u.displayName,
      accountRole: u.role,
      role: m.role,
      createdAt: m.createdAt.toISOString(),
      updatedAt: m.updatedAt.toISOString(),
    } satisfies ProjectMember,
  }));
}

/** The project's members by username, or null when there is no such project (`projectId` a UUID). */
export async function listMembers(db: Queryable, projectId: string): Promise<ProjectMember[] | null> {
  if (!(await projectExists(db, projectId))) return null;
  return (await memberRows(db, projectId)).map((r) => r.member);
}

/** Every project's members, by project id (a project without members is absent). */
export async function membersByProject(db: Queryable): Promise<Map<string, ProjectMember[]>> {
  const byProject = new Map<string, ProjectMember[]>();
  for (const { projectId, member } of await memberRows(db))
    byProject.set(projectId, [...(byProject.get(projectId) ?? []), member]);
  return byProject;
}

export type MemberSet =
  | { member: ProjectMember; outcome: 'added' | 'changed' | 'unchanged' }
  | 'project_not_found'
  | 'user_not_found';

/** Makes the account a member of the project with this role (adds it, or changes its role). */
export async function setMember(
  db: Database,
  projectId: string,
  userId: number,
  role: MemberRole,
  actor: AuditActor,
): Promise<MemberSet> {
  return db.transaction(async (tx) => {
    // The project's row locked: a concurrent removal of the project waits for this change.
    const [project] = await tx
      .select({ id: projects.id })
      .from(projects)
      .where(eq(projects.id, projectId))
      .for('share');
    if (!project) return 'project_not_found';
    const [account] = await tx
      .select({ id: users.id, username: users.username })
      .from(users)
      .where(eq(users.id, userId))
      .for('share');
    if (!account) return 'user_not_found';
    const where = and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId));
    const [before] = await tx.select({ role: projectMembers.role }).from(projectMembers).where(where).for('update');
    let outcome: 'added' | 'changed' | 'unchanged';
    if (!before) {
      // Two concurrent adds: the second becomes a change of role (or none).
      await tx
        .insert(projectMembers)
        .values({ projectId, userId, role })
        .onConflictDoUpdate({
          target: [projectMembers.projectId, projectMembers.userId],
          set: { role, updatedAt: sql`now()` },
        });
      outcome = 'added';
    } else if (before.role !== role) {
      await tx.update(projectMembers).set({ role, updatedAt: sql`now()` }).where(where);
      outcome = 'changed';
    } else {
      outcome = 'unchanged';
    }
    if (outcome !== 'unchanged') {
      await recordAudit(tx, {
        action: 'project.member_set',
        ...actor,
        targetType: 'project',
        targetId: projectId,
        details: { userId, username: account.username, role, previousRole: before?.role ?? null },
      });
    }
    const member = (await listMembers(tx, projectId))!.find((m) => m.userId === userId)!;
    return { member, outcome };
  });
}

/** Removes the account from the project; 'absent' when it was no member (or is no account), 'project_not_found'. */
export async function removeMember(
  db: Database,
  projectId: string,
  userId: number,
  actor: AuditActor,
): Promise<'removed' | 'absent' | 'project_not_found'> {
  return db.transaction(async (tx) => {
    if (!(await projectExists(tx, projectId))) return 'project_not_found';
    const [removed] = await tx
      .delete(projectMembers)
      .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)))
      .returning({ role: projectMembers.role });
    if (!removed) return 'absent';
    await recordAudit(tx, {
      action: 'project.member_removed',
      ...actor,
      targetType: 'project',
      targetId: projectId,
      details: { userId, previousRole: removed.role },
    });
    return 'removed';
  });
}
