/** NAS_SHARES and NAS_TIMEZONE: parsing, the errors an operator sees, and the media day folders' dates. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../scripts/nas-sync/config.ts';
import { parseShares } from '../../scripts/nas-sync/index/index.ts';
import { extensionOf, isIgnoredName } from '../../scripts/nas-sync/index/ignore.ts';
import { buildNasPath, dateIn } from '../../scripts/nas-sync/paths.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nas-index-config-'));
  await writeFile(join(dir, 'a-file'), '');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const baseEnv = () => ({ DATABASE_URL: 'postgres://x@127.0.0.1/db', LINE_CHANNEL_ACCESS_TOKEN: 't', NAS_ROOT: dir });

describe('parseShares', () => {
  it('reads name:path pairs, trimming spaces and ignoring empty items', () => {
    expect(parseShares(` projects:${dir} , lib_2-x:/mnt/nas/library/ ,`, { checkDisk: false })).toEqual({
      shares: [
        { name: 'projects', root: dir },
        { name: 'lib_2-x', root: '/mnt/nas/library' },
      ],
      problems: [],
    });
    expect(parseShares(`a:${dir},b:${dir}/`).problems).toEqual([`NAS_SHARES: shares a and b have the same path ${dir}`]);
    expect(parseShares(undefined)).toEqual({ shares: [], problems: [] });
    expect(parseShares('')).toEqual({ shares: [], problems: [] });
  });

  it('keeps colons after the first in the path', () => {
    expect(parseShares('a:/mnt/x:y', { checkDisk: false }).shares).toEqual([{ name: 'a', root: '/mnt/x:y' }]);
  });

  it.each([
    ['no colon', 'projects', 'is not name:path'],
    ['empty name', `:${'/tmp'}`, 'share name "" must be 1 to 64 ASCII letters'],
    ['CJK name', '專案:/tmp', 'share name "專案" must be 1 to 64 ASCII letters'],
    ['space in name', 'my share:/tmp', 'must be 1 to 64 ASCII letters'],
    ['too long', `${'a'.repeat(65)}:/tmp`, 'must be 1 to 64 ASCII letters'],
    ['relative path', 'a:mnt/x', 'the path of share a must be absolute'],
    ['missing path', 'a:/definitely/not/here', 'the path of share a does not exist (is the NAS mounted?)'],
  ])('%s', (_label, raw, message) => {
    const { shares, problems } = parseShares(raw);
    expect(shares).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('refuses a file as a share and a name used twice (ignoring case)', () => {
    expect(parseShares(`a:${join(dir, 'a-file')}`).problems[0]).toContain('is not a directory');
    const twice = parseShares(`Projects:${dir},projects:/tmp`);
    expect(twice.shares).toEqual([{ name: 'Projects', root: dir }]);
    expect(twice.problems[0]).toContain('share name "projects" is used twice');
  });
});

describe('parseConfig', () => {
  it('has no shares and Asia/Taipei by default; the sync alone keeps working', () => {
    const c = parseConfig([], baseEnv());
    expect(c).toMatchObject({ shares: [], timeZone: 'Asia/Taipei', indexIntervalMs: 6 * 3600_000, rescanIntervalMs: 15 * 60_000 });
  });

  it('takes NAS_SHARES, NAS_TIMEZONE and --index-interval', () => {
    const c = parseConfig(['--index-interval', '0.5', '--rescan-interval', '2'], { ...baseEnv(), NAS_SHARES: `p:${dir}`, NAS_TIMEZONE: 'Asia/Tokyo' });
    expect(c).toMatchObject({ shares: [{ name: 'p', root: dir }], timeZone: 'Asia/Tokyo', indexIntervalMs: 1_800_000, rescanIntervalMs: 120_000 });
    expect(parseConfig(['--rescan-interval', '0'], baseEnv()).rescanIntervalMs).toBe(0);
  });

  it.each([
    [{ NAS_TIMEZONE: 'Asia/Taipeh' }, [], 'NAS_TIMEZONE "Asia/Taipeh" is not an IANA time zone'],
    [{ NAS_TIMEZONE: '+08:00x' }, [], 'NAS_TIMEZONE "+08:00x"'],
    [{ NAS_SHARES: 'x' }, [], 'NAS_SHARES: "x" is not name:path'],
    [{}, ['--index-interval', '0'], '--index-interval must be a number of hours from 0.01 to 720'],
    [{}, ['--index-interval', 'often'], '--index-interval must be a number of hours'],
    [{}, ['--rescan-interval=-1'], '--rescan-interval must be 0 (off) or a number of minutes from 0.1 to 1440'],
    [{}, ['--rescan-interval', ''], '--rescan-interval must be 0 (off)'],
  ])('refuses %j %j', (env, argv, message) => {
    expect(() => parseConfig(argv, { ...baseEnv(), ...env })).toThrow(ConfigError);
    expect(() => parseConfig(argv, { ...baseEnv(), ...env })).toThrow(message);
  });

  it('--status needs neither shares nor a valid zone (it never touches the NAS)', () => {
    expect(parseConfig(['--status'], { DATABASE_URL: 'postgres://x@h/db', NAS_SHARES: 'x', NAS_TIMEZONE: 'nope' }).command).toBe('status');
  });
});

describe('media day folders in NAS_TIMEZONE', () => {
  const input = {
    messageId: '1',
    fileType: 'image',
    fileName: null,
    lineGroupId: null,
    lineUserId: 'U1',
    contentType: 'image/jpeg',
  };
  it.each([
    // 23:30 UTC is already the next morning in Taipei and Tokyo, and still the same day in Los Angeles.
    ['2025-03-04T23:30:00Z', undefined, '2025-03-05'],
    ['2025-03-04T23:30:00Z', 'Asia/Taipei', '2025-03-05'],
    ['2025-03-04T15:59:59.999Z', 'Asia/Taipei', '2025-03-04'],
    ['2025-03-04T16:00:00Z', 'Asia/Taipei', '2025-03-05'],
    ['2025-03-04T23:30:00Z', 'UTC', '2025-03-04'],
    ['2025-03-05T07:30:00Z', 'America/Los_Angeles', '2025-03-04'],
    ['2025-12-31T16:00:00Z', 'Asia/Taipei', '2026-01-01'],
  ])('%s in %s is %s', (at, timeZone, day) => {
    expect(buildNasPath({ ...input, sentAt: new Date(at), timeZone })).toBe(`users/U1/images/${day}/1.jpg`);
    expect(dateIn(new Date(at), timeZone ?? 'Asia/Taipei')).toBe(day);
  });
});

describe('names', () => {
  it.each([
    ['.DS_Store', true], ['.snapshot', true], ['@eaDir', true], ['@EADIR', true], ['#recycle', true], ['#snapshot', true],
    ['Thumbs.db', true], ['thumbs.DB', true], ['~$Budget.xlsx', true], ['~WRL0001.tmp', true], ['desktop.ini', true],
    ['$RECYCLE.BIN', true], ['._photo.jpg', true], ['report.pdf', false], ['~notes.txt', false], ['@home', false], ['#1 plan.pdf', false],
    ['平面圖.pdf', false],
  ])('%s ignored: %s', (name, ignored) => {
    expect(isIgnoredName(name)).toBe(ignored);
  });
  it.each([
    ['a.PDF', 'pdf'], ['archive.tar.gz', 'gz'], ['README', ''], ['.profile', ''], ['name.', ''], ['x.has space', ''],
    [`x.${'a'.repeat(17)}`, ''], ['平面圖.ＰＤＦ', 'pdf'],
  ])('extension of %s is %j', (name, ext) => {
    expect(extensionOf(name)).toBe(ext);
  });
});
