/**
 * The durable ack: record the events, then let LINE have its 200, then process them.
 *
 * The answer waits for the inbox INSERT, but only up to the ack budget: LINE gives a webhook
 * 1-2 s. Past the budget the 200 goes out and the INSERT finishes in waitUntil; if it then fails,
 * the events are logged whole at error level, the one case where the log is the last copy.
 * If the INSERT fails within the budget the answer is 503, so LINE's redelivery can retry.
 */
import { ACK_BUDGET_MS } from '../config/constants';
import { isPostgresError } from '../db/errors';
import { processEvents } from '../events/dispatch';
import { intakeStatement } from '../events/handlers/message';
import { recordAtIntake, recordEvents, toInboxRows, type Recorded } from '../inbox/record';
import type { Logger } from '../lib/log';
import type { Services } from '../services';
import type { WebhookBody } from '../line/webhook-body';

export type AckResult =
  /** `recorded`: new events, processed now; `invalid`: new entries that are no event, kept; `duplicates`: seen before. */
  | { status: 'recorded'; recorded: number; invalid: number; duplicates: number }
  | { status: 'deferred' }
  | { status: 'unavailable'; error: unknown };

export async function recordAndProcess(
  body: WebhookBody,
  services: Services,
  waitUntil: (p: Promise<unknown>) => void,
  log: Logger,
  ackBudgetMs = ACK_BUDGET_MS,
): Promise<AckResult> {
  const rows = await toInboxRows(body.destination, body.events);
  // LINE mostly sends one event per body: group chatter from known members is recorded and stored
  // in one statement, sent over HTTP, so such a request opens no connection at all. Anything else,
  // or that statement failing in Postgres, goes the usual way, through the request's Pool.
  const intake = rows.length === 1 ? intakeStatement(services, rows[0]!) : null;
  const recording = intake
    ? recordAtIntake(services.httpDb(), intake, rows[0]!).catch((error: unknown) => {
        // A database that cannot be reached would only fail again, after a second wait.
        if (!isPostgresError(error)) throw error;
        log.warn('webhook.intake_statement_failed', { error });
        return recordEvents(services.db, rows);
      })
    : recordEvents(services.db, rows);
  /** What is left of a recording: events stored at intake are done already, the rest is processed now. */
  const process = async ({ events, done }: Recorded) => {
    if (done > 0) log.info('webhook.processed', { events: done, done, failed: 0, dead: 0, atIntake: true });
    if (events.length === 0) return;
    const counts = await processEvents(services, events);
    log.info('webhook.processed', { events: events.length, ...counts });
  };

  let timer = 0;
  const budget = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ackBudgetMs) as unknown as number;
  });
  const first = await Promise.race([
    recording.then(
      (recorded) => ({ recorded }),
      (error: unknown) => ({ error }),
    ),
    budget,
  ]);
  clearTimeout(timer);

  if (first === 'timeout') {
    log.warn('webhook.ack_budget_exceeded', { budgetMs: ackBudgetMs, events: rows.length });
    waitUntil(
      recording
        .then(process, (error) => {
          // After a 200, LINE will not redeliver: this log line is the only copy of these events.
          log.error('webhook.record_failed_after_ack', { error, destination: body.destination, events: body.events });
        })
        .finally(services.close),
    );
    return { status: 'deferred' };
  }
  if ('error' in first) {
    waitUntil(services.close());
    log.error('webhook.record_failed', { error: first.error, events: rows.length });
    return { status: 'unavailable', error: first.error };
  }
  const { events, invalid, done } = first.recorded;
  if (invalid > 0) log.warn('webhook.invalid_events', { invalid, events: rows.length });
  waitUntil(process(first.recorded).finally(services.close));
  return {
    status: 'recorded',
    recorded: events.length + done,
    invalid,
    duplicates: rows.length - events.length - done - invalid,
  };
}
