/**
 * Searching the NAS index (nas_files) for `/find` and the AI's `search_nas_files`: every keyword
 * must occur in the file's `share/path` (search_text, normalised as src/shared/search-text.ts says, so
 * full/half width and case do not matter and CJK matches as substrings), within the asker's scope,
 * optionally of some extensions. Files whose name alone has every keyword come first, then the
 * newer, then by path.
 *
 * Keywords are compared with strpos, never LIKE: `%`, `_` and `\` in what a user types are plain
 * characters. The one LIKE is a project folder's prefix (escaped), which the
 * nas_files_share_path_prefix_idx (text_pattern_ops) serves.
 */
import { and, asc, desc, eq, inArray, like, or, sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
// With extensions: the Node benchmark (scripts/bench/nas-search.ts) runs this very module.
import { nasFiles } from '@linebot-edge/shared/schema';
import type { NasScope } from '../access/policy.ts';
import { normalizeForSearch } from '@linebot-edge/shared/search-text';
import { escapeLike } from '../lib/like.ts';
import { isUuid } from '../lib/uuid.ts';

/** The Worker's Neon database or transaction, or the benchmark's node-postgres one. */
// biome-ignore lint/suspicious/noExplicitAny: any schema: the Worker's and the benchmark's databases differ in it.
type Queryable = PgDatabase<PgQueryResultHKT, any, any>;

export const MAX_KEYWORDS = 8;
export const MAX_KEYWORD_CHARS = 100;
export const MAX_FILE_TYPES = 5;
export const MAX_RESULTS = 10;

export interface NasQuery {
  /** Normalised (normalizeForSearch), non-empty, at most MAX_KEYWORDS. */
  keywords: string[];
  /** Lower-case extensions without the dot; empty = any. */
  extensions: string[];
}

export type QueryProblem =
  | { problem: 'noKeywords' }
  | { problem: 'tooManyKeywords'; max: number }
  | { problem: 'keywordTooLong'; max: number }
  | { problem: 'badFileType'; value: string };

export interface NasFileHit {
  id: string;
  share: string;
  path: string;
  name: string;
  extension: string;
  size: number;
  modifiedAt: Date;
  /** Every keyword is in the name itself (not only in the folders above it). */
  nameMatch: boolean;
}

/** `type:pdf`, `type:.pdf`, `ext:pdf`, `類型:pdf`, several as `type:pdf,docx` (after NFKC: `ｔｙｐｅ：ＰＤＦ` too). */
const TYPE_FILTER = /^(?:type|ext|類型|类型):(.*)$/;
const EXTENSION = /^[\p{L}\p{N}_-]{1,32}$/u;

/** Control characters separate words like spaces do. */
const SEPARATORS = /[\s\p{Cc}]+/u;
/** A lone surrogate has no UTF-8 form: as U+FFFD it simply matches nothing (String#toWellFormed, also on older Node). */
const wellFormed = (s: string) =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** What a user typed after `/find`: words, and `type:` filters among them. */
export function parseFindText(text: string): NasQuery | QueryProblem {
  const words = normalizeForSearch(wellFormed(text)).split(SEPARATORS).filter(Boolean);
  const keywords: string[] = [];
  const types: string[] = [];
  for (const word of words) {
    const filter = TYPE_FILTER.exec(word);
    if (filter) types.push(...filter[1]!.split(','));
    else keywords.push(word);
  }
  return checkQuery(keywords, types);
}

/** The AI's input: keywords as a list (a phrase with spaces kept together) or one string split at spaces. */
export function queryOf(keywords: string[], fileType: string | undefined): NasQuery | QueryProblem {
  const normal = keywords.flatMap((k) => {
    const n = normalizeForSearch(wellFormed(k))
      .replace(/\p{Cc}+/gu, ' ')
      .trim();
    return n ? [n] : [];
  });
  return checkQuery(normal, fileType === undefined ? [] : normalizeForSearch(wellFormed(fileType)).split(/[\s,]+/));
}

function checkQuery(keywords: string[], types: string[]): NasQuery | QueryProblem {
  const unique = [...new Set(keywords)];
  if (unique.length === 0) return { problem: 'noKeywords' };
  if (unique.length > MAX_KEYWORDS) return { problem: 'tooManyKeywords', max: MAX_KEYWORDS };
  if (unique.some((k) => k.length > MAX_KEYWORD_CHARS)) return { problem: 'keywordTooLong', max: MAX_KEYWORD_CHARS };
  const extensions: string[] = [];
  for (const raw of types) {
    const t = raw.trim().replace(/^\./, '');
    if (t === '') continue;
    if (!EXTENSION.test(t) || extensions.length >= MAX_FILE_TYPES)
      return { problem: 'badFileType', value: raw.slice(0, 40) };
    if (!extensions.includes(t)) extensions.push(t);
  }
  return { keywords: unique, extensions };
}

export const isProblem = (q: NasQuery | QueryProblem): q is QueryProblem => 'problem' in q;

/** The scope as a condition on nas_files; undefined = no restriction. */
export function scopeCondition(scope: NasScope): SQL | undefined {
  if (scope.kind === 'all') return undefined;
  if (scope.folders.length === 0) return sql`false`;
  return or(
    ...scope.folders.map((f) =>
      f.prefix === ''
        ? eq(nasFiles.share, f.share)
        : and(eq(nasFiles.share, f.share), like(nasFiles.path, `${escapeLike(f.prefix)}/%`)),
    ),
  );
}

/** The name part of search_text: its last '/'-separated segment. */
const nameText = sql`split_part(${nasFiles.searchText}, '/', -1)`;

/**
 * Searches over a whole share (a 1:1 chat) would scan the table: migration 0006 indexes the
 * character unigrams and bigrams of search_text (`nas_grams`, plain SQL, no extension, so the
 * embedded PGlite of `npm run dev` has it too) in a GIN index. A file containing a keyword contains
 * all of the keyword's grams, so `grams @> keyword grams` narrows without ever losing a match, and
 * strpos then decides. `gramIndex: false` (the benchmark's comparison) leaves it out.
 */

export interface SearchOptions {
  limit?: number;
  /** Narrow by the gram index first (migration 0006; default true). */
  gramIndex?: boolean;
}

/** The search as one statement (the benchmark runs this very builder from Node). */
export function searchStatement(db: Queryable, scope: NasScope, query: NasQuery, options: SearchOptions = {}) {
  const limit = options.limit ?? MAX_RESULTS;
  const contains = (text: SQL | typeof nasFiles.searchText, k: string) => sql`strpos(${text}, ${k}) > 0`;
  // Only where a whole share is searched (a 1:1 chat): a project folder is narrowed better by the
  // prefix index. A single character is in most paths, so it narrows nothing: strpos alone.
  const gramKeywords = query.keywords.filter((k) => [...k].length >= 2);
  const grams =
    options.gramIndex !== false &&
    gramKeywords.length > 0 &&
    (scope.kind === 'all' || scope.folders.some((f) => f.prefix === ''))
      ? sql`nas_grams(${nasFiles.searchText}) @> (${sql.join(
          gramKeywords.map((k) => sql`nas_grams(${k}::text)`),
          sql` || `,
        )})`
      : undefined;
  const nameMatch = sql<boolean>`(${sql.join(
    query.keywords.map((k) => contains(nameText, k)),
    sql` AND `,
  )})`;
  return db
    .select({
      id: nasFiles.id,
      share: nasFiles.share,
      path: nasFiles.path,
      name: nasFiles.name,
      extension: nasFiles.extension,
      size: nasFiles.size,
      modifiedAt: nasFiles.modifiedAt,
      nameMatch: nameMatch.as('name_match'),
    })
    .from(nasFiles)
    .where(
      and(
        scopeCondition(scope),
        query.extensions.length > 0 ? inArray(nasFiles.extension, query.extensions) : undefined,
        grams,
        ...query.keywords.map((k) => contains(nasFiles.searchText, k)),
      ),
    )
    .orderBy(desc(sql`name_match`), desc(nasFiles.modifiedAt), asc(nasFiles.share), asc(nasFiles.path))
    .limit(limit);
}

export async function searchNasFiles(
  db: Queryable,
  scope: NasScope,
  query: NasQuery,
  limit = MAX_RESULTS,
): Promise<NasFileHit[]> {
  return searchStatement(db, scope, query, { limit });
}

/** A file by id, only if it is (still) in the scope: what a send re-checks, whatever id it was given. */
export async function fileInScope(db: Queryable, scope: NasScope, fileId: string) {
  if (!isUuid(fileId)) return undefined;
  const [row] = await db
    .select()
    .from(nasFiles)
    .where(and(eq(nasFiles.id, fileId), scopeCondition(scope)));
  return row;
}
