/**
 * Posting a webhook body the way LINE does: the exact bytes signed with the channel secret
 * (X-Line-Signature = base64 HMAC-SHA256), JSON, to the bot's webhook URL.
 */
import { createHmac } from 'node:crypto';
import type { WebhookBody } from './events.ts';

export function signature(channelSecret: string, body: string | Buffer): string {
  return createHmac('sha256', channelSecret).update(body).digest('base64');
}

export interface Delivery {
  status: number;
  /** The response body (JSON when it parses). */
  response: unknown;
  ms: number;
  /** The bytes that were signed and sent. */
  raw: string;
}

export async function postWebhook(
  webhookUrl: string,
  channelSecret: string,
  body: WebhookBody | string,
): Promise<Delivery> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const started = performance.now();
  const res = await fetch(webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-line-signature': signature(channelSecret, raw),
      'user-agent': 'LineBotWebhook/2.0',
    },
    body: raw,
  });
  const text = await res.text();
  let response: unknown = text;
  try {
    response = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, response, ms: performance.now() - started, raw };
}

/** The emulator side: media bytes to serve as content, names for ad-hoc people, the transcript. */
export class EmulatorControl {
  constructor(readonly url: string) {}

  private async post(path: string, body: string | Uint8Array, contentType = 'application/json'): Promise<void> {
    const res = await fetch(`${this.url}/__emulator${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    if (!res.ok) throw new Error(`LINE emulator refused ${path}: ${res.status} ${await res.text()}`);
  }

  /** The bytes `GET /v2/bot/message/{id}/content` will serve. */
  content(messageId: string, bytes: Uint8Array, contentType: string) {
    return this.post(`/content/${encodeURIComponent(messageId)}`, bytes, contentType);
  }
  profile(userId: string, displayName: string) {
    return this.post('/profiles', JSON.stringify({ userId, displayName }));
  }
  group(groupId: string, groupName: string) {
    return this.post('/groups', JSON.stringify({ groupId, groupName }));
  }
  room(roomId: string, name: string) {
    return this.post('/rooms', JSON.stringify({ roomId, name }));
  }
  /** Tells the emulator what we sent: it prints the user's side of the chat and learns reply tokens. */
  reportSent(body: WebhookBody) {
    return this.post('/webhook', JSON.stringify(body));
  }
}
