/** NAS_SHARES and NAS_TIMEZONE: parsing, the errors an operator sees, and the media day folders' dates. */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, overlapProblems, parseConfig } from '../src/config.ts';
import { parseShares } from '../src/index/index.ts';
import { extensionOf, isIgnoredName } from '../src/index/ignore.ts';
import { buildNasPath, dateIn } from '../src/paths.ts';

let dir: string;
/** NAS_ROOT and a share beside it (they must not lie inside one another). */
let nasRoot: string;
let share: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nas-index-config-'));
  await writeFile(join(dir, 'a-file'), '');
  nasRoot = join(dir, 'line');
  share = join(dir, 'projects');
  await Promise.all([mkdir(nasRoot), mkdir(share)]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const baseEnv = () => ({
  DATABASE_URL: 'postgres://x@127.0.0.1/db',
  LINE_CHANNEL_ACCESS_TOKEN: 't',
  NAS_ROOT: nasRoot,
});

describe('parseShares', () => {
  it('reads name:path pairs, trimming spaces and ignoring empty items', () => {
    expect(parseShares(` projects:${dir} , lib_2-x:/mnt/nas/library/ ,`, { checkDisk: false })).toEqual({
      shares: [
        { name: 'projects', root: dir },
        { name: 'lib_2-x', root: '/mnt/nas/library' },
      ],
      problems: [],
    });
    expect(parseShares(`a:${dir},b:${dir}/`).problems).toEqual([
      `NAS_SHARES: shares a and b have the same path ${dir}`,
    ]);
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
    expect(c).toMatchObject({
      shares: [],
      timeZone: 'Asia/Taipei',
      indexIntervalMs: 6 * 3600_000,
      rescanIntervalMs: 15 * 60_000,
      previewsPerRound: 200,
    });
    expect(parseConfig(['--previews-per-round', '0'], baseEnv()).previewsPerRound).toBe(0);
  });

  it('takes NAS_SHARES, NAS_TIMEZONE and --index-interval', () => {
    const c = parseConfig(['--index-interval', '0.5', '--rescan-interval', '2'], {
      ...baseEnv(),
      NAS_SHARES: `p:${share}`,
      NAS_TIMEZONE: 'Asia/Tokyo',
    });
    expect(c).toMatchObject({
      shares: [{ name: 'p', root: share }],
      timeZone: 'Asia/Tokyo',
      indexIntervalMs: 1_800_000,
      rescanIntervalMs: 120_000,
    });
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
    [{}, ['--previews-per-round', '1.5'], '--previews-per-round must be a whole number from 0 to 100000'],
  ])('refuses %j %j', (env, argv, message) => {
    expect(() => parseConfig(argv, { ...baseEnv(), ...env })).toThrow(ConfigError);
    expect(() => parseConfig(argv, { ...baseEnv(), ...env })).toThrow(message);
  });

  it('--status needs neither shares nor a valid zone (it never touches the NAS)', () => {
    expect(
      parseConfig(['--status'], { DATABASE_URL: 'postgres://x@h/db', NAS_SHARES: 'x', NAS_TIMEZONE: 'nope' }).command,
    ).toBe('status');
  });
});

describe('NAS_ROOT and the shares must not lie inside one another', () => {
  const refusal = (shares: string, root = nasRoot) => {
    try {
      parseConfig([], { ...baseEnv(), NAS_ROOT: root, NAS_SHARES: shares });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return e as ConfigError;
    }
    throw new Error('not refused');
  };

  it.each([
    ['the same folder', () => `media:${nasRoot}`, 'are the same folder'],
    ['NAS_ROOT inside a share', () => `all:${dir}`, 'is inside share all'],
    ['a share inside NAS_ROOT', () => `p:${share},inner:${join(nasRoot, 'inner')}`, 'share inner'],
  ])('%s: refused with exit status 1, the problem named', async (_label, shares, message) => {
    await mkdir(join(nasRoot, 'inner'), { recursive: true });
    const e = refusal(shares());
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain('refusing to start: NAS_ROOT and NAS_SHARES overlap');
    expect(e.message).toContain(message);
  });

  it('compares real paths: a symlink to NAS_ROOT as a share, NAS_ROOT through a symlink into a share', async () => {
    await symlink(nasRoot, join(dir, 'line-link'));
    expect(refusal(`media:${join(dir, 'line-link')}`).message).toContain(`(really ${nasRoot})`);
    await mkdir(join(share, 'line-media'));
    await symlink(join(share, 'line-media'), join(dir, 'media-link'));
    expect(refusal(`p:${share}`, join(dir, 'media-link')).message).toContain(
      `NAS_ROOT ${join(dir, 'media-link')} (really ${join(share, 'line-media')}) is inside share p`,
    );
  });

  it('a path not there yet is compared by its longest existing prefix (symlinks in it resolved)', () => {
    expect(overlapProblems(nasRoot, [{ name: 'later', root: join(nasRoot, 'not', 'yet') }])).toHaveLength(1);
    expect(overlapProblems(nasRoot, [{ name: 'later', root: join(dir, 'line-link', 'not-yet') }])[0]).toContain(
      'is inside NAS_ROOT',
    );
    expect(overlapProblems(join(share, 'not-yet'), [{ name: 'p', root: share }])[0]).toContain('is inside share p');
    // Beside one another, even with a common prefix of the name: no problem.
    expect(
      overlapProblems(nasRoot, [
        { name: 'p', root: share },
        { name: 'q', root: `${nasRoot}-archive` },
      ]),
    ).toEqual([]);
    expect(parseConfig([], { ...baseEnv(), NAS_SHARES: `p:${share}` }).shares).toEqual([{ name: 'p', root: share }]);
  });

  it('other problems come first (exit status 2); --status, which never touches the NAS, is not refused', () => {
    expect(() => parseConfig([], { NAS_ROOT: nasRoot, NAS_SHARES: `media:${nasRoot}` })).toThrow(
      /DATABASE_URL is not set/,
    );
    const e = (() => {
      try {
        parseConfig([], { NAS_ROOT: nasRoot, NAS_SHARES: `media:${nasRoot}` });
      } catch (x) {
        return x as ConfigError;
      }
    })();
    expect(e?.exitCode).toBe(2);
    expect(parseConfig(['--status'], { ...baseEnv(), NAS_SHARES: `media:${nasRoot}` }).command).toBe('status');
  });
});

describe('NAS_SYNC_DAILY_BYTES_PER_USER', () => {
  it('defaults to 1 GiB and takes a whole number of bytes', () => {
    expect(parseConfig([], baseEnv())).toMatchObject({ dailyBytesPerSender: 1_073_741_824, warnings: [] });
    expect(parseConfig([], { ...baseEnv(), NAS_SYNC_DAILY_BYTES_PER_USER: ' 524288000 ' })).toMatchObject({
      dailyBytesPerSender: 524_288_000,
      warnings: [],
    });
  });

  it.each([
    ['0', 1_048_576, 'using 1048576 (1 MiB)'],
    ['-5', 1_048_576, 'using 1048576 (1 MiB)'],
    ['1000', 1_048_576, 'NAS_SYNC_DAILY_BYTES_PER_USER 1000 is outside 1048576 (1 MiB) to 1099511627776 (1 TiB)'],
    ['1e15', 1_099_511_627_776, 'using 1099511627776 (1 TiB)'],
  ])('%s is clamped to %d, and said so', (raw, used, warning) => {
    const c = parseConfig([], { ...baseEnv(), NAS_SYNC_DAILY_BYTES_PER_USER: raw });
    expect(c.dailyBytesPerSender).toBe(used);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toContain(warning);
  });

  it.each(['1GiB', 'lots', '1.5', 'Infinity'])('%j is a configuration problem, not the default', (raw) => {
    expect(() => parseConfig([], { ...baseEnv(), NAS_SYNC_DAILY_BYTES_PER_USER: raw })).toThrow(
      'NAS_SYNC_DAILY_BYTES_PER_USER must be a whole number of bytes',
    );
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
    ['.DS_Store', true],
    ['.snapshot', true],
    ['@eaDir', true],
    ['@EADIR', true],
    ['#recycle', true],
    ['#snapshot', true],
    ['Thumbs.db', true],
    ['thumbs.DB', true],
    ['~$Budget.xlsx', true],
    ['~WRL0001.tmp', true],
    ['desktop.ini', true],
    ['$RECYCLE.BIN', true],
    ['._photo.jpg', true],
    ['report.pdf', false],
    ['~notes.txt', false],
    ['@home', false],
    ['#1 plan.pdf', false],
    ['平面圖.pdf', false],
  ])('%s ignored: %s', (name, ignored) => {
    expect(isIgnoredName(name)).toBe(ignored);
  });
  it.each([
    ['a.PDF', 'pdf'],
    ['archive.tar.gz', 'gz'],
    ['README', ''],
    ['.profile', ''],
    ['name.', ''],
    ['x.has space', ''],
    [`x.${'a'.repeat(17)}`, ''],
    ['平面圖.ＰＤＦ', 'pdf'],
  ])('extension of %s is %j', (name, ext) => {
    expect(extensionOf(name)).toBe(ext);
  });
});
