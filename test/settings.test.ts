/**
 * The configuration (src/config): every setting parsed once per env into one frozen object.
 * Numeric settings: unset or empty means the default; a number out of range is clamped to the
 * nearest bound and logged (`config.setting_clamped`), never replaced by the default; no number at
 * all means the default, logged (`config.setting_invalid`); each line once per value. URLs, text,
 * lists and Access likewise by their kind; secrets are kept as set and never shown.
 * Through the Worker: SHARE_LINK_TTL under its floor gives a 60-second link, not a day.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { aiConfig } from '../src/ai/config';
import { R2_SINGLE_PUT_MAX_BYTES } from '@linebot-edge/shared/upload-contract';
import { config, parseConfig, type Config, type ConfigEnv } from '../src/config';
import { defaultSettings, numericSettings, type Settings } from '../src/config/settings';
import type { Logger } from '../src/lib/log';
import { nasConfig } from '../src/nas/requests';
import { bytesOf, linksOf, seedSendRequest, upload } from './support/nas';

function recordingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, msg, ...fields });
  const log: Logger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: () => log,
  };
  return { log, lines };
}

/** Every secret set: the lines a test expects are then only the ones about what it gives. */
const SECRETS = {
  LINE_CHANNEL_SECRET: 'cs',
  LINE_CHANNEL_ACCESS_TOKEN: 'cat',
  DATABASE_URL: 'postgres://u:pw@db/x',
  ADMIN_API_TOKEN: 'a'.repeat(32),
  NAS_AGENT_TOKEN: 'n'.repeat(32),
  ANTHROPIC_API_KEY: 'sk-ant',
};
/** A fresh parse with its own log and its own record of what was said. */
const parse = (env: ConfigEnv, log: Logger) => parseConfig({ ...SECRETS, ...env }, log, new Set());
/** Numbers only: what the numeric table tests compare. */
const numbersOf = (c: Config): Settings =>
  Object.fromEntries(Object.keys(numericSettings).map((k) => [k, c[k as Key]])) as Settings;

type Key = keyof Settings;
/** [setting, value given, value used, what is logged] */
type Case = [Key, string | number | undefined, number, 'config.setting_clamped' | 'config.setting_invalid' | null];

const DAY = 86_400;
const cases: Case[] = [
  // SHARE_LINK_TTL: 60 s .. 30 days, default a day. Below the floor is the floor, not a day.
  ['shareLinkTtlSeconds', undefined, DAY, null],
  ['shareLinkTtlSeconds', '', DAY, null],
  ['shareLinkTtlSeconds', '   ', DAY, null],
  ['shareLinkTtlSeconds', '3600', 3600, null],
  ['shareLinkTtlSeconds', ' 3600 ', 3600, null],
  ['shareLinkTtlSeconds', 3600, 3600, null],
  ['shareLinkTtlSeconds', '60', 60, null],
  ['shareLinkTtlSeconds', '59', 60, 'config.setting_clamped'],
  ['shareLinkTtlSeconds', '0', 60, 'config.setting_clamped'],
  ['shareLinkTtlSeconds', '-86400', 60, 'config.setting_clamped'],
  ['shareLinkTtlSeconds', String(30 * DAY + 1), 30 * DAY, 'config.setting_clamped'],
  ['shareLinkTtlSeconds', '9'.repeat(400), 30 * DAY, 'config.setting_clamped'],
  ['shareLinkTtlSeconds', '90.5', 90, 'config.setting_clamped'],
  ['shareLinkTtlSeconds', '1e3', 1000, null],
  ['shareLinkTtlSeconds', '1d', DAY, 'config.setting_invalid'],
  ['shareLinkTtlSeconds', '0x100', DAY, 'config.setting_invalid'],
  ['shareLinkTtlSeconds', 'Infinity', DAY, 'config.setting_invalid'],
  // NAS_SEND_MAX_BYTES: 1 byte .. R2's single PUT, default 100 MiB.
  ['nasSendMaxBytes', undefined, 104_857_600, null],
  ['nasSendMaxBytes', '2000', 2000, null],
  ['nasSendMaxBytes', '0', 1, 'config.setting_clamped'],
  ['nasSendMaxBytes', '-1', 1, 'config.setting_clamped'],
  ['nasSendMaxBytes', '99999999999999', R2_SINGLE_PUT_MAX_BYTES, 'config.setting_clamped'],
  ['nasSendMaxBytes', '4096.7', 4096, 'config.setting_clamped'],
  ['nasSendMaxBytes', '10MB', 104_857_600, 'config.setting_invalid'],
  ['nasSendMaxBytes', '1,000', 104_857_600, 'config.setting_invalid'],
  // AI_DAILY_LIMIT_PER_USER: 0 (answers off) .. 10,000, default 100.
  ['aiDailyLimitPerUser', undefined, 100, null],
  ['aiDailyLimitPerUser', '0', 0, null],
  ['aiDailyLimitPerUser', '-3', 0, 'config.setting_clamped'],
  ['aiDailyLimitPerUser', '1000000', 10_000, 'config.setting_clamped'],
  ['aiDailyLimitPerUser', 'lots', 100, 'config.setting_invalid'],
  // INBOX_RETENTION_DAYS: 1 .. 3650, default 30.
  ['inboxRetentionDays', undefined, 30, null],
  ['inboxRetentionDays', '', 30, null],
  ['inboxRetentionDays', '45', 45, null],
  ['inboxRetentionDays', '0', 1, 'config.setting_clamped'],
  ['inboxRetentionDays', '-5', 1, 'config.setting_clamped'],
  ['inboxRetentionDays', '99999', 3650, 'config.setting_clamped'],
  ['inboxRetentionDays', '2.5', 2, 'config.setting_clamped'],
  ['inboxRetentionDays', 'abc', 30, 'config.setting_invalid'],
];

