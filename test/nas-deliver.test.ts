/**
 * Delivery of NAS send requests into LINE (checked on the LINE emulator's recorded, spec-validated
 * requests): an image as an image message by reply, any other file as a text with its link, push
 * with a retry key after the reply window or when the reply token was used, a failure told once,
 * and the Cron backstop (uploaded rows left unsent, requests the NAS job never finished).
 */
import { env } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lineMessages } from '@linebot-edge/shared/schema';
import { derivedRetryKey } from '../src/line/messages';
import { taipeiDateTime } from '../src/lib/taipei';
import { humanSize, NAS_STALE_MS } from '../src/nas/deliver';
import { withDb } from './support/db';
import { addFault, lineRequests, violations } from './support/emulator';
import {
  bytesOf,
  call,
  linksOf,
  loadRequest,
  reportFailure,
  runCron,
  seedSendRequest,
  upload,
  updateRequest,
} from './support/nas';

const repliesWith = async (replyToken: string | null) =>
  (await lineRequests('/v2/bot/message/reply')).filter(
    (r) => (r.body as { replyToken: string }).replyToken === replyToken,
  );
const pushesTo = async (to: string) =>
  (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to: string }).to === to);
type Msg = { type: string; text?: string; originalContentUrl?: string; previewImageUrl?: string };
const messagesOf = (r: { body: unknown }) => (r.body as { messages: Msg[] }).messages;

const botRows = (where: { lineUserId?: string; lineGroupId?: string }) =>
  withDb((db) =>
    db
      .select()
      .from(lineMessages)
      .where(
        and(
          eq(lineMessages.isFromBot, true),
          where.lineGroupId
            ? eq(lineMessages.lineGroupId, where.lineGroupId)
            : eq(lineMessages.lineUserId, where.lineUserId!),
        ),
      ),
  );

