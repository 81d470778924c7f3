/**
 * `npm run line -- <event> ...`: talk to the bot as LINE would. Builds a spec-shaped webhook body,
 * signs it with the channel secret from .dev.vars, posts it to the running `npm run dev` (or
 * --url), then prints what the bot stored and sent. Run `npm run line -- help`.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { readSeedFile, type Names } from './line-emulator/index.ts';
import { describeBotMessages } from './line-emulator/transcript.ts';
import { localChannelSecret } from './local/dev-vars.ts';
import { DEFAULT_SEED_FILE } from './local/paths.ts';
import { UserError } from './local/ports.ts';
import { WEBHOOK_PATH } from './local/stack.ts';
import { readStackState } from './local/state.ts';
import {
  build,
  deliver,
  Directory,
  lastButtons,
  readSent,
  type AiAnswerRow,
  type Attachment,
  type Chat,
  type Outcome,
  type Person,
  type Source,
  type Target,
  type WebhookBody,
} from './line/index.ts';

const HELP = `npm run line -- <event> [arguments] [options]

events
  text <words...>            a text message; @alice, @bob ... mention seed users, @bot the bot, @All everyone.
                             A bound user's question (1:1, or @bot in a group with AI on) is answered by
                             Claude: the report waits for the answer and shows it
  image|video|audio|file <path>   media from a local file (the emulator serves its bytes as content)
  sticker [packageId stickerId]
  location [title] [--address A] [--lat N] [--lng N]
  follow [--unblocked] | unfollow          (1:1, from --user)
  join | leave                             (the bot; needs --group or --room)
  member-joined [names...] | member-left [names...]   (default: --user)
  unsend [messageId]         default: the last message --user sent in this chat
  redeliver [--nth N]        repost the last (or Nth last) body with isRedelivery true
  postback <data>            a tap on a button whose data is <data>
  tap [n]                    tap button n (1 = the first) of the bot's latest message with buttons in this
                             chat, as LINE would (a signed postback); without n: list the buttons

options
  --user <name|id>           who speaks (default alice; names come from scripts/local/seed.json)
  --group <name|id>          in a group (e.g. ops), or --room <name|id>; neither: a 1:1 chat
  --quote <messageId>        text only: quote an earlier message
  --duration <ms>            video/audio length
  --url <webhook URL>        default: the running \`npm run dev\`, else http://127.0.0.1:8787${WEBHOOK_PATH}
  --secret <secret>          default: LINE_CHANNEL_SECRET from .dev.vars
  --emulator <url>           the LINE emulator (default: the running \`npm run dev\`'s)
  --database-url <url>       read back what was stored (default: the running \`npm run dev\`'s)
  --seed <file>              default scripts/local/seed.json
  --no-wait                  do not wait for processing (nor for an AI answer)
  --json                     print the outcome as JSON`;

const MIME: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.m4a': 'audio/x-m4a',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.zip': 'application/zip',
};

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      user: { type: 'string', default: 'alice' },
      group: { type: 'string' },
      room: { type: 'string' },
      quote: { type: 'string' },
      duration: { type: 'string' },
      address: { type: 'string' },
      lat: { type: 'string' },
      lng: { type: 'string' },
      unblocked: { type: 'boolean', default: false },
      nth: { type: 'string', default: '1' },
      url: { type: 'string' },
      secret: { type: 'string' },
      emulator: { type: 'string' },
      'database-url': { type: 'string' },
      seed: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command || command === 'help') {
    console.log(HELP);
    return command || values.help ? 0 : 2;
  }
  if (values.group && values.room) throw new UserError('--group or --room, not both');

  // Where to: the running `npm run dev` unless told otherwise.
  const state = readStackState();
  const webhookUrl = values.url ?? state?.webhookUrl ?? `http://127.0.0.1:8787${WEBHOOK_PATH}`;
  const ours = state !== undefined && webhookUrl === state.webhookUrl;
  const target: Target = {
    webhookUrl,
    channelSecret: values.secret ?? localChannelSecret(),
    emulatorUrl: values.emulator ?? (ours ? state.emulatorUrl : undefined),
    databaseUrl: values['database-url'] ?? (ours ? state.databaseUrl : undefined),
  };

  const directory = new Directory(readSeedFile(values.seed ?? DEFAULT_SEED_FILE));
  const user = directory.user(values.user);
  const chat: Chat | undefined = values.group
    ? directory.chat('group', values.group)
    : values.room
      ? directory.chat('room', values.room)
      : undefined;
  const source: Source = chat
    ? chat.type === 'group'
      ? build.inGroup(chat.id, user.userId)
      : build.inRoom(chat.id, user.userId)
    : build.inUser(user.userId);
  const chatSource = (): Source => {
    if (!chat) throw new UserError(`${command} needs --group or --room`);
    return chat.type === 'group' ? build.inGroup(chat.id) : build.inRoom(chat.id);
  };
  const people = (names: string[]): Person[] =>
    (names.length > 0 ? names : [values.user]).map((n) => directory.user(n));
  const duration = values.duration === undefined ? undefined : Number(values.duration);

  const attachments: Attachment[] = [];
  const adHocUsers: Person[] = [user];
  let body: WebhookBody;
  const one = (event: build.WebhookEvent) => build.webhookBody(directory.botUserId, [event]);

  switch (command) {
    case 'text': {
      if (args.length === 0) throw new UserError('text needs the message, e.g. npm run line -- text "hello @bob"');
      body = one(build.text(source, args.join(' '), directory.mentionable(), values.quote));
      break;
    }
    case 'image':
    case 'video':
    case 'audio':
    case 'file': {
      const path = args[0];
      if (!path) throw new UserError(`${command} needs a local file, e.g. npm run line -- ${command} ./photo.jpg`);
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch (e) {
        throw new UserError(`cannot read ${path}: ${(e as Error).message}`);
      }
      const event = build.media(source, command, {
        fileName: basename(path),
        fileSize: statSync(path).size,
        durationMs: duration,
      });
      const messageId = (event.message as { id: string }).id;
      attachments.push({
        messageId,
        bytes,
        contentType: MIME[extname(path).toLowerCase()] ?? 'application/octet-stream',
      });
      body = one(event);
      break;
    }
    case 'sticker':
      body = one(build.sticker(source, args[0], args[1]));
      break;
    case 'location':
      body = one(
        build.location(source, {
          title: args.join(' ') || 'Tower B site office',
          address: values.address ?? 'No. 7, Section 5, Xinyi Road, Taipei',
          latitude: Number(values.lat ?? 25.033964),
          longitude: Number(values.lng ?? 121.564468),
        }),
      );
      break;
    case 'follow':
      body = one(build.follow(user.userId, values.unblocked));
      break;
    case 'unfollow':
      body = one(build.unfollow(user.userId));
      break;
    case 'join':
      body = one(build.join(chatSource()));
      break;
    case 'leave':
      body = one(build.leave(chatSource()));
      break;
    case 'member-joined':
    case 'memberJoined': {
      const joined = people(args);
      adHocUsers.push(...joined);
      body = one(
        build.memberJoined(
          chatSource(),
          joined.map((p) => p.userId),
        ),
      );
      break;
    }
    case 'member-left':
    case 'memberLeft': {
      const left = people(args);
      body = one(
        build.memberLeft(
          chatSource(),
          left.map((p) => p.userId),
        ),
      );
      break;
    }
    case 'unsend': {
      const messageId = args[0] ?? lastMessageFrom(source);
      if (!messageId) throw new UserError(`no earlier message from ${user.name} here to unsend; pass its id`);
      body = one(build.unsend(source, messageId));
      break;
    }
    case 'redeliver': {
      const entry = readSent()[Number(values.nth) - 1];
      if (!entry) throw new UserError('nothing sent yet to redeliver');
      body = build.redelivery(entry.body);
      break;
    }
    case 'postback':
      body = one(build.postback(source, args.join(' ') || 'action=menu'));
      break;
    case 'tap': {
      if (!target.emulatorUrl)
        throw new UserError('tap reads the bot’s messages from the LINE emulator: pass --emulator');
      const buttons = await lastButtons(target.emulatorUrl, chat ? chatSource() : source, readSent());
      if (buttons.length === 0) throw new UserError('the bot’s messages in this chat have no buttons to tap');
      const list = buttons.map((b, i) => `  ${i + 1}. ${b.label}  (${b.data})`).join('\n');
      if (args[0] === undefined) {
        console.log(`buttons of the bot’s latest message here:\n${list}`);
        return 0;
      }
      const button = buttons[Number(args[0]) - 1];
      if (!/^[1-9][0-9]*$/.test(args[0]) || !button) throw new UserError(`no button ${args[0]}; there are:\n${list}`);
      body = one(build.postback(source, button.data));
      break;
    }
    default:
      throw new UserError(`unknown event "${command}"; try: npm run line -- help`);
  }

  const outcome = await deliver(target, body, {
    attachments,
    adHoc: { users: adHocUsers, chats: chat ? [chat] : [] },
    wait: !values['no-wait'],
    record: true,
  });
  if (values.json) console.log(JSON.stringify(outcome, null, 2));
  else print(body, outcome, target, directory);
  return outcome.delivery.status === 200 ? 0 : 1;
}

/** The last message event from this speaker in this chat, from the sent log. */
function lastMessageFrom(source: Source): string | undefined {
  for (const entry of readSent()) {
    for (const e of [...entry.body.events].reverse()) {
      if (e.type === 'message' && JSON.stringify(e.source) === JSON.stringify(source))
        return (e.message as { id: string }).id;
    }
  }
  return undefined;
}

