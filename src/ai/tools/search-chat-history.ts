/**
 * `search_chat_history`: messages of the asker's own chat that contain every keyword. The chat comes
 * from the asker's context only; whatever chat, group or user id the model puts in its input is
 * ignored. The whole chat is searched (a `/reset` only shortens what the model is shown by
 * default), never an unsent message, never one from before the bot's or a member's latest join
 * in a group or room (`chatMessages`). What senders without an account wrote comes back quoted.
 */
import { ilike, isNotNull } from 'drizzle-orm';
import { lineMessages } from '@linebot-edge/shared/schema';
import { chatMessages, clip, messageText, senderLabel } from '../context';
import { escapeLike } from '../../lib/like';
import { taipeiDateTime } from '../../lib/taipei';
import { oneLine, thirdPartyMessage } from '../quote';
import { ToolInputError, type AiTool } from '../types';
import { keywordsSchema } from './keywords';

const MAX_KEYWORDS = 10;
const MAX_KEYWORD_CHARS = 100;
const MAX_RESULTS = 20;
const MAX_RESULT_CHARS = 300;
/** A quoted third-party message's text: its block and sender name fit in about MAX_RESULT_CHARS. */
const MAX_THIRD_PARTY_CHARS = 200;

export const searchChatHistory: AiTool = {
  name: 'search_chat_history',
  description:
    "Search this chat's earlier messages (this group, room or 1:1 chat only; both the users' and your own) " +
    'for messages that contain every keyword (case-insensitive substring match). Returns at most 20 matches, ' +
    'newest first, each as "YYYY-MM-DD HH:mm name: text" in Asia/Taipei time. Use it when the question refers to ' +
    'something said earlier that is not in the conversation you were given. A string is split at spaces; ' +
    'pass an array to keep a phrase with spaces together.',
  input_schema: {
    type: 'object',
    properties: {
      keywords: keywordsSchema(
        { maxKeywords: MAX_KEYWORDS, maxKeywordChars: MAX_KEYWORD_CHARS },
        'Words or phrases that must all occur in a message, e.g. ["會議", "週五"].',
      ),
    },
    required: ['keywords'],
  },

  async run({ db }, asker, input) {
    const keywords = parseKeywords(input);
    // chatMessages leaves out the question: it contains its own keywords, finding it tells the model nothing.
    const rows = await chatMessages(
      db,
      asker,
      [isNotNull(lineMessages.content), ...keywords.map((k) => ilike(lineMessages.content, `%${escapeLike(k)}%`))],
      MAX_RESULTS,
    );

    const wanted = keywords.map((k) => `"${k}"`).join(' + ');
    if (rows.length === 0) return `No messages in this chat contain ${wanted}.`;
    const lines = rows.map((r) => {
      const who = r.isFromBot ? 'bot' : senderLabel(r.senderName, r.senderLineId);
      const when = taipeiDateTime(r.sentAt);
      // Someone without an account: quoted as data, cut before it is wrapped so the block stays closed.
      if (!r.isFromBot && !r.senderBound && asker.chatPk !== null)
        return `${when} ${thirdPartyMessage(who, oneLine(messageText(r) ?? '', MAX_THIRD_PARTY_CHARS))}`;
      return clip(`${when} ${who}: ${oneLine(messageText(r) ?? '', MAX_RESULT_CHARS)}`, MAX_RESULT_CHARS);
    });
    return [
      `${rows.length} message(s) in this chat contain ${wanted} (newest first, Asia/Taipei time):`,
      ...lines,
    ].join('\n');
  },
};

/** 1 to 10 keywords of 1 to 100 characters each, as the model may send them. */
function parseKeywords(input: unknown): string[] {
  const raw = (input as { keywords?: unknown } | null)?.keywords;
  const list =
    typeof raw === 'string'
      ? raw.split(/\s+/)
      : Array.isArray(raw) && raw.every((k) => typeof k === 'string')
        ? (raw as string[])
        : null;
  if (!list) throw new ToolInputError('"keywords" must be a string or an array of strings');
  const keywords = list.map((k) => k.trim()).filter((k) => k !== '');
  if (keywords.length < 1 || keywords.length > MAX_KEYWORDS)
    throw new ToolInputError(`give 1 to ${MAX_KEYWORDS} non-empty keywords`);
  for (const k of keywords) {
    if (k.length > MAX_KEYWORD_CHARS) throw new ToolInputError(`a keyword has at most ${MAX_KEYWORD_CHARS} characters`);
    // Postgres text cannot hold U+0000 (the query would fail), and no message contains a control character worth searching for.
    if (/\p{Cc}/u.test(k)) throw new ToolInputError('keywords must not contain control characters');
  }
  // A lone surrogate has no UTF-8 form; as U+FFFD it simply matches nothing.
  return keywords.map((k) => k.toWellFormed());
}
