/**
 * The kinds of setting other than numbers (those are in ./settings.ts): each a zod schema from the
 * raw env value to the value used and, when it differs from what was given, why. Unset or empty
 * (after trimming) always means the default; a value that cannot be read as its kind means the
 * default too, said so (`invalid`). A secret is never echoed: its problem is only that it is unset.
 */
import { z } from 'zod';

/** What a setting's raw value came to; `given` is what the log line shows (never a secret's). */
export type Parsed<T> =
  | { value: T; problem?: undefined }
  | { value: T; problem: 'clamped' | 'invalid'; given: string }
  | { value: T; problem: 'unset'; given?: undefined };

/** The log line's view of a value: enough to recognise it, never a pasted secret whole. */
export const shown = (text: string) => text.slice(0, 40);

/**
 * A var as text: trimmed; '' when unset. A var set in wrangler.toml without quotes is a number, so
 * numbers are text too; anything else (an object, a binding where a var belongs) is no text at all.
 */
function rawText(raw: unknown): { text: string } | { invalid: string } {
  if (raw === null || raw === undefined) return { text: '' };
  if (typeof raw !== 'string' && typeof raw !== 'number') return { invalid: `(${typeof raw})` };
  return { text: String(raw).trim() };
}

/** A setting read from its text (trimmed; '' when unset); a value that is no text at all is `fallback`, said so. */
export function fromText<T>(fallback: T, read: (text: string) => Parsed<T>) {
  return z.unknown().transform((raw): Parsed<T> => {
    const r = rawText(raw);
    return 'invalid' in r ? { value: fallback, problem: 'invalid', given: r.invalid } : read(r.text);
  });
}

/** Free text (a model id): the default when unset. */
export const textSetting = (fallback: string) => fromText(fallback, (text) => ({ value: text || fallback }));

/** Optional text (a host:port/path): null when unset. */
export const optionalTextSetting = () => fromText<string | null>(null, (text) => ({ value: text || null }));

const httpUrl = z.url({ protocol: /^https?$/ });

/**
 * An http(s) base URL, kept as its origin and path without the trailing slash (the code appends
 * `/path`; a Worker behind a route prefix keeps its prefix); query and fragment are dropped.
 * Unset or not such a URL: the default (null: the caller's own fallback).
 */
export function urlSetting<D extends string | null>(fallback: D) {
  return fromText<string | D>(fallback, (text) => {
    if (text === '') return { value: fallback };
    const parsed = httpUrl.safeParse(text);
    if (!parsed.success) return { value: fallback, problem: 'invalid', given: shown(text) };
    const url = new URL(parsed.data);
    return { value: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
  });
}

/** One of a few words (case as written in `choices`, matched without regard to case); anything else is the default, said so. */
export const enumSetting = <const C extends readonly string[]>(choices: C, fallback: C[number]) =>
  fromText<C[number]>(fallback, (text) => {
    if (text === '') return { value: fallback };
    const choice = choices.find((c) => c.toLowerCase() === text.toLowerCase());
    return choice ? { value: choice } : { value: fallback, problem: 'invalid', given: shown(text) };
  });

/** A comma-separated list: each item trimmed and passed through `item`, empty ones dropped. */
export const listSetting = (item: (text: string) => string = (t) => t) =>
  fromText<readonly string[]>([], (text) => ({
    value: Object.freeze(
      text
        .split(',')
        .map((t) => item(t.trim()))
        .filter(Boolean),
    ),
  }));

/**
 * A host name (Cloudflare Access' team domain, `myteam.cloudflareaccess.com`), lower-cased, a
 * scheme or trailing slash written around it forgiven; null when unset. Nothing that could point
 * a fetch at a path or another port: such a value is invalid (null).
 */
export const hostSetting = () =>
  fromText<string | null>(null, (text) => {
    const host = text
      .replace(/^https?:\/\//i, '')
      .replace(/\/+$/, '')
      .toLowerCase();
    if (host === '') return { value: null };
    const isHost = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(host);
    return isHost ? { value: host } : { value: null, problem: 'invalid', given: shown(text) };
  });

/** A secret: used exactly as set (a token's spaces are its own); undefined when unset or empty. */
export function secretSetting() {
  return z.unknown().transform((raw): Parsed<string | undefined> => {
    if (typeof raw === 'string' && raw !== '') return { value: raw };
    return { value: undefined, problem: 'unset' };
  });
}
