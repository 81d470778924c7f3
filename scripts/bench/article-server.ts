/**
 * Baseline: the seed article's approach, for the per-message cost comparison. An Express-style
 * Node handler behind `@line/bot-sdk`'s middleware that, for every group message, asks LINE for
 * the sender's profile, the group summary and the member count (three API calls, every time),
 * then looks up and upserts the user and the group and inserts the message: a query per lookup,
 * one round trip each, no transaction, no inbox. It answers LINE after processing, as the SDK's
 * samples do. Same tables as ours (the article's: UUID ids, `line_groups.name`), through `pg`.
 *
 * Run as a child process: prints {"port": N} when listening; GET /__stats counts its LINE calls
 * and queries; SIGTERM stops it.
 */
import { messagingApi, middleware } from '@line/bot-sdk';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

interface Config {
  secret: string;
  accessToken: string;
  lineApiUrl: string;
  databaseUrl: string;
}

type Source = { type: string; userId?: string; groupId?: string; roomId?: string };
type LineEvent = {
  type: string;
  timestamp: number;
  source?: Source;
  replyToken?: string;
  message?: Record<string, unknown> & { id: string; type: string };
};

export async function startArticleServer(config: Config, port = 0, host = '127.0.0.1') {
  const line = new messagingApi.MessagingApiClient({
    channelAccessToken: config.accessToken,
    baseURL: config.lineApiUrl,
  });
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
  const stats = { lineCalls: 0, queries: 0, groupMessages: 0, messages: 0, failed: 0, inFlight: 0 };
  const query = (text: string, values: unknown[]) => {
    stats.queries++;
    return pool.query(text, values);
  };
  const call = <T>(p: Promise<T>) => {
    stats.lineCalls++;
    return p;
  };

  async function upsertUser(userId: string, profile: { displayName: string; pictureUrl?: string }): Promise<string> {
    const found = await query('select id from line_users where line_user_id = $1', [userId]);
    if (found.rows[0]) {
      await query('update line_users set display_name = $2, picture_url = $3, updated_at = now() where id = $1', [
        found.rows[0].id,
        profile.displayName,
        profile.pictureUrl ?? null,
      ]);
      return found.rows[0].id as string;
    }
    const inserted = await query(
      'insert into line_users (line_user_id, display_name, picture_url) values ($1, $2, $3) on conflict (line_user_id) do update set display_name = excluded.display_name returning id',
      [userId, profile.displayName, profile.pictureUrl ?? null],
    );
    return inserted.rows[0].id as string;
  }

  async function upsertGroup(groupId: string, name: string, count: number): Promise<string> {
    const found = await query('select id from line_groups where line_group_id = $1', [groupId]);
    if (found.rows[0]) {
      await query('update line_groups set name = $2, member_count = $3, updated_at = now() where id = $1', [
        found.rows[0].id,
        name,
        count,
      ]);
      return found.rows[0].id as string;
    }
    const inserted = await query(
      'insert into line_groups (line_group_id, name, member_count) values ($1, $2, $3) on conflict (line_group_id) do update set name = excluded.name returning id',
      [groupId, name, count],
    );
    return inserted.rows[0].id as string;
  }

  async function handleEvent(event: LineEvent): Promise<void> {
    if (event.type !== 'message' || !event.message || !event.source?.userId) return;
    stats.messages++;
    const { source, message } = event;
    let userPk: string;
    let groupPk: string | null = null;
    if (source.type === 'group' && source.groupId) {
      stats.groupMessages++;
      const [profile, summary, count] = await Promise.all([
        call(line.getGroupMemberProfile(source.groupId, source.userId!)),
        call(line.getGroupSummary(source.groupId)),
        call(line.getGroupMemberCount(source.groupId)),
      ]);
      userPk = await upsertUser(source.userId!, profile);
      groupPk = await upsertGroup(source.groupId, summary.groupName, count.count);
    } else {
      userPk = await upsertUser(source.userId!, await call(line.getProfile(source.userId!)));
    }
    await query(
      `insert into line_messages (message_id, line_user_id, line_group_id, source_type, message_type, content, reply_token, raw_message, sent_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9 / 1000.0)) on conflict (message_id) do nothing`,
      [
        message.id,
        userPk,
        groupPk,
        source.type,
        message.type,
        typeof message.text === 'string' ? message.text : null,
        event.replyToken ?? null,
        message,
        event.timestamp,
      ],
    );
  }

  const verify = middleware({ channelSecret: config.secret });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/__stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    verify(req as Parameters<typeof verify>[0], res, (err?: Error) => {
      if (err) {
        res.writeHead(err.name === 'SignatureValidationFailed' ? 401 : 400).end();
        return;
      }
      const events = ((req as unknown as { body: { events: LineEvent[] } }).body.events ?? []) as LineEvent[];
      stats.inFlight++;
      Promise.all(events.map(handleEvent))
        .then(
          () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
          (e: unknown) => {
            if (stats.failed++ === 0) console.error(`article server: ${(e as Error).message}`);
            res.writeHead(500).end();
          },
        )
        .finally(() => stats.inFlight--);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.close();
      await pool.end();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = JSON.parse(process.argv[2] ?? '{}') as Config;
  const { port } = await startArticleServer(config);
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
