/**
 * The chat transcript a person reads while developing: what users said (the webhook bodies the
 * `line` sender reports to the emulator) and what the bot answered (replies and pushes).
 */
import { summarizeMessages } from './summarize.ts';

export interface TranscriptEntry {
  at: number;
  /** The bot (a reply or push it sent) or a user (an event posted to the bot). */
  from: 'bot' | 'user';
  /** `reply` or `push` for the bot; the event type for a user (message, follow, join ...). */
  kind: string;
  /** Where: a group's or room's name, or `1:1 <name>` for a chat with one user; undefined when unknown. */
  chat?: string;
  /** Who spoke (user entries). */
  speaker?: string;
  text: string;
}

/** Resolves ids to the names a person knows (seeded names, else the emulator's defaults). */
export interface Names {
  user(id: string): string;
  group(id: string): string;
  room(id: string): string;
}

type Source = { type?: string; userId?: string; groupId?: string; roomId?: string };

export function chatOfSource(source: Source | undefined, names: Names): string | undefined {
  remember(names);
  if (!source) return undefined;
  if (source.type === 'group' && source.groupId) return names.group(source.groupId);
  if (source.type === 'room' && source.roomId) return names.room(source.roomId);
  if (source.userId) return `1:1 ${names.user(source.userId)}`;
  return undefined;
}

/** One line for an event a user caused, as the chat would show it. */
export function describeEvent(event: Record<string, unknown>, names: Names): string {
  remember(names);
  const members = (list: unknown) =>
    ((list as { members?: Array<{ userId?: string }> } | undefined)?.members ?? [])
      .map((m) => (m.userId ? names.user(m.userId) : '?'))
      .join(', ');
  const redelivered = (event.deliveryContext as { isRedelivery?: boolean } | undefined)?.isRedelivery
    ? ' (redelivered)'
    : '';
  let text: string;
  switch (event.type) {
    case 'message':
      text = describeMessage((event.message ?? {}) as Record<string, unknown>);
      break;
    case 'follow':
      text = '* added the bot as a friend *';
      break;
    case 'unfollow':
      text = '* blocked the bot *';
      break;
    case 'join':
      text = '* the bot joined *';
      break;
    case 'leave':
      text = '* the bot was removed *';
      break;
    case 'memberJoined':
      text = `* ${members(event.joined)} joined *`;
      break;
    case 'memberLeft':
      text = `* ${members(event.left)} left *`;
      break;
    case 'unsend':
      text = `* unsent message ${String((event.unsend as { messageId?: string } | undefined)?.messageId ?? '?')} *`;
      break;
    case 'postback':
      text = `* postback ${String((event.postback as { data?: string } | undefined)?.data ?? '')} *`;
      break;
    default:
      text = `* ${String(event.type)} *`;
  }
  return text + redelivered;
}

function describeMessage(m: Record<string, unknown>): string {
  switch (m.type) {
    case 'text':
      return String(m.text ?? '');
    case 'sticker':
      return `[sticker ${String(m.packageId)}/${String(m.stickerId)}]`;
    case 'location':
      return `[location ${String(m.title ?? m.address ?? `${String(m.latitude)},${String(m.longitude)}`)}]`;
    case 'file':
      return `[file ${String(m.fileName ?? '')}]`;
    default:
      return `[${String(m.type)}]`;
  }
}

/**
 * The bot's side: a reply or push, summarised; a textV2's `{placeholders}` read as LINE shows
 * them (`{asker}` mentioning Alice is `@Alice Chen`). Names come from `names`, else from the
 * resolver the emulator last used for the user side of the transcript (the one that asked).
 */
export function describeBotMessages(messages: unknown[], names: Names | undefined = lastNames): string {
  return summarizeMessages(messages.map((m) => (isTextV2(m) ? { ...m, text: renderTextV2(m, names) } : m)));
}

/**
 * The resolver `chatOfSource` and `describeEvent` were last given: the emulator's own, which
 * knows the asker (they spoke first). Passing `names` to `describeBotMessages` makes it moot.
 */
let lastNames: Names | undefined;
const remember = (names: Names): void => {
  lastNames = names;
};

type TextV2 = { type: 'textV2'; text: string; substitution?: Record<string, unknown> };
const isTextV2 = (m: unknown): m is TextV2 =>
  typeof m === 'object' &&
  m !== null &&
  (m as { type?: unknown }).type === 'textV2' &&
  typeof (m as { text?: unknown }).text === 'string';

/**
 * A textV2's text as the chat shows it: `{key}` replaced by its substitution (a mention as
 * `@name`, `@All` for everyone, an emoji as `(emoji)`), `{{` and `}}` as literal braces, and a
 * placeholder without a substitution left as written.
 */
export function renderTextV2(message: { text: string; substitution?: Record<string, unknown> }, names?: Names): string {
  const substitution = message.substitution ?? {};
  return message.text.replace(/\{\{|\}\}|\{([A-Za-z0-9_]+)\}/g, (whole, key: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const sub = Object.hasOwn(substitution, key!) ? (substitution[key!] as Record<string, unknown> | null) : undefined;
    if (!sub || typeof sub !== 'object') return whole;
    if (sub.type === 'emoji') return '(emoji)';
    if (sub.type !== 'mention') return whole;
    const mentionee = (sub.mentionee ?? {}) as { type?: string; userId?: string };
    if (mentionee.type === 'all') return '@All';
    if (typeof mentionee.userId === 'string')
      return `@${names ? names.user(mentionee.userId) : `User ${mentionee.userId.slice(-4)}`}`;
    return whole;
  });
}

/** `12:00:01  [Ops Team] Alice: hello`, or `12:00:01  [Ops Team] bot (reply): [text] Hi Alice`. */
export function formatTranscriptEntry(e: TranscriptEntry, color = false): string {
  const time = new Date(e.at).toTimeString().slice(0, 8);
  const chat = e.chat ? `[${e.chat}] ` : '';
  const who = e.from === 'bot' ? `bot (${e.kind})` : e.speaker;
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  // Events without a speaker (the bot joined, members left) read as a chat notice.
  return `${paint(2, time)}  ${paint(36, chat)}${who ? `${paint(e.from === 'bot' ? 32 : 33, who)}: ` : ''}${e.text}`;
}