function print(body: WebhookBody, outcome: Outcome, target: Target, directory: Directory): void {
  const { delivery, report } = outcome;
  const short = (v: unknown) => {
    const s = (typeof v === 'string' ? v : JSON.stringify(v)).replace(/\s*\n\s*/g, ' ⏎ ');
    return s.length > 200 ? `${s.slice(0, 197)}...` : s;
  };
  for (const e of body.events) {
    const m = e.message as { type?: string; id?: string } | undefined;
    const redelivered = e.deliveryContext.isRedelivery ? ' (redelivery)' : '';
    console.log(`→ ${e.type}${m ? `/${m.type} message ${m.id}` : ''}  event ${e.webhookEventId}${redelivered}`);
  }
  console.log(
    `← ${delivery.status} in ${delivery.ms.toFixed(0)} ms from ${target.webhookUrl}  ${short(delivery.response)}`,
  );
  if (!report) {
    if (delivery.status === 200 && !target.databaseUrl)
      console.log('  (no database to read back from: pass --database-url, or run `npm run dev`)');
    return;
  }
  for (const e of report.events) {
    const inbox = e.inbox
      ? `${e.inbox.status} (attempt ${e.inbox.attempts})${e.inbox.last_error ? `: ${short(e.inbox.last_error)}` : ''}`
      : 'not in the inbox';
    console.log(`  ${e.event.type}: ${inbox}`);
    if (e.answer) console.log(`    AI answer: ${describeAnswer(e.answer, short)}`);
    for (const row of e.stored) {
      const { table, ...fields } = row;
      const shown = Object.entries(fields)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => `${k}=${short(v instanceof Date ? v.toISOString() : v)}`)
        .join('  ');
      console.log(`    stored in ${String(table)}: ${shown}`);
    }
  }
  if (report.timedOut) console.log('  (still processing or answering after the wait; check the `npm run dev` output)');
  const lookups = report.lineCalls.filter((c) => !report.sent.includes(c));
  console.log(
    `  LINE API calls by the bot: ${lookups.length === 0 ? 'none' : lookups.map((c) => `${c.method} ${c.path} ${c.status}`).join(', ')}`,
  );
  console.log(`  bot sent: ${report.sent.length === 0 ? 'nothing' : ''}`);
  // As the chat shows them: a textV2's {asker} is the @name it mentions.
  const names: Names = {
    user: (id) => directory.user(id).displayName,
    group: (id) => directory.chat('group', id).name,
    room: (id) => directory.chat('room', id).name,
  };
  for (const s of report.sent) {
    const messages = (s.body as { messages?: unknown } | null)?.messages;
    console.log(
      `    ${s.path.split('/').pop()} ${s.status}: ${Array.isArray(messages) ? describeBotMessages(messages, names) : short(s.body)}`,
    );
  }
}

