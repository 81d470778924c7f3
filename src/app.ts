/** The HTTP app: routes mounted under their paths, one error handler, a request id and logger per request. */
import { NAS_API_PATH } from '@linebot-edge/shared/upload-contract';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { errorResponse, handleError } from './api/errors';
import type { AppEnv } from './http/types';
import { createLogger } from './lib/log';
import { console as adminConsole, type createConsole } from './console';
import { admin } from './routes/admin';
import { filePreview } from './routes/file-preview';
import { health } from './routes/health';
import { nas } from './routes/nas';
import { share } from './routes/share';
import { webhook } from './routes/webhook';

/** `console`: the console to mount at /admin (tests pass one with their own key source). */
export function createApp(options: { console?: ReturnType<typeof createConsole> } = {}) {
  const app = new Hono<AppEnv>();
  app.use(requestId({ headerName: 'cf-ray' }));
  app.use(async (c, next) => {
    c.set('log', createLogger({ requestId: c.get('requestId') }));
    await next();
  });
  app.route('/api/linebot/webhook', webhook);
  app.route('/healthz', health);
  app.route('/api/linebot/admin', admin);
  app.route(NAS_API_PATH, nas);
  app.route('/s', share);
  app.route('/p', filePreview);
  app.route('/admin', options.console ?? adminConsole);
  app.notFound((c) => errorResponse(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError(handleError);
  return app;
}

export const app = createApp();
