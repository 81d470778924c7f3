/**
 * Sending as the bot from the console: a text or a NAS file into a group, a room or a 1:1 chat
 * (src/domain/operator-sends.ts does the sending, once per form submission). The group's page
 * shows the send panel (./groups.tsx asks `sendPanelOf`); a LINE user's 1:1 chat has a page of
 * its own here. Bad input is a 400 page saying why; a form whose id was used for something else is
 * a 409; LINE's quota refusal is a 429 page.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { Text } from '../../api/schemas';
import type { getGroup } from '../../domain/groups';
import { getLineUser } from '../../domain/line-users';
import {
  latestSends,
  MAX_OPERATOR_TEXT,
  sendFileAsBot,
  sendTextAsBot,
  type ConsoleChat,
  type SendOutcome,
} from '../../domain/operator-sends';
import { pushQuota } from '../../domain/push-quota';
import { nasConfig } from '../../nas/requests';
import { operatorNasScopeOf } from '../../nas/scope';
import { isProblem, parseFindText, searchNasFiles } from '../../nas/search';
import { lineClientOf } from '../../services';
import { consoleActor } from '../audit';
import { redirectWithNotice } from '../flash';
import { formOf, isUuid } from '../forms';
import { t, type Lang, type MessageKey } from '../i18n';
import { renderMessage } from '../render';
import { BASE, type ConsoleEnv } from '../types';
import { Avatar, DisplayName } from '../views/people';
import { auditHref } from '../views/audit';
import { SendPanel, type SendPanelData } from '../views/send';

type Ctx = Context<ConsoleEnv>;

/** Files a search on the send panel lists. */
const SEARCH_HITS = 20;

/** Why the operator may send no file here, in their words. */
function refusalText(lang: Lang, decision: Awaited<ReturnType<typeof operatorNasScopeOf>>): string | null {
  if (decision.kind === 'scope') return null;
  if (decision.kind === 'noFolder') return t(lang, 'send.scope.noFolder', { project: decision.projectName });
  return t(lang, `send.scope.${decision.kind}` as MessageKey);
}

/** The panel's data for a chat: a fresh submission id, the quota, the latest sends, the file search of `?q=`. */
async function sendPanelOf(
  c: Ctx,
  chat: ConsoleChat,
  where: { base: string; page: string; pushCost: number | null },
): Promise<SendPanelData> {
  const db = c.get('db');
  const lang = c.get('lang');
  const quota = await pushQuota({ db, line: lineClientOf(c.env), log: c.get('log') });
  const sends = await latestSends(db, chat);
  const q = (c.req.query('q') ?? '').slice(0, 200);
  let hits: SendPanelData['search']['hits'] = null;
  let refusal: string | null = null;
  if (q.trim() !== '') {
    const decision = await operatorNasScopeOf(db, chat);
    refusal = refusalText(lang, decision);
    const query = parseFindText(q);
    if (decision.kind === 'scope' && !isProblem(query))
      hits = await searchNasFiles(db, decision.scope, query, SEARCH_HITS);
    else if (decision.kind === 'scope') hits = [];
  }
  return {
    ...where,
    sendId: crypto.randomUUID(),
    quota,
    sends,
    search: { q, hits, refusal },
    auditHref: auditHref({
      action: 'console.message_sent',
      ...(chat.chatPk !== null ? { groupId: chat.chatPk } : { lineUserId: chat.lineUserPk }),
    }),
  };
}

/** A send's outcome as the operator gets it: back to the chat's page with a notice, or a page saying why. */
function answer(c: Ctx, outcome: SendOutcome, back: string) {
  const lang = c.get('lang');
  switch (outcome.kind) {
    case 'sent':
      return redirectWithNotice(c, back, outcome.again ? 'notice.messageAlreadySent' : 'notice.messageSent');
    case 'requested':
      return redirectWithNotice(c, back, outcome.again ? 'notice.messageAlreadySent' : 'notice.fileRequested');
    case 'failed':
      return outcome.error === 'quota'
        ? renderMessage(c, 429, t(lang, 'send.err.quota'))
        : renderMessage(c, 409, t(lang, 'send.err.refused', { error: outcome.error }));
    case 'unanswered':
      return renderMessage(c, 409, t(lang, 'send.err.unanswered'));
    case 'conflict':
      return renderMessage(c, 409, t(lang, 'send.err.form'));
    case 'chatNotFound':
      return renderMessage(c, 404);
    case 'fileNotFound':
      return renderMessage(c, 400, t(lang, 'send.err.fileNotFound'));
    case 'outOfScope':
      return renderMessage(c, 400, t(lang, 'send.err.outOfScope'));
    case 'tooLarge':
      return renderMessage(c, 400, t(lang, 'send.err.tooLarge'));
  }
}

