/**
 * The numeric settings: each has a default, used only when it is unset or empty, and bounds: a
 * number out of range is clamped to the nearest bound (a typo of 0 or 99999999 still means "short"
 * or "long", never the default in disguise), a fraction is cut to a whole number, and both are
 * logged (`config.setting_clamped` {name, given, used, min, max}). A value that is no number at all
 * cannot be read as short or long: the default is used and `config.setting_invalid` is logged.
 * Parsed with the rest of the configuration in ./index.ts, which logs each line once per isolate.
 */
import { NAS_SEND_MAX_BYTES } from '@linebot-edge/shared/upload-contract';
import { z } from 'zod';
import { fromText, shown, type Parsed } from './kinds';

export interface NumericSetting {
  /** The variable's name in env (wrangler.toml [vars]). */
  env: keyof Env & string;
  default: number;
  min: number;
  max: number;
}

/** The table of numeric settings (names and defaults as in docs/configuration.md). */
export const numericSettings = {
  /** AI answers per LINE user per Asia/Taipei day; 0 turns answers off, the ceiling bounds a day's cost. */
  aiDailyLimitPerUser: { env: 'AI_DAILY_LIMIT_PER_USER', default: 100, min: 0, max: 10_000 },
  /** Seconds a download link lives: one LINE can still fetch a minute later, at most 30 days. */
  shareLinkTtlSeconds: { env: 'SHARE_LINK_TTL', default: 86_400, min: 60, max: 30 * 86_400 },
  /** The largest file sent into a chat: what /find offers and what the upload endpoint takes (bounds shared with nas-sync). */
  nasSendMaxBytes: { env: 'NAS_SEND_MAX_BYTES', ...NAS_SEND_MAX_BYTES },
  /** Days a done inbox event keeps its payload. */
  inboxRetentionDays: { env: 'INBOX_RETENTION_DAYS', default: 30, min: 1, max: 3650 },
} as const satisfies Record<string, NumericSetting>;

type SettingKey = keyof typeof numericSettings;

export type Settings = { readonly [K in SettingKey]: number };

/** Every setting at its default: what an unset env means. */
export const defaultSettings = Object.fromEntries(
  Object.entries(numericSettings).map(([key, spec]) => [key, spec.default]),
) as Settings;

/** A number as people write it: optional sign, digits, fraction and exponent (no hex, no "10MB"). */
const numberText = z
  .string()
  .regex(/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i)
  .transform(Number);

/** The schema of one numeric setting: its raw value to the value used, and why it differs. */
export function numericSetting(spec: NumericSetting) {
  return fromText(spec.default, (text): Parsed<number> => {
    if (text === '') return { value: spec.default };
    const given = shown(text);
    const parsed = numberText.safeParse(text);
    if (!parsed.success) return { value: spec.default, problem: 'invalid', given };
    // Infinity (a number too long to hold) truncates to itself and clamps to the nearest bound too.
    const value = Math.min(spec.max, Math.max(spec.min, Math.trunc(parsed.data)));
    return value === parsed.data ? { value } : { value, problem: 'clamped', given };
  });
}
