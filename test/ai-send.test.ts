/** How an answer becomes LINE messages (pure): splitting, the mention, quoting, braces in a textV2. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerMessages, MAX_ANSWER_MESSAGES } from '../src/ai/send';
import { MAX_TEXT_LENGTH } from '../src/line/messages';

type Msg = { type: string; text: string; quoteToken?: string; substitution?: unknown };
const plainText = (m: Msg) =>
  m.type === 'textV2'
    ? m.text
        .replace(/^\{asker\} /, '')
        .replace(/\{\{/g, '{')
        .replace(/\}\}/g, '}')
    : m.text;

describe('answerMessages', () => {
  it('1:1: plain text messages, each quoting the question', () => {
    const out = answerMessages('你好', { quoteToken: 'q1', mentionUserId: null }) as Msg[];
    expect(out).toEqual([{ type: 'text', text: '你好', quoteToken: 'q1' }]);
  });

  it('group: the first message is a textV2 mentioning the asker; braces of the answer are doubled', () => {
    const out = answerMessages('用 {name} 代入', { quoteToken: 'q', mentionUserId: 'U1' }) as Msg[];
    expect(out[0]).toEqual({
      type: 'textV2',
      text: '{asker} 用 {{name}} 代入',
      substitution: { asker: { type: 'mention', mentionee: { type: 'user', userId: 'U1' } } },
      quoteToken: 'q',
    });
  });

  it('property: at most 5 messages of at most 5000 UTF-16 units, nothing lost unless cut at the fifth, no split surrogate pair', () => {
    const text = fc
      .array(fc.constantFrom('a', '長', '{', '}', '🙂', '\n', ' '), { maxLength: 30_000 })
      .map((a) => a.join(''));
    fc.assert(
      fc.property(
        text.filter((t) => t.length > 0),
        fc.boolean(),
        (t, group) => {
          const out = answerMessages(t, { quoteToken: 'q', mentionUserId: group ? 'U1' : null }) as Msg[];
          expect(out.length).toBeLessThanOrEqual(MAX_ANSWER_MESSAGES);
          for (const m of out) {
            expect(m.text.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
            expect(m.quoteToken).toBe('q');
            expect(m.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
          }
          const joined = out.map(plainText).join('');
          if (out.length < MAX_ANSWER_MESSAGES) expect(joined).toBe(t);
          else expect(t.startsWith(joined.slice(0, -1)) || joined.endsWith('…')).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
