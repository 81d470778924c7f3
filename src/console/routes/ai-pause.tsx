/**
 * Taking over a chat from the AI: pause it (1, 4 or 24 hours, or until resumed) and resume it, for
 * a group or room and for a 1:1 chat (by its LINE user, whose page is here too). Each form names
 * what it wants, so a form sent twice does what it says once; audited as `ai.paused`, `ai.resumed`.
 */
import { Hono, type Context } from 'hono';
import { pauseAi, pauseOf, resumeAi, type PauseChat } from '../../domain/ai-pauses';
import { getLineUser } from '../../domain/line-users';
import { consoleActor } from '../audit';
import { redirectWithNotice } from '../flash';
import { formOf, isUuid } from '../forms';
import { t } from '../i18n';
import { renderMessage } from '../render';
import { BASE, type ConsoleEnv } from '../types';
import { LineUserAiPage, PAUSE_CHOICES } from '../views/ai-pause';

const chats = [
  { path: 'groups', kind: 'group', page: (id: string) => `${BASE}/groups/${id}` },
  { path: 'line-users', kind: 'user', page: (id: string) => `${BASE}/line-users/${id}/ai` },
] as const;

/** The form's duration in hours (null: until resumed), or undefined when it is none of the choices. */
function hoursOf(field: string | undefined): number | null | undefined {
  if (!(PAUSE_CHOICES as readonly (string | undefined)[]).includes(field)) return undefined;
  return field === 'until' ? null : Number(field);
}

export const aiPauseRoutes = new Hono<ConsoleEnv>().get('/line-users/:id/ai', async (c) => {
  const lang = c.get('lang');
  const id = c.req.param('id');
  if (!isUuid(id)) return renderMessage(c, 404);
  const db = c.get('db');
  const user = await getLineUser(db, id);
  if (!user) return renderMessage(c, 404);
  const pause = await pauseOf(db, { kind: 'user', id });
  return c.render(<LineUserAiPage lang={lang} user={user} pause={pause} />, {
    title: t(lang, 'pause.userTitle'),
    screen: 'lineUsers',
  });
});

for (const chat of chats) {
  const target = (c: Context<ConsoleEnv>): PauseChat | null => {
    const id = c.req.param('id');
    return id && isUuid(id) ? { kind: chat.kind, id } : null;
  };
  aiPauseRoutes
    .post(`/${chat.path}/:id/ai-pause`, async (c) => {
      const to = target(c);
      const hours = hoursOf((await formOf(c)).hours);
      if (!to || hours === undefined) return renderMessage(c, 400);
      const pause = await pauseAi(c.get('db'), to, hours, consoleActor(c));
      if (!pause) return renderMessage(c, 404);
      c.get('log').info('console.ai_paused', { chatType: to.kind, chatPk: to.id, hours, by: c.get('operator').via });
      return redirectWithNotice(c, chat.page(to.id), 'notice.aiPaused');
    })
    .post(`/${chat.path}/:id/ai-resume`, async (c) => {
      const to = target(c);
      if (!to) return renderMessage(c, 400);
      const result = await resumeAi(c.get('db'), to, consoleActor(c));
      if (result === 'not_found') return renderMessage(c, 404);
      c.get('log').info('console.ai_resumed', { chatType: to.kind, chatPk: to.id, result, by: c.get('operator').via });
      return redirectWithNotice(
        c,
        chat.page(to.id),
        result === 'resumed' ? 'notice.aiResumed' : 'notice.aiWasNotPaused',
      );
    });
}
