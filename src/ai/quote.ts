/**
 * Text that others wrote, made safe to put in front of the model: stored names and messages can
 * come from anyone who can rename a file on the NAS, name a LINE group or write in a chat.
 *
 * `oneLine` is the one sanitiser: a name or stored text becomes one bounded line without control
 * characters and without bidi controls, which can make "exe.pdf" read as "fdp.exe" or hide text
 * from a reader. `thirdPartyMessage` quotes what a person without a company account wrote, in the
 * delimited block the system prompt marks as data, never as instructions.
 */

/** Bidi embedding, override and isolate controls, and the implicit marks (LRM, RLM, ALM). */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
/** C0/C1 controls (line breaks and tabs included) and the line and paragraph separators. */
const LINE_BREAKING = /[\p{Cc}\p{Zl}\p{Zp}]+/gu;

/**
 * One line of at most `max` UTF-16 units (an ellipsis when cut, never half a surrogate pair):
 * bidi controls removed, control characters and line breaks as one space, lone surrogates as
 * U+FFFD, trimmed.
 */
export function oneLine(s: string, max = 80): string {
  const flat = s.toWellFormed().replace(BIDI_CONTROLS, '').replace(LINE_BREAKING, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max).replace(/[\uD800-\uDBFF]$/, '')}…`;
}

/** Every line of a text through `oneLine` (no length limit): line structure kept, nothing else. */
export const eachLine = (text: string): string =>
  text
    .split('\n')
    .map((line) => oneLine(line, Infinity))
    .join('\n');

export const THIRD_PARTY_TAG = 'third_party_message';

/**
 * `<`, `>` and `&` as entities, so quoted text can neither close its block nor open one that
 * looks like the bot's own; `"` too in the sender attribute.
 */
const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (s: string) => escapeText(s).replace(/"/g, '&quot;');

/**
 * What a sender without a company account wrote, as quoted data: bidi controls removed, line
 * breaks kept (a message may have several lines), delimiters escaped. `at` is optional context.
 */
export function thirdPartyMessage(sender: string, text: string, at?: string): string {
  const body = escapeText(eachLine(text));
  const when = at ? ` at="${escapeAttribute(at)}"` : '';
  return `<${THIRD_PARTY_TAG} sender="${escapeAttribute(oneLine(sender, 40))}"${when}>${body}</${THIRD_PARTY_TAG}>`;
}
