/**
 * The binding code's format as a table: what is generated (over 40 bits, no look-alikes, every
 * symbol used), how it is shown, and what people may type for it, alone or after `/bind`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODE_ALPHABET, CODE_LENGTH, formatCode, normalizeCode, randomCode } from '../src/domain/binding-code';
import { parseCommand } from '../src/bot/commands';

describe('generated codes', () => {
  it('carry more than 40 bits: 9 of 31 symbols, with a digit and a letter', () => {
    expect(CODE_ALPHABET).toHaveLength(31);
    expect(new Set(CODE_ALPHABET).size).toBe(31);
    for (const ch of '01OIL') expect(CODE_ALPHABET).not.toContain(ch);
    const valid = CODE_ALPHABET.length ** CODE_LENGTH - 23 ** CODE_LENGTH - 8 ** CODE_LENGTH;
    expect(Math.log2(valid)).toBeGreaterThan(44);
  });

  it('are well formed, read back as themselves, and use every symbol in every position', () => {
    const seen = Array.from({ length: CODE_LENGTH }, () => new Set<string>());
    const codes = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const code = randomCode();
      expect(code).toMatch(/^[2-9A-HJKMNP-Z]{9}$/);
      expect(code).toMatch(/[2-9]/);
      expect(code).toMatch(/[A-Z]/);
      expect(normalizeCode(formatCode(code))).toBe(code);
      [...code].forEach((ch, at) => seen[at]!.add(ch));
      codes.add(code);
    }
    expect(codes.size).toBe(3000);
    for (const symbols of seen) expect(symbols.size).toBe(CODE_ALPHABET.length);
  });
});

describe('shown and typed', () => {
  it('is shown in groups of three', () => {
    expect(formatCode('K7M2QX9PA')).toBe('K7M-2QX-9PA');
  });

  const typed: Array<[what: string, text: string, code: string | null]> = [
    ['as shown', 'K7M-2QX-9PA', 'K7M2QX9PA'],
    ['without the dashes', 'K7M2QX9PA', 'K7M2QX9PA'],
    ['in lower case', 'k7m-2qx-9pa', 'K7M2QX9PA'],
    ['with spaces', 'K7M 2QX 9PA', 'K7M2QX9PA'],
    ['full-width, with the full-width dash', 'Ｋ７Ｍ－２ＱＸ－９ＰＡ', 'K7M2QX9PA'],
    ['with a Unicode dash', 'K7M‐2QX–9PA', 'K7M2QX9PA'],
    ['with 0 (a look-alike)', 'K7M-2QX-0PA', null],
    ['with O', 'K7M-2QX-OPA', null],
    ['with 1', 'K7M-2QX-1PA', null],
    ['with I', 'K7M-2QX-IPA', null],
    ['with L', 'K7M-2QX-LPA', null],
    ['too short', 'K7M-2QX-9P', null],
    ['too long', 'K7M-2QX-9PAA', null],
    ['only letters', 'STRUCTURE', null],
    ['only digits', '234567892', null],
    ['six digits of the old codes', '123456', null],
    ['empty', '', null],
  ];
  it.each(typed)('%s: %j', (_what, text, code) => expect(normalizeCode(text)).toBe(code));

  const messages: Array<[what: string, text: string, command: ReturnType<typeof parseCommand>]> = [
    ['the code alone', 'k7m-2qx-9pa', { kind: 'bind', code: 'K7M2QX9PA' }],
    ['the code alone, full-width, no dashes', 'ｋ７ｍ２ｑｘ９ｐａ', { kind: 'bind', code: 'K7M2QX9PA' }],
    ['the code alone, spaced', ' K7M 2QX 9PA ', { kind: 'bind', code: 'K7M2QX9PA' }],
    ['after /bind', '/bind K7M-2QX-9PA', { kind: 'bind', code: 'K7M2QX9PA' }],
    ['after /BIND, oddly spaced', '/BIND  K7M2 QX9PA', { kind: 'bind', code: 'K7M2QX9PA' }],
    ['after /bind, malformed: an attempt that cannot match', '/bind 123456', { kind: 'bind', code: '' }],
    // The rich menu's 綁定 button sends it: how to bind (the help), not silence.
    ['/bind alone', '/bind', { kind: 'help' }],
    ['a word of nine letters', 'structure', null],
    ['a sentence', 'see you at 9pm', null],
    ['old six digits alone', '123456', null],
  ];
  it.each(messages)('%s: %j', (_what, text, command) => expect(parseCommand(text)).toEqual(command));
});

describe('properties', () => {
  const code = fc
    .array(fc.constantFrom(...CODE_ALPHABET), { minLength: CODE_LENGTH, maxLength: CODE_LENGTH })
    .map((cs) => cs.join(''))
    .filter((c) => /[2-9]/.test(c) && /[A-Z]/.test(c));
  const fullWidth = (s: string) => s.replace(/[!-~]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));
  const shown = fc.record({
    code,
    separator: fc.constantFrom('-', '', ' ', '－', '‐'),
    lower: fc.boolean(),
    wide: fc.boolean(),
    prefix: fc.constantFrom('', '/bind ', '/BIND  '),
  });

  it('every code, however it is typed, is read as itself', () => {
    fc.assert(
      fc.property(shown, ({ code, separator, lower, wide, prefix }) => {
        let text = formatCode(code).replace(/-/g, separator);
        if (lower) text = text.toLowerCase();
        if (wide) text = fullWidth(text);
        expect(normalizeCode(text)).toBe(code);
        expect(parseCommand(`${prefix}${text}`)).toEqual({ kind: 'bind', code });
      }),
      { numRuns: 500 },
    );
  });

  it('any text: never throws; a code read from it is a well-formed code', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const read = normalizeCode(text);
        if (read !== null) expect(read).toMatch(/^[2-9A-HJKMNP-Z]{9}$/);
        const command = parseCommand(text);
        if (command?.kind === 'bind')
          expect(command.code === '' || /^[2-9A-HJKMNP-Z]{9}$/.test(command.code)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
