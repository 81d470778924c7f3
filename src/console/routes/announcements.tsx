/**
 * Announcements (src/domain/announcements.ts): compose and preview (a POST that changes nothing
 * and answers a page), send (the announcement's id is the send form's submission id: a double
 * submit creates nothing twice), progress, and continue. Sending goes on after the response, in
 * waitUntil with services of its own, a chunk at a time; the Cron Trigger resumes what is left.
 * One paused for the push quota is resumed by "send the rest", and failed chats are retried, as
 * src/access/policy.ts `announcementActionFor` allows on the announcement as it is now: a form
 * posted again, or from a page left open since, is answered 409 and changes nothing.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { announcementActionFor, type AnnouncementActionDecision } from '../../access/policy';
import { Text } from '../../api/schemas';
import {
  announcementProgress,
  createAnnouncement,
  fileSearchScope,
  chatsOf,
  listAnnouncements,
  planAnnouncement,
  processAnnouncementFor,
  resumeAnnouncement,
  retryFailedRows,
  type AnnouncementDraft,
  type AnnouncementPlan,
  type AnnouncementProgress,
} from '../../domain/announcements';
import { listGroups } from '../../domain/groups';
import { MAX_OPERATOR_TEXT } from '../../domain/operator-sends';
import { listProjects } from '../../domain/projects';
import { pushQuota } from '../../domain/push-quota';
import { nasConfig } from '../../nas/requests';
import { isProblem, parseFindText, searchNasFiles } from '../../nas/search';
import { lineClientOf, openServices } from '../../services';
import { consoleActor } from '../audit';
import { redirectWithNotice } from '../flash';
import { isUuid } from '../forms';
import { t, type MessageKey } from '../i18n';
import { renderMessage } from '../render';
import { BASE, type ConsoleEnv } from '../types';
import { AnnouncementListPage, AnnouncementPage, ComposePage, type ComposeData } from '../views/announcements';

type Ctx = Context<ConsoleEnv>;

/** More ids than any page offers is not a form of ours. */
const MAX_IDS = 500;
const SEARCH_HITS = 20;

/** Every value of a repeated field (the checkboxes), as strings. */
async function valuesOf(c: Ctx, name: string): Promise<string[]> {
  const body = await c.req.parseBody({ all: true });
  const v = Object.hasOwn(body, name) ? body[name] : undefined;
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((x): x is string => typeof x === 'string');
}

/** The draft a form sent, or why it is not one (a 400). Ids must be UUIDs; the text one LINE message. */
async function draftOf(c: Ctx): Promise<{ draft: AnnouncementDraft; q: string } | { refused: string }> {
  const lang = c.get('lang');
  const text = ((await valuesOf(c, 'text'))[0] ?? '').replace(/\r\n?/g, '\n');
  const fileId = (await valuesOf(c, 'fileId'))[0] ?? '';
  const projectIds = [...new Set(await valuesOf(c, 'projectId'))];
  const lineGroupIds = [...new Set(await valuesOf(c, 'groupId'))];
  const q = ((await valuesOf(c, 'q'))[0] ?? '').slice(0, 200);
  if (projectIds.length + lineGroupIds.length > MAX_IDS || ![...projectIds, ...lineGroupIds].every(isUuid))
    return { refused: t(lang, 'ann.problem.noChats') };
  if (fileId !== '' && !isUuid(fileId)) return { refused: t(lang, 'ann.problem.fileNotFound') };
  if (!Text(MAX_OPERATOR_TEXT).safeParse(text).success) return { refused: t(lang, 'send.err.tooLong') };
  return {
    draft: { text: text.trim() === '' ? null : text, fileId: fileId || null, projectIds, lineGroupIds },
    q,
  };
}