/** The chat a path names, or null when its id is no UUID. */
const chatOf = (kind: 'group' | 'user', id: string): ConsoleChat | null =>
  !isUuid(id) ? null : kind === 'group' ? { chatPk: id, lineUserPk: null } : { chatPk: null, lineUserPk: id };

const pageOf = (kind: 'group' | 'user', id: string) =>
  kind === 'group' ? `${BASE}/groups/${id}` : `${BASE}/line-users/${id}/send`;

async function postText(c: Ctx, kind: 'group' | 'user') {
  const lang = c.get('lang');
  const chat = chatOf(kind, c.req.param('id') ?? '');
  const form = await formOf(c);
  if (!chat) return renderMessage(c, 400);
  if (!isUuid(form.sendId ?? '')) return renderMessage(c, 400, t(lang, 'send.err.form'));
  // A browser sends a textarea's line breaks as CRLF; LINE shows LF.
  const text = (form.text ?? '').replace(/\r\n?/g, '\n');
  if (text.trim() === '') return renderMessage(c, 400, t(lang, 'send.err.blank'));
  if (!Text(MAX_OPERATOR_TEXT).safeParse(text).success) return renderMessage(c, 400, t(lang, 'send.err.tooLong'));
  const actor = consoleActor(c);
  const outcome = await sendTextAsBot(
    { db: c.get('db'), line: lineClientOf(c.env), log: c.get('log') },
    { id: form.sendId!, operator: actor.operator!, chat, text },
    actor,
  );
  // The operator's free text: the log says how long, not what.
  c.get('log').info('console.message_sent', {
    operatorSendId: form.sendId,
    outcome: outcome.kind,
    textLength: text.length,
    by: c.get('operator').via,
  });
  return answer(c, outcome, `${pageOf(kind, chat.chatPk ?? chat.lineUserPk!)}#send`);
}

async function postFile(c: Ctx, kind: 'group' | 'user') {
  const lang = c.get('lang');
  const chat = chatOf(kind, c.req.param('id') ?? '');
  const form = await formOf(c);
  if (!chat) return renderMessage(c, 400);
  if (!isUuid(form.sendId ?? '')) return renderMessage(c, 400, t(lang, 'send.err.form'));
  if (!isUuid(form.fileId ?? '')) return renderMessage(c, 400, t(lang, 'send.err.fileNotFound'));
  const actor = consoleActor(c);
  // The share link's origin: PUBLIC_BASE_URL, else the one the console is served on (the Worker's).
  const nas = nasConfig(c.env, new URL(c.req.url).origin);
  const outcome = await sendFileAsBot(
    c.get('db'),
    {
      id: form.sendId!,
      operator: actor.operator!,
      chat,
      fileId: form.fileId!,
      sendMaxBytes: nas.sendMaxBytes,
      publicBaseUrl: nas.publicBaseUrl,
    },
    actor,
  );
  c.get('log').info('console.file_send_requested', {
    operatorSendId: form.sendId,
    outcome: outcome.kind,
    by: c.get('operator').via,
  });
  return answer(c, outcome, `${pageOf(kind, chat.chatPk ?? chat.lineUserPk!)}#send`);
}

export const sendRoutes = new Hono<ConsoleEnv>()
  .post('/groups/:id/send', (c) => postText(c, 'group'))
  .post('/groups/:id/send-file', (c) => postFile(c, 'group'))
  .post('/line-users/:id/send', (c) => postText(c, 'user'))
  .post('/line-users/:id/send-file', (c) => postFile(c, 'user'))
  .get('/line-users/:id/send', async (c) => {
    const lang = c.get('lang');
    const id = c.req.param('id');
    const user = isUuid(id) ? await getLineUser(c.get('db'), id) : null;
    if (!user) return renderMessage(c, 404);
    const page = pageOf('user', id);
    const data = await sendPanelOf(
      c,
      { chatPk: null, lineUserPk: id },
      { base: `${BASE}/line-users/${id}`, page, pushCost: 1 },
    );
    const name = user.displayName ?? user.lineUserId;
    return c.render(
      <>
        <h1>{t(lang, 'send.page', { name })}</h1>
        <div class="page-head">
          <Avatar url={user.pictureUrl} />
          <DisplayName name={user.displayName} lineId={user.lineUserId} />
        </div>
        <SendPanel lang={lang} data={data} isGroup={false} />
      </>,
      { title: t(lang, 'send.page', { name }), screen: 'lineUsers' },
    );
  });

/** The group page's panel (./groups.tsx): a push there counts once per member. */
export async function groupSendPanel(c: Ctx, group: NonNullable<Awaited<ReturnType<typeof getGroup>>>) {
  const page = pageOf('group', group.id);
  return sendPanelOf(c, { chatPk: group.id, lineUserPk: null }, { base: page, page, pushCost: group.memberCount });
}
