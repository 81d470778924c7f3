/**
 * Fixtures for the nas-sync sender's tests: a share on disk, send requests seeded as the Worker
 * inserts them (with the indexed file's snapshot, modified_at to the microsecond as Postgres keeps
 * it), and a small HTTP server that stands in for the Worker's upload endpoints in these Node tests
 * only. It follows the upload protocol strictly (auth, Content-Length, sha256, status 'uploading',
 * one upload per request) and records every breach by the job in `violations()`; the real Worker
 * endpoints are tested in workerd.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import type { Share } from '../src/send/resolve.ts';
import { quietReporter } from '../src/progress.ts';
import { runSend, type SendEvent, type SendOptions } from '../src/send/serve.ts';
import { lineUsers, nasFiles, nasSendRequests } from '@linebot-edge/shared/schema';
import { searchTextOf } from '@linebot-edge/shared/search-text';
import { setupNasSync, type NasSyncFixture } from './nas-sync-support.ts';

export const AGENT_TOKEN = 'test-nas-agent-token-7f3a9c0e51b2';
export const SHARE = 'projects';
const PREFIX = '/api/linebot/nas/send-requests/';
const IMAGE_MAX = 10 * 1024 * 1024;

export interface WorkerCall {
  method: string;
  what: string;
  id: string;
  status: number;
  length: number;
  contentType?: string;
  at: number;
}

export interface Stored {
  preview?: Buffer;
  file?: Buffer;
  contentType?: string;
  failure?: string;
}

export interface WorkerStub {
  url: string;
  calls: WorkerCall[];
  stored: Map<string, Stored>;
  /** 'up', or answer everything with 503 ('503'), or cut every connection ('reset'). */
  mode: 'up' | '503' | 'reset';
  /** Runs before the stub handles a PUT .../file; may answer instead (return a status). */
  beforeFile?: (id: string) => Promise<number | undefined> | number | undefined;
  /** Image requests the test expects to come without a preview. */
  previewless: Set<string>;
  violations(): string[];
  close(): Promise<void>;
}

