/**
 * Whose language a text is in. In LINE: the profile's `language` (line_users.language, a BCP 47
 * tag such as `zh-TW`, `zh-Hant`, `en-US`, `ja`), of the user whose message or tap the text answers,
 * in a group too. English for `en*`; Traditional Chinese for `zh*` and for everything else, missing
 * included: the company's language, and LINE gives no language for users only seen in groups.
 * On a share page (a browser): Accept-Language, as the console reads it.
 */
import { eq } from 'drizzle-orm';
import { pickLanguage } from '../lib/accept-language';
import type { Queryable } from '../db/client';
import { lineUsers } from '@linebot-edge/shared/schema';
import type { BotLang } from './catalog';

const DEFAULT_BOT_LANG: BotLang = 'zh-TW';

export function botLanguage(profileLanguage: string | null | undefined): BotLang {
  const primary = profileLanguage?.trim().toLowerCase().split(/[-_]/)[0];
  return primary === 'en' ? 'en' : DEFAULT_BOT_LANG;
}

/** The language of a LINE user (line_users.id) as the bot speaks to them; null (nobody asked: an operator's send into a group): the default. */
export async function languageOfLineUser(db: Queryable, lineUserPk: string | null): Promise<BotLang> {
  if (lineUserPk === null) return DEFAULT_BOT_LANG;
  const [row] = await db.select({ language: lineUsers.language }).from(lineUsers).where(eq(lineUsers.id, lineUserPk));
  return botLanguage(row?.language);
}

/** A share page's language from the browser's Accept-Language (English only when it prefers English). */
export const browserLanguage = (acceptLanguage: string | undefined | null): BotLang =>
  pickLanguage(acceptLanguage) === 'en' ? 'en' : DEFAULT_BOT_LANG;
