/**
 * `npm run line -- tap <n>`: the buttons of the bot's last message in a chat, as the chat shows
 * them. The LINE emulator keeps every reply and push the bot sent; a push names its chat (`to`),
 * a reply its reply token, which the sent log ties to the event (and so the chat) it answered.
 */
import type { Source } from './events.ts';
import type { SentEntry } from './index.ts';

/** A postback button: what it says and the data a tap sends back. */
export interface Button {
  label: string;
  data: string;
}

/** The postback actions of some messages, in the order LINE shows them: each message's bubble, then its quick replies. */
function postbackButtons(messages: unknown[]): Button[] {
  const found: Button[] = [];
  const walk = (node: unknown, key: string): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n, key);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    if (key === 'action' && o.type === 'postback' && typeof o.data === 'string') {
      found.push({ label: typeof o.label === 'string' ? o.label : '', data: o.data });
      return;
    }
    // The bubble first: quick replies sit under the message, after it.
    const keys = Object.keys(o).sort((a, b) => Number(a === 'quickReply') - Number(b === 'quickReply'));
    for (const k of keys) walk(o[k], k);
  };
  for (const m of messages) walk(m, '');
  return found;
}

interface SentRequest {
  path: string;
  status: number;
  body: { to?: string; replyToken?: string; messages?: unknown[] } | null;
}

/** The id a push to this chat goes to. */
const chatIdOf = (source: Source) =>
  source.type === 'group' ? source.groupId : source.type === 'room' ? source.roomId : source.userId;

/** Whether an event of the sent log happened in this chat. */
const sameChat = (a: Source, b: Source) => a.type === b.type && chatIdOf(a) === chatIdOf(b);

/**
 * The buttons of the bot's latest message in the chat that has any (newest first), read from the
 * emulator's record of what the bot sent; [] when there is none.
 */
export async function lastButtons(emulatorUrl: string, chat: Source, sent: SentEntry[]): Promise<Button[]> {
  const res = await fetch(`${emulatorUrl}/__emulator/requests?path=${encodeURIComponent('/v2/bot/message/')}`);
  if (!res.ok) throw new Error(`LINE emulator answered ${res.status} for its requests`);
  const { requests } = (await res.json()) as { requests: SentRequest[] };
  const replyTokens = new Set(
    sent.flatMap((entry) =>
      entry.body.events.flatMap((e) =>
        e.source && sameChat(e.source, chat) && typeof e.replyToken === 'string' ? [e.replyToken] : [],
      ),
    ),
  );
  for (const r of [...requests].reverse()) {
    if (r.status !== 200 || !r.body) continue;
    const ours =
      r.path === '/v2/bot/message/push'
        ? r.body.to === chatIdOf(chat)
        : r.path === '/v2/bot/message/reply' && replyTokens.has(r.body.replyToken ?? '');
    if (!ours) continue;
    const buttons = postbackButtons(r.body.messages ?? []);
    if (buttons.length > 0) return buttons;
  }
  return [];
}
