/**
 * Per-request (or per-cron-run) services: a database pool, a LINE client and a logger,
 * built from env. The pool must be closed by whoever opened it (`close`, via ctx.waitUntil).
 */
import { aiConfig } from './ai/config';
import { config, type ConfigEnv } from './config';
import { PROFILE_TTL_MS } from './config/constants';
import { openDb, openHttpDb, type DbHandle, type HttpDatabase } from './db/client';
import { processEvent } from './events/dispatch';
import type { EventDeps } from './events/types';
import type { RecordedEvent } from './inbox/record';
import { createLineClient } from './line/client';
import type { Logger } from './lib/log';
import { nasConfig } from './nas/requests';

export interface Services extends EventDeps, Pick<DbHandle, 'close'> {
  /** One-statement queries over HTTP (the ack's intake statement). */
  httpDb(): HttpDatabase;
}

/**
 * `origin`: the origin this Worker was called on, which share links and previews default to: LINE's
 * webhook call, or the console or API request that retried the event; unknown in a cron run.
 */
export function openServices(env: Env, log: Logger, origin: string | null = null): Services {
  const { db, close } = openDb(env, log);
  const line = lineClientOf(env);
  return {
    db,
    line,
    log,
    close,
    httpDb: () => openHttpDb(env),
    profileTtlMs: PROFILE_TTL_MS,
    ai: aiConfig(env),
    nas: nasConfig(env, origin),
    files: env.FILES,
  };
}

/** The LINE client of this deployment's channel and hosts. */
export function lineClientOf(env: ConfigEnv) {
  const c = config(env);
  // No access token (a misconfiguration): LINE refuses every call with 401, as it refuses a wrong one.
  return createLineClient({
    channelAccessToken: c.secrets.lineChannelAccessToken ?? '',
    apiBaseUrl: c.lineApiBaseUrl,
    dataApiBaseUrl: c.lineDataApiBaseUrl,
  });
}

/**
 * Processes a claimed event after the response, with its own services: the request's pool closes
 * with the response, processing goes on after it.
 */
export function processInBackground(
  env: Env,
  log: Logger,
  waitUntil: (p: Promise<unknown>) => void,
  event: RecordedEvent,
  origin: string | null,
) {
  const services = openServices(env, log, origin);
  waitUntil(processEvent(services, event).finally(services.close));
}
