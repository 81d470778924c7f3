/** The LINE client against the emulator: errors, retries, reply, push with retry keys, text limits. */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createLineClient } from '../src/line/client';
import { LineApiError } from '../src/line/errors';
import { MAX_TEXT_LENGTH, splitText, textMessages } from '../src/line/messages';
import { addFault, lineRequests, violations } from './support/emulator';
import { newId } from './support/line';

const started = Date.now();
const client = () =>
  createLineClient({
    channelAccessToken: env.LINE_CHANNEL_ACCESS_TOKEN,
    apiBaseUrl: env.LINE_API_BASE_URL,
    dataApiBaseUrl: env.LINE_DATA_API_BASE_URL,
    retryBaseDelayMs: 5,
  });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('errors', () => {
  it('a refused call becomes one LineApiError with status, message, details and x-line-request-id', async () => {
    const userId = newId.user();
    await addFault({
      path: `/v2/bot/profile/${userId}`,
      status: 400,
      body: { message: 'The request body has 1 error(s)', details: [{ message: 'must be specified', property: 'to' }] },
    });
    const err = await client()
      .getProfile(userId)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LineApiError);
    const e = err as LineApiError;
    expect(e.status).toBe(400);
    expect(e.lineMessage).toBe('The request body has 1 error(s)');
    expect(e.details).toEqual([{ message: 'must be specified', property: 'to' }]);
    expect(e.requestId).toMatch(/\S+/);
    expect(e.isRetryable).toBe(false);
    // 4xx is not retried.
    expect(await lineRequests(userId)).toHaveLength(1);
  });

  it('a network failure is an error with status 0', async () => {
    const line = createLineClient({ channelAccessToken: 't', apiBaseUrl: 'http://127.0.0.1:1', maxRetries: 0 });
    const err = (await line.getProfile('U1').catch((e: unknown) => e)) as LineApiError;
    expect(err).toBeInstanceOf(LineApiError);
    expect(err.status).toBe(0);
  });
});

describe('retries', () => {
  it('GET retries 5xx with backoff and succeeds', async () => {
    const userId = newId.user();
    await addFault({ path: `/v2/bot/profile/${userId}`, status: 502, times: 2 });
    const profile = await client().getProfile(userId);
    expect(profile.userId).toBe(userId);
    expect((await lineRequests(userId)).map((r) => r.status)).toEqual([502, 502, 200]);
  });

  it('GET retries 429 and honours Retry-After', async () => {
    const groupId = newId.group();
    await addFault({
      path: `/v2/bot/group/${groupId}/summary`,
      status: 429,
      times: 1,
      body: { message: 'rate limited' },
    });
    const summary = await client().getGroupSummary(groupId);
    expect(summary.groupId).toBe(groupId);
    expect((await lineRequests(groupId)).map((r) => r.status)).toEqual([429, 200]);
  });

  it('GET gives up after its retries with the last error', async () => {
    const userId = newId.user();
    await addFault({ path: `/v2/bot/profile/${userId}`, status: 500, times: 10, body: { message: 'still down' } });
    const err = (await client()
      .getProfile(userId)
      .catch((e: unknown) => e)) as LineApiError;
    expect(err.status).toBe(500);
    expect(err.isRetryable).toBe(true);
    expect(await lineRequests(userId)).toHaveLength(3);
  });
});

describe('reply and push', () => {
  it('replyMessage sends a spec-valid body and returns sentMessages; a token works once', async () => {
    const replyToken = newId.replyToken();
    const sent = await client().replyMessage(replyToken, textMessages('你好'));
    expect(sent.sentMessages).toHaveLength(1);
    const again = (await client()
      .replyMessage(replyToken, textMessages('again'))
      .catch((e: unknown) => e)) as LineApiError;
    expect(again.status).toBe(400);
  });

  it('replyMessage refuses more than 5 messages before calling LINE', async () => {
    const messages = Array.from({ length: 6 }, (_, i) => ({ type: 'text' as const, text: `m${i}` }));
    await expect(client().replyMessage(newId.replyToken(), messages)).rejects.toThrow(RangeError);
  });

  it('pushMessage sends 5 messages per request, each with its own X-Line-Retry-Key', async () => {
    const to = newId.user();
    const messages = Array.from({ length: 12 }, (_, i) => ({ type: 'text' as const, text: `line ${i}` }));
    const results = await client().pushMessage(to, messages);
    expect(results.map((r) => r.sentMessages.length)).toEqual([5, 5, 2]);
    const pushes = (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to: string }).to === to);
    expect(pushes.map((r) => (r.body as { messages: unknown[] }).messages.length)).toEqual([5, 5, 2]);
    const keys = pushes.map((r) => r.headers['x-line-retry-key']);
    for (const key of keys) expect(key).toMatch(UUID);
    expect(new Set(keys).size).toBe(3);
  });

  it('a push retried with the same key is delivered once: LINE answers 409, which counts as success', async () => {
    const to = newId.user();
    const key = crypto.randomUUID();
    await client().pushMessage(to, textMessages('once'), key);
    const second = await client().pushMessage(to, textMessages('once'), key);
    expect(second).toHaveLength(1);
    const pushes = (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to: string }).to === to);
    expect(pushes.map((r) => r.status)).toEqual([200, 409]);
  });

  it('a push that hits a 500 is retried with the same key', async () => {
    const to = newId.user();
    await addFault({ method: 'POST', path: '/v2/bot/message/push', status: 500, times: 1 });
    await client().pushMessage(to, textMessages('after a 500'));
    const pushes = (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to?: string })?.to === to);
    expect(pushes.length).toBeGreaterThanOrEqual(1);
    const keys = new Set(pushes.map((r) => r.headers['x-line-retry-key']));
    expect(keys.size).toBe(1);
    expect(pushes.at(-1)?.status).toBe(200);
  });
});

describe('text limits', () => {
  it('splits text over 5000 UTF-16 code units', () => {
    const pieces = splitText('a'.repeat(12_000));
    expect(pieces.map((p) => p.length)).toEqual([5000, 5000, 2000]);
    expect(pieces.join('')).toBe('a'.repeat(12_000));
  });

  it('never splits a surrogate pair', () => {
    const text = 'a'.repeat(4999) + '😀' + 'b';
    const pieces = splitText(text);
    expect(pieces[0]).toBe('a'.repeat(4999));
    expect(pieces[1]).toBe('😀b');
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
  });

  it('prefers a line break near the limit', () => {
    const text = 'x'.repeat(4500) + '\n' + 'y'.repeat(1000);
    expect(splitText(text)).toEqual(['x'.repeat(4500) + '\n', 'y'.repeat(1000)]);
  });

  it('short text is one message', () => {
    expect(textMessages('hi')).toEqual([{ type: 'text', text: 'hi' }]);
  });
});

describe('the emulator saw only spec-valid requests', () => {
  it('no violations from this file', async () => {
    const bad = (await violations()).filter((v) => v.at >= started);
    expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
  });
});