/** Why a plan cannot be sent, in the operator's words; null when it can. */
function problemText(c: Ctx, draft: AnnouncementDraft, plan: AnnouncementPlan): string | null {
  const lang = c.get('lang');
  if (!draft.text && !draft.fileId) return t(lang, 'ann.problem.empty');
  if (plan.problem === 'fileOutOfScope')
    return t(lang, 'ann.problem.fileOutOfScope', {
      chats: plan.outOfScope.map((ch) => ch.name ?? ch.lineGroupId).join(', '),
    });
  return plan.problem ? t(lang, `ann.problem.${plan.problem}` as MessageKey) : null;
}

async function composePage(c: Ctx, input: { draft: AnnouncementDraft; q: string; preview: boolean }, status = 200) {
  const db = c.get('db');
  const lang = c.get('lang');
  const { draft, q } = input;
  const projects = await listProjects(db);
  const groups = (await listGroups(db, { active: true, limit: 200 })).items;
  let hits: ComposeData['hits'] = null;
  if (q.trim() !== '') {
    const scope = fileSearchScope(await chatsOf(db, draft));
    const query = parseFindText(q);
    hits = scope && !isProblem(query) ? await searchNasFiles(db, scope, query, SEARCH_HITS) : [];
  }
  let plan: AnnouncementPlan | null = null;
  let problem: string | null = null;
  let quota: ComposeData['quota'] = null;
  if (input.preview) {
    plan = await planAnnouncement(db, draft, nasConfig(c.env).sendMaxBytes);
    problem = problemText(c, draft, plan);
    quota = await pushQuota({ db, line: lineClientOf(c.env), log: c.get('log') });
  }
  c.status(status as 200);
  return c.render(
    <ComposePage
      lang={lang}
      data={{ draft, q, projects, groups, hits, plan, problem, quota, announcementId: crypto.randomUUID() }}
    />,
    { title: t(lang, 'ann.new'), screen: 'announcements' },
  );
}

/** Sends the next chunk after the response, with services of its own (the request's pool closes with it). */
function processInBackground(c: Ctx, id: string) {
  const services = openServices(c.env, c.get('log'));
  const nas = nasConfig(c.env, new URL(c.req.url).origin);
  c.executionCtx.waitUntil(
    // Within waitUntil's ~30 s after the response; the rest goes on with the next continue or the Cron.
    processAnnouncementFor(services, id, {
      sendMaxBytes: nas.sendMaxBytes,
      publicBaseUrl: nas.publicBaseUrl,
      budgetMs: 20_000,
    })
      .catch((err) => c.get('log').error('console.announcement_failed', { announcementId: id, error: err }))
      .finally(services.close),
  );
}

/** The announcement the path names, with each chat's outcome; null when there is none (a 404). */
async function progressOf(c: Ctx): Promise<AnnouncementProgress | null> {
  const id = c.req.param('id') ?? '';
  return isUuid(id) ? announcementProgress(c.get('db'), id) : null;
}

const decide = (progress: AnnouncementProgress, action: 'resume' | 'retry') =>
  announcementActionFor({ action, status: progress.announcement.status, retryable: progress.retryable });

const REFUSALS: Record<Exclude<AnnouncementActionDecision['kind'], 'allow'>, MessageKey> = {
  notPaused: 'ann.err.notPaused',
  paused: 'ann.err.paused',
  nothingToRetry: 'ann.err.nothingToRetry',
};

/**
 * A resume or a retry: asked of the policy, then done by `act` (false: the announcement changed
 * since it was read, as the policy would now refuse), then the next chunk sent after the response.
 */
async function actOn(
  c: Ctx,
  action: 'resume' | 'retry',
  act: (id: string) => Promise<boolean>,
  notice: 'notice.announcementResumed' | 'notice.announcementRetried',
) {
  const progress = await progressOf(c);
  if (!progress) return renderMessage(c, 404);
  const lang = c.get('lang');
  const id = progress.announcement.id;
  const decision = decide(progress, action);
  if (decision.kind !== 'allow') return renderMessage(c, 409, t(lang, REFUSALS[decision.kind]));
  if (!(await act(id)))
    return renderMessage(c, 409, t(lang, action === 'resume' ? 'ann.err.notPaused' : 'ann.err.nothingToRetry'));
  c.get('log').info(action === 'resume' ? 'console.announcement_resumed' : 'console.announcement_retried', {
    announcementId: id,
    by: c.get('operator').via,
  });
  processInBackground(c, id);
  return redirectWithNotice(c, `${BASE}/announcements/${id}`, notice);
}

