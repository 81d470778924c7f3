/**
 * PUT /api/linebot/nas/files/:id/thumbnail (the nas-sync job's thumbnail of a synced image's NAS
 * copy) and the console serving it: auth, the refusals in the upload contract's order, the SHA-256
 * checked by R2 (a mismatch keeps nothing), a replacement, and /admin/files/:id/preview answering
 * with the stored bytes instead of asking LINE.
 */
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineFiles } from '@linebot-edge/shared/schema';
import { seedFile, seedGroup } from './support/admin';
import { operator, send } from './support/console';
import { withDb } from './support/db';
import { lineRequests } from './support/emulator';
import { bytesOf, call, sha256, streamOf, type CallOptions } from './support/nas';

const fileRow = (id: string) =>
  withDb(async (db) => (await db.select().from(lineFiles).where(eq(lineFiles.id, id)))[0]!);

/** A JPEG-looking body (the Worker does not decode it; the job makes a real one). */
const jpegOf = (length: number, seed = 1) => {
  const bytes = bytesOf(length, seed);
  bytes.set([0xff, 0xd8, 0xff], 0);
  return bytes;
};

async function putThumbnail(
  id: string,
  bytes: Uint8Array,
  options: CallOptions & { contentType?: string; sha?: string; length?: string | null } = {},
) {
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'image/jpeg',
    'x-content-sha256': options.sha ?? (await sha256(bytes)),
    ...options.headers,
  };
  if (options.length !== null) headers['content-length'] = options.length ?? String(bytes.byteLength);
  return call('PUT', `/api/linebot/nas/files/${id}/thumbnail`, { ...options, headers, body: streamOf(bytes) });
}

const syncedImage = async () => {
  const group = await seedGroup();
  return seedFile(
    { lineGroupId: group.id },
    { fileType: 'image', syncStatus: 'synced', nasPath: 'line/t.jpg', mimeType: 'image/jpeg' },
  );
};