/** `answered by reply 1.4 s after the question (Claude 310 ms, claude-..., 812 in / 40 out tokens)`. */
function describeAnswer(a: AiAnswerRow, short: (v: unknown) => string): string {
  const time = (ms: number | null) => (ms === null ? '?' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
  if (a.status === 'pending' || a.status === 'running') return `${a.status} (not finished when the wait ended)`;
  const what = a.status === 'answered' ? 'answered' : `failed (${a.outcome ?? 'no outcome'}), apology sent`;
  const cache = a.cache_read_input_tokens ? `, ${a.cache_read_input_tokens} read from cache` : '';
  const tools =
    a.tool_calls.length > 0
      ? `, tools ${a.tool_calls.map((t) => `${t.name}${t.ok ? '' : ' (error)'}`).join(', ')}`
      : '';
  const claude =
    a.input_tokens + a.output_tokens > 0
      ? ` (Claude ${time(a.latency_ms)}, ${a.model ?? '?'}, ${a.input_tokens} in / ${a.output_tokens} out tokens${cache}${tools})`
      : '';
  return `${what}${a.sent_by ? ` by ${a.sent_by}` : ''} ${time(a.total_ms)} after the question${claude}${a.error ? `: ${short(a.error)}` : ''}`;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    if (e instanceof UserError) console.error(`npm run line: ${e.message}`);
    else if (cause?.code === 'ECONNREFUSED')
      console.error('npm run line: nothing answers at the webhook URL; is `npm run dev` running?');
    else if (e instanceof TypeError && e.message === 'fetch failed')
      console.error(`npm run line: cannot reach the webhook: ${cause?.message ?? e.message}`);
    else console.error(e);
    process.exit(1);
  },
);
