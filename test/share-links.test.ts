/**
 * Share links (`/s/:token`, `/s/:token/preview`): 404 unknown, 410 expired or revoked, the file
 * streamed from R2 with its headers, single byte ranges (206, 416), Content-Disposition with CJK
 * names, nothing a browser would run served as such, HEAD, download counts; and the admin API's
 * list and revoke.
 */
import { describe, expect, it } from 'vitest';
import { contentDisposition, parseRange, servedType } from '../src/routes/share';
import { adminFetch, expectJson } from './support/admin';
import { bytesOf, call, seedShareLink } from './support/nas';

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
  call(method, path, { token: null, headers });

describe('unknown, expired and revoked links', () => {
  it('404 for tokens that name nothing, malformed ones included', async () => {
    for (const token of [
      'AAAAAAAAAAAAAAAAAAAAAA',
      'short',
      'x'.repeat(200),
      '%00',
      '..%2F..',
      '中文',
      'AAAAAAAAAAAAAAAAAAAAA=',
    ]) {
      const res = await get(`/s/${token}`);
      expect(res.status, token).toBe(404);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.text()).toContain('找不到');
      expect((await get(`/s/${token}/preview`)).status).toBe(404);
    }
  });

  it('410 once expired or revoked, with a few words in Traditional Chinese', async () => {
    const file = { name: 'x.pdf', contentType: 'application/pdf', bytes: bytesOf(10) };
    const expired = await seedShareLink(file, { expiresAt: new Date(Date.now() - 1000) });
    const res = await get(`/s/${expired.token}`);
    expect(res.status).toBe(410);
    expect(res.text()).toContain('已過期');
    const revoked = await seedShareLink(file, { revokedAt: new Date() });
    const r = await get(`/s/${revoked.token}`);
    expect(r.status).toBe(410);
    expect(r.text()).toContain('撤銷');
    expect((await get(`/s/${revoked.token}`, {}, 'HEAD')).status).toBe(410);
  });

  it('503 with Retry-After when the database is unreachable: a moment away, not a broken link', async () => {
    const link = await seedShareLink({ name: 'x.pdf', contentType: 'application/pdf', bytes: bytesOf(10) });
    const res = await call('GET', `/s/${link.token}`, {
      token: null,
      env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(res.text()).toContain('稍後再試');
    expect((await get(`/s/${link.token}`)).status).toBe(200); // the same link, the database back
  });
});

describe('serving the file', () => {
  it('streams it whole with its type, length, ETag, ranges, no caching by others and a sandboxing CSP; counts downloads', async () => {
    const bytes = bytesOf(300_000, 11);
    const { token, link } = await seedShareLink({ name: '會議紀錄 2026.pdf', contentType: 'application/pdf', bytes });
    const res = await get(`/s/${token}`);
    expect(res.status).toBe(200);
    expect(res.bytes).toEqual(bytes);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': 'application/pdf',
      'content-length': '300000',
      'accept-ranges': 'bytes',
      'cache-control': 'private, max-age=0',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'content-disposition': `inline; filename="____ 2026.pdf"; filename*=UTF-8''${encodeURIComponent('會議紀錄 2026.pdf')}`,
    });
    expect(res.headers.get('etag')).toMatch(/^".+"$/);

    const head = await get(`/s/${token}`, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('300000');
    expect(head.headers.get('etag')).toBe(res.headers.get('etag'));

    await get(`/s/${token}`);
    const list = await expectJson(await adminFetch('GET', `/share-links?limit=200`), 200);
    const item = list.items.find((l: { id: string }) => l.id === link.id);
    expect(item).toMatchObject({ downloadCount: 2, state: 'active', fileName: '會議紀錄 2026.pdf' });
    expect(item.lastDownloadedAt).not.toBeNull();
  });

  it('single ranges: 206 with Content-Range; past the end 416; several ranges or nonsense: the whole file', async () => {
    const bytes = bytesOf(1000, 12);
    const { token } = await seedShareLink({ name: 'v.mp4', contentType: 'video/mp4', bytes });
    const cases: Array<[string, number, number]> = [
      ['bytes=0-9', 0, 10],
      ['bytes=990-', 990, 10],
      ['bytes=-100', 900, 100],
      ['bytes=500-5000', 500, 500],
      ['bytes=-5000', 0, 1000],
    ];
    for (const [range, offset, length] of cases) {
      const res = await get(`/s/${token}`, { range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${offset}-${offset + length - 1}/1000`);
      expect(res.headers.get('content-length')).toBe(String(length));
      expect(res.bytes).toEqual(bytes.slice(offset, offset + length));
    }
    for (const range of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0']) {
      const res = await get(`/s/${token}`, { range });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range')).toBe('bytes */1000');
    }
    for (const range of ['bytes=0-1,5-6', 'items=0-5', 'bytes=9-3', 'bytes=abc']) {
      const res = await get(`/s/${token}`, { range });
      expect(res.status, range).toBe(200);
      expect(res.bytes).toEqual(bytes);
    }
  });

  it('the preview of an image; 404 for a file without one', async () => {
    const preview = bytesOf(2000, 13);
    const { token } = await seedShareLink({
      name: '照片.jpg',
      contentType: 'image/jpeg',
      bytes: bytesOf(5000),
      preview,
    });
    const res = await get(`/s/${token}/preview`);
    expect(res.status).toBe(200);
    expect(res.bytes).toEqual(preview);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const ranged = await get(`/s/${token}/preview`, { range: 'bytes=0-99' });
    expect(ranged.status).toBe(206);
    expect(ranged.bytes).toEqual(preview.slice(0, 100));
    const noPreview = await seedShareLink({ name: 'a.pdf', contentType: 'application/pdf', bytes: bytesOf(10) });
    expect((await get(`/s/${noPreview.token}/preview`)).status).toBe(404);
  });

  it('HTML and SVG are downloads of octet-stream, never pages on our origin; office files are attachments', async () => {
    for (const [name, contentType] of [
      ['x.html', 'text/html'],
      ['logo.svg', 'image/svg+xml'],
      ['a.xml', 'application/xml'],
      ['s.js', 'text/javascript'],
    ]) {
      const { token } = await seedShareLink({
        name: name!,
        contentType: contentType!,
        bytes: new TextEncoder().encode('<script>alert(1)</script>'),
      });
      const res = await get(`/s/${token}`);
      expect(res.headers.get('content-type'), name).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition'), name).toMatch(/^attachment; /);
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    }
    const xlsx = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    const { token } = await seedShareLink({ name: '報價單.xlsx', contentType: xlsx, bytes: bytesOf(10) });
    const res = await get(`/s/${token}`);
    expect(res.headers.get('content-type')).toBe(xlsx);
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="___.xlsx"; filename*=UTF-8''%E5%A0%B1%E5%83%B9%E5%96%AE.xlsx`,
    );
  });
});

describe('pieces', () => {
  it('servedType, contentDisposition, parseRange', () => {
    expect(servedType('text/plain; charset=big5')).toEqual({ type: 'text/plain; charset=big5', inline: false });
    expect(servedType('image/png')).toEqual({ type: 'image/png', inline: true });
    expect(servedType('application/xhtml+xml').type).toBe('application/octet-stream');
    expect(servedType('application/vnd.mozilla.xul+xml').type).toBe('application/octet-stream');
    expect(contentDisposition('a"b\\c\n%.txt', false)).toBe(
      `attachment; filename="a_b_c__.txt"; filename*=UTF-8''a%22b_c_%25.txt`,
    );
    expect(contentDisposition('', true)).toBe(`inline; filename="file"; filename*=UTF-8''file`);
    expect(contentDisposition('x\ud800.txt', false)).toBe(
      `attachment; filename="x_.txt"; filename*=UTF-8''x%EF%BF%BD.txt`,
    );
    expect(parseRange(undefined, 10)).toBeNull();
    expect(parseRange('bytes=0-0', 10)).toEqual({ offset: 0, length: 1 });
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=-1', 0)).toBe('unsatisfiable');
  });
});

describe('admin: list and revoke', () => {
  it("lists a chat's links by state with cursor paging, and revokes (idempotent, 404 unknown)", async () => {
    const file = { name: 'r.pdf', contentType: 'application/pdf', bytes: bytesOf(10) };
    const a = await seedShareLink(file);
    const b = await seedShareLink(file, { expiresAt: new Date(Date.now() - 1000) });
    const mine = await expectJson(await adminFetch('GET', `/share-links?lineUserId=${a.request.lineUserId}`), 200);
    expect(mine.items.map((l: { id: string }) => l.id)).toEqual([a.link.id]);
    const expired = await expectJson(await adminFetch('GET', `/share-links?state=expired&limit=200`), 200);
    expect(expired.items.map((l: { id: string }) => l.id)).toContain(b.link.id);
    expect(expired.items.every((l: { state: string }) => l.state === 'expired')).toBe(true);
    const page1 = await expectJson(await adminFetch('GET', `/share-links?limit=1`), 200);
    expect(page1.items).toHaveLength(1);
    const page2 = await expectJson(await adminFetch('GET', `/share-links?limit=1&before=${page1.nextCursor}`), 200);
    expect(page2.items[0].id).not.toBe(page1.items[0].id);

    expect((await get(`/s/${a.token}`)).status).toBe(200);
    const revoked = await expectJson(await adminFetch('DELETE', `/share-links/${a.link.id}`), 200);
    expect(revoked).toMatchObject({ id: a.link.id, state: 'revoked' });
    const again = await expectJson(await adminFetch('DELETE', `/share-links/${a.link.id}`), 200);
    expect(again.revokedAt).toBe(revoked.revokedAt);
    expect((await get(`/s/${a.token}`)).status).toBe(410);
    expect((await adminFetch('DELETE', `/share-links/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await adminFetch('DELETE', `/share-links/nope`)).status).toBe(400);
    expect((await adminFetch('DELETE', `/share-links/${a.link.id}`, { token: null })).status).toBe(401);
    const revokedList = await expectJson(
      await adminFetch('GET', `/share-links?state=revoked&lineUserId=${a.request.lineUserId}`),
      200,
    );
    expect(revokedList.items.map((l: { id: string }) => l.id)).toEqual([a.link.id]);
  });
});
