/**
 * Projects: the list with their groups, a project's NAS folder and AI instructions, and a new
 * project, through the same domain functions and the same schemas (CreateProjectSchema,
 * PatchProjectSchema, hence nasFolderProblem) as the management API. A refused form is the page
 * again, 400 or 409, saying why, with nothing changed.
 */
import { Hono, type Context } from 'hono';
import { createProject, listProjectsWithGroups, updateProject } from '../../domain/projects';
import { CreateProjectSchema, PatchProjectSchema } from '../../routes/admin/schemas';
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
  return c.render(<ProjectsPage lang={lang} projects={await listProjectsWithGroups(c.get('db'))} refused={refused} />, { title: t(lang, 'projects.title'), screen: 'projects' });
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
    const body = Object.fromEntries(Object.entries({ name: form.name ?? '', ...patchOf(form) }).filter(([, v]) => v !== null));
    const parsed = CreateProjectSchema.safeParse(body);
    if (!parsed.success) return projectsPage(c, { status: 400, target: 'new', form, problem: issuesText(parsed.error) });
    const created = await createProject(c.get('db'), parsed.data, consoleActor(c));
    if (created === 'conflict') return projectsPage(c, { status: 409, target: 'new', form, problem: t(c.get('lang'), 'projects.taken', { name: parsed.data.name }) });
    c.get('log').info('console.project_created', { projectPk: created.id, nasFolder: created.nasFolder, by: c.get('operator').via });
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
      ...(aiInstructions !== undefined ? { aiInstructionsLength: aiInstructions === null ? null : aiInstructions.length } : {}),
      by: c.get('operator').via,
    });
    return redirectWithNotice(c, `${BASE}/projects`, 'notice.projectSaved');
  });
