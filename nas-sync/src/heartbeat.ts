/**
 * A claim kept alive while its work runs (a download of the sync, an upload of the sender): every
 * `intervalMs` the claim is renewed, one renewal at a time. `signal` aborts the work when the job
 * is stopping, or with a ClaimLostError once a renewal finds the claim taken over by another job.
 * `end()` stops renewing and waits for a renewal in flight, so none races the outcome written next;
 * `dispose()` does that and stops listening for the job's stop.
 */
export class ClaimLostError extends Error {}

export interface ClaimHeartbeat {
  signal: AbortSignal;
  end(): Promise<void>;
  dispose(): Promise<void>;
}

export function claimHeartbeat(options: {
  stop: AbortSignal;
  intervalMs: number;
  /** Renews the claim; false: it is no longer ours. */
  renew: () => Promise<boolean>;
  /** A renewal that failed (the database away): logged, and tried again at the next beat. */
  onError: (e: unknown) => void;
}): ClaimHeartbeat {
  const { stop } = options;
  const abort = new AbortController();
  const onStop = () => abort.abort(stop.reason);
  stop.addEventListener('abort', onStop, { once: true });
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(async () => {
      if (abort.signal.aborted) return;
      try {
        if (!(await options.renew())) abort.abort(new ClaimLostError('claim lost'));
      } catch (e) {
        options.onError(e);
      }
    });
  }, options.intervalMs);
  const end = async () => {
    clearInterval(timer);
    await renewing;
  };
  return {
    signal: abort.signal,
    end,
    async dispose() {
      await end();
      stop.removeEventListener('abort', onStop);
    },
  };
}