export const announcementRoutes = new Hono<ConsoleEnv>()
  .get('/announcements', async (c) => {
    const lang = c.get('lang');
    const items = await listAnnouncements(c.get('db'));
    return c.render(<AnnouncementListPage lang={lang} items={items} />, {
      title: t(lang, 'ann.title'),
      screen: 'announcements',
    });
  })
  .get('/announcements/new', (c) =>
    composePage(c, { draft: { text: null, fileId: null, projectIds: [], lineGroupIds: [] }, q: '', preview: false }),
  )
  .post('/announcements/preview', async (c) => {
    const parsed = await draftOf(c);
    if ('refused' in parsed) return renderMessage(c, 400, parsed.refused);
    return composePage(c, { ...parsed, preview: true });
  })
  .post('/announcements', async (c) => {
    const id = (await valuesOf(c, 'announcementId'))[0] ?? '';
    if (!isUuid(id)) return renderMessage(c, 400, t(c.get('lang'), 'send.err.form'));
    const parsed = await draftOf(c);
    if ('refused' in parsed) return renderMessage(c, 400, parsed.refused);
    const db = c.get('db');
    // Planned again from the ids: never the preview's figures or chats as the form carried them.
    const plan = await planAnnouncement(db, parsed.draft, nasConfig(c.env).sendMaxBytes);
    if (problemText(c, parsed.draft, plan)) return composePage(c, { ...parsed, preview: true }, 400);
    const actor = consoleActor(c);
    const { created } = await createAnnouncement(
      db,
      { id, operator: actor.operator!, draft: parsed.draft, plan },
      actor,
    );
    c.get('log').info('console.announcement_created', {
      announcementId: id,
      created,
      chats: plan.chats.length,
      pushEstimate: plan.pushEstimate,
      by: c.get('operator').via,
    });
    if (created) processInBackground(c, id);
    return redirectWithNotice(c, `${BASE}/announcements/${id}`, 'notice.announcementStarted');
  })
  .get('/announcements/:id', async (c) => {
    const progress = await progressOf(c);
    if (!progress) return renderMessage(c, 404);
    const lang = c.get('lang');
    const may = {
      resume: decide(progress, 'resume').kind === 'allow',
      retry: decide(progress, 'retry').kind === 'allow',
    };
    // Paused for the quota: what is left of it now, as the other pages show it.
    const quota = may.resume
      ? await pushQuota({ db: c.get('db'), line: lineClientOf(c.env), log: c.get('log') })
      : null;
    return c.render(<AnnouncementPage lang={lang} data={{ progress, may, quota }} />, {
      title: t(lang, 'ann.title'),
      screen: 'announcements',
    });
  })
  .post('/announcements/:id/continue', async (c) => {
    const progress = await progressOf(c);
    if (!progress) return renderMessage(c, 404);
    const id = progress.announcement.id;
    // Paused: only "send the rest" goes on (a page left open from before the pause posts this).
    if (progress.announcement.status === 'paused') return renderMessage(c, 409, t(c.get('lang'), 'ann.err.paused'));
    if (progress.announcement.status === 'sending') processInBackground(c, id);
    return redirectWithNotice(c, `${BASE}/announcements/${id}`, 'notice.announcementStarted');
  })
  .post('/announcements/:id/resume', (c) =>
    actOn(c, 'resume', (id) => resumeAnnouncement(c.get('db'), id, consoleActor(c)), 'notice.announcementResumed'),
  )
  .post('/announcements/:id/retry', (c) =>
    actOn(
      c,
      'retry',
      async (id) => (await retryFailedRows(c.get('db'), id, consoleActor(c))) > 0,
      'notice.announcementRetried',
    ),
  );
