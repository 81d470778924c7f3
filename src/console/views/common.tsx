/**
 * Pieces every screen uses: times in Asia/Taipei, the CSRF field of a form, a filter form's
 * selects, the pager, and what a LINE user wrote shown as text.
 */
import type { PropsWithChildren } from 'hono/jsx';
import { useRequestContext } from 'hono/jsx-renderer';
import { taipeiDateTime } from '../../lib/taipei';
import { CSRF_FIELD } from '../csrf';
import { formatNumber, t, type Lang, type MessageKey } from '../i18n';
import type { ConsoleEnv } from '../types';

/** An ISO time as `YYYY-MM-DD HH:mm` in Asia/Taipei, machine-readable in `datetime`. */
export function When({ at }: { at: string | Date | null | undefined }) {
  if (!at) return <span class="muted">{'—'}</span>;
  const date = at instanceof Date ? at : new Date(at);
  return <time datetime={date.toISOString()}>{taipeiDateTime(date)}</time>;
}

/** The hidden CSRF field of the signed-in operator (every state-changing form has one). */
export function CsrfField() {
  const c = useRequestContext<ConsoleEnv>();
  return <input type="hidden" name={CSRF_FIELD} value={c.get('csrfToken')} />;
}

/** A POST form to `action` with the CSRF field and one submit button. */
export function PostButton({
  action,
  label,
  fields = {},
  kind,
}: {
  action: string;
  label: string;
  fields?: Record<string, string>;
  kind?: 'secondary' | 'danger';
}) {
  return (
    <form method="post" action={action} class="inline">
      <CsrfField />
      {Object.entries(fields).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button class={kind ? `button ${kind}` : 'button'} type="submit">
        {label}
      </button>
    </form>
  );
}

/** A table of accounts (the accounts screen, a project's members): username, display name, a role, and a column of buttons. */
export function AccountTableHead({
  lang,
  roleColumn,
  action,
}: {
  lang: Lang;
  roleColumn: MessageKey;
  action: MessageKey;
}) {
  return (
    <thead>
      <tr>
        <th scope="col">{t(lang, 'accounts.username')}</th>
        <th scope="col">{t(lang, 'accounts.displayName')}</th>
        <th scope="col">{t(lang, roleColumn)}</th>
        <th scope="col">
          <span class="visually-hidden">{t(lang, action)}</span>
        </th>
      </tr>
    </thead>
  );
}

export interface Choice {
  value: string;
  label: string;
}

/** A select of a GET filter form; the empty value means no filter. */
export function Select({
  name,
  label,
  choices,
  value,
  lang,
}: {
  name: string;
  label: string;
  choices: Choice[];
  value?: string;
  lang: Lang;
}) {
  return (
    <div class="field">
      <label for={`f-${name}`}>{label}</label>
      <select id={`f-${name}`} name={name}>
        <option value="">{t(lang, 'common.all')}</option>
        {choices.map((ch) => (
          <option value={ch.value} selected={ch.value === value}>
            {ch.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function TextFilter({
  name,
  label,
  value,
  maxlength = 64,
  describedBy,
}: {
  name: string;
  label: string;
  value?: string;
  maxlength?: number;
  /** The id of a help text about the field. */
  describedBy?: string;
}) {
  return (
    <div class="field">
      <label for={`f-${name}`}>{label}</label>
      <input
        id={`f-${name}`}
        name={name}
        type="text"
        value={value ?? ''}
        maxlength={maxlength}
        autocomplete="off"
        aria-describedby={describedBy}
      />
    </div>
  );
}

/** A GET filter form around its fields, with its submit button. */
export function Filters({ action, lang, children }: PropsWithChildren<{ action: string; lang: Lang }>) {
  return (
    // biome-ignore lint/a11y/useSemanticElements: role="search" on the form is the same landmark as a <search> wrapper, one element fewer.
    <form method="get" action={action} class="filters" role="search" aria-label={t(lang, 'common.filters')}>
      {children}
      <div class="field">
        <button class="button" type="submit">
          {t(lang, 'common.apply')}
        </button>
      </div>
    </form>
  );
}

/** `path?query`, empty values left out. */
export function hrefOf(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Links to the next page (the same filters, the cursor of this page's last row) and back to the first. */
export function Pager({
  lang,
  path,
  query,
  cursor,
  param = 'before',
}: {
  lang: Lang;
  path: string;
  query: Record<string, string | undefined>;
  cursor: string | null;
  param?: string;
}) {
  const paged = query[param] !== undefined;
  if (!cursor && !paged) return null;
  return (
    <nav class="pager" aria-label={t(lang, 'common.next')}>
      {paged ? <a href={hrefOf(path, { ...query, [param]: undefined })}>{t(lang, 'common.first')}</a> : null}
      {cursor ? (
        <a href={hrefOf(path, { ...query, [param]: cursor })} rel="next">
          {t(lang, 'common.next')}
        </a>
      ) : null}
    </nav>
  );
}

/** A message type in words when we know it, else LINE's own name for it. */
export function typeLabel(lang: Lang, type: string): string {
  const key = `msgType.${type}` as MessageKey;
  return ['text', 'image', 'video', 'audio', 'file', 'sticker', 'location'].includes(type) ? t(lang, key) : type;
}

/** Bytes as B, KB, MB, GB (1024-based, one decimal). */
export function formatBytes(lang: Lang, n: number | null): string {
  if (n === null) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? formatNumber(lang, v) : v.toFixed(1)} ${units[u]}`;
}

export function Empty({ children }: PropsWithChildren) {
  return <p class="empty panel">{children}</p>;
}
