/**
 * A nas-sync run in its own process, for the tests that need one:
 *   crash   the process kills itself (SIGKILL) between the download and the rename
 *   memory  one run of a download of `size` bytes, sampling RSS, heap and array buffers in each half;
 *           prints {baseline, firstHalf, secondHalf, summary} as the last line
 * Usage: node nas-sync/test/nas-sync-child.ts <mode> '<json options>'
 */
import { quietReporter } from '../src/progress.ts';
import { runSync } from '../src/sync.ts';

const mode = process.argv[2];
const o = JSON.parse(process.argv[3] ?? '{}') as {
  databaseUrl: string;
  dataApiBaseUrl: string;
  nasRoot: string;
  token: string;
  size: number;
};
const base = {
  databaseUrl: o.databaseUrl,
  dataApiBaseUrl: o.dataApiBaseUrl,
  nasRoot: o.nasRoot,
  channelAccessToken: o.token,
  once: true,
  pollIntervalMs: 50,
  reporter: quietReporter(),
  // The file is as large as the test asks (NAS_SYNC_LARGE_MB), whatever the daily cap.
  dailyBytesPerSender: Number.MAX_SAFE_INTEGER,
};

if (mode === 'crash') {
  await runSync({
    ...base,
    hooks: {
      beforeRename: () => {
        process.stdout.write('about to rename: killing myself\n');
        process.kill(process.pid, 'SIGKILL');
      },
    },
  });
  process.stdout.write('not killed?\n');
} else if (mode === 'memory') {
  // Settle first, so the baseline is the steady state of a job that has loaded its modules.
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 50));
  const baseline = process.memoryUsage();
  let bytes = 0;
  // Peaks per half of the download: memory that grew with the bytes would show in the second.
  const peaks = [
    { rss: baseline.rss, heapUsed: baseline.heapUsed, arrayBuffers: baseline.arrayBuffers },
    { rss: 0, heapUsed: 0, arrayBuffers: 0 },
  ];
  const sample = () => {
    const m = process.memoryUsage();
    const p = peaks[bytes < o.size / 2 ? 0 : 1]!;
    p.rss = Math.max(p.rss, m.rss);
    p.heapUsed = Math.max(p.heapUsed, m.heapUsed);
    p.arrayBuffers = Math.max(p.arrayBuffers, m.arrayBuffers);
  };
  const timer = setInterval(sample, 10);
  const summary = await runSync({ ...base, reporter: quietReporter({ bytes: (n) => (bytes += n) }) });
  sample();
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify({ baseline, firstHalf: peaks[0], secondHalf: peaks[1], summary })}\n`);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exitCode = 2;
}
