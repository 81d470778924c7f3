/**
 * Projects: the list with their groups, a project's NAS folder and AI instructions, and a new
 * project, through the same domain functions and the same schemas (CreateProjectSchema,
 * PatchProjectSchema, hence nasFolderProblem) as the management API. A refused form is the page
 * again, 400 or 409, saying why, with nothing changed.
 */
import { Hono, type Context } from 'hono';
import { accountByUsername, listAccounts } from '../../domain/accounts';
import { membersByProject, removeMember, setMember } from '../../domain/members';
import { createProject, listProjectsWithGroups, updateProject } from '../../domain/projects';
import { CreateProjectSchema, MemberRole, PatchProjectSchema, UserId } from '../../api/schemas';
import { consoleActor } from '../audit';
import { redirectWithNotice } from '../flash';
import { formOf, issuesText, isUuid } from '../forms';
import { t } from '../i18n';
import { renderMessage } from '../render';
import { BASE, type ConsoleEnv } from '../types';
import { ProjectsPage, type ProjectForm, type ProjectProblem } from '../views/projects';

async function projectsPage(c: Context<ConsoleEnv>, refused?: ProjectProblem & { status: 400 | 409 }) {
  const lang = c.get('lang');
  if (refused) c.status(refused.status);
  // One after the other: a request's pool has one connection.
  const db = c.get('db');
  const projects = await listProjectsWithGroups(db);
  const members = await membersByProject(db);
  const accounts = await listAccounts(db);
  return c.render(
    <ProjectsPage lang={lang} projects={projects} members={members} accounts={accounts} refused={refused} />,
    {
      title: t(lang, 'projects.title'),
      screen: 'projects',
    },
  );
}

/**
 * The member form's account and role, by the API's own schemas: the add form names the account by
 * its username, a member's role form by its id. Null when either is not one; 'unknown' when no
 * account has that username.
 */
async function memberFormOf(c: Context<ConsoleEnv>) {
  const fields = await formOf(c);
  const role = MemberRole.safeParse(fields.role ?? '');
  if (!role.success) return null;
  if (fields.username !== undefined) {
    const account = fields.username.trim() === '' ? null : await accountByUsername(c.get('db'), fields.username.trim());
    return account ? { userId: account.id, role: role.data } : ('unknown' as const);
  }
  const userId = UserId.safeParse(fields.userId ?? '');
  return userId.success ? { userId: userId.data, role: role.data } : null;
}

/** The form's fields as the API's JSON would carry them: an empty folder clears it (blank instructions clear too, by the schema). */
function patchOf(form: ProjectForm): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  if (form.nasFolder !== undefined) patch.nasFolder = form.nasFolder.trim() === '' ? null : form.nasFolder;
  if (form.aiInstructions !== undefined) patch.aiInstructions = form.aiInstructions;
  return patch;
}

export const projectRoutes = new Hono<ConsoleEnv>()
  .get('/projects', (c) => projectsPage(c))
  .post('/projects', async (c) => {
    const fields = await formOf(c);
    const form: ProjectForm = { name: fields.name, nasFolder: fields.nasFolder, aiInstructions: fields.aiInstructions };
    // Empty optional fields are no value at creation.
    const body = Object.fromEntries(
      Object.entries({ name: form.name ?? '', ...patchOf(form) }).filter(([, v]) => v !== null),
    );
    const parsed = CreateProjectSchema.safeParse(body);
    if (!parsed.success)
      return projectsPage(c, { status: 400, target: 'new', form, problem: issuesText(parsed.error) });
    const created = await createProject(c.get('db'), parsed.data, consoleActor(c));
    if (created === 'conflict')
      return projectsPage(c, {
        status: 409,
        target: 'new',
        form,
        problem: t(c.get('lang'), 'projects.taken', { name: parsed.data.name }),
      });
    c.get('log').info('console.project_created', {
      projectPk: created.id,
      nasFolder: created.nasFolder,
      by: c.get('operator').via,
    });
    return redirectWithNotice(c, `${BASE}/projects`, 'notice.projectCreated');
  })
  .post('/projects/:id', async (c) => {
    const id = c.req.param('id');
    if (!isUuid(id)) return renderMessage(c, 404);
    const fields = await formOf(c);
    const form: ProjectForm = { nasFolder: fields.nasFolder, aiInstructions: fields.aiInstructions };
    const parsed = PatchProjectSchema.safeParse(patchOf(form));
    if (!parsed.success) return projectsPage(c, { status: 400, target: id, form, problem: issuesText(parsed.error) });
    const { nasFolder, aiInstructions } = parsed.data;
    const updated = await updateProject(c.get('db'), id, { nasFolder, aiInstructions }, consoleActor(c));
    if (updated === 'not_found') return renderMessage(c, 404);
    if (updated === 'conflict') return renderMessage(c, 409);
    // The instructions are the operator's free text: their length is logged, not what they say.
    c.get('log').info('console.project_updated', {
      projectPk: id,
      ...(nasFolder !== undefined ? { nasFolder } : {}),
      ...(aiInstructions !== undefined
        ? { aiInstructionsLength: aiInstructions === null ? null : aiInstructions.length }
        : {}),
      by: c.get('operator').via,
    });
    return redirectWithNotice(c, `${BASE}/projects`, 'notice.projectSaved');
  })
  // Add a member or change a member's role: the form names the account and the role it wants.
  .post('/projects/:id/members', async (c) => {
    const id = c.req.param('id');
    if (!isUuid(id)) return renderMessage(c, 404);
    const form = await memberFormOf(c);
    if (!form) return renderMessage(c, 400);
    const unknownAccount = () => renderMessage(c, 400, t(c.get('lang'), 'members.unknownAccount'));
    if (form === 'unknown') return unknownAccount();
    const result = await setMember(c.get('db'), id, form.userId, form.role, consoleActor(c));
    if (result === 'project_not_found') return renderMessage(c, 404);
    if (result === 'user_not_found') return unknownAccount();
    c.get('log').info('console.member_set', {
      projectPk: id,
      userId: form.userId,
      role: form.role,
      outcome: result.outcome,
      by: c.get('operator').via,
    });
    return redirectWithNotice(
      c,
      `${BASE}/projects#m-${id}`,
      result.outcome === 'added' ? 'notice.memberAdded' : 'notice.memberChanged',
    );
  })
  .post('/projects/:id/members/:userId/remove', async (c) => {
    const id = c.req.param('id');
    const userId = UserId.safeParse(c.req.param('userId'));
    if (!isUuid(id)) return renderMessage(c, 404);
    if (!userId.success) return renderMessage(c, 400);
    const result = await removeMember(c.get('db'), id, userId.data, consoleActor(c));
    if (result === 'project_not_found') return renderMessage(c, 404);
    c.get('log').info('console.member_removed', {
      projectPk: id,
      userId: userId.data,
      outcome: result,
      by: c.get('operator').via,
    });
    return redirectWithNotice(c, `${BASE}/projects#m-${id}`, 'notice.memberRemoved');
  });
