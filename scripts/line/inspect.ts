/**
 * After a delivery: wait until the bot has processed the events (their inbox rows leave
 * `processing`), then read what it stored and what it sent back to LINE (from the emulator).
 */
import pg from 'pg';
import type { WebhookBody, WebhookEvent } from './events.ts';

export interface InboxRow {
  webhook_event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

export interface EventReport {
  event: WebhookEvent;
  inbox?: InboxRow;
  /** The row(s) the event's handler wrote, as plain objects. */
  stored: Record<string, unknown>[];
}

export interface BotCall {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export interface Report {
  events: EventReport[];
  /** Replies and pushes the bot sent since the delivery. */
  sent: BotCall[];
  /** Every LINE API call since the delivery (profiles, summaries, content ...). */
  lineCalls: BotCall[];
  timedOut: boolean;
}

export async function inspectDelivery(options: {
  databaseUrl: string;
  emulatorUrl?: string;
  body: WebhookBody;
  /** Emulator requests from this time (ms) on are the bot's. */
  since: number;
  timeoutMs?: number;
}): Promise<Report> {
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const ids = options.body.events.map((e) => e.webhookEventId);
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let inbox: InboxRow[] = [];
    let timedOut = false;
    for (;;) {
      inbox = (
        await client.query<InboxRow>(
          'select webhook_event_id, event_type, status, attempts, last_error from line_webhook_events where webhook_event_id = any($1)',
          [ids],
        )
      ).rows;
      if (inbox.length === ids.length && inbox.every((r) => r.status !== 'processing')) break;
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const events: EventReport[] = [];
    for (const event of options.body.events) {
      events.push({ event, inbox: inbox.find((r) => r.webhook_event_id === event.webhookEventId), stored: await storedFor(client, event) });
    }
    const lineCalls = options.emulatorUrl ? await emulatorCalls(options.emulatorUrl, options.since) : [];
    const sent = lineCalls.filter((c) => /\/v2\/bot\/message\/(reply|push|multicast|broadcast|narrowcast)$/.test(c.path));
    return { events, sent, lineCalls, timedOut };
  } finally {
    await client.end();
  }
}

async function storedFor(client: pg.Client, event: WebhookEvent): Promise<Record<string, unknown>[]> {
  const source = event.source as { userId?: string; groupId?: string; roomId?: string } | undefined;
  const chatId = source?.groupId ?? source?.roomId;
  const q = async (sql: string, params: unknown[]) => (await client.query(sql, params)).rows as Record<string, unknown>[];
  const message = (id: string) =>
    q(
      `select 'line_messages' as "table", m.id, m.message_type, m.content, m.unsent_at, u.display_name as "from", g.name as "in",
              f.file_type, f.file_name, f.sync_status
         from line_messages m
         left join line_users u on u.id = m.line_user_id
         left join line_groups g on g.id = m.line_group_id
         left join line_files f on f.message_id = m.id
        where m.message_id = $1`,
      [id],
    );
  const user = (id: string) =>
    q(`select 'line_users' as "table", id, display_name, language, is_friend from line_users where line_user_id = $1`, [id]);
  const chat = (id: string) =>
    q(`select 'line_groups' as "table", id, source_type, name, member_count, is_active from line_groups where line_group_id = $1`, [id]);

  switch (event.type) {
    case 'message':
      return message(String((event.message as { id?: string }).id));
    case 'unsend':
      return message(String((event.unsend as { messageId?: string }).messageId));
    case 'follow':
    case 'unfollow':
      return source?.userId ? user(source.userId) : [];
    case 'join':
    case 'leave':
    case 'memberLeft':
      return chatId ? chat(chatId) : [];
    case 'memberJoined': {
      const joined = ((event.joined as { members?: Array<{ userId: string }> }).members ?? []).map((m) => m.userId);
      return [...(chatId ? await chat(chatId) : []), ...(await Promise.all(joined.map(user))).flat()];
    }
    default:
      return [];
  }
}

async function emulatorCalls(emulatorUrl: string, since: number): Promise<BotCall[]> {
  const res = await fetch(`${emulatorUrl}/__emulator/requests?since=${since}`);
  if (!res.ok) return [];
  const { requests } = (await res.json()) as { requests: BotCall[] };
  return requests.map(({ method, path, status, body }) => ({ method, path, status, body }));
}
