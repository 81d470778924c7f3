/**
 * X-Line-Signature: LINE's SDK vectors (valid and invalid), checked both on the verifier and
 * through the webhook route, and the route's answers to unsigned, oversize and malformed bodies.
 */
import { env } from 'cloudflare:test';
import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lineWebhookEvents } from '@linebot-edge/shared/schema';
import { inboxKey } from '../src/inbox/record';
import { signBody, verifySignature } from '../src/webhook/signature';
import vectorsFile from './fixtures/signature-vectors.json';
import { withDb } from './support/db';
import { event, newId, postWebhook, webhookBody } from './support/line';

const bodyFiles = import.meta.glob<string>('./fixtures/webhook-examples/*.json', {
  query: '?raw',
  import: 'default',
  eager: true,
});

interface Vector {
  id: string;
  channel_secret: string;
  body_utf8?: string;
  body_file?: string;
  body_bytes: number;
  valid_signature: string;
  invalid_signatures: string[];
}
const vectors = (vectorsFile as { vectors: Vector[] }).vectors;

const bodyOf = (v: Vector): Uint8Array => {
  const text = v.body_file ? bodyFiles[`./fixtures/${v.body_file}`] : v.body_utf8;
  if (text === undefined) throw new Error(`vector ${v.id}: body not found`);
  return new TextEncoder().encode(text);
};

describe('signature vectors from the LINE SDKs', () => {
  it('has all 10 vectors with their exact bodies', () => {
    expect(vectors).toHaveLength(10);
    for (const v of vectors) expect(bodyOf(v).byteLength, v.id).toBe(v.body_bytes);
  });

  it.each(vectors.map((v) => [v.id, v] as const))('%s: the valid signature verifies', async (_id, v) => {
    expect(await verifySignature(v.channel_secret, bodyOf(v), v.valid_signature)).toBe(true);
    expect(await signBody(v.channel_secret, bodyOf(v))).toBe(v.valid_signature);
  });

  it.each(vectors.map((v) => [v.id, v] as const))(
    '%s: invalid signatures and other secrets are refused',
    async (_id, v) => {
      for (const bad of v.invalid_signatures)
        expect(await verifySignature(v.channel_secret, bodyOf(v), bad)).toBe(false);
      expect(await verifySignature(`${v.channel_secret}x`, bodyOf(v), v.valid_signature)).toBe(false);
      const tampered = bodyOf(v);
      tampered[0] = tampered[0]! ^ 1;
      expect(await verifySignature(v.channel_secret, tampered, v.valid_signature)).toBe(false);
    },
  );

  it.each(vectors.map((v) => [v.id, v] as const))('%s: the route accepts only the valid signature', async (_id, v) => {
    const options = { env: { LINE_CHANNEL_SECRET: v.channel_secret } };
    const ok = await postWebhook(bodyOf(v), { ...options, signature: v.valid_signature });
    // Some vectors sign bodies that are not webhooks ({"hello":"world"}): past the signature they get 400.
    expect([200, 400], await ok.clone().text()).toContain(ok.status);
    for (const bad of v.invalid_signatures) {
      const res = await postWebhook(bodyOf(v), { ...options, signature: bad });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    }
  });
});

async function storedCount(webhookEventId: string) {
  const [row] = await withDb((db) =>
    db.select({ n: count() }).from(lineWebhookEvents).where(eq(lineWebhookEvents.webhookEventId, webhookEventId)),
  );
  return row!.n;
}

describe('webhook request checks', () => {
  it('401 without a signature, nothing stored', async () => {
    const ev = event('follow', { userId: newId.user() });
    const res = await postWebhook(webhookBody([ev]), { signature: null });
    expect(res.status).toBe(401);
    expect(await storedCount(ev.webhookEventId)).toBe(0);
  });

  it('401 for a signature made with another secret, nothing stored', async () => {
    const ev = event('follow', { userId: newId.user() });
    const body = webhookBody([ev]);
    const res = await postWebhook(body, { signature: await signBody('not-the-secret', body) });
    expect(res.status).toBe(401);
    expect(await storedCount(ev.webhookEventId)).toBe(0);
  });

  it('401 for a signature that is not base64 of 32 bytes', async () => {
    for (const signature of ['', 'abc', '!!!!', 'A'.repeat(88)]) {
      const res = await postWebhook(webhookBody([]), { signature });
      expect(res.status, signature).toBe(401);
    }
  });

  it('accepts the signature header in any letter case', async () => {
    const body = webhookBody([]);
    const sig = await signBody(env.LINE_CHANNEL_SECRET, body);
    const res = await postWebhook(body, { signature: null, headers: { 'X-LINE-SIGNATURE': sig } });
    expect(res.status).toBe(200);
  });

  it('a signature over re-serialised JSON does not verify the original bytes', async () => {
    const ev = event('follow', { userId: newId.user() });
    const pretty = JSON.stringify({ events: [ev] }, null, 2);
    const res = await postWebhook(pretty, {
      signature: await signBody(env.LINE_CHANNEL_SECRET, JSON.stringify({ events: [ev] })),
    });
    expect(res.status).toBe(401);
  });

  it('200 at once for the Verify button body {"events": []}', async () => {
    const res = await postWebhook('{"events":[]}');
    expect(res.status).toBe(200);
  });

  it('413 for a body over 1 MiB, before anything else', async () => {
    const big = JSON.stringify({ events: [], pad: 'x'.repeat(1024 * 1024) });
    const res = await postWebhook(big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it.each([
    ['not JSON', 'hello'],
    ['a JSON array', '[]'],
    ['no events', '{"destination":"U1"}'],
    ['events not an array', '{"events":{}}'],
  ])('400 for a signed body that is not a webhook: %s', async (_name, body) => {
    const res = await postWebhook(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_body' } });
  });

  // A webhook with a damaged entry is still a webhook: the entry is kept as `invalid` (test/inbox.test.ts).
  it.each([
    ['an event without a type', '{"events":[{"timestamp":1}]}'],
    ['an event that is not an object', '{"events":["follow"]}'],
    ['a destination that is not a string', '{"destination":1,"events":[]}'],
  ])('200 for a signed webhook with %s', async (_name, body) => {
    const res = await postWebhook(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
  });

  it('400 for a body that is not UTF-8', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x65, 0x22, 0x3a, 0xff, 0x7d]);
    const res = await postWebhook(bytes);
    expect(res.status).toBe(400);
  });

  it('a signed event with a known key is recorded under that key', async () => {
    const ev = event('postback', { userId: newId.user() }, { postback: { data: 'a=1' } });
    expect(await inboxKey(ev)).toBe(ev.webhookEventId);
    expect((await postWebhook(webhookBody([ev]))).status).toBe(200);
    expect(await storedCount(ev.webhookEventId)).toBe(1);
  });
});
