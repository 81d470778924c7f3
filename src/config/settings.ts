/**
 * The Worker's settings from env, parsed in one place with zod into one typed object. Each numeric
 * setting has a default, used only when it is unset or empty, and bounds: a number out of range is
 * clamped to the nearest bound (a typo of 0 or 99999999 still means "short" or "long", never the
 * default in disguise), a fraction is cut to a whole number, and both are logged
 * (`config.setting_clamped` {name, given, used}). A value that is no number at all cannot be read
 * as short or long: the default is used and `config.setting_invalid` {name, given, used} is logged.
 * Each such line is written once per isolate per setting and value (`settings` runs per request).
 *
 * Only numeric settings live here so far; the others join the same schema and object when the
 * whole configuration moves here (issue 18).
 */
import { NAS_SEND_MAX_BYTES } from '@linebot-edge/shared/upload-contract';
import { z } from 'zod';
import type { Logger } from '../lib/log';

export interface NumericSetting {
  /** The variable's name in env (wrangler.toml [vars]). */
  env: keyof Env & string;
  default: number;
  min: number;
  max: number;
}

/** The table of numeric settings (names and defaults as in the README's Configuration table). */
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
type EnvName = (typeof numericSettings)[SettingKey]['env'];

export type Settings = { readonly [K in SettingKey]: number };
/** What `settings` reads: env, or any part of it (a var set in wrangler.toml without quotes is a number). */
export type SettingsEnv = { readonly [K in EnvName]?: unknown };

/** Every setting at its default: what an unset env means. */
export const defaultSettings = Object.fromEntries(
  Object.entries(numericSettings).map(([key, spec]) => [key, spec.default]),
) as Settings;

/** A number as people write it: optional sign, digits, fraction and exponent (no hex, no "10MB"). */
const numberText = z
  .string()
  .regex(/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i)
  .transform(Number);

export type Parsed =
  | { value: number; problem?: undefined }
  | { value: number; problem: 'clamped' | 'invalid'; given: string };

/** The schema of one numeric setting: its raw value to the value used, and why it differs. */
export function numericSetting(spec: NumericSetting) {
  return z.unknown().transform((raw): Parsed => {
    if (raw !== null && raw !== undefined && typeof raw !== 'string' && typeof raw !== 'number') {
      return { value: spec.default, problem: 'invalid', given: `(${typeof raw})` };
    }
    const text = raw === null || raw === undefined ? '' : String(raw).trim();
    if (text === '') return { value: spec.default };
    // What the log line shows: enough to recognise the value, never a pasted secret whole.
    const given = text.slice(0, 40);
    const parsed = numberText.safeParse(text);
    if (!parsed.success) return { value: spec.default, problem: 'invalid', given };
    // Infinity (a number too long to hold) truncates to itself and clamps to the nearest bound too.
    const value = Math.min(spec.max, Math.max(spec.min, Math.trunc(parsed.data)));
    return value === parsed.data ? { value } : { value, problem: 'clamped', given };
  });
}

const schema = z.object(
  Object.fromEntries(Object.values(numericSettings).map((spec) => [spec.env, numericSetting(spec)])) as {
    [K in SettingKey as (typeof numericSettings)[K]['env']]: ReturnType<typeof numericSetting>;
  },
);

/** `name=value` pairs already logged by this isolate. */
const reported = new Set<string>();

/**
 * The settings as the Worker uses them. `seen`: the lines already logged (this isolate's by
 * default; a test passes its own).
 */
export function settings(env: SettingsEnv, log: Logger, seen: Set<string> = reported): Settings {
  // Only the settings' own keys are read: env also holds bindings and secrets.
  const input = Object.fromEntries(Object.values(numericSettings).map((spec) => [spec.env, env[spec.env]]));
  const parsed = schema.parse(input) as Record<EnvName, Parsed>;
  const out: Record<string, number> = {};
  for (const [key, spec] of Object.entries(numericSettings)) {
    const p = parsed[spec.env];
    out[key] = p.value;
    if (!p.problem) continue;
    const line = `${spec.env}=${p.given}`;
    if (seen.has(line)) continue;
    if (seen.size >= 1000) seen.clear(); // bounded: a value cannot change within a deployment anyway
    seen.add(line);
    const fields = { name: spec.env, given: p.given, used: p.value, min: spec.min, max: spec.max };
    log.warn(p.problem === 'clamped' ? 'config.setting_clamped' : 'config.setting_invalid', fields);
  }
  return out as Settings;
}
