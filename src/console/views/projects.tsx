/**
 * Projects: each with its groups count and a form for its NAS folder and AI instructions, and the
 * form that creates one. A refused form comes back on this page (400/409) with what was typed and
 * why, beside the project it was for.
 */
import type { ProjectItem } from '../../domain/projects';
import { MAX_NAS_FOLDER_CHARS } from '../../nas/folder';
import { formatNumber, t, type Lang } from '../i18n';
import { BASE } from '../types';
import { CsrfField, Empty } from './common';

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

export function ProjectsPage({
  lang,
  projects,
  refused,
}: {
  lang: Lang;
  projects: Array<ProjectItem & { groups: number }>;
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
                    {t(lang, 'projects.nasFolder')}: {p.nasFolder ? <span class="mono path">{p.nasFolder}</span> : <span class="muted">{t(lang, 'projects.noFolder')}</span>}
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
              </div>
            </li>
          ))}
        </ul>
      )}

      <section class="panel form-panel" aria-labelledby="create-h">
        <h2 id="create-h">{t(lang, 'projects.create')}</h2>
        <Problem text={created?.problem} />
        <form method="post" action={`${BASE}/projects`}>
          <CsrfField />
          <div class="field">
            <label for="new-name">{t(lang, 'projects.name')}</label>
            <input id="new-name" name="name" type="text" required maxlength={255} autocomplete="off" value={created?.form.name ?? ''} />
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