async function startWorkerStub(fx: NasSyncFixture): Promise<WorkerStub> {
  const violations: string[] = [];
  const stub: WorkerStub = {
    url: '',
    calls: [],
    stored: new Map(),
    mode: 'up',
    previewless: new Set(),
    violations: () => [...violations],
    close: () => new Promise((r) => server.close(() => r())),
  };
  const json = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const readBody = async (req: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://x');
    const m = url.pathname.startsWith(PREFIX)
      ? /^([^/]+)\/(preview|file|failure)$/.exec(url.pathname.slice(PREFIX.length))
      : null;
    const what = m?.[2] ?? '?';
    const id = m?.[1] ?? '?';
    const record = (status: number, length = 0) =>
      stub.calls.push({
        method: req.method ?? '',
        what,
        id,
        status,
        length,
        contentType: req.headers['content-type'],
        at,
      });
    const answer = (status: number, body: object, length = 0) => {
      record(status, length);
      json(res, status, body);
    };
    if (stub.mode === 'reset') return req.socket.destroy();
    if (stub.mode === '503') {
      await readBody(req);
      return answer(503, { error: 'unavailable', message: 'down for the test' });
    }
    if (!m) return answer(404, { error: 'not_found', message: 'no such route' });
    if (req.headers.authorization !== `Bearer ${AGENT_TOKEN}`) {
      await readBody(req);
      return answer(401, { error: 'unauthorized', message: 'bad token' });
    }
    const wantMethod = what === 'failure' ? 'POST' : 'PUT';
    if (req.method !== wantMethod) {
      violations.push(`${what} ${id}: method ${req.method}`);
      return answer(405, { error: 'method_not_allowed', message: '' });
    }
    if (!/^[0-9a-f-]{36}$/.test(id)) return answer(404, { error: 'not_found', message: 'unknown request' });
    const [row] = (
      await fx.db.execute<{ status: string; size: string; name: string }>(
        sql`SELECT status, size, name FROM nas_send_requests WHERE id = ${id}`,
      )
    ).rows;
    if (!row) return answer(404, { error: 'not_found', message: 'unknown request' });
    const entry = stub.stored.get(id) ?? {};
    stub.stored.set(id, entry);

    if (what === 'failure') {
      const body = await readBody(req);
      let reason: unknown;
      try {
        reason = (JSON.parse(body.toString()) as { reason?: unknown }).reason;
      } catch {
        /* below */
      }
      if (!['missing', 'changed', 'outside_share', 'unreadable', 'too_large'].includes(reason as string)) {
        violations.push(`failure ${id}: bad body ${body.toString().slice(0, 100)}`);
        return answer(400, { error: 'bad_request', message: 'reason' });
      }
      const done = await fx.db.execute(
        sql`UPDATE nas_send_requests SET status = 'failed', error = ${reason as string} WHERE id = ${id} AND status = 'uploading'`,
      );
      if (done.rowCount === 0) return answer(409, { error: 'not_open', message: row.status });
      entry.failure = reason as string;
      return answer(200, { status: 'failed' });
    }

    const lengthHeader = req.headers['content-length'];
    const sha = req.headers['x-content-sha256'];
    const type = req.headers['content-type'];
    if (lengthHeader === undefined) {
      violations.push(`${what} ${id}: no Content-Length (chunked?)`);
      return answer(411, { error: 'length_required', message: '' });
    }
    if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha) || !type) {
      violations.push(`${what} ${id}: bad X-Content-SHA256 or Content-Type`);
      return answer(400, { error: 'bad_header', message: '' });
    }
    const length = Number(lengthHeader);
    if (what === 'preview' && length > 1_048_576) {
      violations.push(`preview ${id}: ${length} bytes`);
      return answer(413, { error: 'too_large', message: '' });
    }
    if (row.status !== 'uploading') {
      await readBody(req);
      if (what === 'file' && row.status === 'uploaded') violations.push(`file ${id}: uploaded again`);
      return answer(409, { error: 'not_open', message: row.status });
    }
    if (what === 'file') {
      const early = await stub.beforeFile?.(id);
      if (early !== undefined) {
        await readBody(req);
        return answer(early, { error: early === 422 ? 'mismatch' : 'test', message: 'from the test' });
      }
    }
    const body = await readBody(req);
    const actualSha = createHash('sha256').update(body).digest('hex');
    if (what === 'file' && (body.length !== Number(row.size) || length !== Number(row.size))) {
      violations.push(`file ${id}: ${body.length} bytes, request says ${row.size}`);
      return answer(422, { error: 'size_mismatch', message: '' }, body.length);
    }
    if (actualSha !== sha || body.length !== length) {
      violations.push(`${what} ${id}: sha256 or length mismatch`);
      return answer(422, { error: 'sha256_mismatch', message: '' }, body.length);
    }
    if (what === 'preview') {
      if (type !== 'image/jpeg') violations.push(`preview ${id}: Content-Type ${type}`);
      entry.preview = body;
      return answer(200, { status: 'stored' }, body.length);
    }
    const isImage = /\.(jpe?g|png)$/i.test(row.name) && Number(row.size) <= IMAGE_MAX;
    // An image's preview comes first; without one (not decodable) the Worker sends a link instead.
    if (isImage && !entry.preview && !stub.previewless.has(id))
      violations.push(`file ${id}: image uploaded before its preview`);
    const moved = await fx.db.execute(
      sql`UPDATE nas_send_requests SET status = 'uploaded', sha256 = ${actualSha}, content_type = ${type},
            r2_key = ${`sends/${id}/file`}, preview_r2_key = ${entry.preview ? `sends/${id}/preview` : null}, uploaded_at = now()
          WHERE id = ${id} AND status = 'uploading'`,
    );
    if (moved.rowCount === 0) return answer(409, { error: 'not_open', message: 'raced' }, body.length);
    entry.file = body;
    entry.contentType = type;
    return answer(200, { status: 'uploaded' }, body.length);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (req.readableAborted || req.destroyed) return; // the job hung up (stopped mid-upload)
      violations.push(`stub crashed: ${String(e)}`);
      if (!res.headersSent) json(res, 500, { error: 'internal', message: '' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}

export interface SendFixture {
  fx: NasSyncFixture;
  worker: WorkerStub;
  shareRoot: string;
  /** A folder outside every share (targets of hostile symlinks). */
  outside: string;
  shares: Share[];
  /** Writes `path` under the share with a sub-millisecond mtime; returns its absolute path. */
  writeShareFile(path: string, data: Uint8Array | string): Promise<string>;
  /** A nas_files row and a pending send request for `path` as it is on disk now. */
  request(path: string, options?: { size?: number; modifiedAt?: string; share?: string }): Promise<string>;
  status(id: string): Promise<{ status: string; attempts: number; error: string | null; claimedBy: string | null }>;
  /** Every log line of every job the tests ran (checked for the token). */
  logs: string[];
  /** runSend with the fixture's shares, worker, and a log collector. */
  send(options?: Partial<SendOptions>): {
    events: SendEvent[];
    done: Promise<Awaited<ReturnType<typeof runSend>>>;
    stop(): void;
  };
  close(): Promise<void>;
}

let n = 0;

export async function setupSend(label: string): Promise<SendFixture> {
  const fx = await setupNasSync(`send_${label}`);
  const worker = await startWorkerStub(fx);
  const shareRoot = await mkdtemp(join(tmpdir(), `nas-share-${label}-`));
  const outside = await mkdtemp(join(tmpdir(), `nas-outside-${label}-`));
  const shares: Share[] = [{ name: SHARE, root: shareRoot }];
  const [user] = await fx.db
    .insert(lineUsers)
    .values({ lineUserId: 'U5e0d0000000000000000000000000001' })
    .returning({ id: lineUsers.id });
  const logs: string[] = [];

  const fixture: SendFixture = {
    fx,
    worker,
    shareRoot,
    outside,
    shares,
    logs,
    async writeShareFile(path, data) {
      const abs = join(shareRoot, ...path.split('/'));
      await mkdir(dirname(abs), { recursive: true });
      await writeFile(abs, data);
      // A mtime with microseconds (as NAS filesystems keep), so the ms comparison is exercised.
      const t = 1_748_772_000 + ++n + 0.123456;
      await utimes(abs, t, t);
      return abs;
    },
    async request(path, options = {}) {
      const abs = join(shareRoot, ...path.split('/'));
      const st = await stat(abs, { bigint: true }).catch(() => undefined);
      const size = options.size ?? Number(st?.size ?? 0n);
      // modified_at as Postgres keeps it: to the microsecond.
      const modifiedAt =
        options.modifiedAt ??
        (st
          ? `${new Date(Number(st.mtimeNs / 1_000_000n)).toISOString().slice(0, 23)}${String((st.mtimeNs / 1000n) % 1000n).padStart(3, '0')}Z`
          : new Date().toISOString());
      const share = options.share ?? SHARE;
      const name = path.split('/').at(-1)!;
      const [file] = await fx.db
        .insert(nasFiles)
        .values({
          share,
          path,
          name,
          extension: name.includes('.') ? name.split('.').at(-1)!.toLowerCase() : '',
          size,
          modifiedAt: sql`${modifiedAt}::timestamptz` as unknown as Date,
          searchText: searchTextOf(share, path),
        })
        .onConflictDoUpdate({ target: [nasFiles.share, nasFiles.path], set: { size } })
        .returning({ id: nasFiles.id });
      const [req] = await fx.db
        .insert(nasSendRequests)
        .values({
          requestKey: `event:${randomUUID()}`,
          nasFileId: file!.id,
          share,
          path,
          name,
          size,
          modifiedAt: sql`${modifiedAt}::timestamptz` as unknown as Date,
          lineUserId: user!.id,
          eventAt: new Date(),
        })
        .returning({ id: nasSendRequests.id });
      return req!.id;
    },
    async status(id) {
      const [row] = await fx.db
        .select({
          status: nasSendRequests.status,
          attempts: nasSendRequests.attempts,
          error: nasSendRequests.error,
          claimedBy: nasSendRequests.claimedBy,
        })
        .from(nasSendRequests)
        .where(sql`${nasSendRequests.id} = ${id}`);
      if (!row) throw new Error(`no request ${id}`);
      return row;
    },
    send(options = {}) {
      const events: SendEvent[] = [];
      const controller = new AbortController();
      const done = runSend({
        databaseUrl: fx.databaseUrl,
        workerUrl: worker.url,
        agentToken: AGENT_TOKEN,
        shares,
        maxBytes: 104_857_600,
        once: true,
        pollIntervalMs: 50,
        retryBaseMs: 20,
        signal: controller.signal,
        reporter: quietReporter({
          log: (level, event, fields) => logs.push(JSON.stringify({ level, event, ...fields })),
        }),
        onEvent: (e) => events.push(e),
        ...options,
      });
      return { events, done, stop: () => controller.abort(new Error('test over')) };
    },
    async close() {
      await worker.close();
      await rm(shareRoot, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
      await fx.close();
    },
  };
  return fixture;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: () => boolean | Promise<boolean>, ms: number, label: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${label}`);
    await sleep(20);
  }
}