describe('delivering an upload', () => {
  it('a JPEG with a preview: an image message by reply, whose URLs serve the file and the preview', async () => {
    const { request, user } = await seedSendRequest({ name: '工地照片.jpg', size: 200_000 });
    const file = bytesOf(200_000, 4);
    const preview = bytesOf(20_000, 5);
    expect((await upload(request.id, 'preview', preview)).status).toBe(200);
    expect((await upload(request.id, 'file', file, { contentType: 'image/jpeg' })).status).toBe(200);

    const [reply] = await repliesWith(request.replyToken);
    expect(reply!.status).toBe(200);
    const [message] = messagesOf(reply!);
    expect(message!.type).toBe('image');
    expect(message!.originalContentUrl).toMatch(/^https:\/\/bot\.example\/s\/[A-Za-z0-9_-]{22}$/);
    expect(message!.previewImageUrl).toBe(`${message!.originalContentUrl}/preview`);
    expect(await violations()).toEqual([]);

    const path = new URL(message!.originalContentUrl!).pathname;
    const got = await call('GET', path, { token: null });
    expect(got.status).toBe(200);
    expect(got.bytes).toEqual(file);
    expect(got.headers.get('content-type')).toBe('image/jpeg');
    const gotPreview = await call('GET', `${path}/preview`, { token: null });
    expect(gotPreview.bytes).toEqual(preview);

    expect(await loadRequest(request.id)).toMatchObject({ status: 'sent', sentBy: 'reply' });
    const [link] = await linksOf(request.id);
    expect(link).toMatchObject({
      fileName: '工地照片.jpg',
      size: 200_000,
      contentType: 'image/jpeg',
      lineUserId: user!.id,
      downloadCount: 1,
    });
    expect(link!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    // An image message's links live 30 days, whatever SHARE_LINK_TTL (test/share-link-lifetimes.test.ts).
    expect(link!.expiresAt.getTime() - link!.createdAt.getTime()).toBe(30 * 86_400_000);
    const rows = await botRows({ lineUserId: user!.id });
    expect(rows.map((r) => r.messageType)).toEqual(['image']);
    expect(rows[0]!.rawMessage).toEqual({
      ...message,
      originalContentUrl: `https://bot.example/s/[share-link:${link!.id}]`,
      previewImageUrl: `https://bot.example/s/[share-link:${link!.id}]/preview`,
    });
  });

  it('a PDF: a text with the name, size, link and its expiry in Taipei time; SHARE_LINK_TTL and PUBLIC_BASE_URL apply', async () => {
    const { request, user } = await seedSendRequest({ name: '施工圖 v2.pdf', size: 150_000 });
    const res = await upload(request.id, 'file', bytesOf(150_000), {
      contentType: 'application/pdf',
      env: { SHARE_LINK_TTL: '3600', PUBLIC_BASE_URL: 'https://files.example' },
    });
    expect(res.status).toBe(200);
    const [reply] = await repliesWith(request.replyToken);
    const [message] = messagesOf(reply!);
    const [link] = await linksOf(request.id);
    expect(link!.expiresAt.getTime() - link!.createdAt.getTime()).toBe(3_600_000);
    expect(message!.type).toBe('text');
    expect(message!.text).toContain('施工圖 v2.pdf');
    expect(message!.text).toContain(humanSize(150_000));
    expect([humanSize(512), humanSize(1536), humanSize(150_000), humanSize(10 * 1024 ** 2)]).toEqual([
      '512 B',
      '1.5 KB',
      '146 KB',
      '10 MB',
    ]);
    expect(message!.text).toMatch(/https:\/\/files\.example\/s\/[A-Za-z0-9_-]{22}\n/);
    expect(message!.text).toContain(taipeiDateTime(link!.expiresAt, { weekday: true }));
    expect((await loadRequest(request.id)).publicBaseUrl).toBe('https://files.example');
    // The history keeps the text, its token replaced by the link's id (the database alone opens no link).
    const token = /\/s\/([A-Za-z0-9_-]{22})/.exec(message!.text!)![1]!;
    const [row] = await botRows({ lineUserId: user!.id });
    expect(row!.content).toBe(message!.text!.replace(token, `[share-link:${link!.id}]`));
    expect(JSON.stringify(row!.rawMessage)).not.toContain(token);
    expect(await violations()).toEqual([]);
  });

  it('a PNG without a preview goes as a link, not an image message', async () => {
    const { request } = await seedSendRequest({ name: 'scan.png', size: 5000 });
    expect((await upload(request.id, 'file', bytesOf(5000), { contentType: 'image/png' })).status).toBe(200);
    expect(messagesOf((await repliesWith(request.replyToken))[0]!)[0]!.type).toBe('text');
  });

  it('after the reply window: a push to the group with a retry key from the request id', async () => {
    const { request, group } = await seedSendRequest(
      { name: 'a.pdf', size: 100, eventAt: new Date(Date.now() - 120_000) },
      { group: true },
    );
    expect((await upload(request.id, 'file', bytesOf(100))).status).toBe(200);
    expect(await repliesWith(request.replyToken)).toEqual([]);
    const pushes = await pushesTo(group!.lineGroupId);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.headers['x-line-retry-key']).toBe(await derivedRetryKey(`nas-send:${request.id}:file`, 0));
    expect(await loadRequest(request.id)).toMatchObject({ status: 'sent', sentBy: 'push', replyAttemptedAt: null });
    expect((await botRows({ lineGroupId: group!.id })).map((r) => r.sourceType)).toEqual(['group']);
  });

  it('a reply token the command already used: refused, then pushed once', async () => {
    const { request, user } = await seedSendRequest({ name: 'b.pdf', size: 100 });
    const used = await fetch(`${env.LINE_API_BASE_URL}/v2/bot/message/reply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.LINE_CHANNEL_ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ replyToken: request.replyToken, messages: [{ type: 'text', text: '正在從 NAS 取檔…' }] }),
    });
    expect(used.status).toBe(200);
    expect((await upload(request.id, 'file', bytesOf(100))).status).toBe(200);
    expect((await repliesWith(request.replyToken)).map((r) => r.status)).toEqual([200, 400]);
    expect(await pushesTo(user!.lineUserId)).toHaveLength(1);
    const row = await loadRequest(request.id);
    expect(row).toMatchObject({ status: 'sent', sentBy: 'push' });
    expect(row.replyAttemptedAt).not.toBeNull();
  });
});

describe('a push LINE refuses for the quota (429)', () => {
  it('leaves the file unsent and due: the backstop delivers it once LINE takes pushes again', async () => {
    const { request, user } = await seedSendRequest({
      name: 'quota.pdf',
      size: 100,
      eventAt: new Date(Date.now() - 120_000),
    });
    await addFault({
      path: '/v2/bot/message/push',
      bodyContains: user!.lineUserId,
      status: 429,
      body: { message: 'You have reached your monthly limit.' },
      times: 3,
    });
    expect((await upload(request.id, 'file', bytesOf(100))).status).toBe(200);
    expect((await pushesTo(user!.lineUserId)).map((p) => p.status)).toEqual([429, 429, 429]);
    const unsent = await loadRequest(request.id);
    expect(unsent).toMatchObject({ status: 'uploaded', sentBy: null, sentAt: null });

    await updateRequest(request.id, { updatedAt: new Date(Date.now() - 120_000) });
    await runCron();
    expect((await pushesTo(user!.lineUserId)).map((p) => p.status)).toEqual([429, 429, 429, 200]);
    expect(await loadRequest(request.id)).toMatchObject({ status: 'sent', sentBy: 'push' });
  });
});

describe('failures', () => {
  it('are told once, in the chat, saying why', async () => {
    const { request } = await seedSendRequest({ name: '報價單.xlsx', size: 300_000_000 });
    expect((await reportFailure(request.id, 'too_large')).status).toBe(200);
    const replies = await repliesWith(request.replyToken);
    expect(replies).toHaveLength(1);
    const text = messagesOf(replies[0]!)[0]!.text!;
    expect(text).toContain('報價單.xlsx');
    expect(text).toContain('286 MB');
    expect(text).toContain('100 MB');
    const told = await loadRequest(request.id);
    expect(told).toMatchObject({ status: 'failed', sentBy: 'reply' });
    expect(told.sentAt).not.toBeNull();

    // Later crons (even "an hour later") tell nothing again.
    await updateRequest(request.id, { updatedAt: new Date(Date.now() - 5 * 60_000) });
    await runCron(Date.now() + 3_600_000);
    expect(await repliesWith(request.replyToken)).toHaveLength(1);
    expect((await loadRequest(request.id)).sentAt).toEqual(told.sentAt);
  });
});

describe('failures after the reply window', () => {
  it('are pushed into the group with their own retry key', async () => {
    const { request, group } = await seedSendRequest(
      { name: '舊檔.dwg', eventAt: new Date(Date.now() - 300_000) },
      { group: true },
    );
    expect((await reportFailure(request.id, 'missing')).status).toBe(200);
    const pushes = await pushesTo(group!.lineGroupId);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.headers['x-line-retry-key']).toBe(await derivedRetryKey(`nas-send:${request.id}:failure`, 0));
    expect(messagesOf(pushes[0]!)[0]!.text).toBe('「舊檔.dwg」已不在 NAS 上，無法傳送。');
    expect(await loadRequest(request.id)).toMatchObject({ status: 'failed', sentBy: 'push' });
  });
});

describe('the Cron backstop', () => {
  it('delivers an uploaded row left unsent (by push, the reply window being over) and only once', async () => {
    const { request, user } = await seedSendRequest({
      name: 'c.pdf',
      size: 64,
      eventAt: new Date(Date.now() - 180_000),
    });
    const r2Key = `sends/${request.id}/file`;
    await env.FILES.put(r2Key, bytesOf(64));
    await updateRequest(request.id, {
      status: 'uploaded',
      r2Key,
      contentType: 'application/pdf',
      uploadedAt: new Date(Date.now() - 120_000),
      updatedAt: new Date(Date.now() - 120_000),
      publicBaseUrl: 'https://edge.example',
    });
    await runCron();
    const pushes = await pushesTo(user!.lineUserId);
    expect(pushes).toHaveLength(1);
    expect(messagesOf(pushes[0]!)[0]!.text).toMatch(/https:\/\/edge\.example\/s\//);
    expect(await loadRequest(request.id)).toMatchObject({ status: 'sent', sentBy: 'push' });
    await runCron(Date.now() + 120_000);
    expect(await pushesTo(user!.lineUserId)).toHaveLength(1);
  });

  it('leaves an upload just finished to its own delivery', async () => {
    const { request, user } = await seedSendRequest({ name: 'd.pdf', size: 64 });
    await updateRequest(request.id, {
      status: 'uploaded',
      r2Key: 'sends/x/file',
      contentType: 'application/pdf',
      publicBaseUrl: 'https://e.example',
    });
    await runCron();
    expect(await pushesTo(user!.lineUserId)).toEqual([]);
    expect(await repliesWith(request.replyToken)).toEqual([]);
    await updateRequest(request.id, { status: 'failed', sentAt: new Date() });
  });

  it('requests the NAS job never took or never finished become failed, and the asker is told once', async () => {
    const old = new Date(Date.now() - NAS_STALE_MS - 60_000);
    const { request: pending, user: a } = await seedSendRequest({
      name: 'e.pdf',
      status: 'pending',
      claimedAt: null,
      createdAt: old,
      eventAt: old,
    });
    const { request: stuck, user: b } = await seedSendRequest({
      name: 'f.pdf',
      status: 'uploading',
      claimedAt: old,
      createdAt: old,
      eventAt: old,
    });
    const { request: fresh } = await seedSendRequest({ name: 'g.pdf', status: 'pending', claimedAt: null });
    await runCron();
    for (const [req, user] of [
      [pending, a],
      [stuck, b],
    ] as const) {
      const row = await loadRequest(req.id);
      expect(row).toMatchObject({ status: 'failed', sentBy: 'push' });
      expect(row.error).toContain('無法連線到 NAS');
      const pushes = await pushesTo(user!.lineUserId);
      expect(pushes).toHaveLength(1);
      expect(messagesOf(pushes[0]!)[0]!.text).toContain(req.name);
    }
    expect((await loadRequest(fresh.id)).status).toBe('pending');
    await runCron(Date.now() + 120_000);
    expect(await pushesTo(a!.lineUserId)).toHaveLength(1);
    expect(await violations()).toEqual([]);
    // The job coming back late cannot upload it any more.
    expect((await upload(stuck.id, 'file', bytesOf(stuck.size))).status).toBe(409);
    await updateRequest(fresh.id, { status: 'failed', sentAt: new Date() });
  });
});