describe('PUT /api/linebot/nas/files/:id/thumbnail', () => {
  it('refuses a missing or wrong token with 401, changing nothing', async () => {
    const { file } = await syncedImage();
    for (const token of [null, 'wrong', env.ADMIN_API_TOKEN]) {
      const res = await putThumbnail(file.id, jpegOf(100), { token });
      expect(res.status, String(token)).toBe(401);
      expect(res.json()).toEqual({ error: 'unauthorized', message: expect.any(String) });
    }
    expect((await fileRow(file.id)).thumbnailR2Key).toBeNull();
    expect(await env.FILES.head(`thumbs/${file.id}`)).toBeNull();
  });

  it('404 for an unknown or malformed id, 409 for a file that is no image or not synced', async () => {
    for (const id of [crypto.randomUUID(), 'nope']) {
      const res = await putThumbnail(id, jpegOf(100));
      expect(res.status, id).toBe(404);
      expect(res.json()).toEqual({ error: 'not_found', message: expect.any(String) });
    }
    const group = await seedGroup();
    const doc = await seedFile(
      { lineGroupId: group.id },
      { fileType: 'file', fileName: 'a.pdf', syncStatus: 'synced' },
    );
    expect((await putThumbnail(doc.file.id, jpegOf(100))).json().error).toBe('not_an_image');
    for (const syncStatus of ['pending', 'unavailable', 'failed', 'removed'] as const) {
      const { file } = await seedFile({ lineGroupId: group.id }, { fileType: 'image', syncStatus });
      const res = await putThumbnail(file.id, jpegOf(100));
      expect(res.status, syncStatus).toBe(409);
      expect(res.json()).toEqual({ error: 'not_synced', message: expect.any(String) });
      expect((await fileRow(file.id)).thumbnailR2Key).toBeNull();
    }
    // Synced, then unsent (the job has yet to delete the NAS copy): no thumbnail either.
    const unsent = await seedFile(
      { lineGroupId: group.id },
      { fileType: 'image', syncStatus: 'synced', removeRequestedAt: new Date() },
    );
    expect((await putThumbnail(unsent.file.id, jpegOf(100))).json().error).toBe('not_synced');
  });

  it('411 without Content-Length, 400 for a bad header or a type other than JPEG, 413 over 1 MiB, 422 for a SHA-256 or length mismatch', async () => {
    const { file } = await syncedImage();
    const bytes = jpegOf(2000);
    expect((await putThumbnail(file.id, bytes, { length: null })).status).toBe(411);
    expect((await putThumbnail(file.id, bytes, { sha: 'abc' })).status).toBe(400);
    expect((await putThumbnail(file.id, bytes, { contentType: 'image/png' })).status).toBe(400);
    expect((await putThumbnail(file.id, bytes, { contentType: 'text/html' })).status).toBe(400);
    const tooBig = await putThumbnail(file.id, bytes, { length: String(1_048_577) });
    expect(tooBig.status).toBe(413);
    expect(tooBig.json().error).toBe('payload_too_large');
    const wrongSha = await putThumbnail(file.id, bytes, { sha: await sha256(jpegOf(2000, 2)) });
    expect(wrongSha.status).toBe(422);
    expect(wrongSha.json()).toEqual({ error: 'sha256_mismatch', message: expect.any(String) });
    expect((await putThumbnail(file.id, bytes, { length: '1999' })).status).toBe(422);
    expect((await fileRow(file.id)).thumbnailR2Key).toBeNull();
    expect(await env.FILES.head(`thumbs/${file.id}`)).toBeNull();
  });

  it('stores the JPEG, sets thumbnail_r2_key, replaces it on a second upload; the console then serves it without asking LINE', async () => {
    const { file, message } = await syncedImage();
    const first = jpegOf(3000, 3);
    const res = await putThumbnail(file.id, first, { contentType: 'image/jpeg; charset=binary' });
    expect([res.status, res.json()]).toEqual([200, { status: 'stored' }]);
    expect((await fileRow(file.id)).thumbnailR2Key).toBe(`thumbs/${file.id}`);
    const object = await env.FILES.get(`thumbs/${file.id}`);
    expect(object?.httpMetadata?.contentType).toBe('image/jpeg');
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(first);

    const second = jpegOf(1_048_576, 4);
    expect((await putThumbnail(file.id, second)).status).toBe(200);

    const { cookie } = await operator();
    const before = (await lineRequests(`/v2/bot/message/${message.messageId}/content/preview`)).length;
    const shown = await send('GET', `/files/${file.id}/preview`, { cookie });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-type')).toBe('image/jpeg');
    expect(shown.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(new Uint8Array(await shown.arrayBuffer())).toEqual(second);
    expect((await lineRequests(`/v2/bot/message/${message.messageId}/content/preview`)).length).toBe(before);
    // Signed out: still the sign-in redirect, not the picture.
    expect((await send('GET', `/files/${file.id}/preview`)).status).toBe(303);
    // Unsent afterwards: the stored thumbnail is no longer shown.
    await withDb((db) => db.update(lineFiles).set({ removeRequestedAt: new Date() }).where(eq(lineFiles.id, file.id)));
    const after = await send('GET', `/files/${file.id}/preview`, { cookie });
    expect(new Uint8Array(await after.arrayBuffer())).not.toEqual(second);
  });

  it('the console falls back to LINE when the thumbnail object is gone', async () => {
    const { file, message } = await syncedImage();
    expect((await putThumbnail(file.id, jpegOf(500))).status).toBe(200);
    await env.FILES.delete(`thumbs/${file.id}`);
    const { cookie } = await operator();
    const shown = await send('GET', `/files/${file.id}/preview`, { cookie });
    expect(shown.status).toBe(200);
    expect(new TextDecoder().decode(await shown.arrayBuffer())).toContain(`line-emulator:${message.messageId}`);
  });

  it('any headers a stranger sends get a 4xx, never a 5xx (property)', async () => {
    const { file } = await syncedImage();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          length: fc.oneof(fc.constant(null), fc.string({ maxLength: 12 }), fc.nat({ max: 2_000_000 }).map(String)),
          sha: fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[0-9a-f]{64}$/)),
          contentType: fc.oneof(fc.constant('image/jpeg'), fc.string({ maxLength: 40 })),
          body: fc.uint8Array({ maxLength: 300 }),
        }),
        async ({ length, sha, contentType, body }) => {
          const headers: Record<string, string> = {};
          const res = await putThumbnail(file.id, body, { length, sha, contentType, headers });
          expect(res.status).toBeGreaterThanOrEqual(200);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(res.json()).toEqual({ error: expect.any(String), message: expect.any(String) });
        },
      ),
      { numRuns: 40 },
    );
  });
});
