/**
 * NAS send requests as the tests make them: rows seeded directly (a nas_files row and a request in
 * the status a job would leave it), uploads sent the way the on-prem job sends them, share links
 * fetched the way a browser or LINE's servers fetch them, and the Cron Trigger run by hand.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { nasFiles, nasSendRequests, projects, shareLinks, users } from '@linebot-edge/shared/schema';
import worker from '../../src/index';
import { toHex } from '../../src/lib/hex';
import { createShareLink } from '../../src/nas/share-links';
import { seedGroup, seedLineUser } from './admin';
import { forgetIfRefused, ownClient } from './clients';
import { withDb } from './db';
import { newId } from './line';

const BASE = 'https://bot.example';
export const NAS_TOKEN = env.NAS_AGENT_TOKEN;

type Insert<T extends { $inferInsert: unknown }> = Partial<T['$inferInsert']>;
export type SendRequest = typeof nasSendRequests.$inferSelect;

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export const sha256 = async (bytes: Uint8Array) => toHex(await crypto.subtle.digest('SHA-256', bytes));

/** Deterministic bytes of a given length (a "file"). */
export function bytesOf(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/**
 * An asker who may get any file of share `projects` wherever they ask: a LINE user bound to a new
 * admin account (admins search every share in a 1:1 chat, and their group's project folder), and,
 * for a group, a group bound to a project whose folder is the whole share. The delivery checks the
 * asker's scope again (src/nas/deliver.ts), so a test of something else needs one.
 */
async function seedAskerInScope(options: { group?: boolean } = {}) {
  return withDb(async (db) => {
    const [account] = await db
      .insert(users)
      .values({ username: `asker.${unique()}`, role: 'admin' })
      .returning();
    const user = await seedLineUser({ displayName: 'Asker', userId: account!.id });
    if (!options.group) return { user, group: null };
    const [project] = await db
      .insert(projects)
      .values({ name: `Site ${unique()}`, nasFolder: 'projects' })
      .returning();
    return { user, group: await seedGroup({ name: 'Site A', projectId: project!.id }) };
  });
}

/**
 * A send request in a chat: a new asker in scope (and a group when `group` is set), a nas_files
 * row, and the request in `status` (default `uploading`, as a job's claim leaves it).
 */
export async function seedSendRequest(fields: Insert<typeof nasSendRequests> = {}, options: { group?: boolean } = {}) {
  const asker = fields.lineUserId
    ? null
    : await seedAskerInScope({ group: options.group && fields.lineGroupId === undefined });
  const user = asker?.user ?? null;
  const group = asker?.group ?? null;
  const name = fields.name ?? `平面圖-${unique()}.pdf`;
  const path = fields.path ?? `案場A/圖面/${unique()}/${name}`;
  const size = fields.size ?? 1000;
  const modifiedAt = fields.modifiedAt ?? new Date('2026-11-20T02:00:00Z');
  return withDb(async (db) => {
    const [file] = await db
      .insert(nasFiles)
      .values({
        share: 'projects',
        path,
        name,
        extension: name.includes('.') ? name.split('.').pop()!.toLowerCase() : '',
        size,
        modifiedAt,
        searchText: `projects/${path}`.toLowerCase(),
      })
      .returning();
    const [row] = await db
      .insert(nasSendRequests)
      .values({
        requestKey: `event:${newId.event()}`,
        nasFileId: file!.id,
        share: 'projects',
        path,
        name,
        size,
        modifiedAt,
        lineUserId: user?.id ?? fields.lineUserId!,
        lineGroupId: group?.id ?? null,
        replyToken: newId.replyToken(),
        eventAt: new Date(),
        status: 'uploading',
        claimedAt: new Date(),
        claimedBy: 'test-job',
        attempts: 1,
        ...fields,
      })
      .returning();
    return { request: row!, user, group };
  });
}

export const loadRequest = (id: string) =>
  withDb(async (db) => (await db.select().from(nasSendRequests).where(eq(nasSendRequests.id, id)))[0]!);

export const linksOf = (sendRequestId: string) =>
  withDb((db) => db.select().from(shareLinks).where(eq(shareLinks.sendRequestId, sendRequestId)));

export const updateRequest = (id: string, fields: Insert<typeof nasSendRequests>) =>
  withDb(
    async (db) => (await db.update(nasSendRequests).set(fields).where(eq(nasSendRequests.id, id)).returning())[0]!,
  );

export interface CallOptions {
  token?: string | null;
  headers?: Record<string, string>;
  body?: BodyInit | null;
  env?: Partial<Env>;
  base?: string;
}

/** A request to the Worker, waiting for its waitUntil work (delivery, counts) too. */
export async function call(method: string, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  const client = ownClient(headers);
  const token = options.token === undefined ? NAS_TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const ctx = createExecutionContext();
  const req = new Request(`${options.base ?? BASE}${path}`, { method, headers, body: options.body ?? null });
  const res = await worker.fetch(req, { ...env, ...options.env }, ctx);
  const body = method === 'HEAD' ? new Uint8Array() : new Uint8Array(await res.arrayBuffer());
  await waitOnExecutionContext(ctx);
  await forgetIfRefused(res.status, client);
  return {
    res,
    status: res.status,
    headers: res.headers,
    bytes: body,
    text: () => new TextDecoder().decode(body),
    json: () => JSON.parse(new TextDecoder().decode(body)),
  };
}

/** PUT a preview or file as the job does: length, type and SHA-256 declared, body streamed. */
export async function upload(
  id: string,
  kind: 'file' | 'preview',
  bytes: Uint8Array,
  options: CallOptions & { contentType?: string; sha?: string; length?: string | null } = {},
) {
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? (kind === 'preview' ? 'image/jpeg' : 'application/pdf'),
    'x-content-sha256': options.sha ?? (await sha256(bytes)),
    ...options.headers,
  };
  if (options.length !== null) headers['content-length'] = options.length ?? String(bytes.byteLength);
  return call('PUT', `/api/linebot/nas/send-requests/${id}/${kind}`, { ...options, headers, body: streamOf(bytes) });
}

