/** The Worker: LINE webhooks over fetch, inbox retries and the AI backstop on the Cron Trigger, AI answers as Workflows. */
import { app } from './app';
import { runScheduled } from './scheduled';

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runScheduled(controller, env));
  },
} satisfies ExportedHandler<Env>;

export { AiAnswerWorkflow } from './ai/workflow';
