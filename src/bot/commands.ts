/** Parsing what a user typed into a bot command. Pure: no I/O. */

export type Command =
  | { kind: 'bind'; code: string }
  | { kind: 'unbind' }
  | { kind: 'help' }
  /** Start the AI's history of this chat anew. */
  | { kind: 'reset' }
  | { kind: 'project'; action: 'show' }
  | { kind: 'project'; action: 'bind'; target: string }
  | { kind: 'project'; action: 'unbind' };

/** A binding code: exactly six ASCII digits, alone or after `/bind`. */
const BIND = /^(?:\/bind\s+)?(\d{6})$/i;

export function parseCommand(text: string): Command | null {
  const t = text.normalize('NFKC').trim(); // NFKC: full-width digits and slashes from CJK keyboards
  const bind = BIND.exec(t);
  if (bind) return { kind: 'bind', code: bind[1]! };
  if (/^\/unbind$/i.test(t)) return { kind: 'unbind' };
  if (/^\/(help|說明)$/i.test(t)) return { kind: 'help' };
  if (/^(\/reset|\/?新對話)$/i.test(t)) return { kind: 'reset' };
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
