/**
 * The Cron Trigger's backstop for AI answers: an answer whose Workflow never started (its create
 * failed after the event committed) or that made no progress for a few minutes (locally, a run cut
 * by a restart of `wrangler dev` stays `running` and is never resumed) is started or restarted.
 * The step results kept in its row make a restarted run repeat no Claude call and no send.
 */
import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineAiAnswers } from '@linebot-edge/shared/schema';
import type { Logger } from '../lib/log';
import { finishAnswer } from './answers';

/**
 * No progress for this long: the run is lost. A working step reports progress every HEARTBEAT_MS
 * (workflow.ts) however long Claude takes, and the Workflow's own retry delays are shorter, so only
 * a run that really stopped goes quiet this long. With the Cron Trigger every minute, a lost run is
 * restarted at most STALLED_AFTER_MS + 1 minute after its last progress.
 */
const STALLED_AFTER_MS = 45_000;
/** Restarts before the answer is given up (logged, marked failed). */
const MAX_RESTARTS = 5;

export async function restartStalledAnswers(
  db: Queryable,
  workflow: Workflow | undefined,
  log: Logger,
  now = new Date(),
  limit = 20,
) {
  if (!workflow) return { restarted: 0, created: 0, gaveUp: 0 };
  const stalledBefore = new Date(now.getTime() - STALLED_AFTER_MS);
  const stalled = await db
    .select({ id: lineAiAnswers.id, instanceId: lineAiAnswers.instanceId, restarts: lineAiAnswers.restarts })
    .from(lineAiAnswers)
    .where(and(inArray(lineAiAnswers.status, ['pending', 'running']), lt(lineAiAnswers.progressAt, stalledBefore)))
    .orderBy(asc(lineAiAnswers.progressAt))
    .limit(limit);

  const counts = { restarted: 0, created: 0, gaveUp: 0 };
  for (const row of stalled) {
    if (row.restarts >= MAX_RESTARTS) {
      await finishAnswer(db, row.id, {
        status: 'failed',
        outcome: 'stalled',
        error: `no progress after ${row.restarts} restarts`,
      });
      log.error('ai.gave_up', { answerId: row.id, restarts: row.restarts });
      counts.gaveUp++;
      continue;
    }
    // Claim it by its restart count, a version counter: an overlapping cron run that read the same
    // row finds the count moved and skips it. (Never by comparing progress_at with the value read:
    // Postgres keeps microseconds, a JavaScript Date milliseconds, so that compare never matches a
    // time written by now().) A run that made progress meanwhile is not stalled any more.
    const [claimed] = await db
      .update(lineAiAnswers)
      .set({ restarts: sql`${lineAiAnswers.restarts} + 1`, progressAt: sql`now()` })
      .where(
        and(
          eq(lineAiAnswers.id, row.id),
          eq(lineAiAnswers.restarts, row.restarts),
          inArray(lineAiAnswers.status, ['pending', 'running']),
          lt(lineAiAnswers.progressAt, stalledBefore),
        ),
      )
      .returning({ id: lineAiAnswers.id });
    if (!claimed) continue;
    try {
      const instance = await workflow.get(row.instanceId).catch(() => null);
      if (instance) {
        await instance.restart();
        counts.restarted++;
      } else {
        await workflow.create({ id: row.instanceId, params: { answerId: row.id } });
        counts.created++;
      }
      log.warn('ai.backstop', {
        answerId: row.id,
        instanceId: row.instanceId,
        action: instance ? 'restart' : 'create',
        restarts: row.restarts + 1,
      });
    } catch (err) {
      log.error('ai.backstop_failed', { answerId: row.id, error: err });
    }
  }
  return counts;
}
