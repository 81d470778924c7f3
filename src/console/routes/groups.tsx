/**
 * The groups-and-rooms screens and their forms. Each form names the value it wants (AI `allow` =
 * `true` or `false`, the project to bind, the instructions to keep), not a flip, so a form sent
 * twice does what it says once; each answers with a redirect to the group's page and a notice.
 */
import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { pauseOf, pausesIn } from '../../domain/ai-pauses';
import { filesOfMessages, listFiles } from '../../domain/files';
import { getGroup, listGroups, updateGroup } from '../../domain/groups';
import { listMessages } from '../../domain/messages';
import { listProjects } from '../../domain/projects';
import { BoolQuery, PatchGroupSchema } from '../../api/schemas';
import { consoleActor } from '../audit';
import { redirectWithNotice } from '../flash';
import { formOf, issuesText, isUuid, parseQuery } from '../forms';
import { t } from '../i18n';
import { renderMessage } from '../render';
import { BASE, type ConsoleEnv } from '../types';
import { GroupListPage, GroupPage } from '../views/groups';
import { groupSendPanel } from './sends';

const PAGE = 50;
const TIMELINE = 30;
const GROUP_FILES = 10;

const ListQuery = z.object({
  active: BoolQuery.optional(),
  ai: BoolQuery.optional(),
  unbound: BoolQuery.optional(),
  after: z.string().refine(isUuid, 'not a cursor from a previous page').optional(),
});

export const groupRoutes = new Hono<ConsoleEnv>()
  .get('/groups', async (c) => {
    const lang = c.get('lang');
    const query = parseQuery(c, ListQuery);
    const { items, next } = await listGroups(c.get('db'), {
      active: query.active,
      aiOn: query.ai,
      unbound: query.unbound,
      after: query.after,
      limit: PAGE,
    });
    const pauses = await pausesIn(c.get('db'), { groupIds: items.map((g) => g.id) });
    return c.render(<GroupListPage lang={lang} groups={items} next={next} query={query} pauses={pauses} />, {
      title: t(lang, 'groups.title'),
      screen: 'groups',
    });
  })
  .get('/groups/:id', async (c) => {
    const lang = c.get('lang');
    const id = c.req.param('id');
    if (!isUuid(id)) return renderMessage(c, 404);
    // One after the other: a request's pool has one connection.
    const db = c.get('db');
    const group = await getGroup(db, id);
    if (!group) return renderMessage(c, 404);
    const projects = await listProjects(db);
    const messages = await listMessages(db, { groupId: id, limit: TIMELINE });
    const files = await filesOfMessages(
      db,
      messages.items.filter((m) => m.fileId).map((m) => m.id),
    );
    const groupFiles = await listFiles(db, { groupId: id, limit: GROUP_FILES });
    const send = await groupSendPanel(c, group);
    const pause = await pauseOf(db, { kind: 'group', id });
    return c.render(
      <GroupPage
        lang={lang}
        group={group}
        projects={projects}
        messages={messages.items}
        moreMessages={messages.nextCursor !== null}
        files={files}
        groupFiles={groupFiles.items}
        moreFiles={groupFiles.nextCursor !== null}
        send={send}
        pause={pause}
      />,
      { title: group.name ?? group.lineGroupId, screen: 'groups' },
    );
  })
  .post('/groups/:id/ai', async (c) => {
    const id = c.req.param('id');
    const field = (await formOf(c)).allow;
    const allow = field === 'true' ? true : field === 'false' ? false : undefined;
    if (!isUuid(id) || allow === undefined) return renderMessage(c, 400);
    const result = await updateGroup(c.get('db'), id, { allowAiResponse: allow }, consoleActor(c));
    if (result !== 'updated') return renderMessage(c, 404);
    c.get('log').info('console.group_updated', { groupPk: id, allowAiResponse: allow, by: c.get('operator').via });
    return redirectWithNotice(c, `${BASE}/groups/${id}`, allow ? 'notice.aiOn' : 'notice.aiOff');
  })
  .post('/groups/:id/project', async (c) => {
    const id = c.req.param('id');
    const field = (await formOf(c)).projectId;
    if (!isUuid(id) || field === undefined) return renderMessage(c, 400);
    // The API's own rule for a project id; the empty choice unbinds.
    const parsed = PatchGroupSchema.safeParse({ projectId: field === '' ? null : field });
    if (!parsed.success) return renderMessage(c, 400, issuesText(parsed.error));
    const projectId = parsed.data.projectId ?? null;
    const result = await updateGroup(c.get('db'), id, { projectId }, consoleActor(c));
    if (result === 'group_not_found') return renderMessage(c, 404);
    if (result === 'project_not_found') return renderMessage(c, 400, t(c.get('lang'), 'group.projectUnknown'));
    c.get('log').info('console.group_updated', { groupPk: id, projectId, by: c.get('operator').via });
    return redirectWithNotice(c, `${BASE}/groups/${id}`, projectId ? 'notice.projectBound' : 'notice.projectUnbound');
  })
  .post('/groups/:id/instructions', async (c) => {
    const id = c.req.param('id');
    const field = (await formOf(c)).aiInstructions;
    if (!isUuid(id) || field === undefined) return renderMessage(c, 400);
    // Up to 4000 characters, nothing Postgres cannot store; blank clears (the API's rule).
    const parsed = PatchGroupSchema.safeParse({ aiInstructions: field });
    if (!parsed.success) return renderMessage(c, 400, issuesText(parsed.error));
    const aiInstructions = parsed.data.aiInstructions ?? null;
    const result = await updateGroup(c.get('db'), id, { aiInstructions }, consoleActor(c));
    if (result !== 'updated') return renderMessage(c, 404);
    // The operator's free text: the log says how long, not what.
    c.get('log').info('console.group_updated', {
      groupPk: id,
      aiInstructionsLength: aiInstructions?.length ?? null,
      by: c.get('operator').via,
    });
    return redirectWithNotice(
      c,
      `${BASE}/groups/${id}`,
      aiInstructions ? 'notice.instructionsSaved' : 'notice.instructionsCleared',
    );
  });
