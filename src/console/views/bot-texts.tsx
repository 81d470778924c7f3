/**
 * The bot's texts operators may reword (the welcome on follow and on join): for each key and
 * language, what the bot says now in a form, the default under it, and a button back to the default.
 * A refused form comes back on this page (400) with what was typed and why.
 */
import type { BotTextItem, BotTextKey } from '../../domain/bot-texts';
import { MAX_BOT_TEXT_LENGTH } from '../../api/schemas';
import { t, type Lang, type MessageKey } from '../i18n';
import { BASE } from '../types';
import { CsrfField, PostButton } from './common';

/** A refused form: which text (`key/lang`), what was typed, and why. */
export interface BotTextProblem {
  target: string;
  text: string;
  problem: string;
}

const LABELS: Record<BotTextKey, MessageKey> = {
  'welcome.follow': 'botTexts.welcome.follow',
  'welcome.join': 'botTexts.welcome.join',
  'ai.paused': 'botTexts.ai.paused',
};
const labelOf = (lang: Lang, key: BotTextKey) => t(lang, LABELS[key]);

export function BotTextsPage({ lang, texts, refused }: { lang: Lang; texts: BotTextItem[]; refused?: BotTextProblem }) {
  return (
    <>
      <h1>{t(lang, 'botTexts.title')}</h1>
      <p class="help">{t(lang, 'botTexts.help', { max: MAX_BOT_TEXT_LENGTH })}</p>
      <ul class="items">
        {texts.map((item) => {
          const target = `${item.key}/${item.lang}`;
          const id = `bt-${item.key.replace('.', '-')}-${item.lang}`;
          const problem = refused?.target === target ? refused : undefined;
          return (
            <li class="item panel" data-bot-text={target}>
              <div class="item-main">
                <h2 class="item-title" id={id}>
                  {labelOf(lang, item.key)} · {item.lang}
                </h2>
                <div class="item-meta">
                  <span class="mono">{item.key}</span>
                  <span>
                    {item.overridden
                      ? t(lang, 'botTexts.overridden', { by: item.updatedBy ?? '?', at: item.updatedAt ?? '' })
                      : t(lang, 'botTexts.isDefault')}
                  </span>
                </div>
                {problem ? (
                  <p class="alert" role="alert">
                    {problem.problem}
                  </p>
                ) : null}
                <form method="post" action={`${BASE}/bot-texts/${item.key}/${item.lang}`} aria-labelledby={id}>
                  <CsrfField />
                  <div class="field">
                    <label for={`${id}-text`}>{t(lang, 'botTexts.text')}</label>
                    <textarea id={`${id}-text`} name="text" rows={6} maxlength={MAX_BOT_TEXT_LENGTH} required>
                      {problem ? problem.text : item.text}
                    </textarea>
                  </div>
                  <button class="button" type="submit">
                    {t(lang, 'botTexts.save')}
                  </button>
                </form>
                {item.overridden ? (
                  <>
                    <details>
                      <summary>{t(lang, 'botTexts.default')}</summary>
                      <pre class="bot-text-default">{item.defaultText}</pre>
                    </details>
                    <PostButton
                      action={`${BASE}/bot-texts/${item.key}/${item.lang}/reset`}
                      label={t(lang, 'botTexts.reset')}
                      kind="secondary"
                    />
                  </>
                ) : null}
              </div>
            </li>
          );
        })}
      </ul>
    </>
  );
}
