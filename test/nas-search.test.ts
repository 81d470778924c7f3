/**
 * The NAS search's semantics against real Postgres, table by table: what matches (CJK substrings,
 * width, case, Unicode forms, LIKE metacharacters as literals), the type filter, the order, and
 * the scope (a folder prefix never matches a sibling that merely starts the same).
 */
import { describe, expect, it } from 'vitest';
import { parseNasFolder } from '../src/access/nas-folder';
import type { NasScope } from '../src/access/policy';
import {
  fileInScope,
  isProblem,
  parseFindText,
  queryOf,
  scopeCondition,
  searchNasFiles,
  searchStatement,
  type NasQuery,
} from '../src/nas/search';
import { withDb } from './support/db';
import { insertNasFiles, newShare } from './support/nas-find';

const day = (d: number) => new Date(Date.UTC(2026, 0, d));

function query(text: string): NasQuery {
  const q = parseFindText(text);
  if (isProblem(q)) throw new Error(`not a query: ${JSON.stringify(q)}`);
  return q;
}
const folder = (share: string, prefix = ''): NasScope => ({ kind: 'folders', folders: [{ share, prefix }] });
const paths = async (scope: NasScope, text: string, limit?: number) =>
  (await withDb((db) => searchNasFiles(db, scope, query(text), limit))).map((h) => h.path);

describe('what matches', () => {
  const share = newShare();
  const files = [
    { path: '案場A/圖面/平面圖-v2.pdf', modifiedAt: day(10) },
    { path: '案場A/圖面/立面圖.dwg', modifiedAt: day(9) },
    { path: '案場A/報價/Quotation_Final.XLSX', modifiedAt: day(8) },
    { path: '案場B/ＰＤＦ資料/說明書.docx', modifiedAt: day(7) },
    { path: '案場B/資料/Ｒｅｐｏｒｔ２０２６.pdf', modifiedAt: day(6) },
    // NFD (as macOS writes names): e + combining acute; the indexer stores NFKC, so NFC keywords match.
    { path: 'misc/Cafe\u0301 menu.txt', modifiedAt: day(5) },
    { path: 'misc/完成 100% 報告.txt', modifiedAt: day(4) },
    { path: 'misc/完成 1000 報告.txt', modifiedAt: day(3) },
    { path: 'misc/a_b.txt', modifiedAt: day(3) },
    { path: 'misc/axb.txt', modifiedAt: day(2) },
    { path: 'misc/C\\new.txt', modifiedAt: day(2) },
    { path: 'misc/Cnew.txt', modifiedAt: day(1) },
  ];
  const ready = insertNasFiles(share, files);

  it.each([
    ['a CJK substring of a name', '平面', ['案場A/圖面/平面圖-v2.pdf']],
    ['a CJK substring of a folder', '圖面', ['案場A/圖面/平面圖-v2.pdf', '案場A/圖面/立面圖.dwg']],
    [
      'every keyword must match (AND), name or folder',
      '案場a 圖',
      ['案場A/圖面/平面圖-v2.pdf', '案場A/圖面/立面圖.dwg'],
    ],
    ['AND with nothing in common', '平面 說明書', []],
    ['case-insensitive', 'quotation final', ['案場A/報價/Quotation_Final.XLSX']],
    ['upper case keyword', 'QUOTATION', ['案場A/報價/Quotation_Final.XLSX']],
    ['full-width name, half-width keyword', 'report2026', ['案場B/資料/Ｒｅｐｏｒｔ２０２６.pdf']],
    ['full-width keyword, half-width name', 'ｑｕｏｔａｔｉｏｎ', ['案場A/報價/Quotation_Final.XLSX']],
    ['full-width ＰＤＦ folder, half-width keyword', 'pdf資料', ['案場B/ＰＤＦ資料/說明書.docx']],
    ['NFD name, NFC keyword', 'café', ['misc/Cafe\u0301 menu.txt']],
    ['NFD name, NFD keyword', 'cafe\u0301', ['misc/Cafe\u0301 menu.txt']],
    ['% is a literal', '100%', ['misc/完成 100% 報告.txt']],
    ['% alone is a literal', '%', ['misc/完成 100% 報告.txt']],
    ['_ is a literal', 'a_b', ['misc/a_b.txt']],
    ['\\ is a literal', 'c\\n', ['misc/C\\new.txt']],
    ['a keyword across the folder separator', '圖面/立面', ['案場A/圖面/立面圖.dwg']],
    ['the share name is part of the text', `${share} 說明書`, ['案場B/ＰＤＦ資料/說明書.docx']],
    ['nothing', '不存在的檔案', []],
  ])('%s: %j', async (_what, text, expected) => {
    await ready;
    expect(await paths(folder(share), text)).toEqual(expected);
  });

  it('the gram index (migration 0006) finds exactly the same files as strpos alone', async () => {
    await ready;
    for (const text of [
      '平面',
      '圖面',
      '案場a 圖',
      'quotation final',
      'report2026',
      'pdf資料',
      'café',
      '100%',
      '%',
      'a_b',
      'c\\n',
      '圖面/立面',
      'x',
      '不存在的檔案',
      '案場 type:pdf',
    ]) {
      const [plain, indexed] = await withDb((db) =>
        Promise.all([
          searchStatement(db, folder(share), query(text), { gramIndex: false }),
          searchStatement(db, folder(share), query(text)),
        ]),
      );
      expect(indexed, text).toEqual(plain);
    }
  });

  it.each([
    ['type:pdf', '案場 type:pdf', ['案場A/圖面/平面圖-v2.pdf', '案場B/資料/Ｒｅｐｏｒｔ２０２６.pdf']],
    ['type:.pdf', '案場 type:.pdf', ['案場A/圖面/平面圖-v2.pdf', '案場B/資料/Ｒｅｐｏｒｔ２０２６.pdf']],
    ['TYPE:PDF (case)', '案場 TYPE:PDF', ['案場A/圖面/平面圖-v2.pdf', '案場B/資料/Ｒｅｐｏｒｔ２０２６.pdf']],
    [
      'ｔｙｐｅ：ｐｄｆ (full width)',
      '案場 ｔｙｐｅ：ｐｄｆ',
      ['案場A/圖面/平面圖-v2.pdf', '案場B/資料/Ｒｅｐｏｒｔ２０２６.pdf'],
    ],
    ['several types are OR', '案場 type:dwg,xlsx', ['案場A/圖面/立面圖.dwg', '案場A/報價/Quotation_Final.XLSX']],
    [
      'two type: words are OR too',
      '案場 type:dwg type:docx',
      ['案場A/圖面/立面圖.dwg', '案場B/ＰＤＦ資料/說明書.docx'],
    ],
    ['ext: and 類型:', '案場 ext:docx', ['案場B/ＰＤＦ資料/說明書.docx']],
    ['類型:', '案場 類型:dwg', ['案場A/圖面/立面圖.dwg']],
    ['the type is the extension, not a keyword', 'pdf type:docx', ['案場B/ＰＤＦ資料/說明書.docx']],
  ])('type filter %s', async (_what, text, expected) => {
    await ready;
    expect(await paths(folder(share), text)).toEqual(expected);
  });
});

