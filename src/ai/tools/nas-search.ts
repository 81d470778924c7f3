/**
 * `search_nas_files`: the company NAS index, searched exactly as `/find` searches it and within the
 * same scope: the asker's and chat's (src/access/policy.ts `nasScopeFor`, read now). Whatever folder,
 * share or chat the model names is ignored, so it never sees a file outside that scope.
 */
import { accountIdOf, chatActor, recordAudit } from '../../audit/record';
import { folderOf, formatSize } from '../../bot/nas';
import { taipeiDateTime } from '../../lib/taipei';
import { nasScopeOf } from '../../nas/scope';
import {
  isProblem,
  MAX_KEYWORD_CHARS,
  MAX_KEYWORDS,
  MAX_RESULTS,
  queryOf,
  searchNasFiles,
  type QueryProblem,
} from '../../nas/search';
import { oneLine } from '../quote';
import { ToolInputError, type AiTool } from '../types';
import { keywordsSchema } from './keywords';
import type { NasScopeDecision } from '../../access/policy';

const MAX_NAME_CHARS = 200;
const MAX_FOLDER_CHARS = 300;

export const searchNasFilesTool: AiTool = {
  name: 'search_nas_files',
  description:
    "Search the company's NAS (file server) for files whose folder path or file name contains every keyword " +
    '(case- and width-insensitive substring match; Chinese needs no spaces). In a group only the folder of the ' +
    "group's project is searched (if the asker is a member of it); in a 1:1 chat the folders of the asker's projects (admins: every share). Returns at most 10 files, those whose name matches " +
    'first, then the newest: id, name, folder, size and modified date (Asia/Taipei). Use send_nas_file with an id ' +
    'to offer one to the asker (they get a button to send it into this chat). A string is split at spaces; pass an array to keep a phrase together.',
  input_schema: {
    type: 'object',
    properties: {
      keywords: keywordsSchema(
        { maxKeywords: MAX_KEYWORDS, maxKeywordChars: MAX_KEYWORD_CHARS },
        'Words that must all occur in the path or name, e.g. ["報價單", "2026"].',
      ),
      fileType: {
        type: 'string',
        maxLength: 100,
        description: 'Optional extension filter: "pdf", or several as "pdf,docx".',
      },
    },
    required: ['keywords'],
  },

  async run({ db }, asker, input) {
    const { keywords, fileType } = parseInput(input);
    const query = queryOf(keywords, fileType);
    if (isProblem(query)) throw new ToolInputError(problemText(query));
    const decision = await nasScopeOf(db, asker);
    if (decision.kind !== 'scope') return noScopeText(decision);
    const hits = await searchNasFiles(db, decision.scope, query, MAX_RESULTS);
    // As `/find` records it: the keywords and how many were found, never the results.
    await recordAudit(db, {
      action: 'nas.search',
      ...chatActor(asker.lineUserPk, await accountIdOf(db, asker.lineUserPk)),
      lineGroupId: asker.chatPk,
      details: { how: 'ai', keywords: query.keywords, types: query.extensions, results: hits.length },
    });
    const wanted =
      query.keywords.map((k) => `"${k}"`).join(' + ') +
      (query.extensions.length ? ` (type ${query.extensions.join(', ')})` : '');
    if (hits.length === 0) return `No NAS files match ${wanted} in this chat's scope.`;
    const lines = hits.map(
      // Names and folders as anyone with write access to the NAS made them: one clean line each.
      (h) =>
        `- id: ${h.id} | name: ${oneLine(h.name, MAX_NAME_CHARS)} | folder: ${oneLine(folderOf(h), MAX_FOLDER_CHARS)} | size: ${formatSize(h.size)} | modified: ${taipeiDateTime(h.modifiedAt)}`,
    );
    return [
      `${hits.length} NAS file(s) match ${wanted} (name matches first, then newest; Asia/Taipei time):`,
      ...lines,
    ].join('\n');
  },
};

function parseInput(input: unknown): { keywords: string[]; fileType: string | undefined } {
  const { keywords: raw, fileType } = (input ?? {}) as { keywords?: unknown; fileType?: unknown };
  const keywords =
    typeof raw === 'string'
      ? raw.split(/\s+/)
      : Array.isArray(raw) && raw.every((k) => typeof k === 'string')
        ? (raw as string[])
        : null;
  if (!keywords) throw new ToolInputError('"keywords" must be a string or an array of strings');
  if (fileType !== undefined && fileType !== null && typeof fileType !== 'string')
    throw new ToolInputError('"fileType" must be a string such as "pdf"');
  return { keywords, fileType: typeof fileType === 'string' && fileType.trim() !== '' ? fileType : undefined };
}

function problemText(p: QueryProblem): string {
  switch (p.problem) {
    case 'noKeywords':
      return 'give at least one non-empty keyword';
    case 'tooManyKeywords':
      return `give at most ${p.max} keywords`;
    case 'keywordTooLong':
      return `a keyword has at most ${p.max} characters`;
    case 'badFileType':
      return `"${p.value}" is not a file extension; give e.g. "pdf" or "pdf,docx" (at most 5)`;
  }
}

/** What the model hears when this chat may not search the NAS: a fact to pass on, not an error. */
export function noScopeText(decision: Exclude<NasScopeDecision, { kind: 'scope' }>): string {
  switch (decision.kind) {
    case 'unbound':
      return 'The asker is not bound to a company account, so no NAS files are available to them.';
    case 'noProject':
      return 'This group is not bound to a project, so it has no NAS folder to search. An admin can bind a project with /project bind <name>.';
    case 'noFolder':
      return `This group's project "${oneLine(decision.projectName)}" has no NAS folder set. An administrator must set it before files can be searched here.`;
    case 'notMember':
      return `The asker is not a member of this group's project "${oneLine(decision.projectName)}", so its NAS files are not available to them. An administrator adds members.`;
    case 'noProjects':
      return decision.withoutFolder.length === 0
        ? 'The asker is not a member of any project, so no NAS folder is available to them. An administrator adds members.'
        : `The asker's projects (${decision.withoutFolder.map((name) => oneLine(name)).join(', ')}) have no NAS folder set, so no files can be searched. An administrator must set one.`;
  }
}
