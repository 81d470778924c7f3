/**
 * Every link in README.md and docs/*.md that points into the repository resolves: the file (or
 * folder) exists, and a `#fragment` names a heading of the target (GitHub's slugs) or an explicit
 * `<a id>`. Text moves between pages; a link left behind is found here, not by a reader.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The pages checked: the front door, every page under docs/ and the on-prem job's README. */
const pages = () => [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name)),
  join(ROOT, 'nas-sync', 'README.md'),
];

/** The page's lines with fenced code blocks blanked: links and headings there are text. */
function outsideFences(markdown: string): string[] {
  let fence: string | null = null;
  return markdown.split('\n').map((line) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker?.startsWith(fence[0]!) && marker.length >= fence.length) fence = null;
      return '';
    }
    if (marker) fence = marker;
    return marker ? '' : line;
  });
}

/**
 * GitHub's heading anchor (github-slugger): lower case, punctuation and symbols dropped (letters,
 * marks, digits, `_`, `-` and spaces stay, CJK included), each space a hyphen; a repeated slug
 * gets `-1`, `-2` ...
 */
function githubSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The text a heading renders to: code spans as their text, links as their text, emphasis and HTML dropped. */
function headingText(raw: string): string {
  return raw
    .replace(/\s+#+\s*$/, '')
    .split(/(`+[^`]*`+)/)
    .map((part) =>
      part.startsWith('`')
        ? part.replace(/`/g, '')
        : part
            .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
            .replace(/<[^>]+>/g, '')
            .replace(/\*/g, ''),
    )
    .join('')
    .trim();
}

/** The anchors a page offers: its headings' slugs (with GitHub's numbering) and explicit ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of outsideFences(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      const slug = githubSlug(headingText(heading[1]!));
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const id of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(id[1]!);
  }
  return anchors;
}

/** Link targets of a page, inline (`[text](target)`, images too) and reference definitions. */
function linksOf(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  outsideFences(markdown).forEach((prose, i) => {
    const line = prose.replace(/(`+)[\s\S]*?\1/g, ''); // inline code spans
    for (const m of line.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line: i + 1, target: m[1]!.replace(/^<|>$/g, '') });
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*(\S+)/.exec(line);
    if (definition) links.push({ line: i + 1, target: definition[1]! });
  });
  return links;
}

/** What is wrong with one link from `page`, or null when it resolves (or leaves the repository). */
function problem(page: string, target: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return null;
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const fragment = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
  const file = path === '' ? page : resolve(dirname(page), path);
  if (!existsSync(file)) return `no such file ${relative(ROOT, file)}`;
  if (fragment === null) return null;
  if (!file.endsWith('.md') || statSync(file).isDirectory()) return `#${fragment} on a file that has no headings`;
  if (!anchorsOf(readFileSync(file, 'utf8')).has(fragment)) return `no heading #${fragment} in ${relative(ROOT, file)}`;
  return null;
}

describe('the helpers read Markdown as GitHub does', () => {
  it.each([
    ['How it works', 'how-it-works'],
    ['Errors in logs and `last_error`', 'errors-in-logs-and-last_error'],
    ['What the bot sends: one outbound module', 'what-the-bot-sends-one-outbound-module'],
    [
      'Local platform: `npm run dev`, `npm run line`, `npm run bench`',
      'local-platform-npm-run-dev-npm-run-line-npm-run-bench',
    ],
    ['`npm run line -- <event> ...`', 'npm-run-line----event-'],
    ['AI answers (Claude)', 'ai-answers-claude'],
    ['NAS 搜尋 and send', 'nas-搜尋-and-send'],
  ])('%s -> #%s', (heading, slug) => {
    expect(githubSlug(headingText(heading))).toBe(slug);
  });

  it('numbers repeated headings, skips code, keeps explicit ids', () => {
    const md =
      '# Tests\n## Tests\n```\n# not a heading [x](nowhere.md)\n```\n<a id="share-links"></a>**Share links**\n';
    expect([...anchorsOf(md)]).toEqual(['tests', 'tests-1', 'share-links']);
    expect(linksOf(md)).toEqual([]);
  });

  it('finds inline links, images and definitions, not links inside inline code', () => {
    const md = 'see [a](docs/a.md#x) and ![p](docs/p.png "title"), not `[b](b.md)`\n[ref]: ../c.md\n';
    expect(linksOf(md).map((l) => l.target)).toEqual(['docs/a.md#x', 'docs/p.png', '../c.md']);
  });

  it('reports a missing file and a missing heading', () => {
    const readme = join(ROOT, 'README.md');
    expect(problem(readme, 'docs/no-such-page.md')).toBe('no such file docs/no-such-page.md');
    expect(problem(readme, '#no-such-heading')).toBe('no heading #no-such-heading in README.md');
    expect(problem(readme, 'https://example.com/x.md#y')).toBeNull();
  });
});

describe('links in README.md and docs/*.md resolve', () => {
  it.each(pages().map((page) => [relative(ROOT, page), page]))('%s', (_name, page) => {
    const broken = linksOf(readFileSync(page, 'utf8'))
      .map(({ line, target }) => ({ line, target, problem: problem(page, target) }))
      .filter((l) => l.problem !== null)
      .map((l) => `line ${l.line}: (${l.target}) ${l.problem}`);
    expect(broken).toEqual([]);
  });
});
