/** NAS index rows for the search tests, inserted directly as the on-prem indexer writes them. */
import { eq } from 'drizzle-orm';
import { lineGroups, nasFiles } from '@linebot-edge/shared/schema';
import { searchTextOf } from '@linebot-edge/shared/search-text';
import { addMember, createProjectWithFolder } from './admin';
import { accountOf, boundUser, say } from './chat';
import { withDb } from './db';
import { newId } from './line';

export type NasFileSpec = { path: string; size?: number; modifiedAt?: Date; share?: string };

/** A share name of its own per test: every test file shares one database. */
export const newShare = () => `t${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`;

/** Rows for `share`, name and extension derived from the path as the indexer derives them. */
function nasFileRow(share: string, spec: NasFileSpec): typeof nasFiles.$inferInsert {
  const name = spec.path.slice(spec.path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return {
    share: spec.share ?? share,
    path: spec.path,
    name,
    extension:
      dot > 0
        ? name
            .slice(dot + 1)
            .toLowerCase()
            .slice(0, 32)
        : '',
    size: spec.size ?? 1000,
    modifiedAt: spec.modifiedAt ?? new Date('2026-01-01T00:00:00Z'),
    searchText: searchTextOf(spec.share ?? share, spec.path),
  };
}

export async function insertNasFiles(share: string, specs: NasFileSpec[]) {
  if (specs.length === 0) return [];
  return withDb((db) =>
    db
      .insert(nasFiles)
      .values(specs.map((s) => nasFileRow(share, s)))
      .returning(),
  );
}

/** A bound member of a new project whose folder is `folder`, in a group bound to that project (it has said hello). */
export async function memberInProjectGroup(folder: string) {
  const userId = await boundUser();
  const project = await createProjectWithFolder(folder);
  await addMember(project.id, accountOf(userId));
  const groupId = newId.group();
  await say({ userId, groupId }, 'hello');
  await withDb((db) => db.update(lineGroups).set({ projectId: project.id }).where(eq(lineGroups.lineGroupId, groupId)));
  return { userId, groupId, project };
}
