/**
 * The `npm run line` sender as a library (the CLI in scripts/line.ts and the tests use it):
 * prepare the emulator (names, media bytes, transcript), post the signed body, then report what
 * the bot stored and sent.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SENT_LOG } from '../local/paths.ts';
import type { WebhookBody } from './events.ts';
import { inspectDelivery, type Report } from './inspect.ts';
import type { Chat, Person } from './people.ts';
import { EmulatorControl, postWebhook, type Delivery } from './send.ts';

export * as build from './events.ts';
export { lastButtons } from './buttons.ts';
export { Directory, type Chat, type Person } from './people.ts';
export { signature, type Delivery } from './send.ts';
export type { AiAnswerRow, Report } from './inspect.ts';
export type { WebhookBody, Source } from './events.ts';

export interface Target {
  webhookUrl: string;
  channelSecret: string;
  /** The LINE emulator the bot talks to (local stacks); enables media, names and the transcript. */
  emulatorUrl?: string;
  /** The bot's database, reachable from here; enables the "what was stored" report. */
  databaseUrl?: string;
}

export interface Attachment {
  messageId: string;
  bytes: Uint8Array;
  contentType: string;
}

export interface DeliverOptions {
  attachments?: Attachment[];
  /** People and chats the seed does not know: the emulator learns their names first. */
  adHoc?: { users?: Person[]; chats?: Chat[] };
  /** Wait for processing and report (needs `databaseUrl`); default true. */
  wait?: boolean;
  timeoutMs?: number;
  /** Append the body to the sent log (for `redeliver` and `unsend`); default false. */
  record?: boolean;
}

export interface Outcome {
  delivery: Delivery;
  report?: Report;
}

export async function deliver(target: Target, body: WebhookBody, options: DeliverOptions = {}): Promise<Outcome> {
  const emulator = target.emulatorUrl ? new EmulatorControl(target.emulatorUrl) : undefined;
  if (emulator) {
    for (const u of options.adHoc?.users ?? []) if (u.adHoc) await emulator.profile(u.userId, u.displayName);
    for (const c of options.adHoc?.chats ?? []) {
      if (c.adHoc) await (c.type === 'group' ? emulator.group(c.id, c.name) : emulator.room(c.id, c.name));
    }
    for (const a of options.attachments ?? []) await emulator.content(a.messageId, a.bytes, a.contentType);
    await emulator.reportSent(body);
  } else if (options.attachments?.length) {
    throw new Error('media needs the LINE emulator (its URL) to serve the bytes as message content');
  }

  const since = Date.now();
  const delivery = await postWebhook(target.webhookUrl, target.channelSecret, body);
  if (options.record) recordSent(target.webhookUrl, body);
  if (options.wait === false || !target.databaseUrl || delivery.status !== 200) return { delivery };
  const report = await inspectDelivery({
    databaseUrl: target.databaseUrl,
    emulatorUrl: target.emulatorUrl,
    body,
    since,
    timeoutMs: options.timeoutMs,
  });
  return { delivery, report };
}

// ---------------------------------------------------------------------------------------------
// The sent log: .local/line-sent.jsonl, one {at, url, body} per line

export interface SentEntry {
  at: string;
  url: string;
  body: WebhookBody;
}

function recordSent(url: string, body: WebhookBody, path = SENT_LOG): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify({ at: new Date().toISOString(), url, body })}\n`);
}

/** Most recent first. */
export function readSent(path = SENT_LOG): SentEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SentEntry)
    .reverse();
}
