/** Parsing what a user typed into a bot command (../access/policy.ts `Command`). Pure: no I/O. */
import type { Command } from '../access/policy';
import { normalizeCode } from '../domain/binding-code';

/**
 * A binding code (src/domain/binding-code.ts) after `/bind`, or alone as it is shown: three groups of three,
 * with or without the dashes or a space between them. Alone, only what can be a code counts, so
 * ordinary words stay messages; after `/bind`, anything is an attempt (a malformed one is wrong).
 */
const BIND = /^\/bind(?:\s+([\s\S]*))?$/i;
const BARE_CODE = /^[0-9a-z]{3}[-\s\u2010-\u2015\u2212]?[0-9a-z]{3}[-\s\u2010-\u2015\u2212]?[0-9a-z]{3}$/i;
/** `/find 報價單`, `/找 報價單`, `/搜尋 報價單`; CJK users often leave out the space after a CJK command. */
const FIND = /^\/(?:find(?=\s|$)|找|搜尋)\s*([\s\S]*)$/i;
const SEND = /^\/(?:send(?=\s|$|\d)|傳送|傳)\s*([\s\S]*)$/i;

export function parseCommand(text: string): Command | null {
  const t = text.normalize('NFKC').trim(); // NFKC: full-width digits and slashes from CJK keyboards
  const bind = BIND.exec(t);
  if (bind?.[1]?.trim()) return { kind: 'bind', code: normalizeCode(bind[1]) ?? '' };
  const bare = BARE_CODE.test(t) ? normalizeCode(t) : null;
  if (bare) return { kind: 'bind', code: bare };
  if (/^\/unbind$/i.test(t)) return { kind: 'unbind' };
  // `/bind` or `/綁定` alone (the rich menu's 綁定 button): help, which tells the unbound how to bind.
  if (/^\/(help|說明|bind|綁定)$/i.test(t)) return { kind: 'help' };
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