describe('order and limit', () => {
  it('names that match every keyword first, then newer first, then by path; at most the limit', async () => {
    const share = newShare();
    await insertNasFiles(share, [
      { path: '合約/舊/說明.txt', modifiedAt: day(20) }, // folder match only, newest
      { path: '其他/合約-乙.pdf', modifiedAt: day(5) },
      { path: '其他/合約-甲.pdf', modifiedAt: day(5) }, // same time: path decides
      { path: '其他/合約-新.pdf', modifiedAt: day(9) },
      { path: '合約/附件/圖.png', modifiedAt: day(15) }, // folder match only
    ]);
    expect(await paths(folder(share), '合約')).toEqual([
      '其他/合約-新.pdf',
      '其他/合約-乙.pdf',
      '其他/合約-甲.pdf',
      '合約/舊/說明.txt',
      '合約/附件/圖.png',
    ]);
    expect(await paths(folder(share), '合約', 2)).toEqual(['其他/合約-新.pdf', '其他/合約-乙.pdf']);
    // Two keywords: the name must hold both to count as a name match.
    expect(await paths(folder(share), '合約 pdf')).toEqual([
      '其他/合約-新.pdf',
      '其他/合約-乙.pdf',
      '其他/合約-甲.pdf',
    ]);
    expect(await paths(folder(share), '合約 附件')).toEqual(['合約/附件/圖.png']);
  });

  it('the result carries id, name, extension, size and time, and nameMatch', async () => {
    const share = newShare();
    const [row] = await insertNasFiles(share, [{ path: 'x/估價單.PDF', size: 123_456, modifiedAt: day(3) }]);
    const [hit] = await withDb((db) => searchNasFiles(db, folder(share), query('估價')));
    expect(hit).toEqual({
      id: row!.id,
      share,
      path: 'x/估價單.PDF',
      name: '估價單.PDF',
      extension: 'pdf',
      size: 123_456,
      modifiedAt: day(3),
      nameMatch: true,
    });
    const [viaFolder] = await withDb((db) => searchNasFiles(db, folder(share), query('x')));
    expect(viaFolder?.nameMatch).toBe(false);
  });
});

