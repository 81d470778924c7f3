/**
 * The numeric settings (src/config/settings.ts): unset or empty means the default; a number out of
 * range is clamped to the nearest bound and logged (`config.setting_clamped`), never replaced by the
 * default; no number at all means the default, logged (`config.setting_invalid`); each line once
 * per value. Through the Worker: SHARE_LINK_TTL under its floor gives a 60-second link, not a day.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { aiConfig } from '../src/ai/config';
import { R2_SINGLE_PUT_MAX_BYTES } from '@linebot-edge/shared/upload-contract';
import { defaultSettings, numericSettings, settings, type Settings } from '../src/config/settings';
import type { Logger } from '../src/lib/log';
import { nasConfig } from '../src/nas/requests';
import { bytesOf, linksOf, seedSendRequest, upload } from './support/nas';

function recordingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, ...fields });
  const log: Logger = { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: () => log };
  return { log, lines };
}

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

describe('settings(env, log)', () => {
  it.each(cases)('%s = %j: %d, logged %s', (key, given, used, logged) => {
    const spec = numericSettings[key];
    const { log, lines } = recordingLogger();
    const got = settings({ [spec.env]: given }, log, new Set());
    expect(got[key]).toBe(used);
    // The others are untouched by it.
    expect({ ...got, [key]: 0 }).toEqual({ ...defaultSettings, [key]: 0 });
    const expected = logged && { level: 'warn', msg: logged, name: spec.env, given: String(given).trim().slice(0, 40), used, min: spec.min, max: spec.max };
    expect(lines).toEqual(expected ? [expected] : []);
  });

  it('the defaults lie within their bounds, and every numeric var of wrangler.toml is in the table', () => {
    for (const spec of Object.values(numericSettings)) {
      expect(spec.default, spec.env).toBeGreaterThanOrEqual(spec.min);
      expect(spec.default, spec.env).toBeLessThanOrEqual(spec.max);
    }
    expect(Object.values(numericSettings).map((s) => s.env).sort()).toEqual(
      ['AI_DAILY_LIMIT_PER_USER', 'INBOX_RETENTION_DAYS', 'NAS_SEND_MAX_BYTES', 'SHARE_LINK_TTL'],
    );
  });

  it('logs each setting and value once, a long value cut to 40 characters; reads nothing but its own keys', () => {
    const { log, lines } = recordingLogger();
    const seen = new Set<string>();
    const env = { SHARE_LINK_TTL: '5', INBOX_RETENTION_DAYS: 'x'.repeat(100), LINE_CHANNEL_SECRET: 'never-read' };
    settings(env, log, seen);
    settings(env, log, seen);
    expect(lines.map((l) => [l.msg, l.name, l.given])).toEqual([
      ['config.setting_clamped', 'SHARE_LINK_TTL', '5'],
      ['config.setting_invalid', 'INBOX_RETENTION_DAYS', 'x'.repeat(40)],
    ]);
    settings({ SHARE_LINK_TTL: '6' }, log, seen);
    expect(lines).toHaveLength(3);
    expect(JSON.stringify(lines)).not.toContain('never-read');
    // A binding or object where a number belongs: the default, said so (without the object).
    const { log: log2, lines: lines2 } = recordingLogger();
    expect(settings({ NAS_SEND_MAX_BYTES: { secret: 'x' } }, log2, new Set()).nasSendMaxBytes).toBe(104_857_600);
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
        const used = settings({ [spec.env]: given }, log, new Set())[key];
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
      expect(nasConfig({ NAS_SEND_MAX_BYTES: value }, log).sendMaxBytes, value).toBe(settings({ NAS_SEND_MAX_BYTES: value }, log).nasSendMaxBytes);
    }
    expect(aiConfig({ AI_DAILY_LIMIT_PER_USER: '-1' }, log).dailyLimit).toBe(0);
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
    const clamped = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'config.setting_clamped');
    expect(clamped).toEqual([expect.objectContaining({ name: 'SHARE_LINK_TTL', given: '17', used: 60 })]);
  });
});
