/**
 * After a delivery: wait until the bot has processed the events (their inbox rows leave
 * `processing`) and has finished the AI answers they started (their Workflows run after the
 * event), then read what it stored and what it sent back to LINE (from the emulator).
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

/** An AI answer the event started (`line_ai_answers`), as it stood when the report was made. */
export interface AiAnswerRow {
  webhook_event_id: string;
  status: 'pending' | 'running' | 'answered' | 'failed';
  outcome: string | null;
  model: string | null;
  sent_by: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  /** Time spent waiting for Claude. */
  latency_ms: number | null;
  /** From the question's arrival to the answer sent and recorded. */
  total_ms: number | null;
  tool_calls: Array<{ name: string; ok: boolean }>;
  error: string | null;
}

export interface EventReport {
  event: WebhookEvent;
  inbox?: InboxRow;
  /** The AI answer the event asked for, if the bot decided to answer it. */
  answer?: AiAnswerRow;
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
  /** Processing, or an AI answer, was still unfinished when the wait ended. */
  timedOut: boolean;
}

export async function inspectDelivery(options: {
  databaseUrl: string;
  emulatorUrl?: string;
  body: WebhookBody;
  /** Emulator requests from this time (ms) on are the bot's. */
  since: number;
  timeoutMs?: number;
  /** How long to wait for AI answers once the events are processed (Claude takes seconds); default 60 s. */
  answerTimeoutMs?: number;
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
    // An answer's row is written with its event, so the events being done means every answer is there.
    const answerDeadline = Date.now() + (options.answerTimeoutMs ?? 60_000);
    let answers: AiAnswerRow[] = [];
    for (;;) {
      answers = await aiAnswers(client, ids);
      if (answers.every((a) => a.status === 'answered' || a.status === 'failed')) break;
      if (Date.now() > answerDeadline) {
        timedOut = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    const events: EventReport[] = [];
    for (const event of options.body.events) {
      events.push({
        event,
        inbox: inbox.find((r) => r.webhook_event_id === event.webhookEventId),
        answer: answers.find((a) => a.webhook_event_id === event.webhookEventId),
        stored: await storedFor(client, event),
      });
    }
    const lineCalls = options.emulatorUrl ? await settledCalls(options.emulatorUrl, options.since) : [];
    const sent = lineCalls.filter((c) =>
      /\/v2\/bot\/message\/(reply|push|multicast|broadcast|narrowcast)$/.test(c.path),
    );
    return { events, sent, lineCalls, timedOut };
  } finally {
    await client.end();
  }
}

async function aiAnswers(client: pg.Client, ids: string[]): Promise<AiAnswerRow[]> {
  try {
    const { rows } = await client.query<AiAnswerRow>(
      `select webhook_event_id, status, outcome, model, sent_by, input_tokens, output_tokens, cache_read_input_tokens,
              cache_creation_input_tokens, latency_ms, tool_calls, error,
              (extract(epoch from finished_at - created_at) * 1000)::int as total_ms
         from line_ai_answers where webhook_event_id = any($1)`,
      [ids],
    );
    return rows;
  } catch (e) {
    // A database from before the AI answers (some other webhook's): nothing to wait for.
    if ((e as { code?: string }).code === '42P01') return [];
    throw e;
  }
}

async function storedFor(client: pg.Client, event: WebhookEvent): Promise<Record<string, unknown>[]> {
  const source = event.source as { userId?: string; groupId?: string; roomId?: string } | undefined;
  const chatId = source?.groupId ?? source?.roomId;
  const q = async (sql: string, params: unknown[]) =>
    (await client.query(sql, params)).rows as Record<string, unknown>[];
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
    q(`select 'line_users' as "table", id, display_name, language, is_friend from line_users where line_user_id = $1`, [
      id,
    ]);
  const chat = (id: string) =>
    q(
      `select 'line_groups' as "table", id, source_type, name, member_count, is_active from line_groups where line_group_id = $1`,
      [id],
    );

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

/**
 * The bot's LINE calls once they stop coming: a reply goes out after its event's transaction
 * commits, so an event marked done may still have its reply in flight. Waits until two reads
 * 250 ms apart agree (3 s at most).
 */
async function settledCalls(emulatorUrl: string, since: number) {
  const deadline = Date.now() + 3_000;
  let calls = await emulatorCalls(emulatorUrl, since);
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const again = await emulatorCalls(emulatorUrl, since);
    if (again.length === calls.length || Date.now() > deadline) return again;
    calls = again;
  }
}
