/**
 * A cheap token estimate for budgeting the chat history: the Worker has no tokenizer, and the
 * budget bounds cost and prompt size, not correctness, so close is enough.
 *
 * Claude's tokenizer gives about one token per CJK character (Traditional Chinese, often a little
 * more) and about four characters per token for English. We count every non-ASCII UTF-16 unit as
 * one token (an emoji, two units, as two) and ASCII at three characters per token: about right for
 * Chinese, on the high side for English, ids and URLs, so the history errs short rather than long.
 */
export function estimateTokens(text: string): number {
  let ascii = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x80) ascii++;
  return Math.ceil(text.length - ascii + ascii / 3);
}
