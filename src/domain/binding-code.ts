/**
 * The binding code's format. Pure: no I/O.
 *
 * 9 characters from 31 symbols without look-alikes (digits 2-9 and the letters but I, L and O: no
 * 0/O, no 1/I/L), at least one digit and one letter: 31^9 - 23^9 - 8^9 ≈ 2^44.5 codes, so more
 * than 40 bits (8 characters of 31 symbols would be 39.6). The digit-and-letter rule keeps words
 * people type to the bot ("STRUCTURE") from being taken for a code.
 *
 * Shown in groups of three (`K7M-2QX-9PA`); typed with or without the dashes or spaces, in any
 * case, full-width forms too (NFKC). Stored without the dashes.
 */

export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const CODE_LENGTH = 9;
const GROUP = 3;

/** The largest multiple of the alphabet's size that fits a byte: bytes at or above it are redrawn. */
const UNBIASED_BYTE_LIMIT = Math.floor(256 / CODE_ALPHABET.length) * CODE_ALPHABET.length;

const hasDigit = (code: string) => /[2-9]/.test(code);
const hasLetter = (code: string) => /[A-Z]/.test(code);

/** A fresh code (stored form), every valid code equally likely. */
export function randomCode(): string {
  for (;;) {
    let code = '';
    const bytes = new Uint8Array(32);
    while (code.length < CODE_LENGTH) {
      crypto.getRandomValues(bytes);
      for (const b of bytes) {
        if (b < UNBIASED_BYTE_LIMIT && code.length < CODE_LENGTH) code += CODE_ALPHABET[b % CODE_ALPHABET.length];
      }
    }
    if (hasDigit(code) && hasLetter(code)) return code;
  }
}

/** `K7M2QX9PA` -> `K7M-2QX-9PA`, as people read and type it. */
export const formatCode = (code: string) => code.match(new RegExp(`.{1,${GROUP}}`, 'g'))?.join('-') ?? code;

/** Dashes (ASCII, Unicode, the full-width one after NFKC) and spaces people put between groups. */
const SEPARATORS = /[\s\-\u2010-\u2015\u2212\u30fc]/g;
const STORED = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);

/** What someone typed, as the stored code, or null when it cannot be one. */
export function normalizeCode(typed: string): string | null {
  const code = typed.normalize('NFKC').replace(SEPARATORS, '').toUpperCase();
  return STORED.test(code) && hasDigit(code) && hasLetter(code) ? code : null;
}
