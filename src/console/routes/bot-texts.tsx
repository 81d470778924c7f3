/**
 * The bot texts screen: the welcome texts operators reword, set or dropped through the same domain
 * functions and the same schema (SetBotTextSchema: not blank, at most one LINE text message) as
 * `PUT` and `DELETE /bot-texts/{key}/{lang}`.
 */
import { Hono, type Context } from 'hono';
import { isBotTextKey, listBotTexts, resetBotText, setBotText } from '../../domain/bot-texts';
import { BotTextParams, SetBotTextSchema } from '../../api/schemas';
import { consoleActor } from '../audit';
import { redirectWithNotice } from '../flash';
import { formOf, issuesText } from '../forms';
import { t } from '../i18n';
import { renderMessage } from '../render';
import { BASE, type ConsoleEnv } from '../types';
import { BotTextsPage, type BotTextProblem } from '../views/bot-texts';

async function botTextsPage(c: Context<ConsoleEnv>, refused?: BotTextProblem) {
  const lang = c.get('lang');
  if (refused) c.status(400);
  return c.render(<BotTextsPage lang={lang} texts={await listBotTexts(c.get('db'))} refused={refused} />, {
    title: t(lang, 'botTexts.title'),
    screen: 'botTexts',
  });
}

/** The key and language of the path, when both are ones the bot has. */
function textOf(c: Context<ConsoleEnv>) {
  const parsed = BotTextParams.safeParse({ key: c.req.param('key'), lang: c.req.param('lang') });
  return parsed.success && isBotTextKey(parsed.data.key) ? { key: parsed.data.key, lang: parsed.data.lang } : null;
}

export const botTextRoutes = new Hono<ConsoleEnv>()
  .get('/bot-texts', (c) => botTextsPage(c))
  .post('/bot-texts/:key/:lang', async (c) => {
    const which = textOf(c);
    if (!which) return renderMessage(c, 404);
    // A browser sends a textarea's line breaks as CRLF; LINE shows LF.
    const text = ((await formOf(c)).text ?? '').replace(/\r\n?/g, '\n');
    const parsed = SetBotTextSchema.safeParse({ text });
    if (!parsed.success)
      return botTextsPage(c, { target: `${which.key}/${which.lang}`, text, problem: issuesText(parsed.error) });
    await setBotText(c.get('db'), which.key, which.lang, parsed.data.text, consoleActor(c));
    c.get('log').info('console.bot_text_set', { ...which, textLength: text.length, by: c.get('operator').via });
    return redirectWithNotice(c, `${BASE}/bot-texts`, 'notice.botTextSaved');
  })
  .post('/bot-texts/:key/:lang/reset', async (c) => {
    const which = textOf(c);
    if (!which) return renderMessage(c, 404);
    const reset = await resetBotText(c.get('db'), which.key, which.lang, consoleActor(c));
    c.get('log').info('console.bot_text_reset', { ...which, reset, by: c.get('operator').via });
    return redirectWithNotice(c, `${BASE}/bot-texts`, 'notice.botTextReset');
  });
