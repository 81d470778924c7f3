/**
 * Whether a group message is addressed to the bot, and the question without the address. Pure.
 *
 * A message addresses the bot by LINE's mention of it (`mention.mentionees[].isSelf`), by quoting
 * one of its messages, or by `@name` for a name in BOT_NAMES (as src/config reads it): LINE's
 * desktop clients often send the typed `@name` with no mention metadata.
 */

type Mentionee = { index?: unknown; length?: unknown; isSelf?: unknown };

export interface Addressing {
  addressed: boolean;
  /** The text with every address of the bot removed, trimmed. */
  question: string;
}

export function addressing(
  text: string,
  mention: unknown,
  botNames: readonly string[],
  quotesBot: boolean,
): Addressing {
  let question = text;
  let addressed = quotesBot;

  // LINE's own mention of the bot: cut the mentioned span, from the end so earlier indexes hold.
  const mentionees = (mention as { mentionees?: Mentionee[] } | null | undefined)?.mentionees;
  if (Array.isArray(mentionees)) {
    const spans = mentionees
      .filter((m) => m?.isSelf === true && Number.isInteger(m.index) && Number.isInteger(m.length))
      .map((m) => ({ index: m.index as number, length: m.length as number }))
      .filter((m) => m.index >= 0 && m.length > 0 && m.index + m.length <= question.length)
      .sort((a, b) => b.index - a.index);
    if (mentionees.some((m) => m?.isSelf === true)) addressed = true;
    for (const { index, length } of spans) question = question.slice(0, index) + question.slice(index + length);
  }

  // `@name`, any case, ended by the end of the text, a space or punctuation.
  for (const name of botNames) {
    const re = new RegExp(`@${escapeRegExp(name)}(?=$|[\\s\\p{P}])`, 'giu');
    if (re.test(question)) {
      addressed = true;
      question = question.replace(re, ' ');
    }
  }
  return { addressed, question: question.replace(/[ \t]{2,}/g, ' ').trim() };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
