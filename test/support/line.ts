/**
 * Building and posting webhook bodies the way LINE does: spec-shaped events, signed with the
 * channel secret, posted to the Worker with an execution context we can wait on.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../../src/index';
import { signBody } from '../../src/webhook/signature';

const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n / 2)), (b) => b.toString(16).padStart(2, '0')).join('');
let sequence = 0;

/** Fresh ids per test: all test files share one database. */
export const newId = {
  user: () => `U${hex(32)}`,
  group: () => `C${hex(32)}`,
  room: () => `R${hex(32)}`,
  message: () => `${Date.now()}${String(++sequence).padStart(4, '0')}${Math.floor(Math.random() * 1000)}`,
  event: () => `01TEST${hex(20).toUpperCase()}`,
  replyToken: () => hex(32),
};

export type SourceSpec = { userId: string; groupId?: string; roomId?: string };

function source(s: SourceSpec) {
  if (s.groupId) return { type: 'group', groupId: s.groupId, userId: s.userId };
  if (s.roomId) return { type: 'room', roomId: s.roomId, userId: s.userId };
  return { type: 'user', userId: s.userId };
}

/** A webhook event as the tests build it: LINE's common fields plus whatever the type carries. */
export type TestEvent = { type: string; webhookEventId: string; timestamp: number } & Record<string, unknown>;
export type TestMessageEvent = TestEvent & {
  replyToken: string;
  message: { id: string; type: string } & Record<string, unknown>;
};

export function event(type: string, src: SourceSpec | null, fields: Record<string, unknown> = {}): TestEvent {
  return {
    type,
    mode: 'active',
    timestamp: Date.now(),
    webhookEventId: newId.event(),
    deliveryContext: { isRedelivery: false },
    ...(src ? { source: source(src) } : {}),
    ...fields,
  };
}

export function messageEvent(
  src: SourceSpec,
  message: { type: string } & Record<string, unknown>,
  fields: Record<string, unknown> = {},
) {
  return event('message', src, {
    replyToken: newId.replyToken(),
    message: { id: newId.message(), quoteToken: hex(16), ...message },
    ...fields,
  }) as TestMessageEvent;
}

export const textEvent = (src: SourceSpec, text: string) => messageEvent(src, { type: 'text', text });

export function webhookBody(events: unknown[], destination = 'Uffffffffffffffffffffffffffffffff') {
  return JSON.stringify({ destination, events });
}

export interface PostOptions {
  secret?: string;
  signature?: string | null;
  headers?: Record<string, string>;
  env?: Partial<Env>;
}

/** Posts a body to the webhook and waits for its background processing (ctx.waitUntil) too. */
export async function postWebhook(body: string | Uint8Array, options: PostOptions = {}) {
  const signature =
    options.signature === undefined
      ? await signBody(options.secret ?? env.LINE_CHANNEL_SECRET, body)
      : options.signature;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (signature !== null) headers['x-line-signature'] = signature;
  const request = new Request('https://bot.example/api/linebot/webhook', { method: 'POST', headers, body });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, { ...env, ...options.env }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export const postEvents = (events: unknown[], options?: PostOptions) => postWebhook(webhookBody(events), options);
