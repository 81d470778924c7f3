/**
 * The demo data `npm run dev` puts into its database, so NAS search works from the first message:
 * alice (seed user) bound to an admin account and a manager of both projects (admins search every
 * share anyway; the console's project page shows her as a member), two projects with the sample NAS
 * folders, and the seed's `ops` group bound to the first. Idempotent (a second start changes nothing) and never
 * touching what a developer set: existing rows are left as they are. Everyone else (bob, carol,
 * dave) stays unbound, so binding codes can still be tried.
 */
import pg from 'pg';
import { groupIdOf, userIdOf, type EmulatorSeed } from '../line-emulator/index.ts';
import { SAMPLE_PROJECT_FOLDERS } from './sample-nas.ts';

export interface DemoSummary {
  account?: string;
  projects: string[];
  group?: string;
}

export async function ensureDemoData(databaseUrl: string, seed: EmulatorSeed): Promise<DemoSummary> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const summary: DemoSummary = { projects: [] };
    await client.query('BEGIN');
    const projectIds: string[] = [];
    for (const [i, folder] of SAMPLE_PROJECT_FOLDERS.entries()) {
      const name = folder.split('/').pop()!;
      await client.query('INSERT INTO projects (name, nas_folder) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
        name,
        folder,
      ]);
      const { rows } = await client.query<{ id: string }>('SELECT id FROM projects WHERE name = $1', [name]);
      projectIds[i] = rows[0]!.id;
      summary.projects.push(`${name} → ${folder}`);
    }

    const alice = seed.users?.find((u) => u.name === 'alice');
    if (alice) {
      await client.query(
        "INSERT INTO users (username, display_name, role) VALUES ('alice', $1, 'admin') ON CONFLICT DO NOTHING",
        [alice.displayName ?? 'alice'],
      );
      const { rows } = await client.query<{ id: number }>("SELECT id FROM users WHERE lower(username) = 'alice'");
      // A LINE user row bound to the account; the Worker fills in the profile on the first event.
      await client.query(
        `INSERT INTO line_users (line_user_id, user_id) VALUES ($1, $2)
         ON CONFLICT (line_user_id) DO NOTHING`,
        [userIdOf(alice), rows[0]!.id],
      );
      // Only if that LINE user is unbound and the account free (a developer's own binding stays).
      await client.query(
        `UPDATE line_users SET user_id = $2 WHERE line_user_id = $1 AND user_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM line_users WHERE user_id = $2)`,
        [userIdOf(alice), rows[0]!.id],
      );
      for (const projectId of projectIds) {
        await client.query(
          "INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, 'manager') ON CONFLICT DO NOTHING",
          [projectId, rows[0]!.id],
        );
      }
      summary.account = 'alice (admin) bound to LINE user alice';
    }

    const ops = seed.groups?.find((g) => g.name === 'ops');
    if (ops) {
      await client.query(
        `INSERT INTO line_groups (line_group_id, source_type, name, project_id) VALUES ($1, 'group', $2, $3)
         ON CONFLICT (line_group_id) DO NOTHING`,
        [groupIdOf(ops), ops.groupName ?? ops.name, projectIds[0]],
      );
      await client.query('UPDATE line_groups SET project_id = $2 WHERE line_group_id = $1 AND project_id IS NULL', [
        groupIdOf(ops),
        projectIds[0],
      ]);
      summary.group = `ops → ${SAMPLE_PROJECT_FOLDERS[0].split('/').pop()}`;
    }
    await client.query('COMMIT');
    return summary;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    await client.end();
  }
}
