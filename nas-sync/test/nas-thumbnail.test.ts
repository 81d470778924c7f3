/**
 * The nas-sync job's thumbnails: a synced image is followed by one PUT of a JPEG of at most 240 px
 * (with its SHA-256 and the agent's token) to a stand-in for the Worker's
 * /api/linebot/nas/files/:id/thumbnail (the real endpoint is tested in workerd); other files get
 * none, and a thumbnail that cannot be made or uploaded is logged without failing the sync.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { quietReporter } from '../src/progress.ts';
import { makePreview, MAX_INPUT_PIXELS } from '../src/send/preview.ts';
import { thumbnailUploader } from '../src/thumbnail.ts';
import { setupNasSync, type NasSyncFixture } from './nas-sync-support.ts';

const AGENT_TOKEN = 'test-nas-agent-token-thumbs-4c8e1a';
const USER = 'U4af4980629bbbbbbbbbbbbbbbbbbbbbb';

interface Put {
  path: string;
  authorization?: string;
  contentType?: string;
  length: number;
  sha256?: string;
  body: Buffer;
}

let fx: NasSyncFixture;
let server: Server;
let workerUrl = '';
let puts: Put[] = [];
let answer = 200;
let nextId = 910000000000000000n;
const newId = () => String(++nextId);

beforeAll(async () => {
  fx = await setupNasSync('thumbs');
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    puts.push({
      path: `${req.method} ${req.url}`,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      length: Number(req.headers['content-length']),
      sha256: req.headers['x-content-sha256'] as string | undefined,
      body: Buffer.concat(chunks),
    });
    res.writeHead(answer, { 'content-type': 'application/json' });
    res.end(answer === 200 ? '{"status":"stored"}' : '{"error":"not_synced","message":"x"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  workerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  expect(fx.emulator.violations()).toEqual([]);
  await new Promise((r) => server.close(r));
  await fx.close();
});
beforeEach(() => {
  puts = [];
  answer = 200;
});

const uploader = () =>
  thumbnailUploader(
    { enabled: true, workerUrl, agentToken: AGENT_TOKEN, shares: [], maxBytes: 104_857_600 },
    { retries: 1, retryBaseMs: 10 },
  );

async function syncWithThumbnails() {
  const logs: Array<{ event: string; fields?: Record<string, unknown> }> = [];
  const events: string[] = [];
  const summary = await fx.syncOnce({
    onImageSynced: uploader(),
    reporter: quietReporter({
      file: (e) => events.push(e.outcome),
      log: (_level, event, fields) => logs.push({ event, fields }),
    }),
  });
  return { ...summary, logs, events };
}

describe('thumbnails of synced images', () => {
  it('a synced image: one PUT of a JPEG within 240 px and 1 MB, with its SHA-256 and the token; other files none', async () => {
    const image = newId();
    const doc = newId();
    const photo = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#3366cc' } })
      .jpeg()
      .toBuffer();
    fx.emulator.state.content.set(image, { body: photo, contentType: 'image/jpeg' });
    fx.emulator.state.content.set(doc, { body: Buffer.from('%PDF-1.4 plan'), contentType: 'application/pdf' });
    await fx.seed({ messageId: image, chat: { user: USER } });
    await fx.seed({ messageId: doc, fileType: 'file', fileName: 'plan.pdf', chat: { user: USER } });

    const run = await syncWithThumbnails();
    expect(run.events.sort()).toEqual(['synced', 'synced']);
    const row = await fx.file(image);
    expect(row.syncStatus).toBe('synced');
    expect(puts.map((p) => p.path)).toEqual([`PUT /api/linebot/nas/files/${row.id}/thumbnail`]);
    const put = puts[0]!;
    expect(put).toMatchObject({
      authorization: `Bearer ${AGENT_TOKEN}`,
      contentType: 'image/jpeg',
      length: put.body.length,
    });
    expect(put.sha256).toBe(createHash('sha256').update(put.body).digest('hex'));
    expect(put.body.length).toBeLessThanOrEqual(1_048_576);
    const meta = await sharp(put.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 240, 160]);
    expect(run.logs.filter((l) => l.event === 'nas_sync.thumbnail_failed')).toEqual([]);
  });

  it('an image sharp cannot decode, or a Worker that refuses: logged as nas_sync.thumbnail_failed, the file still synced', async () => {
    const broken = newId(); // the emulator's default content: JPEG markers around text
    await fx.seed({ messageId: broken, chat: { user: USER } });
    const first = await syncWithThumbnails();
    expect((await fx.file(broken)).syncStatus).toBe('synced');
    expect(puts).toEqual([]);
    expect(first.logs.filter((l) => l.event === 'nas_sync.thumbnail_failed').map((l) => l.fields?.messageId)).toEqual([
      broken,
    ]);

    answer = 409;
    const refused = newId();
    fx.emulator.state.content.set(refused, {
      body: await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } })
        .png()
        .toBuffer(),
      contentType: 'image/png',
    });
    await fx.seed({ messageId: refused, chat: { user: USER } });
    const second = await syncWithThumbnails();
    expect((await fx.file(refused)).syncStatus).toBe('synced');
    expect(puts).toHaveLength(1);
    const failed = second.logs.filter((l) => l.event === 'nas_sync.thumbnail_failed');
    expect(failed.map((l) => l.fields?.messageId)).toEqual([refused]);
    expect(String(failed[0]!.fields?.error)).toContain('409');
    expect(JSON.stringify(second.logs)).not.toContain(AGENT_TOKEN);
  });

  it('an image over the pixel limit (a small PNG of a huge canvas): refused before decoding, logged, the file still synced', async () => {
    // 7100 x 7100 = 50.41 MP: over MAX_INPUT_PIXELS, well under sharp's default (268 MP), 150 KB as a PNG.
    const side = Math.ceil(Math.sqrt(MAX_INPUT_PIXELS + 1));
    const png = await sharp({ create: { width: side, height: side, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(png.length).toBeLessThan(1_000_000);
    await expect(sharp(png).metadata()).resolves.toMatchObject({ width: side }); // a valid image
    const huge = newId();
    fx.emulator.state.content.set(huge, { body: png, contentType: 'image/png' });
    await fx.seed({ messageId: huge, chat: { user: USER } });
    const run = await syncWithThumbnails();
    expect(await fx.file(huge)).toMatchObject({ syncStatus: 'synced', fileSize: png.length });
    expect(puts).toEqual([]);
    const failed = run.logs.filter((l) => l.event === 'nas_sync.thumbnail_failed');
    expect(failed.map((l) => l.fields?.messageId)).toEqual([huge]);
    expect(String(failed[0]!.fields?.error)).toContain('Input image exceeds pixel limit');
    // Just under the limit a preview is made.
    const ok = Math.floor(Math.sqrt(MAX_INPUT_PIXELS));
    await expect(
      makePreview(
        await sharp({ create: { width: ok, height: ok, channels: 3, background: '#fff' } })
          .png()
          .toBuffer(),
      ),
    ).resolves.toBeInstanceOf(Buffer);
  });

  it('sending not configured: no uploader', () => {
    expect(thumbnailUploader({ enabled: false, missing: ['WORKER_URL'] })).toBeUndefined();
  });
});
