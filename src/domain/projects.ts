/**
 * Projects of the company system, as the console's project select lists them: the same query as
 * the management API's `GET /projects` (src/routes/admin/projects.ts, which another change is
 * extending; it can call this once both are in).
 */
import { asc } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { projects } from '../db/schema';
import { projectColumns } from '../routes/admin/context';

export async function listProjects(db: Queryable) {
  return db.select(projectColumns).from(projects).orderBy(asc(projects.name)).limit(1000);
}
