/**
 * The job's /find previews of indexed NAS images, against the real local Postgres and real share
 * folders: after a walk it makes a JPEG within 240 px of each image without a fresh preview and
 * PUTs it (token, SHA-256, the modified_at it was made from) to a stand-in for the Worker's
 * /api/linebot/nas/nas-files/:id/preview that records the row as the Worker does (the real
 * endpoint is tested in workerd, test/nas-file-previews.test.ts); it remakes one after the file
 * changed, leaves fresh ones alone, never tries an undecodable file twice, takes files a /find
 * listed first and stays within its limit per round, and runs after runIndexer's walks.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile, utimes } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lineUsers, nasFilePreviews, nasFiles, nasSearchLists } from '@linebot-edge/shared/schema';
import { openDatabase, type Database } from '../src/db.ts';
import { indexShare, makeFilePreviews, runIndexer, type Share } from '../src/index/index.ts';
import { workerClient } from '../src/send/upload.ts';
import { setupNasSync, type NasSyncFixture } from './nas-sync-support.ts';

const AGENT_TOKEN = 'test-nas-agent-token-previews-9b1d';

interface Put {
  url: string;
  authorization?: string;
  modifiedAt?: string;
  sha256?: string;
  body: Buffer;
}

let fx: NasSyncFixture;
let database: Database;
let server: Server;
let workerUrl = '';
let puts: Put[] = [];
let seq = 0;

beforeAll(async () => {
  fx = await setupNasSync('previews');
  database = openDatabase(fx.databaseUrl, { max: 3 });
  // The Worker's side, as far as the job can tell: the token, the SHA-256, and the row written
  // only while the index still has the file at the modified_at the preview was made from.
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const put: Put = {
      url: `${req.method} ${req.url}`,
      authorization: req.headers.authorization,
      modifiedAt: req.headers['x-source-modified-at'] as string | undefined,
      sha256: req.headers['x-content-sha256'] as string | undefined,
      body,
    };
    puts.push(put);
    const id = /^\/api\/linebot\/nas\/nas-files\/([0-9a-f-]{36})\/preview$/.exec(req.url ?? '')?.[1];
    const answer = (status: number, json: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (req.headers.authorization !== `Bearer ${AGENT_TOKEN}`) return answer(401, { error: 'unauthorized' });
    if (!id || put.sha256 !== createHash('sha256').update(body).digest('hex')) return answer(400, { error: 'bad' });
    const meta = await sharp(body).metadata();
    const r = await database.db.execute(sql`
      INSERT INTO ${nasFilePreviews} (nas_file_id, modified_at, r2_key, bytes, width, height)
      SELECT id, modified_at, ${`nas-previews/${id}/${put.sha256}`}, ${body.length}, ${meta.width}, ${meta.height}
      FROM ${nasFiles} WHERE id = ${id} AND modified_at = ${put.modifiedAt}::timestamptz
      ON CONFLICT (nas_file_id) DO UPDATE SET modified_at = excluded.modified_at, r2_key = excluded.r2_key,
        bytes = excluded.bytes, width = excluded.width, height = excluded.height`);
    if (r.rowCount === 0) return answer(409, { error: 'stale' });
    answer(200, { status: 'stored', width: meta.width, height: meta.height });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  workerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await database?.end();
  await fx?.close();
});
beforeEach(() => {
  puts = [];
});

const client = () => workerClient({ workerUrl, agentToken: AGENT_TOKEN, retries: 1, retryBaseMs: 10 });
const photo = (width: number, height: number, background = '#3366cc') =>
  sharp({ create: { width, height, channels: 3, background } })
    .jpeg()
    .toBuffer();

async function makeShare(files: Record<string, string | Buffer>): Promise<Share> {
  const name = `p${++seq}`;
  const root = join(fx.nasRoot, name);
  for (const [path, body] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), body);
  }
  return { name, root };
}

const rowOf = async (share: string, path: string) =>
  (
    await database.db.select().from(nasFiles).where(sql`${nasFiles.share} = ${share} AND ${nasFiles.path} = ${path}`)
  )[0]!;
const previewOf = async (id: string) =>
  (await database.db.select().from(nasFilePreviews).where(sql`${nasFilePreviews.nasFileId} = ${id}`))[0];
const modifiedAtText = async (id: string) =>
  (
    await database.db.execute<{ t: string }>(
      sql`SELECT to_char(modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t FROM ${nasFiles} WHERE id = ${id}`,
    )
  ).rows[0]!.t;

describe('previews of indexed images', () => {
  it('makes and uploads a preview of an image (not of a PDF), remakes it after the file changed, and leaves a fresh one alone', async () => {
    const share = await makeShare({
      '案場A/現場-一樓.jpg': await photo(1200, 800),
      '案場A/說明.pdf': '%PDF-1.4 plan',
    });
    await indexShare({ database, share });
    const image = await rowOf(share.name, '案場A/現場-一樓.jpg');

    const first = await makeFilePreviews({ database, shares: [share], client: client() });
    expect(first).toMatchObject({ made: 1, failed: 0, refused: 0, unreachable: false });
    expect(puts.map((p) => p.url)).toEqual([`PUT /api/linebot/nas/nas-files/${image.id}/preview`]);
    const put = puts[0]!;
    expect(put.authorization).toBe(`Bearer ${AGENT_TOKEN}`);
    expect(put.modifiedAt).toBe(await modifiedAtText(image.id));
    expect(put.sha256).toBe(createHash('sha256').update(put.body).digest('hex'));
    const meta = await sharp(put.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 240, 160]);
    expect(await previewOf(image.id)).toMatchObject({ width: 240, height: 160, bytes: put.body.length });

    // Fresh: nothing to do.
    puts = [];
    expect(await makeFilePreviews({ database, shares: [share], client: client() })).toMatchObject({ made: 0 });
    expect(puts).toEqual([]);

    // The photo is replaced on the NAS (portrait now); the next walk updates modified_at, the next round remakes it.
    const path = join(share.root, '案場A/現場-一樓.jpg');
    await writeFile(path, await photo(800, 1200, '#cc3366'));
    const later = new Date(Date.now() + 60_000);
    await utimes(path, later, later);
    await indexShare({ database, share });
    const changed = await rowOf(share.name, '案場A/現場-一樓.jpg');
    expect(changed.id).toBe(image.id);
    expect(changed.modifiedAt.getTime()).not.toBe(image.modifiedAt.getTime());
    const again = await makeFilePreviews({ database, shares: [share], client: client() });
    expect(again).toMatchObject({ made: 1 });
    expect(puts.map((p) => p.modifiedAt)).toEqual([await modifiedAtText(image.id)]);
    expect(await previewOf(image.id)).toMatchObject({ width: 160, height: 240 });
  });

  it('a file changed since the walk is skipped (no upload); an undecodable image is tried once per version, not every round', async () => {
    const share = await makeShare({ 'a/broken.jpg': 'not a jpeg at all', 'a/moved.png': await photo(300, 300) });
    await indexShare({ database, share });
    // Rewritten after the walk: the disk is not what the index says.
    const later = new Date(Date.now() + 120_000);
    await utimes(join(share.root, 'a/moved.png'), later, later);
    const round = await makeFilePreviews({ database, shares: [share], client: client(), given: new Set() });
    expect(round).toMatchObject({ made: 0, failed: 1, changed: 1 });
    expect(puts).toEqual([]);

    const given = new Set<string>();
    await makeFilePreviews({ database, shares: [share], client: client(), given });
    expect(given.size).toBe(1);
    const next = await makeFilePreviews({ database, shares: [share], client: client(), given });
    expect(next).toMatchObject({ failed: 0, changed: 1 });
  });

  it('files a /find listed come first, then the newest; at most `limit` per round', async () => {
    const files: Record<string, Buffer> = {};
    for (const n of [1, 2, 3, 4]) files[`f/${n}.jpg`] = await photo(64, 64);
    const share = await makeShare(files);
    for (const n of [1, 2, 3, 4]) {
      const t = new Date(Date.UTC(2026, 0, n));
      await utimes(join(share.root, `f/${n}.jpg`), t, t);
    }
    await indexShare({ database, share });
    const oldest = await rowOf(share.name, 'f/1.jpg');
    // A chat's last /find listed the oldest one.
    const [user] = await database.db
      .insert(lineUsers)
      .values({ lineUserId: `U${crypto.randomUUID().replace(/-/g, '')}` })
      .returning();
    await database.db
      .insert(nasSearchLists)
      .values({ chatKey: `user:${user!.id}`, lineUserId: user!.id, fileIds: [oldest.id] });
    const round = await makeFilePreviews({ database, shares: [share], client: client(), limit: 2 });
    expect(round.made).toBe(2);
    const newest = await rowOf(share.name, 'f/4.jpg');
    expect(puts.map((p) => p.url.split('/')[5])).toEqual([oldest.id, newest.id]);
  });

  it('runIndexer makes the previews after its walks when given a Worker; a Worker that cannot be reached stops the round, not the walk', async () => {
    const share = await makeShare({
      'x/site.webp': await sharp({ create: { width: 500, height: 100, channels: 3, background: '#123' } })
        .webp()
        .toBuffer(),
    });
    const run = await runIndexer({ database, shares: [share], once: true, previews: { client: client(), limit: 10 } });
    expect(run.errors).toBe(0);
    const row = await rowOf(share.name, 'x/site.webp');
    expect(await previewOf(row.id)).toMatchObject({ width: 240, height: 48 });

    const other = await makeShare({ 'y/site.jpg': await photo(100, 100) });
    const down = workerClient({ workerUrl: 'http://127.0.0.1:9', agentToken: AGENT_TOKEN, retries: 0 });
    const walked = await runIndexer({ database, shares: [other], once: true, previews: { client: down, limit: 10 } });
    expect(walked.errors).toBe(0);
    expect(walked.walks[0]!.inserted).toBe(1);
    expect(await previewOf((await rowOf(other.name, 'y/site.jpg')).id)).toBeUndefined();
  });
});
