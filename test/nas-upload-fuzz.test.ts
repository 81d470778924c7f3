/**
 * No input makes the NAS upload routes or the share links answer 5xx. fast-check throws random
 * methods, ids, headers (token, length, type, SHA-256) and bodies at /api/linebot/nas/*, against
 * real requests in every status as well as unknown ids, and random tokens, Range headers and
 * methods at /s/. Every answer is a documented status with the contract's body, and whatever a
 * request ends up as stays consistent: an uploaded file in R2 is exactly the declared bytes.
 */
import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bytesOf,
  call,
  loadRequest,
  NAS_TOKEN,
  seedSendRequest,
  seedShareLink,
  sha256,
  streamOf,
  type SendRequest,
} from './support/nas';

const RUNS = 150;
const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 80,
});
// Header values a client can send (workerd warns about, and re-encodes, non-ASCII ones).
const headerText = printable;
const hostileId = fc.oneof(
  fc.uuid(),
  fc.constantFrom(
    '',
    '0',
    '-1',
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    '..',
    '%00',
    '%2F',
    '中文',
    'x'.repeat(300),
  ),
  printable.map(encodeURIComponent),
);

describe('upload routes', () => {
  const requests: SendRequest[] = [];
  beforeAll(async () => {
    for (const status of [
      'uploading',
      'uploading',
      'uploading',
      'uploading',
      'pending',
      'uploaded',
      'sent',
      'failed',
    ] as const) {
      // Told already (sent_at) unless open: no Cron of another test file picks these up.
      const open = status === 'uploading' || status === 'pending';
      requests.push(
        (
          await seedSendRequest({
            size: 64,
            status,
            sentAt: open ? null : new Date(),
            eventAt: new Date(Date.now() - 120_000),
          })
        ).request,
      );
    }
  });

  it('never answers 5xx, always in the contract shape; an uploaded file is the declared bytes', async () => {
    const body = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(bytesOf(64)));
    const plan = fc.record({
      method: fc.constantFrom('PUT', 'PUT', 'POST', 'GET', 'DELETE', 'PATCH'),
      target: fc.oneof(
        fc.integer({ min: 0, max: requests.length - 1 }).map((i) => requests[i]!.id),
        hostileId,
      ),
      kind: fc.constantFrom('file', 'preview', 'failure', 'other', ''),
      token: fc.oneof(
        { weight: 6, arbitrary: fc.constant(NAS_TOKEN) },
        fc.constant(null),
        headerText,
        fc.constant(`${NAS_TOKEN} `),
      ),
      length: fc.oneof(
        { weight: 4, arbitrary: fc.constant('auto') },
        fc.constant(null),
        headerText,
        fc.nat().map(String),
        fc.constantFrom('1e3', '-1', '99999999999999999999', ' 64 '),
      ),
      contentType: fc.oneof(
        fc.constantFrom(
          'application/pdf',
          'image/jpeg',
          'image/png',
          'application/json',
          'text/plain; charset=utf-8',
          '',
        ),
        headerText,
      ),
      sha: fc.oneof(
        { weight: 3, arbitrary: fc.constant('right') },
        fc.constant(null),
        headerText,
        fc.stringMatching(/^[0-9a-f]{64}$/),
      ),
      body,
      json: fc.oneof(
        fc.constantFrom('missing', 'changed', 'outside_share', 'unreadable', 'too_large'),
        printable,
        fc.constant(null),
      ),
      asJson: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(plan, async (p) => {
        const bytes = p.asJson ? new TextEncoder().encode(JSON.stringify({ reason: p.json })) : p.body;
        const headers: Record<string, string> = {};
        if (p.token !== null) headers.authorization = `Bearer ${p.token}`;
        if (p.length !== null) headers['content-length'] = p.length === 'auto' ? String(bytes.byteLength) : p.length;
        if (p.contentType) headers['content-type'] = p.contentType;
        if (p.sha !== null) headers['x-content-sha256'] = p.sha === 'right' ? await sha256(bytes) : p.sha;
        const path = `/api/linebot/nas/send-requests/${p.target}${p.kind ? `/${p.kind}` : ''}`;
        const hasBody = p.method !== 'GET';
        const res = await call(p.method, path, { token: null, headers, body: hasBody ? streamOf(bytes) : null });
        const where = `${p.method} ${path} ${JSON.stringify(headers)} -> ${res.status} ${res.text().slice(0, 200)}`;
        expect(res.status, where).toBeLessThan(500);
        expect([200, 400, 401, 404, 409, 411, 413, 422], where).toContain(res.status);
        const json = res.json();
        if (res.status === 200) expect(['stored', 'uploaded', 'failed'], where).toContain(json.status);
        else if (res.status !== 404 || p.token === NAS_TOKEN)
          expect(typeof (json.error?.code ?? json.error), where).toBe('string');
      }),
      { numRuns: RUNS },
    );
    for (const r of requests) {
      const row = await loadRequest(r.id);
      if (row.r2Key && (row.status === 'uploaded' || row.status === 'sent')) {
        const object = await env.FILES.get(row.r2Key);
        const stored = new Uint8Array(await object!.arrayBuffer());
        expect(stored.byteLength).toBe(row.size);
        expect(await sha256(stored)).toBe(row.sha256);
      }
      // Statuses only move forward.
      if (r.status !== 'uploading')
        expect(row.status === r.status || (r.status === 'uploaded' && row.status === 'sent')).toBe(true);
    }
  });
});

describe('share links', () => {
  it('never answers 5xx to random tokens, Range headers and methods; a 206 is the bytes it says', async () => {
    const bytes = bytesOf(5000, 21);
    const real = await seedShareLink({ name: '圖.jpg', contentType: 'image/jpeg', bytes, preview: bytesOf(100) });
    const token = fc.oneof(
      { weight: 3, arbitrary: fc.constant(real.token) },
      fc.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      printable.map(encodeURIComponent),
      fc.constantFrom('', '%', '%zz', '%ED%A0%80', '..', 'a/b'),
    );
    const n = fc
      .oneof(fc.nat({ max: 6000 }), fc.constantFrom(0, 4999, 5000, 5001, Number.MAX_SAFE_INTEGER))
      .map(String);
    const range = fc.oneof(
      fc.constant(null),
      fc.tuple(n, n).map(([a, b]) => `bytes=${a}-${b}`),
      n.map((a) => `bytes=${a}-`),
      n.map((b) => `bytes=-${b}`),
      fc.tuple(n, n, n, n).map(([a, b, c, d]) => `bytes=${a}-${b},${c}-${d}`),
      headerText,
    );
    await fc.assert(
      fc.asyncProperty(
        token,
        fc.constantFrom('', '/preview', '/x', '/preview/x'),
        range,
        fc.constantFrom('GET', 'HEAD', 'POST', 'DELETE'),
        async (t, suffix, r, method) => {
          const headers: Record<string, string> = r === null ? {} : { range: r };
          const res = await call(method, `/s/${t}${suffix}`, { token: null, headers });
          const where = `${method} /s/${t}${suffix} range=${r} -> ${res.status}`;
          expect(res.status, where).toBeLessThan(500);
          if (res.status === 206 && method === 'GET') {
            const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
            expect(m, where).not.toBeNull();
            const [start, end] = [Number(m![1]), Number(m![2])];
            const whole = suffix === '/preview' ? bytesOf(100) : bytes;
            expect(res.bytes, where).toEqual(whole.slice(start, end + 1));
          }
          if (res.status === 200 && method === 'GET' && suffix === '') expect(res.bytes, where).toEqual(bytes);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
