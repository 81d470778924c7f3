/**
 * The nas-sync job serving send requests against real Postgres and a local stand-in for the
 * Worker's upload endpoints (nas-send-support.ts): an image goes with its preview (uploaded first),
 * other files without; a file that changed, went missing or points outside its share is reported
 * to the Worker as such; the Worker's 409 / 422 / 5xx are handled as the protocol says.
 */
import { createHash } from 'node:crypto';
import { readFile, rm, symlink, truncate, utimes, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INPUT_PIXELS } from '../src/send/preview.ts';
import { AGENT_TOKEN, setupSend, waitFor, type SendFixture } from './nas-send-support.ts';

let s: SendFixture;

beforeAll(async () => {
  s = await setupSend('main');
});
afterAll(async () => {
  try {
    expect(s.worker.violations()).toEqual([]);
    // Every line every job logged in this file: the agent token is in none.
    expect(s.logs.length).toBeGreaterThan(0);
    expect(s.logs.join('\n')).not.toContain(AGENT_TOKEN);
  } finally {
    await s.close();
  }
});

const callsOf = (id: string) => s.worker.calls.filter((c) => c.id === id);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A JPEG of w x h pixels with EXIF orientation 6 (shown rotated 90°: h x w). */
const rotatedJpeg = (w: number, h: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .toBuffer();

describe('images and other files', () => {
  it('a JPEG: preview (JPEG, <= 240 px, <= 1 MB, EXIF orientation applied) uploaded before the file', async () => {
    const jpeg = await rotatedJpeg(800, 600);
    await s.writeShareFile('案場A/照片/現場.JPG', jpeg);
    const id = await s.request('案場A/照片/現場.JPG');
    const run = s.send();
    const summary = await run.done;
    expect(run.events).toMatchObject([
      { requestId: id, outcome: 'uploaded', preview: true, bytes: jpeg.length, attempts: 1 },
    ]);
    expect(summary).toMatchObject({ uploaded: 1, errors: 0 });

    const stored = s.worker.stored.get(id)!;
    expect(stored.file!.equals(jpeg)).toBe(true);
    expect(stored.contentType).toBe('image/jpeg');
    const meta = await sharp(stored.preview!).metadata();
    expect(meta.format).toBe('jpeg');
    expect(stored.preview!.length).toBeLessThanOrEqual(1_048_576);
    // Shown upright: 600 x 800 scaled into 240 px, and no orientation left to apply.
    expect([meta.width, meta.height]).toEqual([180, 240]);
    expect(meta.orientation ?? 1).toBe(1);
    expect(callsOf(id).map((c) => `${c.what} ${c.status}`)).toEqual(['preview 200', 'file 200']);
    expect(await s.status(id)).toMatchObject({ status: 'uploaded', attempts: 1 });
    const [row] = (
      await s.fx.db.execute<{ sha256: string }>(sql`SELECT sha256 FROM nas_send_requests WHERE id = ${id}`)
    ).rows;
    expect(row!.sha256).toBe(sha(jpeg));
  });

  it('a PNG with transparency, larger than 1 MB: the preview is a small JPEG', async () => {
    // Noise does not compress: well over 1 MB as a PNG.
    const raw = Buffer.alloc(1000 * 700 * 4);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
    const png = await sharp(raw, { raw: { width: 1000, height: 700, channels: 4 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(png.length).toBeGreaterThan(1_048_576);
    await s.writeShareFile('圖面/plan.png', png);
    const id = await s.request('圖面/plan.png');
    const run = s.send();
    await run.done;
    expect(run.events).toMatchObject([{ requestId: id, outcome: 'uploaded', preview: true }]);
    const stored = s.worker.stored.get(id)!;
    expect(stored.contentType).toBe('image/png');
    const meta = await sharp(stored.preview!).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 240, height: 168, hasAlpha: false });
    expect(stored.preview!.length).toBeLessThanOrEqual(1_048_576);
  });

  it('a PDF: the file alone, streamed with Content-Length and its type', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(300_000, 7)]);
    await s.writeShareFile('案場A/圖面/平面圖.pdf', pdf);
    const id = await s.request('案場A/圖面/平面圖.pdf');
    const run = s.send();
    await run.done;
    expect(run.events).toMatchObject([{ requestId: id, outcome: 'uploaded', preview: false, bytes: pdf.length }]);
    expect(callsOf(id).map((c) => `${c.what} ${c.status} ${c.contentType}`)).toEqual(['file 200 application/pdf']);
    expect(s.worker.stored.get(id)!.file!.equals(pdf)).toBe(true);
  });

  it('a .jpg that is not a JPEG (cannot be decoded): uploaded without a preview (the Worker sends a link)', async () => {
    const junk = Buffer.from('this is not a JPEG at all');
    await s.writeShareFile('x/broken.jpg', junk);
    const id = await s.request('x/broken.jpg');
    s.worker.previewless.add(id);
    const run = s.send();
    await run.done;
    expect(run.events).toMatchObject([{ requestId: id, outcome: 'uploaded', preview: false }]);
    expect(callsOf(id).map((c) => `${c.what} ${c.status} ${c.contentType}`)).toEqual(['file 200 image/jpeg']);
    expect(s.worker.stored.get(id)!.file!.equals(junk)).toBe(true);
    expect(s.logs.some((l) => l.includes('"event":"nas_send.no_preview"') && l.includes(id))).toBe(true);
  });

  it('a PNG over the pixel limit (small file, huge canvas): no preview made, logged, sent as a file link; the job carries on', async () => {
    const side = Math.ceil(Math.sqrt(MAX_INPUT_PIXELS + 1));
    const png = await sharp({ create: { width: side, height: side, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    await s.writeShareFile('x/huge-canvas.png', png);
    const id = await s.request('x/huge-canvas.png');
    s.worker.previewless.add(id);
    const run = s.send();
    const summary = await run.done;
    expect(summary).toMatchObject({ uploaded: 1, errors: 0 });
    expect(run.events).toMatchObject([{ requestId: id, outcome: 'uploaded', preview: false }]);
    expect(callsOf(id).map((c) => `${c.what} ${c.status} ${c.contentType}`)).toEqual(['file 200 image/png']);
    expect(
      s.logs.some((l) => l.includes('"event":"nas_send.no_preview"') && l.includes(id) && l.includes('pixel limit')),
    ).toBe(true);
  });

  it('a symlink to a file inside the share is followed', async () => {
    await s.writeShareFile('docs/real.txt', 'inside the share\n');
    await symlink(join(s.shareRoot, 'docs', 'real.txt'), join(s.shareRoot, 'docs', 'link.txt'));
    const id = await s.request('docs/link.txt', { size: 17, modifiedAt: undefined });
    const run = s.send();
    await run.done;
    // The snapshot is of the target (as the indexer's stat follows links): sent.
    expect(run.events[0]).toMatchObject({ requestId: id, outcome: 'uploaded' });
    expect(s.worker.stored.get(id)!.contentType).toBe('text/plain; charset=utf-8');
  });
});

describe('the file is not the indexed one: the Worker is told why', () => {
  const failed = async (id: string, reason: string) => {
    const run = s.send();
    await run.done;
    expect(run.events).toMatchObject([{ requestId: id, outcome: 'failed', reason }]);
    expect(s.worker.stored.get(id)).toMatchObject({ failure: reason });
    expect(s.worker.stored.get(id)?.file).toBeUndefined();
    expect(await s.status(id)).toMatchObject({ status: 'failed', error: reason });
  };

  it('changed since indexed (size) -> changed', async () => {
    await s.writeShareFile('x/a.pdf', 'version 1');
    const id = await s.request('x/a.pdf');
    await appendFile(join(s.shareRoot, 'x', 'a.pdf'), ' and more');
    await failed(id, 'changed');
  });

  it('changed since indexed (same size, newer mtime by one millisecond) -> changed', async () => {
    const abs = await s.writeShareFile('x/b.pdf', 'version 1');
    const id = await s.request('x/b.pdf');
    const [row] = (
      await s.fx.db.execute<{ m: string }>(sql`SELECT modified_at::text AS m FROM nas_send_requests WHERE id = ${id}`)
    ).rows;
    expect(row!.m).toMatch(/\.\d{6}\+00$/); // the snapshot keeps microseconds; the job compares at ms
    await writeFile(abs, 'version 2');
    const t = (Math.floor(Date.parse(row!.m.replace(' ', 'T').replace('+00', 'Z'))) + 1) / 1000;
    await utimes(abs, t, t);
    await failed(id, 'changed');
  });

  it('deleted -> missing', async () => {
    await s.writeShareFile('x/gone.docx', 'soon gone');
    const id = await s.request('x/gone.docx');
    await rm(join(s.shareRoot, 'x', 'gone.docx'));
    await failed(id, 'missing');
  });

  it('a symlink pointing outside the share -> outside_share', async () => {
    await writeFile(join(s.outside, 'secret.txt'), 'not for the chat');
    await symlink(join(s.outside, 'secret.txt'), join(s.shareRoot, 'evil.txt'));
    const id = await s.request('evil.txt', { size: 16, modifiedAt: new Date().toISOString() });
    await failed(id, 'outside_share');
  });

  it('a path with .. segments -> outside_share', async () => {
    await writeFile(join(s.outside, 'x.txt'), 'x');
    const id = await s.request(`../${s.outside.split('/').at(-1)}/x.txt`, {
      size: 1,
      modifiedAt: new Date().toISOString(),
    });
    await failed(id, 'outside_share');
  });

  it('larger than NAS_SEND_MAX_BYTES -> too_large', async () => {
    await s.writeShareFile('big/site.mp4', Buffer.alloc(5000, 1));
    const id = await s.request('big/site.mp4');
    const run = s.send({ maxBytes: 4999 });
    await run.done;
    expect(run.events).toMatchObject([{ requestId: id, outcome: 'failed', reason: 'too_large' }]);
    expect(callsOf(id).map((c) => c.what)).toEqual(['failure']);
  });
});

describe("the Worker's answers", () => {
  it('409 on the file (another job won): stop, no failure posted', async () => {
    await s.writeShareFile('w/409.zip', Buffer.alloc(1000, 3));
    const id = await s.request('w/409.zip');
    s.worker.beforeFile = async (rid) => {
      if (rid !== id) return undefined;
      await s.fx.db.execute(sql`UPDATE nas_send_requests SET status = 'uploaded' WHERE id = ${rid}`);
      return undefined; // the stub then finds it not open: 409
    };
    try {
      const run = s.send();
      const summary = await run.done;
      expect(run.events).toMatchObject([{ requestId: id, outcome: 'taken', status: 409 }]);
      expect(summary.errors).toBe(0);
      expect(callsOf(id).map((c) => `${c.what} ${c.status}`)).toEqual(['file 409']);
    } finally {
      s.worker.beforeFile = undefined;
    }
  });

  it('422 once (bytes hurt on the way): tried again and uploaded; 422 twice: failure unreadable', async () => {
    await s.writeShareFile('w/422.csv', 'a,b\n1,2\n');
    const once = await s.request('w/422.csv');
    await s.writeShareFile('w/422-twice.csv', 'a,b\n3,4\n');
    const twice = await s.request('w/422-twice.csv');
    const seen = new Map<string, number>();
    s.worker.beforeFile = (rid) => {
      const k = (seen.get(rid) ?? 0) + 1;
      seen.set(rid, k);
      return (rid === once && k === 1) || rid === twice ? 422 : undefined;
    };
    try {
      const run = s.send();
      await run.done;
      expect(run.events.find((e) => e.requestId === once)).toMatchObject({ outcome: 'uploaded' });
      expect(run.events.find((e) => e.requestId === twice)).toMatchObject({ outcome: 'failed', reason: 'unreadable' });
      expect(callsOf(once).map((c) => `${c.what} ${c.status}`)).toEqual(['file 422', 'file 200']);
      expect(callsOf(twice).map((c) => `${c.what} ${c.status}`)).toEqual(['file 422', 'file 422', 'failure 200']);
    } finally {
      s.worker.beforeFile = undefined;
    }
  });

  it('Worker down: retried with backoff, then left; reclaimed after the lease and uploaded once it is back', async () => {
    await s.writeShareFile('w/down.xlsx', Buffer.alloc(2048, 9));
    const id = await s.request('w/down.xlsx');
    s.worker.mode = '503';
    const leaseMs = 1_500;
    const job = s.send({ once: false, pollIntervalMs: 100, leaseMs, retries: 2, retryBaseMs: 30 });
    try {
      await waitFor(() => job.events.some((e) => e.outcome === 'gave_up'), 10_000, 'the job to give up');
      const gaveUpAt = Date.now();
      expect(job.events[0]).toMatchObject({ requestId: id, outcome: 'gave_up', attempts: 1 });
      expect(job.events[0]!.error).toMatch(/HTTP 503.*3 tries/);
      expect(callsOf(id).map((c) => c.status)).toEqual([503, 503, 503]);
      // Still ours until the lease runs out: the next polls leave it alone.
      expect(await s.status(id)).toMatchObject({ status: 'uploading', attempts: 1 });
      s.worker.mode = 'reset'; // connections cut: network errors are retried too
      await waitFor(() => job.events.length >= 2, 10_000, 'the reclaim');
      expect(Date.now() - gaveUpAt).toBeGreaterThanOrEqual(leaseMs - 300);
      expect(job.events[1]).toMatchObject({ requestId: id, outcome: 'gave_up', attempts: 2 });
      expect(job.events[1]!.error).toMatch(/fetch failed|socket|ECONNRESET|other side closed/i);
      s.worker.mode = 'up';
      await waitFor(() => job.events.length >= 3, 10_000, 'the third claim');
      expect(job.events[2]).toMatchObject({ requestId: id, outcome: 'uploaded', attempts: 3 });
    } finally {
      s.worker.mode = 'up';
      job.stop();
      await job.done;
    }
    expect(callsOf(id).filter((c) => c.what === 'file' && c.status === 200)).toHaveLength(1);
    expect(await s.status(id)).toMatchObject({ status: 'uploaded', attempts: 3 });
    expect(s.logs.some((l) => l.includes('"event":"nas_send.retry"'))).toBe(true);
  });

  it('401 (wrong token): not retried, the claim left to expire; the wrong token logged nowhere', async () => {
    await s.writeShareFile('w/401.txt', 'who are you');
    const id = await s.request('w/401.txt');
    const run = s.send({ agentToken: 'wrong-token-3b1d' });
    const summary = await run.done;
    expect(run.events).toMatchObject([{ requestId: id, outcome: 'gave_up', status: 401 }]);
    expect(summary.gave_up).toBe(1);
    expect(callsOf(id).map((c) => `${c.what} ${c.status}`)).toEqual(['file 401']);
    expect(await s.status(id)).toMatchObject({ status: 'uploading', attempts: 1 });
    expect(s.logs.join('\n')).not.toContain('wrong-token-3b1d');
    await s.fx.db.execute(sql`UPDATE nas_send_requests SET status = 'failed' WHERE id = ${id}`);
  });

  it('stopped mid-upload: the upload is aborted and the request given back (pending)', async () => {
    await s.writeShareFile('w/slow.mov', Buffer.alloc(50_000, 5));
    const id = await s.request('w/slow.mov');
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const inFile = new Promise<void>((r) => (entered = r));
    s.worker.beforeFile = (rid) =>
      rid === id
        ? new Promise<undefined>((r) => {
            entered();
            release = () => r(undefined);
          })
        : undefined;
    const job = s.send({ once: false, pollIntervalMs: 100 });
    try {
      await inFile;
      job.stop();
      const summary = await job.done;
      expect(summary).toMatchObject({ released: 1, uploaded: 0 });
      expect(await s.status(id)).toMatchObject({ status: 'pending', claimedBy: null });
    } finally {
      s.worker.beforeFile = undefined;
      release();
    }
    await s.fx.db.execute(sql`UPDATE nas_send_requests SET status = 'failed' WHERE id = ${id}`);
  });

  it('a .jpg over 10 MB is sent as a file: streamed, no preview made', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0xab);
    await s.writeShareFile('w/huge.jpg', big);
    const id = await s.request('w/huge.jpg');
    const run = s.send();
    await run.done;
    expect(run.events).toMatchObject([{ requestId: id, outcome: 'uploaded', preview: false, bytes: big.length }]);
    expect(callsOf(id).map((c) => `${c.what} ${c.status} ${c.length}`)).toEqual([`file 200 ${big.length}`]);
    expect(s.worker.stored.get(id)!.file!.equals(big)).toBe(true);
  });

  it('a request claimed more than maxAttempts times is failed as unreadable', async () => {
    await s.writeShareFile('w/tired.txt', 'tired');
    const id = await s.request('w/tired.txt');
    await s.fx.db.execute(sql`UPDATE nas_send_requests SET attempts = 5 WHERE id = ${id}`);
    const run = s.send({ maxAttempts: 5 });
    await run.done;
    expect(run.events).toMatchObject([{ requestId: id, outcome: 'failed', reason: 'unreadable', attempts: 6 }]);
  });

  it('a request of a share this job does not serve stays pending', async () => {
    const id = await s.request('x.pdf', { share: 'other', size: 1, modifiedAt: new Date().toISOString() });
    const run = s.send();
    await run.done;
    expect(run.events).toEqual([]);
    expect(await s.status(id)).toMatchObject({ status: 'pending', attempts: 0 });
    await s.fx.db.execute(sql`UPDATE nas_send_requests SET status = 'failed' WHERE id = ${id}`);
  });

  it('a file truncated to 0 bytes after indexing -> changed (not an empty upload)', async () => {
    const abs = await s.writeShareFile('w/shrunk.txt', 'some text');
    const id = await s.request('w/shrunk.txt');
    await truncate(abs, 0);
    const run = s.send();
    await run.done;
    expect(run.events).toMatchObject([{ requestId: id, outcome: 'failed', reason: 'changed' }]);
    expect(await readFile(abs)).toHaveLength(0);
  });
});
