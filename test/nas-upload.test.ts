/**
 * The on-prem job's uploads (PUT .../preview, PUT .../file, POST .../failure): auth, the refusals
 * of the contract in their order, the body streamed into R2 with its SHA-256 checked (a mismatch
 * keeps nothing and changes nothing), and the status moved exactly once (a replay is 409 and sends
 * no second message).
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { lineRequests, violations } from './support/emulator';
import { bytesOf, call, loadRequest, NAS_TOKEN, reportFailure, seedSendRequest, sha256, upload } from './support/nas';

const repliesWith = async (replyToken: string | null) =>
  (await lineRequests('/v2/bot/message/reply')).filter(
    (r) => (r.body as { replyToken: string }).replyToken === replyToken,
  );

describe('auth', () => {
  it('refuses a missing or wrong token with 401 before looking at anything else', async () => {
    const { request } = await seedSendRequest();
    const bytes = bytesOf(request.size);
    for (const token of [null, 'wrong', `${NAS_TOKEN}x`, 'Bearer', env.ADMIN_API_TOKEN]) {
      const res = await upload(request.id, 'file', bytes, { token });
      expect(res.status, String(token)).toBe(401);
      expect(res.json()).toEqual({ error: 'unauthorized', message: expect.any(String) });
    }
    expect(
      (
        await call('PUT', `/api/linebot/nas/send-requests/${request.id}/file`, {
          token: null,
          headers: { authorization: 'Basic dGVzdA==' },
        })
      ).status,
    ).toBe(401);
    // An unset or short secret refuses everything rather than meaning "open" (503: the route is off).
    for (const secret of ['', NAS_TOKEN.slice(0, 31)]) {
      const off = await upload(request.id, 'file', bytes, { token: secret, env: { NAS_AGENT_TOKEN: secret } });
      expect(off.status).toBe(503);
      expect(off.json()).toEqual({ error: 'not_configured', message: expect.stringContaining('NAS_AGENT_TOKEN') });
    }
    expect((await loadRequest(request.id)).status).toBe('uploading');
    expect((await upload(request.id, 'file', bytes)).status).toBe(200);
  });
});

describe('refusals', () => {
  it('404 for an unknown or malformed id, 409 unless uploading', async () => {
    expect((await upload(crypto.randomUUID(), 'file', bytesOf(10))).status).toBe(404);
    expect((await upload('not-a-uuid', 'file', bytesOf(10))).status).toBe(404);
    expect((await reportFailure(crypto.randomUUID(), 'missing')).status).toBe(404);
    for (const status of ['pending', 'uploaded', 'sent', 'failed'] as const) {
      // Told already (sent_at): the Cron backstop of a concurrent test file leaves it alone.
      const { request } = await seedSendRequest({ status, sentAt: status === 'pending' ? null : new Date() });
      const res = await upload(request.id, 'file', bytesOf(request.size));
      expect(res.status, status).toBe(409);
      expect(res.json().error).toBe('not_uploading');
      expect((await upload(request.id, 'preview', bytesOf(100))).status, status).toBe(409);
      expect((await reportFailure(request.id, 'missing')).status, status).toBe(409);
      expect((await loadRequest(request.id)).status).toBe(status);
    }
  });

  it('411 without Content-Length, 400 for bad headers, 413 over the limits', async () => {
    const { request } = await seedSendRequest({ size: 2000 });
    const bytes = bytesOf(2000);
    expect((await upload(request.id, 'file', bytes, { length: null })).status).toBe(411);
    expect((await upload(request.id, 'file', bytes, { length: '12abc' })).status).toBe(400);
    expect((await upload(request.id, 'file', bytes, { sha: 'A'.repeat(64) })).status).toBe(400);
    expect((await upload(request.id, 'file', bytes, { sha: 'abc' })).status).toBe(400);
    expect((await upload(request.id, 'file', bytes, { contentType: 'pdf' })).status).toBe(400);
    expect((await upload(request.id, 'preview', bytes, { contentType: 'text/html' })).status).toBe(400);
    const tooBig = await upload(request.id, 'file', bytes, { length: '2001', env: { NAS_SEND_MAX_BYTES: '2000' } });
    expect(tooBig.status).toBe(413);
    expect(tooBig.json().error).toBe('payload_too_large');
    // NAS_SEND_MAX_BYTES read as /find reads it (src/config/settings.ts): 2000.9 is 2000, never the default.
    expect(
      (await upload(request.id, 'file', bytes, { length: '2001', env: { NAS_SEND_MAX_BYTES: '2000.9' } })).status,
    ).toBe(413);
    expect((await upload(request.id, 'preview', bytesOf(1_048_577))).status).toBe(413);
    expect((await loadRequest(request.id)).status).toBe('uploading');
  });

  it('422 when the length is not the request size or the body not its SHA-256: nothing kept, status unchanged', async () => {
    const { request } = await seedSendRequest({ size: 5000 });
    const bytes = bytesOf(5000, 7);
    const short = await upload(request.id, 'file', bytes.slice(0, 4999));
    expect(short.status).toBe(422);
    expect(short.json().error).toBe('size_mismatch');

    const wrongSha = await upload(request.id, 'file', bytes, { sha: await sha256(bytesOf(5000, 8)) });
    expect(wrongSha.status).toBe(422);
    expect(wrongSha.json()).toEqual({ error: 'sha256_mismatch', message: expect.any(String) });
    expect(await env.FILES.head(`sends/${request.id}/file`)).toBeNull();

    // A body shorter than its declared Content-Length (a dropped connection).
    const truncated = await upload(request.id, 'file', bytes.slice(0, 4000), {
      length: '5000',
      sha: await sha256(bytes),
    });
    expect(truncated.status).toBe(422);
    expect(await env.FILES.head(`sends/${request.id}/file`)).toBeNull();

    const badPreview = await upload(request.id, 'preview', bytesOf(300), { sha: await sha256(bytesOf(301)) });
    expect(badPreview.status).toBe(422);
    expect(await env.FILES.head(`sends/${request.id}/preview`)).toBeNull();
    const row = await loadRequest(request.id);
    expect(row).toMatchObject({ status: 'uploading', r2Key: null, previewR2Key: null, sentAt: null });
  });
});

describe('a complete upload', () => {
  it('stores preview and file in R2, moves the request to uploaded and then sent, once', async () => {
    const { request } = await seedSendRequest({ name: '現場照片.jpg', size: 70_000 });
    const preview = bytesOf(3000, 2);
    const file = bytesOf(70_000, 3);
    const p = await upload(request.id, 'preview', preview);
    expect(p.status).toBe(200);
    expect(p.json()).toEqual({ status: 'stored' });
    const f = await upload(request.id, 'file', file, { contentType: 'image/jpeg' });
    expect(f.status).toBe(200);
    expect(f.json()).toEqual({ status: 'uploaded' });

    const stored = await env.FILES.get(`sends/${request.id}/file`);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(file);
    expect(stored!.httpMetadata?.contentType).toBe('image/jpeg');
    expect((await env.FILES.head(`sends/${request.id}/preview`))!.size).toBe(3000);

    const row = await loadRequest(request.id);
    expect(row).toMatchObject({
      status: 'sent',
      sentBy: 'reply',
      r2Key: `sends/${request.id}/file`,
      previewR2Key: `sends/${request.id}/preview`,
      contentType: 'image/jpeg',
      sha256: await sha256(file),
      publicBaseUrl: 'https://bot.example',
    });
    expect(row.uploadedAt).not.toBeNull();
    expect(row.sentAt).not.toBeNull();
    expect(await repliesWith(request.replyToken)).toHaveLength(1);

    // The job retries (it never saw the 200): 409, nothing sent again, nothing changed.
    const replay = await upload(request.id, 'file', file, { contentType: 'image/jpeg' });
    expect(replay.status).toBe(409);
    expect(await repliesWith(request.replyToken)).toHaveLength(1);
    expect((await loadRequest(request.id)).sentAt).toEqual(row.sentAt);
    expect(await violations()).toEqual([]);
  });

  it('concurrent uploads of the same request: one uploaded, one message', async () => {
    const { request } = await seedSendRequest({ size: 4096 });
    const bytes = bytesOf(4096, 9);
    const results = await Promise.all([upload(request.id, 'file', bytes), upload(request.id, 'file', bytes)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await repliesWith(request.replyToken)).toHaveLength(1);
    expect((await loadRequest(request.id)).status).toBe('sent');
  });

  it('an empty file is a file', async () => {
    const { request } = await seedSendRequest({ size: 0, name: 'empty.txt' });
    const res = await upload(request.id, 'file', new Uint8Array(), { contentType: 'text/plain; charset=utf-8' });
    expect(res.status).toBe(200);
    expect((await loadRequest(request.id)).contentType).toBe('text/plain; charset=utf-8');
  });
});

describe('failure reports', () => {
  it('marks the request failed with the reason in words; 400 for an unknown reason or a bad body', async () => {
    const { request } = await seedSendRequest({ name: '合約.pdf' });
    expect((await reportFailure(request.id, 'exploded')).status).toBe(400);
    expect(
      (
        await call('POST', `/api/linebot/nas/send-requests/${request.id}/failure`, {
          body: '{',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call('POST', `/api/linebot/nas/send-requests/${request.id}/failure`, { body: 'x'.repeat(5000) })).status,
    ).toBe(413);
    expect((await loadRequest(request.id)).status).toBe('uploading');
    const res = await reportFailure(request.id, 'changed');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'failed' });
    const row = await loadRequest(request.id);
    expect(row.status).toBe('failed');
    expect(row.error).toContain('合約.pdf');
    expect(row.error).toContain('重新搜尋');
    expect((await reportFailure(request.id, 'changed')).status).toBe(409);
  });
});
