/**
 * AI file offers: the model never sends a NAS file itself. `send_nas_file` records an offer
 * (`ai_file_offers`: the file as indexed, the asker, the chat, 30 minutes to tap); the answer then
 * carries one more LINE message naming each offered file with a postback button whose data is
 * `offer:<offer id>`. Only the asker's tap sends the file (src/events/handlers/offer-tap.ts), by
 * reply with the tap's own reply token.
 */
import type { messagingApi } from '@line/bot-sdk';
import { and, asc, count, eq, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record';
import { formatSize } from '../bot/nas';
import type { Queryable } from '../db/client';
import { aiFileOffers, lineUsers, nasFiles } from '@linebot-edge/shared/schema';
import { say, type BotLang } from '../messages/catalog';
import { clip } from './context';
import { oneLine } from './quote';
import type { AskerContext } from './types';
import { isUuid } from '../lib/uuid';
import { fileListMessage } from '../line/file-flex';

/** An offer's button works this long (ai_file_offers.expires_at, Postgres' clock). */
export const OFFER_TTL_MINUTES = 30;
const OFFER_TTL_SQL = sql.raw(`interval '${OFFER_TTL_MINUTES} minutes'`);
/** Files one answer may offer: a model in a loop must not flood the chat with buttons. */
export const MAX_OFFERS_PER_ANSWER = 5;

const PREFIX = 'offer:';

const offerData = (offerId: string) => `${PREFIX}${offerId}`;
/** A postback the bot's offer buttons could have sent (anything else stays in the inbox only). */
export const isOfferData = (data: unknown): data is string => typeof data === 'string' && data.startsWith(PREFIX);
/** The offer id in a button's data, or null for anything the bot never sends (edited or forged data). */
export function offerIdOf(data: unknown): string | null {
  if (!isOfferData(data)) return null;
  const id = data.slice(PREFIX.length);
  // Exactly as the bot wrote it (Postgres prints ids in lower case): any other spelling was edited.
  return isUuid(id) && id === id.toLowerCase() ? id : null;
}

export type OfferOutcome = { kind: 'offered' | 'alreadyOffered'; offerId: string } | { kind: 'limit' };

/**
 * Offers an indexed file (already checked against the asker's scope and size) for this answer:
 * one offer per answer and file (a retried tool step finds it), at most MAX_OFFERS_PER_ANSWER,
 * audited as `ai.file_offered` in the same transaction.
 */
export async function offerFile(
  db: Queryable,
  asker: AskerContext,
  file: typeof nasFiles.$inferSelect,
): Promise<OfferOutcome> {
  return db.transaction(async (tx) => {
    const ofAnswer = eq(aiFileOffers.answerId, asker.answerId);
    const [existing] = await tx
      .select({ id: aiFileOffers.id })
      .from(aiFileOffers)
      .where(and(ofAnswer, eq(aiFileOffers.nasFileId, file.id)));
    if (existing) return { kind: 'alreadyOffered', offerId: existing.id };
    const [{ offered } = { offered: 0 }] = await tx.select({ offered: count() }).from(aiFileOffers).where(ofAnswer);
    if (offered >= MAX_OFFERS_PER_ANSWER) return { kind: 'limit' };

    const [row] = await tx
      .insert(aiFileOffers)
      .values({
        answerId: asker.answerId,
        nasFileId: file.id,
        share: file.share,
        path: file.path,
        name: file.name,
        size: file.size,
        modifiedAt: file.modifiedAt,
        lineUserId: asker.lineUserPk,
        lineGroupId: asker.chatPk,
        expiresAt: sql`now() + ${OFFER_TTL_SQL}`,
      })
      .onConflictDoNothing()
      .returning({ id: aiFileOffers.id });
    if (!row) {
      // A concurrent run of the same step offered it a moment ago.
      const [again] = await tx
        .select({ id: aiFileOffers.id })
        .from(aiFileOffers)
        .where(and(ofAnswer, eq(aiFileOffers.nasFileId, file.id)));
      return { kind: 'alreadyOffered', offerId: again!.id };
    }
    const [account] = await tx
      .select({ userId: lineUsers.userId })
      .from(lineUsers)
      .where(eq(lineUsers.id, asker.lineUserPk));
    await recordAudit(tx, {
      action: 'ai.file_offered',
      via: 'chat',
      actorUserId: account?.userId ?? null,
      actorLineUserId: asker.lineUserPk,
      lineGroupId: asker.chatPk,
      targetType: 'nas_file',
      targetId: file.id,
      details: { share: file.share, path: file.path, size: file.size, answerId: asker.answerId, offerId: row.id },
    });
    return { kind: 'offered', offerId: row.id };
  });
}

export interface OfferShown {
  id: string;
  name: string;
  size: number;
}

/** An offer as the answer shows it, with the file it names (for its preview); null: gone from the index. */
export interface OfferOfAnswer extends OfferShown {
  file: { id: string; extension: string } | null;
}

/** The offers of an answer, in the order the model made them. */
export async function offersOf(db: Queryable, answerId: string): Promise<OfferOfAnswer[]> {
  const rows = await db
    .select({
      id: aiFileOffers.id,
      name: aiFileOffers.name,
      size: aiFileOffers.size,
      fileId: nasFiles.id,
      extension: nasFiles.extension,
    })
    .from(aiFileOffers)
    .leftJoin(nasFiles, eq(nasFiles.id, aiFileOffers.nasFileId))
    .where(eq(aiFileOffers.answerId, answerId))
    .orderBy(asc(aiFileOffers.createdAt), asc(aiFileOffers.id));
  return rows.map(({ fileId, extension, ...o }) => ({
    ...o,
    file: fileId !== null && extension !== null ? { id: fileId, extension } : null,
  }));
}

// LINE's limits: a Flex button's label 40 characters, postback displayText 300, altText 1500.
const SHOWN_NAME_CHARS = 100;
const DISPLAY_NAME_CHARS = 200;
const ALT_TEXT_CHARS = 400;
/** The button's label as the model is told it (send_nas_file): the zh-TW one; an English reader's says Send. */
export const OFFER_BUTTON_LABEL = say('zh-TW', 'offer.button');

/**
 * One Flex message for an answer's offers, in the asker's language: each file by name and size
 * with its own 傳送 (send) button, and its preview as `/find` shows it when `previews` (by offer id)
 * has one. Names are shown as one clean line (no bidi controls: "exe.pdf" cannot pose as a PDF).
 */
export function offerMessage(
  offers: OfferShown[],
  lang: BotLang,
  previews: ReadonlyMap<string, string> = new Map(),
): messagingApi.FlexMessage {
  const names = offers.map((o) => oneLine(o.name, SHOWN_NAME_CHARS) || say(lang, 'offer.unnamed'));
  const label = say(lang, 'offer.button');
  return fileListMessage({
    altText: clip(say(lang, 'offer.altText', { names }), ALT_TEXT_CHARS),
    heading: say(lang, 'offer.intro', { button: label, minutes: OFFER_TTL_MINUTES }),
    entries: offers.map((o, i) => ({
      name: names[i]!,
      details: [formatSize(o.size)],
      button: {
        label,
        data: offerData(o.id),
        displayText: say(lang, 'offer.displayText', { name: clip(names[i]!, DISPLAY_NAME_CHARS) }),
      },
      ...(previews.has(o.id) ? { imageUrl: previews.get(o.id)! } : {}),
    })),
  });
}
