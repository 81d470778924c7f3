/** Parsing a verified webhook body: just enough structure to record it, nothing that rejects new LINE features. */

export interface WebhookBody {
  destination?: string;
  events: WebhookEventObject[];
}

/** An event as received. Only `type` is required here: unknown types are recorded, not refused. */
export type WebhookEventObject = { type: string } & Record<string, unknown>;

export class InvalidWebhookBody extends Error {
  override readonly name = 'InvalidWebhookBody';
}

export function parseWebhookBody(bytes: ArrayBuffer): WebhookBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw new InvalidWebhookBody('body is not UTF-8 JSON');
  }
  if (!isObject(parsed)) throw new InvalidWebhookBody('body is not a JSON object');
  const { destination, events } = parsed;
  if (!Array.isArray(events)) throw new InvalidWebhookBody('"events" must be an array');
  if (destination !== undefined && typeof destination !== 'string') {
    throw new InvalidWebhookBody('"destination" must be a string');
  }
  events.forEach((event, i) => {
    if (!isObject(event) || typeof event.type !== 'string' || event.type === '') {
      throw new InvalidWebhookBody(`events[${i}] must be an object with a string "type"`);
    }
  });
  return { destination, events: events as WebhookEventObject[] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