describe('scope', () => {
  const share = newShare();
  const other = newShare();
  const ready = Promise.all([
    insertNasFiles(share, [
      { path: 'projects/案場A/圖.pdf' },
      { path: 'projects/案場A/子/圖2.pdf' },
      { path: 'projects/案場AB/圖.pdf' },
      { path: 'projects/案場A.pdf' },
      { path: 'projects/%/圖.pdf' },
      { path: 'projects/_x/圖.pdf' },
      { path: 'projects/ax/圖.pdf' },
    ]),
    insertNasFiles(other, [{ path: 'projects/案場A/圖.pdf' }]),
  ]);

  it.each([
    [
      'a folder and below, never a sibling that starts the same',
      'projects/案場A',
      ['projects/案場A/子/圖2.pdf', 'projects/案場A/圖.pdf'],
    ],
    ['a deeper folder', 'projects/案場A/子', ['projects/案場A/子/圖2.pdf']],
    ['% in the folder is literal', 'projects/%', ['projects/%/圖.pdf']],
    ['_ in the folder is literal', 'projects/_x', ['projects/_x/圖.pdf']],
    ['a folder that does not exist', 'projects/無', []],
  ])('%s (%s)', async (_what, folderPath, expected) => {
    await ready;
    const f = parseNasFolder(`${share}/${folderPath}`)!;
    expect((await paths({ kind: 'folders', folders: [f] }, '圖')).sort()).toEqual([...expected].sort());
  });

  it('a whole share, never another share; several folders are OR; no folder is nothing', async () => {
    await ready;
    expect(await paths(folder(share), '圖')).toHaveLength(6); // all but projects/案場A.pdf
    const both = await withDb((db) =>
      searchNasFiles(
        db,
        {
          kind: 'folders',
          folders: [
            { share, prefix: 'projects/ax' },
            { share: other, prefix: '' },
          ],
        },
        query('圖'),
      ),
    );
    expect(both.map((h) => `${h.share === share ? 'mine' : 'other'}:${h.path}`).sort()).toEqual([
      'mine:projects/ax/圖.pdf',
      'other:projects/案場A/圖.pdf',
    ]);
    expect(await paths({ kind: 'folders', folders: [] }, '圖')).toEqual([]);
    expect(scopeCondition({ kind: 'all' })).toBeUndefined();
  });

  it('everything (a 1:1 chat) reaches every share', async () => {
    await ready;
    const marker = `m${crypto.randomUUID().slice(0, 8)}`; // not part of a share's name
    await insertNasFiles(share, [{ path: `z/${marker}.txt` }]);
    await insertNasFiles(other, [{ path: `z/${marker}.txt` }]);
    expect(await paths({ kind: 'all' }, marker)).toHaveLength(2);
  });

  it('fileInScope: the file only when in scope; a bad id is nothing, not a database error', async () => {
    await ready;
    const [inside] = await withDb((db) => searchNasFiles(db, folder(share, 'projects/案場A'), query('圖2')));
    const [sibling] = await withDb((db) => searchNasFiles(db, folder(share, 'projects/案場AB'), query('圖')));
    await withDb(async (db) => {
      expect((await fileInScope(db, folder(share, 'projects/案場A'), inside!.id))?.path).toBe(
        'projects/案場A/子/圖2.pdf',
      );
      expect(await fileInScope(db, folder(share, 'projects/案場A'), sibling!.id)).toBeUndefined();
      expect(await fileInScope(db, folder(other), inside!.id)).toBeUndefined();
      expect((await fileInScope(db, { kind: 'all' }, sibling!.id))?.path).toBe('projects/案場AB/圖.pdf');
      expect(await fileInScope(db, { kind: 'all' }, 'not-a-uuid')).toBeUndefined();
      expect(await fileInScope(db, { kind: 'all' }, crypto.randomUUID())).toBeUndefined();
    });
  });
});

describe('parsing what users type', () => {
  it.each([
    ['報價單', { keywords: ['報價單'], extensions: [] }],
    ['  Plan   ＡＢＣ  ', { keywords: ['plan', 'abc'], extensions: [] }],
    ['a a A', { keywords: ['a'], extensions: [] }],
    ['圖 type:PDF,.docx', { keywords: ['圖'], extensions: ['pdf', 'docx'] }],
    ['圖 type:', { keywords: ['圖'], extensions: [] }],
    ['a\u0000b', { keywords: ['a', 'b'], extensions: [] }],
    ['\ud800', { keywords: ['\ufffd'], extensions: [] }],
    ['', { problem: 'noKeywords' }],
    ['type:pdf', { problem: 'noKeywords' }],
    ['1 2 3 4 5 6 7 8', { keywords: ['1', '2', '3', '4', '5', '6', '7', '8'], extensions: [] }],
    ['1 2 3 4 5 6 7 8 9', { problem: 'tooManyKeywords', max: 8 }],
    ['x'.repeat(100), { keywords: ['x'.repeat(100)], extensions: [] }],
    ['x'.repeat(101), { problem: 'keywordTooLong', max: 100 }],
    ['圖 type:p%f', { problem: 'badFileType', value: 'p%f' }],
    ['圖 type:a,b,c,d,e,f', { problem: 'badFileType', value: 'f' }],
  ])('%j', (text, expected) => {
    expect(parseFindText(text)).toEqual(expected);
  });

  it('the AI keeps a phrase together and gives the type apart', () => {
    expect(queryOf(['Final Report', 'ＰＤＦ'], 'PDF, docx')).toEqual({
      keywords: ['final report', 'pdf'],
      extensions: ['pdf', 'docx'],
    });
    expect(queryOf(['  ', '\u0000'], undefined)).toEqual({ problem: 'noKeywords' });
  });
});
