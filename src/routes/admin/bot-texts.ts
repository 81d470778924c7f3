/**
 * The bot's operator-edited texts (the welcome on follow and on join): list every key in every
 * language, set an override, drop it (the message catalogue's default is said again).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { isBotTextKey, listBotTexts, resetBotText, setBotText } from '../../domain/bot-texts';
import { adminRouter, apiActor, notFound } from './context';
import { BotTextParams, BotTextSchema, errorResponses, json, SetBotTextSchema } from '../../api/schemas';

export const botTextRoutes = adminRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/bot-texts',
      operationId: 'listBotTexts',
      summary: 'The texts operators may reword, each key in each language: what the bot says now and the default',
      responses: {
        200: json(z.object({ items: z.array(BotTextSchema) }).openapi('BotTextList'), 'Bot texts'),
        ...errorResponses(401),
      },
    }),
    async (c) => c.json({ items: await listBotTexts(c.get('db')) }, 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/bot-texts/{key}/{lang}',
      operationId: 'setBotText',
      summary: 'Set what the bot says for this key and language (404: not a key GET /bot-texts lists)',
      request: {
        params: BotTextParams,
        body: { content: { 'application/json': { schema: SetBotTextSchema } }, required: true },
      },
      responses: { 200: json(BotTextSchema, 'The text as set'), ...errorResponses(400, 401, 404, 413, 415) },
    }),
    async (c) => {
      const { key, lang } = c.req.valid('param');
      const { text } = c.req.valid('json');
      if (!isBotTextKey(key)) throw notFound('bot text', key);
      const item = await setBotText(c.get('db'), key, lang, text, apiActor(c));
      // The operator's words stay out of the log: their length only.
      c.get('log').info('admin.bot_text_set', { key, lang, textLength: text.length });
      return c.json(item, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/bot-texts/{key}/{lang}',
      operationId: 'resetBotText',
      summary: 'Drop the override: the default is said again (204 also when there was none)',
      request: { params: BotTextParams },
      responses: { 204: { description: 'The default is said' }, ...errorResponses(400, 401, 404, 413) },
    }),
    async (c) => {
      const { key, lang } = c.req.valid('param');
      if (!isBotTextKey(key)) throw notFound('bot text', key);
      const reset = await resetBotText(c.get('db'), key, lang, apiActor(c));
      c.get('log').info('admin.bot_text_reset', { key, lang, reset });
      return c.body(null, 204);
    },
  );
