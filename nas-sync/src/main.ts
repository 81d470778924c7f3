#!/usr/bin/env node
/**
 * CLI of the on-prem NAS sync job (runs in Node on a machine with the NAS mounted; not part of the
 * Worker bundle).
 *
 *   npm run nas-sync                    run until stopped (SIGTERM / Ctrl-C); woken by NOTIFY
 *                                       line_files_pending, polling as the fallback (--no-listen: poll only)
 *   npm run nas-sync -- --once          process what is due now (and walk each NAS_SHARES share once), then exit
 *   npm run nas-sync -- --status        counts of waiting / failed / unavailable rows, indexed files per share
 *                                       (--json for machines)
 *   npm run nas-sync -- --retry-failed  queue failed rows again
 *
 * With NAS_SHARES the company shares are indexed beside the media sync, in the same process.
 *
 * Exit codes: 0 done, 1 the run failed (database or NAS unreachable, or a share walk failed, in
 * --once) or was refused (NAS_ROOT and a share of NAS_SHARES inside one another), 2 configuration.
 */
import { recentFailures, retryFailed, statusCounts } from './claim.ts';
import { ConfigError, parseConfig, USAGE } from './config.ts';
import { openDatabase } from './db.ts';
import { describe } from './download.ts';
import { runIndexer, shareCounts } from './index/index.ts';
import { createReporter, formatIndex, formatStatus } from './progress.ts';
import { runSync } from './sync.ts';
import { serveSendRequests } from './send/serve.ts';
import { workerClient } from './send/upload.ts';
import { thumbnailUploader } from './thumbnail.ts';

const LEASE_MS = 5 * 60_000;

async function main(): Promise<number> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return e.exitCode;
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
        process.stdout.write(
          config.json ? `${JSON.stringify({ requeued: n })}\n` : `${n} failed row(s) queued again\n`,
        );
        return 0;
      }
      const counts = await statusCounts(database.db, LEASE_MS);
      const index = await shareCounts(database.db);
      if (config.json) {
        process.stdout.write(`${JSON.stringify({ ...counts, index })}\n`);
      } else {
        process.stdout.write(formatStatus(counts) + formatIndex(index));
        const failures = counts.failed > 0 ? await recentFailures(database.db) : [];
        for (const f of failures)
          process.stdout.write(`  failed ${f.messageId} (${f.attempts} attempts): ${f.error ?? ''}\n`);
      }
      return 0;
    } finally {
      await database.end();
    }
  }

  const tty = Boolean(process.stdout.isTTY) && !config.json;
  const reporter = createReporter({ tty });
  for (const warning of config.warnings) reporter.log('warn', 'nas_sync.setting_clamped', { warning });
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
    const indexing =
      config.shares.length > 0
        ? runIndexer({
            databaseUrl: config.databaseUrl,
            shares: config.shares,
            once: config.once,
            intervalMs: config.indexIntervalMs,
            rescanMs: config.rescanIntervalMs,
            signal: controller.signal,
            reporter,
            previews:
              config.send.enabled && config.previewsPerRound > 0
                ? {
                    client: workerClient({ workerUrl: config.send.workerUrl, agentToken: config.send.agentToken }),
                    limit: config.previewsPerRound,
                  }
                : undefined,
          })
        : Promise.resolve({ errors: 0 });
    // Either failing outright ends the other (continuous mode: the service manager restarts both).
    indexing.catch(() => controller.abort(new Error('indexer crashed')));
    const sending = serveSendRequests(config.send, {
      databaseUrl: config.databaseUrl,
      once: config.once,
      pollIntervalMs: config.pollIntervalMs,
      listen: config.listen,
      leaseMs: LEASE_MS,
      signal: controller.signal,
      reporter,
    });
    sending.catch(() => controller.abort(new Error('sender crashed')));
    const syncing = runSync({
      databaseUrl: config.databaseUrl,
      channelAccessToken: config.channelAccessToken,
      dataApiBaseUrl: config.dataApiBaseUrl,
      nasRoot: config.nasRoot,
      timeZone: config.timeZone,
      concurrency: config.concurrency,
      once: config.once,
      pollIntervalMs: config.pollIntervalMs,
      listen: config.listen,
      maxAttempts: config.maxAttempts,
      dailyBytesPerSender: config.dailyBytesPerSender,
      leaseMs: LEASE_MS,
      signal: controller.signal,
      reporter,
      onImageSynced: thumbnailUploader(config.send),
    });
    syncing.catch(() => controller.abort(new Error('sync crashed')));
    const [synced, indexed, sent] = await Promise.allSettled([syncing, indexing, sending]);
    if (synced.status === 'rejected') throw synced.reason;
    if (indexed.status === 'rejected') throw indexed.reason;
    if (sent.status === 'rejected') throw sent.reason;
    return config.once && synced.value.errors + indexed.value.errors + (sent.value?.errors ?? 0) > 0 ? 1 : 0;
  } catch (e) {
    reporter.log('error', 'nas_sync.crashed', { error: describe(e) });
    return 1;
  } finally {
    reporter.close();
  }
}

process.exitCode = await main();
