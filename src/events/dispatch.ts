/**
 * Processing recorded events: route each to its handler, apply its writes and mark its inbox row
 * done in one transaction (so an event's effects and its `done` commit together or not at all),
 * or record the failure for the Cron Trigger to retry.
 */
import { markDone, markDoneQuery, markFailed } from '../inbox/status';
import type { RecordedEvent } from '../inbox/record';
import { describeError } from '@linebot-edge/shared/error-text';
import { sleep } from '../lib/time';
import { hasPgCode } from '../db/errors';
import { handleFollow, handleUnfollow } from './handlers/follow';
import { handleJoin, handleLeave } from './handlers/join';
import { handleMemberJoined, handleMemberLeft } from './handlers/members';
import { handleMessage } from './handlers/message';
import { handleMessageEdited } from './handlers/message-edited';
import { handlePostback, tapHandlerFor } from './handlers/postback';
import { handleUnsend } from './handlers/unsend';
import { postbackDataOf, type AfterCommit, type EventDeps, type EventHandler } from './types';

/**
 * Event types with something to store beyond the inbox row. Everything else (videoPlayComplete,
 * beacon, accountLink, membership, types LINE adds later) stays in the inbox as received and is
 * marked done; so does a postback whose data none of the bot's buttons carries (`handlerFor`).
 */
const handlers: Record<string, EventHandler> = {
  message: handleMessage,
  follow: handleFollow,
  unfollow: handleUnfollow,
  join: handleJoin,
  leave: handleLeave,
  memberJoined: handleMemberJoined,
  memberLeft: handleMemberLeft,
  unsend: handleUnsend,
  messageEdited: handleMessageEdited,
  postback: handlePostback,
};

export type Outcome = 'done' | 'failed' | 'dead';

export async function processEvent(deps: EventDeps, recorded: RecordedEvent): Promise<Outcome> {
  const { event } = recorded;
  const log = deps.log.child({ inboxId: recorded.id, webhookEventId: recorded.webhookEventId, eventType: event.type });
  try {
    const handler = handlerFor(event);
    const apply = handler ? await handler(event, deps) : undefined;
    // biome-ignore lint/complexity/noUselessUndefinedInitialization: tsc wants a `void` union assigned before it is read.
    let after: AfterCommit | void = undefined;
    if (apply && 'oneStatement' in apply) {
      await retryConflicts(log, () =>
        deps.db.execute(apply.oneStatement((payload) => markDoneQuery(deps.db, recorded.id, payload).getSQL())),
      );
    } else if (apply) {
      after = await retryConflicts(log, () =>
        deps.db.transaction(async (tx) => {
          const effect = await apply(tx);
          await markDone(tx, recorded.id);
          return effect;
        }),
      );
    } else {
      await markDone(deps.db, recorded.id);
    }
    // The event is done whatever happens here: a reply token works once and expires in a minute,
    // so a failed reply is logged, not retried.
    if (after) await after().catch((err: unknown) => log.warn('event.after_commit_failed', { error: err }));
    return 'done';
  } catch (err) {
    const status = await markFailed(deps.db, recorded, JSON.stringify(describeError(err))).catch((markErr) => {
      // The database is gone: the row stays `processing` and the cron recovers it later.
      log.error('event.mark_failed_failed', { error: markErr });
      return 'failed' as const;
    });
    // The error itself: the logger describes it (status, LINE's message, x-line-request-id).
    log[status === 'dead' ? 'error' : 'warn'](`event.${status}`, { attempts: recorded.attempts, error: err });
    return status;
  }
}

/** Tries of an event's write when Postgres rolled it back for a deadlock or a serialization failure. */
const CONFLICT_TRIES = 3;
/** Deadlock victim, serialization failure. */
const CONFLICT_CODES = new Set(['40P01', '40001']);

/**
 * An event's write again, at once, when Postgres chose it as a deadlock's victim (an unsend and
 * the message it names, processed side by side, lock the message and the inbox rows in turn): the
 * whole write was rolled back, so running it again is safe, and the event need not wait for the
 * Cron Trigger's retry.
 */
async function retryConflicts<T>(log: EventDeps['log'], write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= CONFLICT_TRIES || !hasPgCode(err, CONFLICT_CODES)) throw err;
      log.info('event.write_conflict_retried', { attempt });
      await sleep(5 + Math.random() * 20 * attempt);
    }
  }
}

/**
 * The handler of an event, if it has one. Only the bot's own buttons (`offer:`, `find:`, `answer:` data,
 * ./handlers/postback.ts) are handled among postbacks: the rest cost one batched UPDATE, not a
 * round of their own each.
 */
const handlerFor = (event: RecordedEvent['event']): EventHandler | undefined => {
  if (!Object.hasOwn(handlers, event.type)) return undefined;
  if (event.type === 'postback' && !tapHandlerFor(postbackDataOf(event))) return undefined;
  return handlers[event.type];
};

/**
 * Events of one request or one cron run, in order: a later event may depend on an earlier one.
 * Events kept only in the inbox have nothing to apply: a run of them is marked done in one UPDATE.
 */
export async function processEvents(deps: EventDeps, events: RecordedEvent[]): Promise<Record<Outcome, number>> {
  const counts: Record<Outcome, number> = { done: 0, failed: 0, dead: 0 };
  let inboxOnly: RecordedEvent[] = [];
  const flush = async () => {
    if (inboxOnly.length === 0) return;
    const batch = inboxOnly;
    inboxOnly = [];
    try {
      await markDone(
        deps.db,
        batch.map((r) => r.id),
      );
      counts.done += batch.length;
    } catch {
      // Fall back to one by one, so each records its own failure.
      for (const recorded of batch) counts[await processEvent(deps, recorded)]++;
    }
  };
  for (const recorded of events) {
    if (!handlerFor(recorded.event)) {
      inboxOnly.push(recorded);
      continue;
    }
    await flush();
    counts[await processEvent(deps, recorded)]++;
  }
  await flush();
  return counts;
}
