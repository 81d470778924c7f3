/**
 * A large file is streamed: the job, in its own process (so its memory is measured honestly),
 * copies 256 MiB the emulator generates on the fly. Memory stays flat: the second half of the
 * download needs no more than the first, and the whole run a small fraction of the file.
 *
 * What the numbers look like (2-core test machine): heap peak ~17 MiB; RSS +60-80 MiB, nearly all
 * of it freed-but-not-yet-collected 64 KiB chunks (V8 collects external buffers lazily: with a
 * forced GC every 10 ms the same run peaks at +22 MiB RSS and 5 MiB of array buffers), and the
 * same +60-80 MiB for 64 MiB, 256 MiB and 1 GiB files.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateContent } from '../../scripts/line-emulator/index.ts';
import { runNode, setupNasSync, TOKEN, type NasSyncFixture } from './nas-sync-support.ts';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.NAS_SYNC_LARGE_MB ?? 256) * MiB;
const SEED = 42;

interface Mem {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
}

let fx: NasSyncFixture;
beforeAll(async () => {
  fx = await setupNasSync('large');
});
afterAll(() => fx.close());

it('streams a 256 MiB video to the NAS with flat memory and the right hash', async () => {
  const id = '700000000000000001';
  fx.emulator.state.content.set(id, { generate: { size: SIZE, seed: SEED }, contentType: 'video/mp4' });
  await fx.seed({
    messageId: id,
    fileType: 'video',
    chat: { group: 'C0123456789abcdef0123456789abcdef' },
    userId: 'U0123456789abcdef0123456789abcdef',
  });

  const options = {
    databaseUrl: fx.databaseUrl,
    dataApiBaseUrl: fx.emulator.url,
    nasRoot: fx.nasRoot,
    token: TOKEN,
    size: SIZE,
  };
  const child = await runNode(
    ['--expose-gc', 'nas-sync/test/nas-sync-child.ts', 'memory', JSON.stringify(options)],
    {},
  );
  expect(child.code, child.stderr).toBe(0);
  const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
    baseline: Mem;
    firstHalf: Mem;
    secondHalf: Mem;
    summary: { synced: number; bytes: number };
  };
  expect(report.summary).toMatchObject({ synced: 1, bytes: SIZE });

  const expected = createHash('sha256');
  for await (const chunk of generateContent({ size: SIZE, seed: SEED })) expected.update(chunk as Buffer);
  const row = await fx.file(id);
  expect(row).toMatchObject({
    syncStatus: 'synced',
    fileSize: SIZE,
    mimeType: 'video/mp4',
    sha256: expected.digest('hex'),
  });
  expect((await stat(join(fx.nasRoot, row.nasPath!))).size).toBe(SIZE);

  const { baseline, firstHalf, secondHalf } = report;
  const peakRss = Math.max(firstHalf.rss, secondHalf.rss);
  const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
  console.log(
    `copying ${mib(SIZE)}: RSS +${mib(peakRss - baseline.rss)} (halves: +${mib(firstHalf.rss - baseline.rss)}, +${mib(secondHalf.rss - baseline.rss)}), ` +
      `heap peak ${mib(Math.max(firstHalf.heapUsed, secondHalf.heapUsed))}, array buffers peak ${mib(Math.max(firstHalf.arrayBuffers, secondHalf.arrayBuffers))}`,
  );
  // Flat: the second half of the bytes costs no more memory than the first (a buffered download
  // would add another 128 MiB here).
  expect(secondHalf.rss - firstHalf.rss).toBeLessThan(32 * MiB);
  // And small: the JS heap barely moves; RSS stays far below the file's size.
  expect(Math.max(firstHalf.heapUsed, secondHalf.heapUsed) - baseline.heapUsed).toBeLessThan(32 * MiB);
  expect(peakRss - baseline.rss).toBeLessThan(SIZE / 2);
});
