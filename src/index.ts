/** The Worker: LINE webhooks over fetch, inbox retries on the Cron Trigger. */
import { app } from './app';
import { runScheduled } from './scheduled';

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runScheduled(controller, env));
  },
} satisfies ExportedHandler<Env>;
