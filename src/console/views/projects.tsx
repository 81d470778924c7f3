/**
 * Projects: each with its groups count, a form for its NAS folder and AI instructions, and its
 * members (change a role, remove one, add an account), and the form that creates one. A refused
 * form comes back on this page (400/409) with what was typed and why, beside the project it was for.
 */
import type { Account } from '../../domain/accounts';
import type { ProjectMember } from '../../domain/members';
import type { ProjectItem } from '../../domain/projects';
import { MAX_NAS_FOLDER_CHARS } from '../../access/nas-folder';
import { formatNumber, t, type Lang } from '../i18n';
import { BASE } from '../types';
import { AccountTableHead, CsrfField, Empty, PostButton } from './common';

export interface ProjectForm {
  name?: string;
  nasFolder?: string;
  aiInstructions?: string;
}

/** A refused form: which one (a project's id, or 'new'), what it said and why. */
export interface ProjectProblem {
  target: string;
  form: ProjectForm;
  problem: string;
}

function Problem({ text }: { text: string | undefined }) {
  return text ? (
    <p class="alert" role="alert">
      {text}
    </p>
  ) : null;
}

function FolderAndInstructions({ lang, prefix, form }: { lang: Lang; prefix: string; form: ProjectForm }) {
  return (
    <>
      <div class="field">
        <label for={`${prefix}-nasFolder`}>{t(lang, 'projects.nasFolder')}</label>
        <input
          id={`${prefix}-nasFolder`}
          name="nasFolder"
          type="text"
          class="mono"
          maxlength={MAX_NAS_FOLDER_CHARS}
          autocomplete="off"
          value={form.nasFolder ?? ''}
        />
        <p class="help">{t(lang, 'projects.nasFolderHelp')}</p>
      </div>
      <div class="field">
        <label for={`${prefix}-aiInstructions`}>{t(lang, 'projects.instructions')}</label>
        <textarea id={`${prefix}-aiInstructions`} name="aiInstructions" rows={3} maxlength={4000}>
          {form.aiInstructions ?? ''}
        </textarea>
        <p class="help">{t(lang, 'projects.instructionsHelp')}</p>
      </div>
    </>
  );
}

const memberRoles = ['member', 'manager'] as const;

function RoleSelect({ lang, id, value }: { lang: Lang; id: string; value?: string }) {
  return (
    <select id={id} name="role">
      {memberRoles.map((r) => (
        <option value={r} selected={r === value}>
          {t(lang, `memberRole.${r}`)}
        </option>
      ))}
    </select>
  );
}

/**
 * A project's members: each with a role form and a remove button, then a form adding an account by
 * its username (suggested from the page's one list of accounts, so the page grows with projects
 * plus accounts, not their product).
 */