describe('numeric settings', () => {
  it.each(cases)('%s = %j: %d, logged %s', (key, given, used, logged) => {
    const spec = numericSettings[key];
    const { log, lines } = recordingLogger();
    const got = numbersOf(parse({ [spec.env]: given }, log));
    expect(got[key]).toBe(used);
    // The others are untouched by it.
    expect({ ...got, [key]: 0 }).toEqual({ ...defaultSettings, [key]: 0 });
    const expected = logged && {
      level: 'warn',
      msg: logged,
      name: spec.env,
      given: String(given).trim().slice(0, 40),
      used,
      min: spec.min,
      max: spec.max,
    };
    expect(lines).toEqual(expected ? [expected] : []);
  });

  it('the defaults lie within their bounds, and every numeric var of wrangler.toml is in the table', () => {
    for (const spec of Object.values(numericSettings)) {
      expect(spec.default, spec.env).toBeGreaterThanOrEqual(spec.min);
      expect(spec.default, spec.env).toBeLessThanOrEqual(spec.max);
    }
    expect(
      Object.values(numericSettings)
        .map((s) => s.env)
        .sort(),
    ).toEqual(['AI_DAILY_LIMIT_PER_USER', 'INBOX_RETENTION_DAYS', 'NAS_SEND_MAX_BYTES', 'SHARE_LINK_TTL']);
  });

  it('logs each setting and value once, a long value cut to 40 characters; reads nothing but its own keys', () => {
    const { log, lines } = recordingLogger();
    const seen = new Set<string>();
    const env = {
      ...SECRETS,
      SHARE_LINK_TTL: '5',
      INBOX_RETENTION_DAYS: 'x'.repeat(100),
      LINE_CHANNEL_SECRET: 'never-shown',
    };
    parseConfig(env, log, seen);
    parseConfig(env, log, seen);
    expect(lines.map((l) => [l.msg, l.name, l.given])).toEqual([
      ['config.setting_clamped', 'SHARE_LINK_TTL', '5'],
      ['config.setting_invalid', 'INBOX_RETENTION_DAYS', 'x'.repeat(40)],
    ]);
    parseConfig({ ...SECRETS, SHARE_LINK_TTL: '6' }, log, seen);
    expect(lines).toHaveLength(3);
    expect(JSON.stringify(lines)).not.toContain('never-shown');
    // A binding or object where a number belongs: the default, said so (without the object).
    const { log: log2, lines: lines2 } = recordingLogger();
    expect(parse({ NAS_SEND_MAX_BYTES: { secret: 'x' } }, log2).nasSendMaxBytes).toBe(104_857_600);
    expect(lines2).toEqual([expect.objectContaining({ msg: 'config.setting_invalid', given: '(object)' })]);
  });

  it('any value: a whole number within the bounds; the default only when unset, empty or no number; logged exactly when it differs', () => {
    const specs = Object.entries(numericSettings) as Array<[Key, (typeof numericSettings)[Key]]>;
    const value = fc.oneof(
      fc.string(),
      fc.integer().map(String),
      fc.double({ noNaN: true }).map(String),
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
      fc.constantFrom('', ' ', '1e400', '-1e400', '0x10', '1_000', '٣', '+5', '.5', '5.', 'NaN'),
    );
    fc.assert(
      fc.property(fc.constantFrom(...specs), value, ([key, spec], given) => {
        const { log, lines } = recordingLogger();
        const used = parse({ [spec.env]: given }, log)[key];
        expect(Number.isInteger(used)).toBe(true);
        expect(used).toBeGreaterThanOrEqual(spec.min);
        expect(used).toBeLessThanOrEqual(spec.max);
        const text = given.trim();
        const msgs = lines.map((l) => l.msg);
        if (text === '') {
          expect([used, msgs]).toEqual([spec.default, []]);
        } else if (msgs[0] === 'config.setting_invalid') {
          // Only what is no number at all: anything Number() reads as finite is a number.
          expect([used, msgs.length]).toEqual([spec.default, 1]);
          expect(/^[\d.+-]+$/.test(text) && Number.isFinite(Number(text))).toBe(false);
        } else if (msgs[0] === 'config.setting_clamped') {
          // The nearest bound, or the number cut to a whole one: never the default in disguise.
          expect(msgs).toHaveLength(1);
          const n = Number(text);
          expect(used).toBe(n <= spec.min ? spec.min : n >= spec.max ? spec.max : Math.trunc(n));
        } else {
          expect([Number(text), msgs]).toEqual([used, []]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('/find (nasConfig) and the upload endpoint read NAS_SEND_MAX_BYTES through it; the AI limit too', () => {
    const { log } = recordingLogger();
    for (const value of ['2000', '4096.7', '0', '99999999999999', '10MB', '']) {
      expect(nasConfig({ NAS_SEND_MAX_BYTES: value }).sendMaxBytes, value).toBe(
        parse({ NAS_SEND_MAX_BYTES: value }, log).nasSendMaxBytes,
      );
    }
    expect(aiConfig({ AI_DAILY_LIMIT_PER_USER: '-1' }).dailyLimit).toBe(0);
  });
});

type Logged = 'config.setting_invalid' | null;
/** [var, value given, the Config key it fills, value used, what is logged] */
type VarCase = [string, unknown, keyof Config, unknown, Logged];
const varCases: VarCase[] = [
  // URLs: http(s) only, kept as origin and path without the trailing slash; anything else is the default, said so.
  ['LINE_API_BASE_URL', undefined, 'lineApiBaseUrl', 'https://api.line.me', null],
  ['LINE_API_BASE_URL', '', 'lineApiBaseUrl', 'https://api.line.me', null],
  ['LINE_API_BASE_URL', 'http://127.0.0.1:8787/', 'lineApiBaseUrl', 'http://127.0.0.1:8787', null],
  ['LINE_API_BASE_URL', ' https://api.line.me/prefix// ', 'lineApiBaseUrl', 'https://api.line.me/prefix', null],
  ['LINE_API_BASE_URL', 'https://api.line.me/?debug=1#x', 'lineApiBaseUrl', 'https://api.line.me', null],
  ['LINE_API_BASE_URL', 'api.line.me', 'lineApiBaseUrl', 'https://api.line.me', 'config.setting_invalid'],
  ['LINE_API_BASE_URL', 'ftp://api.line.me', 'lineApiBaseUrl', 'https://api.line.me', 'config.setting_invalid'],
  ['LINE_DATA_API_BASE_URL', undefined, 'lineDataApiBaseUrl', 'https://api-data.line.me', null],
  ['LINE_DATA_API_BASE_URL', 'http://localhost:9000', 'lineDataApiBaseUrl', 'http://localhost:9000', null],
  ['LINE_DATA_API_BASE_URL', 'http//typo', 'lineDataApiBaseUrl', 'https://api-data.line.me', 'config.setting_invalid'],
  ['ANTHROPIC_BASE_URL', '', 'anthropicBaseUrl', null, null],
  ['ANTHROPIC_BASE_URL', 'http://127.0.0.1:4100', 'anthropicBaseUrl', 'http://127.0.0.1:4100', null],
  ['ANTHROPIC_BASE_URL', 'javascript:alert(1)', 'anthropicBaseUrl', null, 'config.setting_invalid'],
  ['PUBLIC_BASE_URL', undefined, 'publicBaseUrl', null, null],
  ['PUBLIC_BASE_URL', 'https://files.example.com/', 'publicBaseUrl', 'https://files.example.com', null],
  ['PUBLIC_BASE_URL', 'https://example.com/bot/', 'publicBaseUrl', 'https://example.com/bot', null],
  ['PUBLIC_BASE_URL', 'files.example.com', 'publicBaseUrl', null, 'config.setting_invalid'],
  ['PUBLIC_BASE_URL', 42, 'publicBaseUrl', null, 'config.setting_invalid'],
  ['PUBLIC_BASE_URL', { url: 'x' }, 'publicBaseUrl', null, 'config.setting_invalid'],
  // Text.
  ['AI_MODEL', undefined, 'aiModel', 'claude-sonnet-5-5', null],
  ['AI_MODEL', '  ', 'aiModel', 'claude-sonnet-5-5', null],
  ['AI_MODEL', ' claude-opus-5 ', 'aiModel', 'claude-opus-5', null],
  ['AI_MODEL', ['x'], 'aiModel', 'claude-sonnet-5-5', 'config.setting_invalid'],
  ['DB_WS_PROXY', '', 'dbWsProxy', null, null],
  ['DB_WS_PROXY', '127.0.0.1:6432/v2', 'dbWsProxy', '127.0.0.1:6432/v2', null],
  // An enum: one of its words, any case; anything else is the default.
  ['AI_LATE_ANSWER', undefined, 'aiLateAnswer', 'button', null],
  ['AI_LATE_ANSWER', 'push', 'aiLateAnswer', 'push', null],
  ['AI_LATE_ANSWER', ' PUSH ', 'aiLateAnswer', 'push', null],
  ['AI_LATE_ANSWER', 'pushed', 'aiLateAnswer', 'button', 'config.setting_invalid'],
  // A list: comma-separated, trimmed, a leading @ dropped, empties ignored.
  ['BOT_NAMES', undefined, 'botNames', [], null],
  ['BOT_NAMES', '', 'botNames', [], null],
  ['BOT_NAMES', '小幫手, @Helper ,', 'botNames', ['小幫手', 'Helper'], null],
  ['BOT_NAMES', ',,', 'botNames', [], null],
];

describe('the other kinds of setting', () => {
  it.each(varCases)('%s = %j: %s is %j, logged %s', (name, given, key, used, logged) => {
    const { log, lines } = recordingLogger();
    const got = parse({ [name]: given }, log);
    expect(got[key]).toEqual(used);
    const shown =
      typeof given === 'string' || typeof given === 'number' ? String(given).trim().slice(0, 40) : `(${typeof given})`;
    expect(lines).toEqual(logged ? [{ level: 'warn', msg: logged, name, given: shown, used }] : []);
  });

  const TEAM = 'team.cloudflareaccess.com';
  it.each([
    [{}, null, null],
    [{ ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: 'aud' }, { teamDomain: TEAM, aud: 'aud' }, null],
    [
      { ACCESS_TEAM_DOMAIN: `https://${TEAM.toUpperCase()}/`, ACCESS_AUD: ' aud ' },
      { teamDomain: TEAM, aud: 'aud' },
      null,
    ],
    // Half configured: off, said by the name that is missing.
    [{ ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: '' }, null, ['ACCESS_AUD', '']],
    [{ ACCESS_TEAM_DOMAIN: ' ', ACCESS_AUD: 'aud' }, null, ['ACCESS_TEAM_DOMAIN', '']],
    // Nothing that could point the key fetch at a path or another port.
    [
      { ACCESS_TEAM_DOMAIN: 'evil.example/path?', ACCESS_AUD: 'aud' },
      null,
      ['ACCESS_TEAM_DOMAIN', 'evil.example/path?'],
    ],
    [{ ACCESS_TEAM_DOMAIN: 'localhost:8080', ACCESS_AUD: 'aud' }, null, ['ACCESS_TEAM_DOMAIN', 'localhost:8080']],
  ] as const)('Access %j: %j', (env, access, logged) => {
    const { log, lines } = recordingLogger();
    expect(parse(env, log).access).toEqual(access);
    expect(lines.map((l) => [l.name, l.given])).toEqual(logged ? [logged] : []);
    if (logged) expect(lines[0]).toMatchObject({ msg: 'config.setting_invalid', used: null });
  });

  it('secrets: kept exactly as set (spaces too), undefined when unset or empty, said once by name, never shown', () => {
    const { log, lines } = recordingLogger();
    const seen = new Set<string>();
    const env = {
      ...SECRETS,
      LINE_CHANNEL_SECRET: ' s3cret-with-spaces ',
      ADMIN_API_TOKEN: '',
      NAS_AGENT_TOKEN: undefined,
    };
    const got = parseConfig(env, log, seen);
    expect(got.secrets.lineChannelSecret).toBe(' s3cret-with-spaces ');
    expect(got.secrets.databaseUrl).toBe(SECRETS.DATABASE_URL);
    expect([got.secrets.adminApiToken, got.secrets.nasAgentToken]).toEqual([undefined, undefined]);
    parseConfig({ ...env }, log, seen);
    expect(lines).toEqual([
      { level: 'warn', msg: 'config.secret_unset', name: 'ADMIN_API_TOKEN' },
      { level: 'warn', msg: 'config.secret_unset', name: 'NAS_AGENT_TOKEN' },
    ]);
    // A log of the whole configuration names which secrets are set, never their values.
    const json = JSON.stringify({ config: got });
    for (const value of Object.values(SECRETS)) expect(json).not.toContain(value);
    expect(json).not.toContain('s3cret');
    expect(JSON.parse(json).config.secrets).toEqual({
      lineChannelSecret: 'set',
      lineChannelAccessToken: 'set',
      databaseUrl: 'set',
      adminApiToken: 'unset',
      nasAgentToken: 'unset',
      anthropicApiKey: 'set',
    });
    expect(Object.keys(got.secrets)).toEqual([]);
    expect({ ...got.secrets }).toEqual({});
  });

  it('one frozen object, per env object: parsed (and reported) once however often it is asked for', () => {
    const given = `ftp://${crypto.randomUUID()}`;
    const env = { ...SECRETS, PUBLIC_BASE_URL: given };
    const warned: string[] = [];
    const spy = vi.spyOn(console, 'warn').mockImplementation((l: unknown) => void warned.push(String(l)));
    let first: Config;
    try {
      first = config(env);
      expect(config(env)).toBe(first);
      // Another env object with the same value: parsed anew, but the value was already reported.
      const again = config({ ...env });
      expect(again).not.toBe(first);
      expect(again).toEqual(first);
    } finally {
      spy.mockRestore();
    }
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.botNames)).toBe(true);
    expect(() => Object.assign(first, { aiModel: 'x' })).toThrow(TypeError);
    const mine = warned
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.name === 'PUBLIC_BASE_URL');
    expect(mine).toEqual([
      expect.objectContaining({ msg: 'config.setting_invalid', given: given.slice(0, 40), used: null }),
    ]);
  });

  it('reads every name of the configuration table that the Worker uses, and nothing else', () => {
    const read: string[] = [];
    const env = new Proxy(
      {},
      {
        get: (_t, name) => {
          if (typeof name === 'string') read.push(name);
          return undefined;
        },
      },
    );
    parseConfig(env, recordingLogger().log, new Set());
    expect(read.filter((n) => /^[A-Z_]+$/.test(n)).sort()).toEqual([
      'ACCESS_AUD',
      'ACCESS_TEAM_DOMAIN',
      'ADMIN_API_TOKEN',
      'AI_DAILY_LIMIT_PER_USER',
      'AI_LATE_ANSWER',
      'AI_MODEL',
      'ANTHROPIC_API_KEY',
      'ANTHROPIC_BASE_URL',
      'BOT_NAMES',
      'DATABASE_URL',
      'DB_WS_PROXY',
      'INBOX_RETENTION_DAYS',
      'LINE_API_BASE_URL',
      'LINE_CHANNEL_ACCESS_TOKEN',
      'LINE_CHANNEL_SECRET',
      'LINE_DATA_API_BASE_URL',
      'NAS_AGENT_TOKEN',
      'NAS_SEND_MAX_BYTES',
      'PUBLIC_BASE_URL',
      'SHARE_LINK_TTL',
    ]);
  });
});

describe('through the Worker', () => {
  it('SHARE_LINK_TTL under its floor: a 60-second download link (not a day), logged as clamped', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'warn').mockImplementation((l: unknown) => void lines.push(String(l)));
    try {
      const { request } = await seedSendRequest({ name: 'short.pdf', size: 100 });
      expect((await upload(request.id, 'file', bytesOf(100), { env: { SHARE_LINK_TTL: '17' } })).status).toBe(200);
      const [link] = await linksOf(request.id);
      // Both times are the one now() of the INSERT.
      expect(link!.expiresAt.getTime() - link!.createdAt.getTime()).toBe(60_000);
    } finally {
      spy.mockRestore();
    }
    const clamped = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'config.setting_clamped');
    expect(clamped).toEqual([expect.objectContaining({ name: 'SHARE_LINK_TTL', given: '17', used: 60 })]);
  });
});
