/** Group-project binding from inside a group: `/project`, `/project bind <name or id>`, `/project unbind`. */
import { eq, sql } from 'drizzle-orm';
import type { AuditActor } from '../audit/record';
import type { Transaction } from '../db/client';
import { setGroupProject } from '../domain/groups';
import { lineGroups, projects } from '@linebot-edge/shared/schema';
import { say, type BotLang } from '../messages/catalog';
import { isUuid } from '../lib/uuid';

export async function showProject(tx: Transaction, chatPk: string, lang: BotLang): Promise<string> {
  const [row] = await tx
    .select({ name: projects.name })
    .from(lineGroups)
    .innerJoin(projects, eq(projects.id, lineGroups.projectId))
    .where(eq(lineGroups.id, chatPk));
  return row ? say(lang, 'project.show', { name: row.name }) : say(lang, 'project.none');
}

/** Finds a project by its id, else by its name (case-insensitive). */
async function findProject(tx: Transaction, target: string) {
  const where = isUuid(target) ? eq(projects.id, target) : sql`lower(${projects.name}) = lower(${target})`;
  const [row] = await tx.select({ id: projects.id, name: projects.name }).from(projects).where(where).limit(1);
  return row;
}

/** The chat's project now, its row locked until the change commits. */
async function currentProject(tx: Transaction, chatPk: string): Promise<string | null> {
  const [row] = await tx
    .select({ projectId: lineGroups.projectId })
    .from(lineGroups)
    .where(eq(lineGroups.id, chatPk))
    .for('update');
  return row?.projectId ?? null;
}

export async function bindProject(
  tx: Transaction,
  chatPk: string,
  target: string,
  actor: AuditActor,
  lang: BotLang,
): Promise<string> {
  const project = await findProject(tx, target);
  if (!project) return say(lang, 'project.notFound', { target });
  await setGroupProject(tx, chatPk, await currentProject(tx, chatPk), project.id, actor);
  return say(lang, 'project.bound', { name: project.name });
}

export async function unbindProject(
  tx: Transaction,
  chatPk: string,
  actor: AuditActor,
  lang: BotLang,
): Promise<string> {
  await setGroupProject(tx, chatPk, await currentProject(tx, chatPk), null, actor);
  return say(lang, 'project.unbound');
}