function Members({ lang, project, members }: { lang: Lang; project: ProjectItem; members: ProjectMember[] }) {
  const action = `${BASE}/projects/${project.id}/members`;
  return (
    <section class="members" aria-labelledby={`m-${project.id}`}>
      <h3 id={`m-${project.id}`}>
        {t(lang, 'members.title')} ({formatNumber(lang, members.length)})
      </h3>
      <p class="help">{t(lang, 'members.help')}</p>
      {members.length === 0 ? (
        <p class="muted">{t(lang, 'members.none')}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <AccountTableHead lang={lang} roleColumn="members.role" action="members.remove" />
            <tbody>
              {members.map((m) => (
                <tr data-member={String(m.userId)}>
                  <td class="mono">{m.username}</td>
                  <td>{m.displayName ?? '—'}</td>
                  <td>
                    <form method="post" action={action} class="inline">
                      <CsrfField />
                      <input type="hidden" name="userId" value={String(m.userId)} />
                      <label class="visually-hidden" for={`role-${project.id}-${m.userId}`}>
                        {t(lang, 'members.role')}
                      </label>
                      <RoleSelect lang={lang} id={`role-${project.id}-${m.userId}`} value={m.role} />
                      <button class="button secondary" type="submit">
                        {t(lang, 'members.change')}
                      </button>
                    </form>
                  </td>
                  <td>
                    <PostButton
                      action={`${action}/${m.userId}/remove`}
                      label={t(lang, 'members.remove')}
                      kind="danger"
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form method="post" action={action} class="add-member">
        <CsrfField />
        <div class="field">
          <label for={`add-${project.id}`}>{t(lang, 'members.account')}</label>
          <input
            id={`add-${project.id}`}
            name="username"
            type="text"
            list="account-choices"
            required
            maxlength={100}
            autocomplete="off"
          />
          <p class="help">{t(lang, 'members.accountHelp')}</p>
        </div>
        <div class="field">
          <label for={`add-role-${project.id}`}>{t(lang, 'members.role')}</label>
          <RoleSelect lang={lang} id={`add-role-${project.id}`} />
        </div>
        <button class="button" type="submit">
          {t(lang, 'members.add')}
        </button>
      </form>
    </section>
  );
}

export function ProjectsPage({
  lang,
  projects,
  members,
  accounts,
  refused,
}: {
  lang: Lang;
  projects: Array<ProjectItem & { groups: number }>;
  /** Each project's members (absent: none). */
  members: Map<string, ProjectMember[]>;
  /** The accounts an operator can add. */
  accounts: Account[];
  refused?: ProjectProblem;
}) {
  const formOf = (p: ProjectItem): ProjectForm =>
    refused?.target === p.id ? refused.form : { nasFolder: p.nasFolder ?? '', aiInstructions: p.aiInstructions ?? '' };
  const created = refused?.target === 'new' ? refused : undefined;
  return (
    <>
      <h1>{t(lang, 'projects.title')}</h1>
      {projects.length === 0 ? (
        <Empty>{t(lang, 'projects.empty')}</Empty>
      ) : (
        <ul class="items projects">
          {projects.map((p) => (
            <li class="item panel" data-project={p.id}>
              <div class="item-main">
                <h2 class="item-title" id={`p-${p.id}`}>
                  {p.name}
                </h2>
                <div class="item-meta">
                  <span>{t(lang, 'projects.groupsOf', { n: formatNumber(lang, p.groups) })}</span>
                  <span>
                    {t(lang, 'projects.nasFolder')}:{' '}
                    {p.nasFolder ? (
                      <span class="mono path">{p.nasFolder}</span>
                    ) : (
                      <span class="muted">{t(lang, 'projects.noFolder')}</span>
                    )}
                  </span>
                </div>
                <Problem text={refused?.target === p.id ? refused.problem : undefined} />
                <form method="post" action={`${BASE}/projects/${p.id}`} aria-labelledby={`p-${p.id}`}>
                  <CsrfField />
                  <FolderAndInstructions lang={lang} prefix={p.id} form={formOf(p)} />
                  <button class="button" type="submit">
                    {t(lang, 'projects.save')}
                  </button>
                </form>
                <Members lang={lang} project={p} members={members.get(p.id) ?? []} />
              </div>
            </li>
          ))}
        </ul>
      )}

      <datalist id="account-choices">
        {accounts.map((a) => (
          <option value={a.username}>{a.displayName ?? a.username}</option>
        ))}
      </datalist>

      <section class="panel form-panel" aria-labelledby="create-h">
        <h2 id="create-h">{t(lang, 'projects.create')}</h2>
        <Problem text={created?.problem} />
        <form method="post" action={`${BASE}/projects`}>
          <CsrfField />
          <div class="field">
            <label for="new-name">{t(lang, 'projects.name')}</label>
            <input
              id="new-name"
              name="name"
              type="text"
              required
              maxlength={255}
              autocomplete="off"
              value={created?.form.name ?? ''}
            />
          </div>
          <FolderAndInstructions lang={lang} prefix="new" form={created?.form ?? {}} />
          <button class="button" type="submit">
            {t(lang, 'projects.createSubmit')}
          </button>
        </form>
      </section>
    </>
  );
}
