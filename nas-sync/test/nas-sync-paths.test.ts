/** NAS paths and file-name sanitising (pure functions, table-driven). */
import { describe, expect, it } from 'vitest';
import {
  buildNasPath,
  byteLength,
  extensionForContentType,
  fileNameFor,
  MAX_NAME_BYTES,
  sanitizeFileName,
  truncateName,
} from '../src/paths.ts';

describe('sanitizeFileName', () => {
  it.each([
    ['plain name', 'report.pdf', 'report.pdf'],
    ['directory parts', 'a/b/c.txt', 'c.txt'],
    ['path traversal', '../../etc/passwd', 'passwd'],
    ['traversal with backslashes', '..\\..\\Windows\\win.ini', 'win.ini'],
    ['only dots', '..', ''],
    ['dots and slashes', '../../', ''],
    ['leading dots (hidden, ..foo)', '..foo.txt', 'foo.txt'],
    ['reserved characters', 'a<b>c:d"e|f?g*h.txt', 'a_b_c_d_e_f_g_h.txt'],
    ['control characters', 'bad\u0000na\u001fme\u007f.txt', 'badname.txt'],
    ['tab and newline', 'two\tlines\n.txt', 'twolines.txt'],
    ['trailing dots and spaces', 'name. . ', 'name'],
    ['trailing dot before nothing', 'archive.', 'archive'],
    ['leading spaces', '   spaced.txt', 'spaced.txt'],
    ['reserved device name', 'CON', '_CON'],
    ['reserved device name with extension', 'nul.txt', '_nul.txt'],
    ['reserved COM port', 'com1.log', '_com1.log'],
    ['reserved LPT port, mixed case', 'Lpt9', '_Lpt9'],
    ['not reserved: longer word', 'console.txt', 'console.txt'],
    ['not reserved: COM10', 'COM10.txt', 'COM10.txt'],
    ['CJK kept', '見積書_第2版.xlsx', '見積書_第2版.xlsx'],
    ['Thai kept', 'ใบเสนอราคา.pdf', 'ใบเสนอราคา.pdf'],
    ['emoji kept', '🎉 party.png', '🎉 party.png'],
    ['NFD normalised to NFC', 'Cafe\u0301.txt', 'Café.txt'],
    ['right-to-left override removed', 'invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['empty', '', ''],
    ['only reserved characters', '???', '___'],
  ])('%s', (_label, input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('caps the length in UTF-8 bytes, keeping the extension and whole characters', () => {
    const long = `${'見'.repeat(200)}.pdf`; // 604 bytes
    const out = sanitizeFileName(long);
    expect(byteLength(out)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(out.endsWith('.pdf')).toBe(true);
    expect(out).toBe(`${'見'.repeat(83)}.pdf`); // 83 * 3 + 4 = 253
    expect(out).not.toContain('\uFFFD');
  });

  it('never splits a surrogate pair', () => {
    const out = truncateName(`${'😀'.repeat(100)}.png`, 50); // 4 bytes each
    expect(out).toBe(`${'😀'.repeat(11)}.png`);
  });

  it('treats a very long "extension" as part of the name', () => {
    const out = truncateName(`a.${'x'.repeat(300)}`, 100);
    expect(byteLength(out)).toBeLessThanOrEqual(100);
    expect(out.startsWith('a.xxx')).toBe(true);
  });
});

describe('extensionForContentType', () => {
  it.each([
    ['image/jpeg', 'image', '.jpg'],
    ['image/png', 'image', '.png'],
    ['IMAGE/JPEG; charset=binary', 'image', '.jpg'],
    ['video/mp4', 'video', '.mp4'],
    ['audio/x-m4a', 'audio', '.m4a'],
    ['application/pdf', 'file', '.pdf'],
    ['application/octet-stream', 'image', '.jpg'],
    ['application/octet-stream', 'video', '.mp4'],
    ['application/octet-stream', 'file', ''],
    [null, 'audio', '.m4a'],
  ])('%s (%s) -> %s', (contentType, fileType, ext) => {
    expect(extensionForContentType(contentType, fileType)).toBe(ext);
  });
});

describe('buildNasPath', () => {
  const base = {
    messageId: '468789577898262530',
    fileType: 'image',
    fileName: null,
    sentAt: new Date('2025-03-04T23:59:59.999Z'),
    lineGroupId: null,
    lineUserId: 'U4af4980629aaaaaaaaaaaaaaaaaaaaaa',
    contentType: 'image/jpeg',
    timeZone: 'UTC',
  };
  it.each([
    ['1:1 image', {}, 'users/U4af4980629aaaaaaaaaaaaaaaaaaaaaa/images/2025-03-04/468789577898262530.jpg'],
    [
      'group video (date in UTC)',
      {
        fileType: 'video',
        lineGroupId: 'Ca56f94637cc4347f90a25382909b24b9',
        contentType: 'video/mp4',
        sentAt: new Date('2025-03-05T00:30:00+09:00'),
      },
      'groups/Ca56f94637cc4347f90a25382909b24b9/videos/2025-03-04/468789577898262530.mp4',
    ],
    [
      'room audio',
      { fileType: 'audio', lineGroupId: 'Ra8dbf4e6a1b3', contentType: 'audio/m4a' },
      'groups/Ra8dbf4e6a1b3/audios/2025-03-04/468789577898262530.m4a',
    ],
    [
      'file keeps its name',
      { fileType: 'file', fileName: 'Q3 見積書.xlsx', contentType: 'application/octet-stream' },
      'users/U4af4980629aaaaaaaaaaaaaaaaaaaaaa/files/2025-03-04/468789577898262530_Q3 見積書.xlsx',
    ],
    [
      'file name without extension takes it from the Content-Type',
      { fileType: 'file', fileName: 'README', contentType: 'text/plain; charset=utf-8' },
      'users/U4af4980629aaaaaaaaaaaaaaaaaaaaaa/files/2025-03-04/468789577898262530_README.txt',
    ],
    [
      'file name with traversal and reserved characters',
      { fileType: 'file', fileName: '../../../etc/cron.d/<evil>:job?.sh', contentType: 'text/x-sh' },
      'users/U4af4980629aaaaaaaaaaaaaaaaaaaaaa/files/2025-03-04/468789577898262530__evil__job_.sh',
    ],
    [
      'file with nothing usable in its name',
      { fileType: 'file', fileName: '../..', contentType: 'application/pdf' },
      'users/U4af4980629aaaaaaaaaaaaaaaaaaaaaa/files/2025-03-04/468789577898262530.pdf',
    ],
    ['no sender known', { lineUserId: null }, 'users/_unknown/images/2025-03-04/468789577898262530.jpg'],
    [
      'hostile ids are sanitised too',
      { lineGroupId: '../../x', messageId: '1/../2' },
      'groups/x/images/2025-03-04/2.jpg',
    ],
  ])('%s', (_label, overrides, expected) => {
    expect(buildNasPath({ ...base, ...overrides })).toBe(expected);
  });

  it('keeps the whole file name within 255 bytes, prefix included', () => {
    const name = fileNameFor({
      messageId: '468789577898262530',
      fileType: 'file',
      fileName: `${'漢'.repeat(300)}.docx`,
      contentType: null,
    });
    expect(byteLength(name)).toBeLessThanOrEqual(255);
    expect(name.startsWith('468789577898262530_漢')).toBe(true);
    expect(name.endsWith('漢.docx')).toBe(true);
  });
});
