/**
 * The pause of a job's loop between polls: `sleep(ms)` ends after `ms`, on abort, or as soon as
 * `wake()` is called (a NOTIFY arrived, a slot came free). A wake that comes while the loop is not
 * sleeping is remembered, so the next `sleep` returns at once and nothing waits a whole poll.
 */
export function wakeableSleep(stop: AbortSignal): { sleep: (ms: number) => Promise<void>; wake: () => void } {
  let woken = false;
  let wakeSleeper: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || stop.aborted) {
        woken = false;
        return resolve();
      }
      const done = () => {
        clearTimeout(timer);
        stop.removeEventListener('abort', done);
        wakeSleeper = undefined;
        woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeSleeper = done;
      stop.addEventListener('abort', done, { once: true });
    });
  const wake = () => {
    if (wakeSleeper) wakeSleeper();
    else woken = true;
  };
  return { sleep, wake };
}
