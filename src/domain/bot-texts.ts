/**
 * Texts of the bot that operators may reword (the welcome on follow and on join, the notice that a
 * person is handling a chat whose AI is paused): the catalogue's
 * default (src/messages/catalog.ts) unless `bot_texts` holds an override for the key and language.
 * The management API's `/bot-texts` and the console's bot texts screen change them here, audited.
 */
import { and, eq, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../audit/record';
import type { Database, Queryable } from '../db/client';
import { botTexts } from '@linebot-edge/shared/schema';
import { botTextLangs } from '../api/schemas';
import { say, type BotLang } from '../messages/catalog';

/** The keys an operator may override: a fixed list, so a form or a request names nothing else. */
export const BOT_TEXT_KEYS = ['welcome.follow', 'welcome.join', 'ai.paused'] as const;
export type BotTextKey = (typeof BOT_TEXT_KEYS)[number];
const BOT_TEXT_LANGS: readonly BotLang[] = botTextLangs;

export const isBotTextKey = (v: string): v is BotTextKey => (BOT_TEXT_KEYS as readonly string[]).includes(v);

/** The text the bot says for `key` to a reader of `lang`: the operator's, else the catalogue's. */
export async function botText(db: Queryable, key: BotTextKey, lang: BotLang): Promise<string> {
  const [row] = await db
    .select({ text: botTexts.text })
    .from(botTexts)
    .where(and(eq(botTexts.key, key), eq(botTexts.lang, lang)));
  return row?.text ?? say(lang, key);
}

export interface BotTextItem {
  key: BotTextKey;
  lang: BotLang;
  /** What the bot says now. */
  text: string;
  /** The catalogue's text, said when no override is set. */
  defaultText: string;
  overridden: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}

/** Every key in every language, overridden or not, in the fixed order. */
export async function listBotTexts(db: Queryable): Promise<BotTextItem[]> {
  const rows = await db.select().from(botTexts);
  return BOT_TEXT_KEYS.flatMap((key) =>
    BOT_TEXT_LANGS.map((lang) => {
      const row = rows.find((r) => r.key === key && r.lang === lang);
      const defaultText = say(lang, key);
      return {
        key,
        lang,
        text: row?.text ?? defaultText,
        defaultText,
        overridden: row !== undefined,
        updatedAt: row ? row.updatedAt.toISOString() : null,
        updatedBy: row?.updatedBy ?? null,
      };
    }),
  );
}

/** Sets the override (the caller checked key, language and length), with its audit entry. */
export async function setBotText(
  db: Database,
  key: BotTextKey,
  lang: BotLang,
  text: string,
  actor: AuditActor,
): Promise<BotTextItem> {
  await db.transaction(async (tx) => {
    const updatedBy = actor.operator?.slice(0, 100) ?? null;
    await tx
      .insert(botTexts)
      .values({ key, lang, text, updatedBy })
      .onConflictDoUpdate({ target: [botTexts.key, botTexts.lang], set: { text, updatedBy, updatedAt: sql`now()` } });
    // The trail keeps the length, not the words (as for AI instructions).
    await recordAudit(tx, {
      action: 'bot_text.changed',
      ...actor,
      targetType: 'bot_text',
      targetId: `${key}/${lang}`,
      details: { key, lang, textLength: text.length },
    });
  });
  return (await listBotTexts(db)).find((t) => t.key === key && t.lang === lang)!;
}

/** Drops the override (the catalogue's text is said again); audited only when there was one. */
export async function resetBotText(db: Database, key: BotTextKey, lang: BotLang, actor: AuditActor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const deleted = await tx
      .delete(botTexts)
      .where(and(eq(botTexts.key, key), eq(botTexts.lang, lang)))
      .returning({ key: botTexts.key });
    if (deleted.length === 0) return false;
    await recordAudit(tx, {
      action: 'bot_text.reset',
      ...actor,
      targetType: 'bot_text',
      targetId: `${key}/${lang}`,
      details: { key, lang },
    });
    return true;
  });
}
