/** Parsing what a user typed into a bot command. Pure: no I/O. */

export type Command =
  | { kind: 'bind'; code: string }
  | { kind: 'unbind' }
  | { kind: 'help' }
  /** Start the AI's history of this chat anew. */
  | { kind: 'reset' }
  | { kind: 'project'; action: 'show' }
  | { kind: 'project'; action: 'bind'; target: string }
  | { kind: 'project'; action: 'unbind' }
  /** Search the NAS: the words as typed (src/nas/search.ts parses them). */
  | { kind: 'find'; text: string }
  /** Send file `index` (1-based) of this chat's last /find list; null when no number was given. */
  | { kind: 'send'; index: number | null };

/** A binding code: exactly six ASCII digits, alone or after `/bind`. */
const BIND = /^(?:\/bind\s+)?(\d{6})$/i;
/** `/find 報價單`, `/找 報價單`, `/搜尋 報價單`; CJK users often leave out the space after a CJK command. */
const FIND = /^\/(?:find(?=\s|$)|找|搜尋)\s*([\s\S]*)$/i;
const SEND = /^\/(?:send(?=\s|$|\d)|傳送|傳)\s*([\s\S]*)$/i;

export function parseCommand(text: string): Command | null {
  const t = text.normalize('NFKC').trim(); // NFKC: full-width digits and slashes from CJK keyboards
  const bind = BIND.exec(t);
  if (bind) return { kind: 'bind', code: bind[1]! };
  if (/^\/unbind$/i.test(t)) return { kind: 'unbind' };
  if (/^\/(help|說明)$/i.test(t)) return { kind: 'help' };
  if (/^(\/reset|\/?新對話)$/i.test(t)) return { kind: 'reset' };
  const find = FIND.exec(t);
  if (find) return { kind: 'find', text: find[1]!.trim() };
  const send = SEND.exec(t);
  if (send) {
    const n = /^#?(\d{1,4})$/.exec(send[1]!.trim());
    return { kind: 'send', index: n ? Number(n[1]) : null };
  }
  const project = /^\/project(?:\s+(bind|unbind)(?:\s+(.+))?)?$/i.exec(t);
  if (project) {
    const action = project[1]?.toLowerCase();
    if (!action) return { kind: 'project', action: 'show' };
    if (action === 'unbind') return { kind: 'project', action: 'unbind' };
    const target = project[2]?.trim();
    return target ? { kind: 'project', action: 'bind', target } : { kind: 'project', action: 'show' };
  }
  return null;
}
