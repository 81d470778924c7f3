/**
 * A tap on an AI file offer's button (`offer:<offer id>`, src/ai/offers.ts), routed here by
 * ./postback.ts.
 *
 * Who may send what is decided by `offerTapFor` (src/access/policy.ts) from the stored offer, never
 * from the data beyond its id: only the asker's tap in the offer's chat counts, within 30 minutes,
 * once. The asker's NAS scope is checked again now, and the file must still be indexed exactly as
 * offered. Then the send request is made with the tap's own reply token (a free reply once the
 * on-prem job has uploaded the file, src/nas/deliver.ts), keyed `offer:<offer id>`, and the offer
 * is claimed by a conditional UPDATE: a second tap, or the same tap processed twice, sends nothing.
 *
 * A refused tap changes nothing. Someone else's tap is answered with one short reply to the tapper
 * (they pressed a button in plain view and deserve to know why nothing happens; a reply is free
 * and each tap gets at most one), except an unbound tapper: groups never answer the unbound.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { OFFER_TTL_MINUTES, offerIdOf } from '../../ai/offers';
import { recordAudit } from '../../audit/record';
import { tooLargeReply } from '../../bot/nas';
import { offerTapFor } from '../../access/policy';
import { aiFileOffers } from '@linebot-edge/shared/schema';
import { fromLineTimestamp } from '../../lib/time';
import { say } from '../../messages/catalog';
import { botLanguage } from '../../messages/language';
import { str } from '../../lib/values';
import { textMessages } from '../../line/messages';
import { sendMessages, type BotChat } from '../../line/outbound';
import { createSendRequest } from '../../nas/requests';
import { nasScopeOf } from '../../nas/scope';
import { fileInScope } from '../../nas/search';
import { loadTapper } from '../participants';
import { chatOf, postbackDataOf, sourceOf, type Apply, type EventHandler } from '../types';

export const handleOfferTap: EventHandler = async (event, deps) => {
  const offerId = offerIdOf(postbackDataOf(event));
  const source = sourceOf(event);
  const chat = chatOf(source);
  const log = deps.log.child({ offerId });
  // Edited or forged data, or a source the bot cannot tell (no user, a new source type): refused, silently.
  if (!offerId || !source.userId || (source.type !== 'user' && !chat)) {
    log.warn('offer.tap_refused', { reason: 'malformed' });
    return;
  }

  const { tapper, chatPk } = await loadTapper(deps.db, source.userId, chat);
  if (chat && chatPk === null) {
    // A chat the bot never stored has no offers.
    log.warn('offer.tap_refused', { reason: 'unknown_chat' });
    return;
  }
  const [offer] = await deps.db
    .select({
      id: aiFileOffers.id,
      answerId: aiFileOffers.answerId,
      nasFileId: aiFileOffers.nasFileId,
      share: aiFileOffers.share,
      path: aiFileOffers.path,
      name: aiFileOffers.name,
      size: aiFileOffers.size,
      modifiedAt: aiFileOffers.modifiedAt,
      lineUserPk: aiFileOffers.lineUserId,
      chatPk: aiFileOffers.lineGroupId,
      tapped: sql<boolean>`${aiFileOffers.tappedAt} is not null or ${aiFileOffers.sendRequestId} is not null`,
      // Postgres' clock, the one expires_at was set by.
      expired: sql<boolean>`${aiFileOffers.expiresAt} <= now()`,
    })
    .from(aiFileOffers)
    .where(eq(aiFileOffers.id, offerId));

  const decision = offerTapFor({
    tapper: { lineUserPk: tapper?.id ?? null, bound: tapper?.userId != null },
    chatPk,
    offer: offer ?? null,
  });
  log.info('offer.tapped', { decision: decision.kind });

  // The tapper's language: every answer here is to them.
  const lang = botLanguage(tapper?.language);
  const eventAt = fromLineTimestamp(event.timestamp, new Date());
  const replyToken = str(event.replyToken);
  const botChat: BotChat | null =
    chatPk !== null ? { type: chat!.type, chatPk } : tapper ? { type: 'user', lineUserPk: tapper.id } : null;
  /** One short reply to the tap, while its token is valid; a tap processed late is not answered (never pushed). */
  const answer =
    (text: string): Apply =>
    async () => {
      if (!botChat) return;
      return async () => {
        await sendMessages(deps, {
          chat: botChat,
          messages: textMessages(text),
          reply: { token: replyToken, eventAt },
          push: null,
        });
      };
    };

  switch (decision.kind) {
    case 'unknown':
    case 'ignore':
      return;
    case 'notAsker':
      return answer(say(lang, 'offer.notAsker'));
    case 'alreadySent':
      return answer(say(lang, 'offer.alreadySent'));
    case 'expired':
      return answer(say(lang, 'offer.expired', { minutes: OFFER_TTL_MINUTES }));
    case 'send':
      break;
  }
  // `send`: the tapper is the asker, in the offer's chat.
  const asker = { lineUserPk: tapper!.id, chatPk };
  const o = offer!;
  const refuse =
    (reason: string, text: string): Apply =>
    async (tx) => {
      await recordAudit(tx, {
        action: 'nas.send_refused',
        via: 'chat',
        actorUserId: tapper!.userId,
        actorLineUserId: asker.lineUserPk,
        lineGroupId: asker.chatPk,
        targetType: 'nas_file',
        targetId: o.nasFileId,
        details: { how: 'ai_offer', reason, offerId: o.id, share: o.share, path: o.path },
      });
      return answer(text)(tx);
    };

  // The scope now, not when the model offered it: an unbinding or project change since then counts.
  const scope = await nasScopeOf(deps.db, asker);
  if (scope.kind !== 'scope') return refuse(scope.kind, say(lang, 'offer.noScope'));
  const file = o.nasFileId ? await fileInScope(deps.db, scope.scope, o.nasFileId) : undefined;
  const unchanged =
    file &&
    file.share === o.share &&
    file.path === o.path &&
    file.size === o.size &&
    file.modifiedAt.getTime() === o.modifiedAt.getTime();
  if (!file || !unchanged) return refuse('changed', say(lang, 'offer.fileChanged'));
  if (file.size > deps.nas.sendMaxBytes) {
    return refuse('too_large', tooLargeReply(lang, o.name, file.size, deps.nas.sendMaxBytes));
  }

  return async (tx) => {
    // Claimed once: a second tap (or this tap processed again) finds it taken and sends nothing.
    const claimed = await tx
      .update(aiFileOffers)
      .set({ tappedAt: sql`now()` })
      .where(
        and(
          eq(aiFileOffers.id, o.id),
          eq(aiFileOffers.lineUserId, asker.lineUserPk),
          isNull(aiFileOffers.sendRequestId),
          isNull(aiFileOffers.tappedAt),
        ),
      )
      .returning({ id: aiFileOffers.id });
    if (claimed.length === 0) return answer(say(lang, 'offer.alreadySent'))(tx);
    const request = await createSendRequest(tx, {
      requestKey: `offer:${o.id}`,
      file,
      lineUserPk: asker.lineUserPk,
      chatPk: asker.chatPk,
      replyToken,
      eventAt,
      publicBaseUrl: deps.nas.publicBaseUrl,
    });
    if (!request.id) return answer(say(lang, 'offer.alreadySent'))(tx);
    await tx.update(aiFileOffers).set({ sendRequestId: request.id }).where(eq(aiFileOffers.id, o.id));
    await recordAudit(tx, {
      action: 'nas.send_requested',
      via: 'chat',
      actorUserId: tapper!.userId,
      actorLineUserId: asker.lineUserPk,
      lineGroupId: asker.chatPk,
      targetType: 'nas_file',
      targetId: file.id,
      details: {
        how: 'ai_offer',
        share: file.share,
        path: file.path,
        size: file.size,
        offerId: o.id,
        answerId: o.answerId,
        sendRequestId: request.id,
      },
    });
    log.info('offer.send_requested', { sendRequestId: request.id });
    // Nothing to say now: the file message replies with this tap's token once it is uploaded.
  };
};
