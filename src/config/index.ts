/**
 * The Worker's configuration: every var and secret it reads from env (DESIGN.md's configuration
 * table, wrangler.toml [vars] and [secrets]), parsed with zod into one typed, frozen `Config`, once
 * per env object (a WeakMap on env: once per isolate in production, where env is one object).
 * Bindings (FILES, AI_ANSWER, SHARE_LINK_LIMITER) are not configuration and stay on env.
 *
 * A wrong setting never stops the Worker: each is used at its default (or clamped into its bounds,
 * ./settings.ts) and reported by name once per isolate and value, at the first parse:
 * `config.setting_invalid` / `config.setting_clamped` {name, given, used}. A secret that is unset
 * is reported as `config.secret_unset` {name} and left undefined: whatever needs it refuses on its
 * own, as before (the webhook 401 without a channel secret, the management API and the NAS routes
 * 503 without their token, the console's token sign-in off, no database 503). Secrets never reach
 * a log line: `JSON.stringify` of a Config shows only which are set.
 */
import { z } from 'zod';
import { createLogger, type Logger } from '../lib/log';
import {
  enumSetting,
  hostSetting,
  listSetting,
  optionalTextSetting,
  secretSetting,
  textSetting,
  urlSetting,
  type Parsed,
} from './kinds';
import { numericSetting, numericSettings, type Settings } from './settings';

/** The vars other than numbers, by the Config key they fill. */
const vars = {
  lineApiBaseUrl: { env: 'LINE_API_BASE_URL', schema: urlSetting('https://api.line.me') },
  lineDataApiBaseUrl: { env: 'LINE_DATA_API_BASE_URL', schema: urlSetting('https://api-data.line.me') },
  /** Local development and tests only: `host:port/path` of a plain ws:// proxy to Postgres. */
  dbWsProxy: { env: 'DB_WS_PROXY', schema: optionalTextSetting() },
  aiModel: { env: 'AI_MODEL', schema: textSetting('claude-sonnet-5-5') },
  /** Null: Anthropic's own API. */
  anthropicBaseUrl: { env: 'ANTHROPIC_BASE_URL', schema: urlSetting(null) },
  /** `@name` in a group addresses the bot; a leading `@` written in the setting is forgiven. */
  botNames: { env: 'BOT_NAMES', schema: listSetting((name) => name.replace(/^@/, '')) },
  /**
   * An answer not ready within the reply window: `button` (a tap brings a free reply) or `push`
   * (src/ai/late.ts).
   */
  aiLateAnswer: { env: 'AI_LATE_ANSWER', schema: enumSetting(['button', 'push'], 'button') },
  /** Null: the origin LINE called the webhook on (or the job uploaded to). */
  publicBaseUrl: { env: 'PUBLIC_BASE_URL', schema: urlSetting(null) },
  accessTeamDomain: { env: 'ACCESS_TEAM_DOMAIN', schema: hostSetting() },
  accessAud: { env: 'ACCESS_AUD', schema: optionalTextSetting() },
} as const;

const secretNames = {
  lineChannelSecret: 'LINE_CHANNEL_SECRET',
  lineChannelAccessToken: 'LINE_CHANNEL_ACCESS_TOKEN',
  databaseUrl: 'DATABASE_URL',
  adminApiToken: 'ADMIN_API_TOKEN',
  nasAgentToken: 'NAS_AGENT_TOKEN',
  anthropicApiKey: 'ANTHROPIC_API_KEY',
} as const;

type VarKey = keyof typeof vars;
type SecretKey = keyof typeof secretNames;
type ValueOf<S> = S extends z.ZodType<Parsed<infer T>> ? T : never;

/** Cloudflare Access in front of /admin: both names set, or off. */
export interface AccessConfig {
  /** `myteam.cloudflareaccess.com`, without scheme or path. */
  teamDomain: string;
  aud: string;
}

/** Each undefined when unset or empty. Not enumerable, and JSON shows only `set`/`unset`. */
type Secrets = { readonly [K in SecretKey]: string | undefined };

type PlainVarKey = Exclude<VarKey, 'accessTeamDomain' | 'accessAud'>;

export type Config = Settings & { readonly [K in PlainVarKey]: ValueOf<(typeof vars)[K]['schema']> } & {
  /** Null unless both ACCESS_TEAM_DOMAIN and ACCESS_AUD are set: a half-configured Access must not be trusted with an empty audience. */
  readonly access: AccessConfig | null;
  readonly secrets: Secrets;
};

