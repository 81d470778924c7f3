/**
 * Serves send requests (`/send n`, the AI's send_nas_file): claims open `nas_send_requests`, checks
 * the file on the NAS is still the indexed one, and uploads it (an image's preview first) to the
 * Worker, which stores it in R2 and sends the LINE message. Woken by NOTIFY
 * nas_send_requests_pending, polling as the fallback; `once` serves what is open when it starts.
 *
 * The file is opened once (O_NOFOLLOW, on its realpath inside the share) and everything after that
 * reads that descriptor: the fstat compared with the request's snapshot, the SHA-256 pass and the
 * upload are of one and the same file, even if the path is swapped meanwhile.
 */
import { isImageMessageType, type FailureReason } from '@linebot-edge/shared/upload-contract';
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { databaseNow, openDatabase, type Database } from '../db.ts';
import { describe } from '../download.ts';
import { startListener, type Listener } from '../listen.ts';
import { quietReporter, type Level, type Reporter } from '../progress.ts';
import { claimSends, releaseSendClaim, renewSendClaim, type ClaimedSend } from './claim.ts';
import type { SendSetup } from './config.ts';
import { contentTypeOf } from './content-type.ts';
import { makePreview } from './preview.ts';
import { resolveInShare, type Share } from './resolve.ts';
import { workerClient, type Body, type WorkerAnswer, type WorkerClient } from './upload.ts';
import { claimHeartbeat, ClaimLostError } from '../heartbeat.ts';
import { wakeableSleep } from '../wake.ts';

const SEND_CHANNEL = 'nas_send_requests_pending';

export type SendOutcome =
  /** The Worker has the file (it sends the LINE message). */
  | 'uploaded'
  /** The Worker was told why not (missing, changed, ...); it tells the asker. */
  | 'failed'
  /** 409: another job got there first, or the Worker moved the request on. Not an error. */
  | 'taken'
  /** The Worker could not be reached (or refused us: 401, 404 ...): the claim is left to expire. */
  | 'gave_up'
  /** Shutdown or trouble on this machine: given back, pending again. */
  | 'released'
  /** Our claim was taken over by another job while we worked (we stalled past the lease). */
  | 'claim_lost';

export interface SendEvent {
  requestId: string;
  share: string;
  path: string;
  outcome: SendOutcome;
  reason?: FailureReason;
  status?: number;
  error?: string;
  bytes?: number;
  preview?: boolean;
  attempts: number;
  ms: number;
}

export interface SendOptions {
  databaseUrl?: string;
  /** An open database (left open); for tests. Without databaseUrl there is no listener. */
  database?: Database;
  workerUrl: string;
  agentToken: string;
  shares: Share[];
  maxBytes: number;
  once?: boolean;
  /** Default 5 s. */
  pollIntervalMs?: number;
  /** Wake on NOTIFY nas_send_requests_pending (continuous mode, with a URL); default true. */
  listen?: boolean;
  /** Parallel uploads; default 2. */
  concurrency?: number;
  /** A claim not renewed for this long is taken over; default 5 min. */
  leaseMs?: number;
  heartbeatMs?: number;
  /** Claims after which a request is failed as unreadable rather than tried again; default 5. */
  maxAttempts?: number;
  /** Retries of one HTTP call on network errors / 429 / 5xx, and the first backoff; default 4 and 1 s. */
  retries?: number;
  retryBaseMs?: number;
  /** Names this job's claims (claimed_by); default host/pid/random. */
  claimedBy?: string;
  signal?: AbortSignal;
  reporter?: Reporter;
  onEvent?: (e: SendEvent) => void;
}

export type SendSummary = Record<SendOutcome, number> & { bytes: number; errors: number };

class RootGoneError extends Error {}

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