/** A body as a stream (the job streams; no Content-Length is implied by the body itself). */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.byteLength; i += 64 * 1024) controller.enqueue(bytes.slice(i, i + 64 * 1024));
      controller.close();
    },
  });
}

export const reportFailure = (id: string, reason: unknown, options: CallOptions = {}) =>
  call('POST', `/api/linebot/nas/send-requests/${id}/failure`, {
    ...options,
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ reason }),
  });

/** The Cron Trigger, as if it ran at `at`. */
export async function runCron(at = Date.now()) {
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ scheduledTime: at, cron: '* * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/**
 * A share link straight in the tables, its file in R2: for the /s/ tests, independent of uploads.
 * `link` overrides the link's columns (expiry, revocation).
 */
export async function seedShareLink(
  file: { name: string; contentType: string; bytes: Uint8Array; preview?: Uint8Array },
  link: Insert<typeof shareLinks> = {},
) {
  const { request } = await seedSendRequest({
    name: file.name,
    size: file.bytes.byteLength,
    status: 'sent',
    contentType: file.contentType,
  });
  const r2Key = `sends/${request.id}/file`;
  await env.FILES.put(r2Key, file.bytes, { httpMetadata: { contentType: file.contentType } });
  let previewR2Key: string | null = null;
  if (file.preview) {
    previewR2Key = `sends/${request.id}/preview`;
    await env.FILES.put(previewR2Key, file.preview, { httpMetadata: { contentType: 'image/jpeg' } });
  }
  return withDb(async (db) => {
    const { token, link: row } = await createShareLink(db, { ...request, r2Key, previewR2Key }, 3600);
    const [updated] = Object.keys(link).length
      ? await db.update(shareLinks).set(link).where(eq(shareLinks.id, row.id)).returning()
      : [row];
    return { token, link: updated!, request };
  });
}
