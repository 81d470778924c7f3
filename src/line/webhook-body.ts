/**
 * Parsing a verified webhook body: just enough structure to record it, nothing that rejects new
 * LINE features. A body is a webhook when it is UTF-8 JSON, an object, with an `events` array;
 * every entry of that array is then recorded, each on its own: a damaged entry (not an object with a
 * non-empty string `type`) is kept as received with status `invalid` and takes nothing else down.
 */

export interface WebhookBody {
  /** The bot's user id; a value that is not a string is kept as its JSON text. */
  destination?: string;
  /** The entries of `events` as received, valid or not (see `isWebhookEvent`). */
  events: unknown[];
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
  return {
    destination:
      destination === undefined || typeof destination === 'string' ? destination : JSON.stringify(destination),
    events,
  };
}

/** An entry of `events` the bot can process: an object with a non-empty string `type`. */
export const isWebhookEvent = (entry: unknown): entry is WebhookEventObject =>
  isObject(entry) && typeof entry.type === 'string' && entry.type !== '';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