export async function runSend(options: SendOptions): Promise<SendSummary> {
  const concurrency = options.concurrency ?? 2;
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.floor(leaseMs / 5));
  const maxAttempts = options.maxAttempts ?? 5;
  const reporter = options.reporter ?? quietReporter();
  const stop = options.signal ?? new AbortController().signal;
  const claimedBy = options.claimedBy ?? `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`.slice(0, 200);
  const log = (level: Level, event: string, fields?: Record<string, unknown>) => reporter.log(level, event, fields);

  if (!options.database && !options.databaseUrl) throw new Error('runSend needs databaseUrl or database');
  const database =
    options.database ??
    openDatabase(options.databaseUrl!, {
      max: concurrency + 2,
      onError: (e) => log('warn', 'nas_send.db_connection_error', { error: describe(e) }),
    });
  const db = database.db;
  const client: WorkerClient = workerClient({
    workerUrl: options.workerUrl,
    agentToken: options.agentToken,
    retries: options.retries,
    retryBaseMs: options.retryBaseMs,
    onRetry: (i) => log('warn', 'nas_send.retry', i),
  });

  const summary: SendSummary = {
    uploaded: 0,
    failed: 0,
    taken: 0,
    gave_up: 0,
    released: 0,
    claim_lost: 0,
    bytes: 0,
    errors: 0,
  };
  const done = (e: SendEvent) => {
    summary[e.outcome]++;
    if (e.outcome === 'uploaded') summary.bytes += e.bytes ?? 0;
    const level: Level =
      e.outcome === 'gave_up' ? 'error' : e.outcome === 'claim_lost' || e.outcome === 'failed' ? 'warn' : 'info';
    log(level, 'nas_send.request', { ...e });
    options.onEvent?.(e);
  };

  async function serve(claim: ClaimedSend): Promise<void> {
    const started = Date.now();
    const base = { requestId: claim.id, share: claim.share, path: claim.path, attempts: claim.attempts };
    const ms = () => Date.now() - started;
    const heartbeat = claimHeartbeat({
      stop,
      intervalMs: heartbeatMs,
      renew: () => renewSendClaim(db, claim, claimedBy),
      onError: (e) => log('warn', 'nas_send.heartbeat_failed', { requestId: claim.id, error: describe(e) }),
    });

    /** Tells the Worker why not; its answer decides the outcome. */
    const fail = async (reason: FailureReason, detail?: string) => {
      const a = await client.failure(claim.id, reason, heartbeat.signal);
      return answered(a, { ...base, outcome: 'failed', reason, error: detail });
    };
    const answered = (a: WorkerAnswer, ok: Omit<SendEvent, 'ms'>) => {
      if (a.kind === 'ok') return done({ ...ok, ms: ms() });
      if (a.kind === 'rejected' && a.status === 409) return done({ ...base, outcome: 'taken', status: 409, ms: ms() });
      return gaveUp(a);
    };
    const gaveUp = (a: WorkerAnswer) =>
      done({
        ...base,
        outcome: 'gave_up',
        status: a.kind === 'rejected' ? a.status : undefined,
        error:
          a.kind === 'unreachable'
            ? `${a.error} (${a.tries} tries)`
            : a.kind === 'rejected'
              ? `HTTP ${a.status} ${a.code ?? ''}`.trim()
              : undefined,
        ms: ms(),
      });

    let fh: FileHandle | undefined;
    try {
      if (claim.attempts > maxAttempts) return await fail('unreadable', `gave up after ${claim.attempts - 1} claims`);
      const share = options.shares.find((s) => s.name === claim.share);
      // An unmounted share is this machine's trouble, not the file's: give the request back.
      if (
        !share ||
        !(await stat(share.root).then(
          (s) => s.isDirectory(),
          () => false,
        ))
      ) {
        throw new RootGoneError(`share ${claim.share} is not mounted here`);
      }
      const resolved = await resolveInShare(options.shares, claim.share, claim.path);
      if ('problem' in resolved) {
        const reason: FailureReason =
          resolved.problem === 'not_file'
            ? 'missing'
            : resolved.problem === 'unknown_share'
              ? 'outside_share'
              : resolved.problem;
        return await fail(reason);
      }
      try {
        fh = await open(resolved.absolute, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (e) {
        const c = code(e);
        return await fail(c === 'ENOENT' ? 'missing' : c === 'ELOOP' ? 'outside_share' : 'unreadable', describe(e));
      }
      const handle = fh;
      // What was opened, by the kernel's account (Linux): a folder swapped for a symlink between the
      // realpath check and the open would show here.
      const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
      if (opened !== undefined && isAbsolute(opened) && !inside(await realpath(share.root), opened))
        return await fail('outside_share', 'moved out while opening');
      const same = async (): Promise<FailureReason | undefined> => {
        const st = await handle.stat();
        if (!st.isFile()) return 'missing';
        if (st.size !== claim.size || Math.floor(st.mtimeMs) !== claim.modifiedMs) return 'changed';
        return undefined;
      };
      const changed = await same();
      if (changed) return await fail(changed);
      if (claim.size > options.maxBytes) return await fail('too_large');

      const contentType = contentTypeOf(claim.name);
      const image = isImageMessageType(contentType, claim.size);
      // Big enough for the slowest link we expect (about 100 KB/s), never forever.
      const timeoutMs = 60_000 + Math.ceil(claim.size / 100);
      let buffer: Buffer | undefined;
      const hashFile = async (): Promise<{ sha256: string; length: number }> => {
        if (image) {
          // Small enough to hold: one read for the hash, the preview and the upload.
          buffer = await readAll(handle, claim.size);
          return { sha256: createHash('sha256').update(buffer).digest('hex'), length: buffer.length };
        }
        const hash = createHash('sha256');
        let length = 0;
        for await (const chunk of createReadStream('', {
          fd: handle,
          start: 0,
          autoClose: false,
          signal: heartbeat.signal,
        }) as AsyncIterable<Buffer>) {
          hash.update(chunk);
          length += chunk.length;
        }
        return { sha256: hash.digest('hex'), length };
      };

      let preview = false;
      let noPreview = !image;
      for (let round = 1; ; round++) {
        const { sha256, length } = await hashFile();
        if (length !== claim.size) return await fail('changed', `read ${length} of ${claim.size} bytes`);
        const jpeg =
          noPreview || preview
            ? undefined
            : await makePreview(buffer!).catch((e: unknown) => {
                // Not the image its name says (or damaged): the Worker sends it as a file link instead.
                log('warn', 'nas_send.no_preview', { requestId: claim.id, error: describe(e) });
                noPreview = true;
                return undefined;
              });
        if (jpeg) {
          const a = await client.put(claim.id, 'preview', bufferBody(jpeg, 'image/jpeg'), heartbeat.signal, 60_000);
          if (a.kind !== 'ok') {
            if (a.kind === 'rejected' && a.status === 409)
              return done({ ...base, outcome: 'taken', status: 409, ms: ms() });
            if (a.kind === 'rejected' && a.status === 422 && round === 1) continue;
            if (a.kind === 'rejected' && a.status === 422)
              return await fail('unreadable', 'preview refused twice (422)');
            return gaveUp(a);
          }
          preview = true;
        }
        const body: Body = buffer
          ? bufferBody(buffer, contentType, sha256)
          : {
              open: () =>
                Readable.toWeb(
                  createReadStream('', { fd: handle, start: 0, autoClose: false, signal: heartbeat.signal }),
                ) as ReadableStream<Uint8Array>,
              length,
              contentType,
              sha256,
            };
        const a = await client.put(claim.id, 'file', body, heartbeat.signal, timeoutMs);
        if (a.kind === 'ok')
          return done({ ...base, outcome: 'uploaded', status: a.status, bytes: length, preview, ms: ms() });
        if (a.kind === 'rejected' && a.status === 413) return await fail('too_large');
        if (a.kind === 'rejected' && a.status === 422) {
          // Size or hash did not match what arrived: the file changed under us, or the bytes were hurt on the way.
          const now = await same();
          if (now) return await fail(now);
          if (round === 1) continue;
          return await fail('unreadable', 'refused twice (422)');
        }
        return answered(a, { ...base, outcome: 'uploaded' });
      }
    } catch (e) {
      if (heartbeat.signal.reason instanceof ClaimLostError)
        return done({ ...base, outcome: 'claim_lost', error: 'claim taken over by another job', ms: ms() });
      if (stop.aborted || e instanceof RootGoneError) {
        await heartbeat.end();
        await releaseSendClaim(db, claim, claimedBy).catch(() => {});
        if (e instanceof RootGoneError) summary.errors++;
        return done({ ...base, outcome: 'released', error: stop.aborted ? undefined : describe(e), ms: ms() });
      }
      // Trouble reading here (an I/O error mid-file): tell the asker rather than try forever.
      summary.errors++;
      log('error', 'nas_send.error', { requestId: claim.id, error: describe(e) });
      await fail('unreadable', describe(e)).catch((e2: unknown) =>
        log('error', 'nas_send.record_failed', { requestId: claim.id, error: describe(e2) }),
      );
    } finally {
      await heartbeat.dispose();
      await fh?.close().catch(() => {});
    }
  }

  // ------------------------------------------------------------------------------------------
  // The loop (as the sync's: refill free slots, sleep until polled, woken by NOTIFY or a finish)

  const inflight = new Set<Promise<void>>();
  const { sleep, wake } = wakeableSleep(stop);

  let listener: Listener | undefined;
  const shareNames = options.shares.map((s) => s.name);
  try {
    const openedBefore = options.once ? await databaseNow(db) : undefined;
    const listening = !options.once && options.listen !== false && Boolean(options.databaseUrl) && !stop.aborted;
    log('info', 'nas_send.started', {
      once: Boolean(options.once),
      shares: shareNames,
      workerUrl: options.workerUrl,
      listen: listening,
    });
    if (listening) {
      listener = startListener({ url: options.databaseUrl!, channel: SEND_CHANNEL, onWake: () => wake(), log });
    }
    while (!stop.aborted) {
      let claimed: ClaimedSend[] = [];
      const free = concurrency - inflight.size;
      try {
        if (free > 0)
          claimed = await claimSends(db, { limit: free, leaseMs, claimedBy, shares: shareNames, openedBefore });
      } catch (e) {
        summary.errors++;
        log('error', 'nas_send.poll_failed', { error: describe(e) });
        if (options.once) throw e;
      }
      for (const c of claimed) {
        const p: Promise<void> = serve(c).finally(() => {
          inflight.delete(p);
          wake();
        });
        inflight.add(p);
      }
      if (options.once && claimed.length === 0 && inflight.size === 0) break;
      if (free > 0 && claimed.length === free) continue;
      await sleep(pollIntervalMs);
    }
  } finally {
    await listener?.close();
    await Promise.allSettled([...inflight]);
    log('info', 'nas_send.stopped', { ...summary });
    if (!options.database) await database.end();
  }
  return summary;
}

/**
 * The job's send loop when the configuration turns it on; otherwise says once why it is off and
 * resolves at once.
 */
export async function serveSendRequests(
  setup: SendSetup,
  options: Omit<SendOptions, 'workerUrl' | 'agentToken' | 'shares' | 'maxBytes'>,
): Promise<SendSummary | undefined> {
  if (!setup.enabled) {
    options.reporter?.log('info', 'nas_send.off', {
      missing: setup.missing,
      note: 'send requests (/send) are not served by this job',
    });
    return undefined;
  }
  return runSend({
    ...options,
    workerUrl: setup.workerUrl,
    agentToken: setup.agentToken,
    shares: setup.shares,
    maxBytes: setup.maxBytes,
  });
}

const inside = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
};

const bufferBody = (data: Buffer, contentType: string, sha256?: string): Body => ({
  open: () => data,
  length: data.length,
  contentType,
  sha256: sha256 ?? createHash('sha256').update(data).digest('hex'),
});

/** Exactly `size` bytes from the start, or fewer if the file shrank (the caller compares). */
async function readAll(fh: FileHandle, size: number): Promise<Buffer> {
  const buf = Buffer.alloc(size + 1);
  let n = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
    if (bytesRead === 0) break;
    n += bytesRead;
    if (n === buf.length) break;
  }
  return buf.subarray(0, n);
}
