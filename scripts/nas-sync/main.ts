/**
 * CLI of the on-prem NAS sync job (runs in Node on a machine with the NAS mounted; not part of the
 * Worker bundle).
 *
 *   npm run nas-sync                    run until stopped (SIGTERM / Ctrl-C); woken by NOTIFY
 *                                       line_files_pending, polling as the fallback (--no-listen: poll only)
 *   npm run nas-sync -- --once          process what is due now, then exit
 *   npm run nas-sync -- --status        counts of waiting / failed / unavailable rows (--json for machines)
 *   npm run nas-sync -- --retry-failed  queue failed rows again
 *
 * Exit codes: 0 done, 1 the run failed (database or NAS unreachable in --once), 2 configuration.
 */
import { recentFailures, retryFailed, statusCounts, type StatusCounts } from './claim.ts';
import { ConfigError, parseConfig, USAGE } from './config.ts';
import { openDatabase } from './db.ts';
import { describe } from './download.ts';
import { createReporter } from './progress.ts';
import { runSync } from './sync.ts';
import { serveSendRequests } from './send/serve.ts';

const LEASE_MS = 5 * 60_000;

async function main(): Promise<number> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }

  if (config.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }

  if (config.command === 'status' || config.command === 'retry-failed') {
    const database = openDatabase(config.databaseUrl, { max: 1 });
    try {
      if (config.command === 'retry-failed') {
        const n = await retryFailed(database.db);
        process.stdout.write(config.json ? `${JSON.stringify({ requeued: n })}\n` : `${n} failed row(s) queued again\n`);
        return 0;
      }
      const counts = await statusCounts(database.db, LEASE_MS);
      if (config.json) {
        process.stdout.write(`${JSON.stringify(counts)}\n`);
      } else {
        process.stdout.write(formatStatus(counts));
        const failures = counts.failed > 0 ? await recentFailures(database.db) : [];
        for (const f of failures) process.stdout.write(`  failed ${f.messageId} (${f.attempts} attempts): ${f.error ?? ''}\n`);
      }
      return 0;
    } finally {
      await database.end();
    }
  }

  const tty = Boolean(process.stdout.isTTY) && !config.json;
  const reporter = createReporter({ tty });
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) process.exit(130); // a second Ctrl-C: leave now (claims expire with the lease)
    reporter.log('info', 'nas_sync.stopping', { signal });
    controller.abort(new Error(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const sending = serveSendRequests(config.send, {
      databaseUrl: config.databaseUrl,
      once: config.once,
      pollIntervalMs: config.pollIntervalMs,
      listen: config.listen,
      leaseMs: LEASE_MS,
      signal: controller.signal,
      reporter,
    });
    // Either failing outright ends the other (continuous mode: the service manager restarts both).
    sending.catch(() => controller.abort(new Error('sender crashed')));
    const syncing = runSync({
      databaseUrl: config.databaseUrl,
      channelAccessToken: config.channelAccessToken,
      dataApiBaseUrl: config.dataApiBaseUrl,
      nasRoot: config.nasRoot,
      concurrency: config.concurrency,
      once: config.once,
      pollIntervalMs: config.pollIntervalMs,
      listen: config.listen,
      maxAttempts: config.maxAttempts,
      leaseMs: LEASE_MS,
      signal: controller.signal,
      reporter,
    });
    syncing.catch(() => controller.abort(new Error('sync crashed')));
    const [synced, sent] = await Promise.allSettled([syncing, sending]);
    if (synced.status === 'rejected') throw synced.reason;
    if (sent.status === 'rejected') throw sent.reason;
    return config.once && synced.value.errors + (sent.value?.errors ?? 0) > 0 ? 1 : 0;
  } catch (e) {
    reporter.log('error', 'nas_sync.crashed', { error: describe(e) });
    return 1;
  } finally {
    reporter.close();
  }
}

export function formatStatus(c: StatusCounts): string {
  const age = c.oldestWaitingSeconds === null ? '' : `, oldest ${formatAge(c.oldestWaitingSeconds)}`;
  return (
    [
      `waiting          ${c.waiting} (due now ${c.due}, in progress ${c.inProgress}, retrying ${c.retrying}${age})`,
      `failed           ${c.failed}`,
      `unavailable      ${c.unavailable}`,
      `synced           ${c.synced}`,
      `removed          ${c.removed}`,
      `removal pending  ${c.removalPending}`,
    ].join('\n') + '\n'
  );
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

process.exitCode = await main();
