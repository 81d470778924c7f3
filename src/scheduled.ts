/**
 * The Cron Trigger (every minute): retries inbox events that failed and are due, recovers events
 * whose worker died mid-processing (overlapping runs share work through SKIP LOCKED), and starts
 * or restarts AI answers that never started or stalled, and delivers NAS send requests left unsent
 * (uploaded, or failed and not yet told; requests the NAS job never finished become failed),
 * resumes console announcements still sending (src/domain/announcements.ts, chunks within the budget;
 * one paused for the push quota waits for an operator's resume),
 * purges the payloads of done events past INBOX_RETENTION_DAYS (src/inbox/retention.ts), and
 * deletes wrong-token records older than a day (the limiter needs 15 minutes of them) and AI
 * pauses that have expired (they already count as no pause: src/domain/ai-pauses.ts), and every
 * tenth minute deletes a page of /find's NAS previews whose file left the index (src/nas/file-previews.ts).
 */
import { restartStalledAnswers } from './ai/backstop';
import { CRON_BATCH_SIZE, CRON_TIME_BUDGET_MS } from './config/constants';
import { config } from './config';
import { processAnnouncementFor, unfinishedAnnouncements } from './domain/announcements';
import { deleteExpiredPauses } from './domain/ai-pauses';
import { processEvents } from './events/dispatch';
import { purgeInboxPayloads } from './inbox/retention';
import { claimDueEvents } from './inbox/status';
import { createLogger } from './lib/log';
import { runNasBackstop } from './nas/deliver';
import { randomSweepStart, sweepFilePreviews } from './nas/file-previews';
import { pruneAuthFailures } from './security/limiter';
import { openServices } from './services';

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const log = createLogger({ job: 'inbox-retry', cron: controller.cron });
  const services = openServices(env, log);
  // Due-ness is judged at the trigger's scheduled time, which also lets tests run "a later" cron.
  const now = new Date(controller.scheduledTime);
  const deadline = Date.now() + CRON_TIME_BUDGET_MS;
  const totals = { claimed: 0, done: 0, failed: 0, dead: 0 };
  try {
    while (Date.now() < deadline) {
      const claimed = await claimDueEvents(services.db, now, CRON_BATCH_SIZE);
      if (claimed.length === 0) break;
      const counts = await processEvents(services, claimed);
      totals.claimed += claimed.length;
      totals.done += counts.done;
      totals.failed += counts.failed;
      totals.dead += counts.dead;
      if (claimed.length < CRON_BATCH_SIZE) break;
    }
    if (totals.claimed > 0) log.info('cron.retried', totals);
    const answers = await restartStalledAnswers(services.db, env.AI_ANSWER, log, now);
    if (answers.restarted + answers.created + answers.gaveUp > 0) log.info('cron.ai_backstop', answers);
    const nas = await runNasBackstop(services, env, now.getTime());
    if (nas.timedOut + nas.sent + nas.told + nas.errors > 0) log.info('cron.nas_backstop', nas);
    for (const id of await unfinishedAnnouncements(services.db)) {
      if (Date.now() >= deadline) break;
      const announced = await processAnnouncementFor(services, id, {
        ...services.nas,
        budgetMs: Math.max(0, deadline - Date.now()),
      });
      if (announced.processed > 0) log.info('cron.announcement_resumed', { announcementId: id, ...announced });
    }
    const days = config(env).inboxRetentionDays;
    const purged = await purgeInboxPayloads(services.db, days);
    if (purged > 0) log.info('cron.inbox_purged', { purged, days });
    const authFailures = await pruneAuthFailures(services.db);
    if (authFailures > 0) log.info('cron.auth_failures_pruned', { deleted: authFailures });
    const pauses = await deleteExpiredPauses(services.db);
    if (pauses > 0) log.info('cron.ai_pauses_expired', { deleted: pauses });
    // Every tenth minute, one page of /find's previews from a random point: orphans deleted.
    if (now.getUTCMinutes() % 10 === 0) {
      const swept = await sweepFilePreviews(services.db, env.FILES, randomSweepStart());
      if (swept.deleted > 0) log.info('cron.nas_previews_swept', swept);
    }
  } catch (err) {
    // The database is unreachable or a claim failed: the next run (a minute later) tries again.
    log.error('cron.failed', { error: err, ...totals });
  } finally {
    await services.close();
  }
}