/** Every name the Worker reads as configuration. */
type ConfigName =
  | (typeof numericSettings)[keyof typeof numericSettings]['env']
  | (typeof vars)[VarKey]['env']
  | (typeof secretNames)[SecretKey];

/** What `config` reads: env, or any part of it (a test's). Only these keys are read: env also holds bindings. */
export type ConfigEnv = { readonly [K in ConfigName]?: unknown };

/** Every setting: its name in env, its Config key, its schema, and the bounds a numeric one reports. */
type Entry = {
  key: string;
  env: ConfigName;
  schema: z.ZodType<Parsed<unknown>>;
  secret: boolean;
  bounds?: { min: number; max: number };
};
const entries: Entry[] = [
  ...Object.entries(numericSettings).map(([key, spec]) => {
    const { env, min, max } = spec;
    return { key, env, schema: numericSetting(spec), secret: false, bounds: { min, max } };
  }),
  ...Object.entries(vars).map(([key, { env, schema }]) => ({ key, env, schema, secret: false })),
  ...Object.entries(secretNames).map(([key, env]) => ({ key, env, schema: secretSetting(), secret: true })),
];

const schema = z.object(
  Object.fromEntries(entries.map((e) => [e.env, e.schema])) as Record<ConfigName, Entry['schema']>,
);

/** `name=value` lines already logged by this isolate (bounded: a value cannot change within a deployment anyway). */
const reported = new Set<string>();

function report(log: Logger, seen: Set<string>, line: string, msg: string, fields: Record<string, unknown>) {
  if (seen.has(line)) return;
  if (seen.size >= 1000) seen.clear();
  seen.add(line);
  log.warn(msg, fields);
}

/**
 * Parses env into a Config and logs what was not used as given. `seen`: the lines already logged
 * (this isolate's by default; a test passes its own). The Worker calls `config` instead.
 */
export function parseConfig(env: ConfigEnv, log: Logger, seen: Set<string> = reported): Config {
  const input = Object.fromEntries(entries.map((e) => [e.env, env[e.env]]));
  const parsed = schema.parse(input) as Record<ConfigName, Parsed<unknown>>;
  const values: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const { key, env: name, secret, bounds } of entries) {
    const p = parsed[name];
    (secret ? secrets : values)[key] = p.value;
    if (p.problem === 'unset') report(log, seen, `${name}:unset`, 'config.secret_unset', { name });
    else if (p.problem) {
      const msg = p.problem === 'clamped' ? 'config.setting_clamped' : 'config.setting_invalid';
      report(log, seen, `${name}=${p.given}`, msg, { name, given: p.given, used: p.value, ...bounds });
    }
  }

  const { accessTeamDomain: teamDomain, accessAud: aud, ...rest } = values as Record<VarKey, unknown> & Settings;
  // One of the two without the other leaves Access off: said once, by the name that is missing.
  if (Boolean(teamDomain) !== Boolean(aud) && parsed.ACCESS_TEAM_DOMAIN.problem === undefined) {
    const missing = teamDomain ? 'ACCESS_AUD' : 'ACCESS_TEAM_DOMAIN';
    const reason = 'ACCESS_TEAM_DOMAIN and ACCESS_AUD go together: Access is off';
    report(log, seen, `${missing}=`, 'config.setting_invalid', { name: missing, given: '', used: null, reason });
  }
  const access = teamDomain && aud ? Object.freeze({ teamDomain: teamDomain as string, aud: aud as string }) : null;
  return Object.freeze({ ...rest, access, secrets: sealSecrets(secrets) }) as Config;
}

/** The secrets as read-only, non-enumerable properties: a log of the Config (or its `secrets`) shows only which are set. */
function sealSecrets(values: Record<string, unknown>): Secrets {
  const sealed = {};
  for (const [key, value] of Object.entries(values)) Object.defineProperty(sealed, key, { value, enumerable: false });
  Object.defineProperty(sealed, 'toJSON', {
    value: () =>
      Object.fromEntries(Object.keys(values).map((key) => [key, values[key] === undefined ? 'unset' : 'set'])),
    enumerable: false,
  });
  return Object.freeze(sealed) as Secrets;
}

const log = createLogger();
const parsedFor = new WeakMap<ConfigEnv, Config>();

/** The configuration of this env: parsed (and any problem logged) on first use, then the same object. */
export function config(env: ConfigEnv): Config {
  let c = parsedFor.get(env);
  if (!c) {
    c = parseConfig(env, log);
    parsedFor.set(env, c);
  }
  return c;
}
