/**
 * A tap on a 傳送 button of `/find`'s list (`find:<list id>:<n>`, src/bot/nas.ts), routed here by
 * ./postback.ts. It is `/send <n>` on exactly that list, checked the same way: the one policy
 * (src/access/policy.ts) with the tapper's account, then in `sendFile` the list (this chat's
 * current one, not expired), the tapper's NAS scope now, and the file as indexed. The send request
 * carries the tap's own reply token (the file message replies with it, for free) and is keyed by
 * the webhook event, so a redelivered tap sends nothing twice.
 *
 * Data the bot never wrote (an edited number, another chat's or an older list, garbage after
 * `find:`) is refused with one short reply and changes nothing; groups never answer the unbound.
 * A tap processed after its reply token expired is not answered (never pushed).
 */
import { decide } from '../../access/policy';
import { FIND_AGAIN_DATA, findTapOf, sendFile, type NasAsk } from '../../bot/nas';
import { CODE_LENGTH } from '../../domain/binding-code';
import { fromLineTimestamp } from '../../lib/time';
import { str } from '../../lib/values';
import { textMessages } from '../../line/messages';
import { sendMessages, type BotChat } from '../../line/outbound';
import { say } from '../../messages/catalog';
import { botLanguage } from '../../messages/language';
import { loadTapper } from '../participants';
import { chatOf, postbackDataOf, sourceOf, type AfterCommit, type EventHandler } from '../types';

export const handleFindTap: EventHandler = async (event, deps) => {
  const data = postbackDataOf(event);
  const source = sourceOf(event);
  const chat = chatOf(source);
  const log = deps.log.child({ tap: 'find' });
  // A source the bot cannot tell (no user, a new source type): refused, silently.
  if (!source.userId || (source.type !== 'user' && !chat)) {
    log.warn('find.tap_refused', { reason: 'malformed_source' });
    return;
  }
  // "Search again" opened the keyboard with `/find ` on the phone; nothing to do here.
  if (data === FIND_AGAIN_DATA) return;

  const { tapper, chatPk } = await loadTapper(deps.db, source.userId, chat);
  // Someone or a chat the bot never stored has no list.
  if (!tapper || (chat && chatPk === null)) {
    log.warn('find.tap_refused', { reason: 'unknown_source' });
    return;
  }

  const tap = findTapOf(data);
  const action = decide({
    chatType: chat ? chat.type : 'user',
    account: tapper.userId !== null && tapper.role ? { role: tapper.role } : null,
    command: { kind: 'send', index: tap?.index ?? null },
    groupAllowsAi: false,
    addressedToBot: false,
    promptedRecently: false,
    aiPaused: false,
  });
  const lang = botLanguage(tapper.language);
  const eventAt = fromLineTimestamp(event.timestamp, new Date());
  const replyToken = str(event.replyToken);
  const botChat: BotChat =
    chat && chatPk !== null ? { type: chat.type, chatPk } : { type: 'user', lineUserPk: tapper.id };
  /** One short reply to the tap, while its token is valid. */
  const answer =
    (text: string): AfterCommit =>
    async () => {
      await sendMessages(deps, {
        chat: botChat,
        messages: textMessages(text),
        reply: { token: replyToken, eventAt },
        push: null,
      });
    };

  if (action.kind === 'silence') return;
  if (action.kind !== 'command') return async () => answer(say(lang, 'bind.prompt', { codeLength: CODE_LENGTH }));
  if (!tap) {
    log.warn('find.tap_refused', { reason: 'malformed' });
    return async () => answer(say(lang, 'find.tapInvalid'));
  }

  const ask: NasAsk = {
    lineUserPk: tapper.id,
    chatPk,
    eventKey: str(event.webhookEventId) ?? `postback:${source.userId}:${String(event.timestamp)}`,
    replyToken,
    sentAt: eventAt,
    nas: deps.nas,
    userId: tapper.userId,
    lang,
  };
  return async (tx) => {
    const refusal = await sendFile(tx, ask, tap.index, { tap: { listId: tap.listId } });
    log.info('find.tapped', { requested: refusal === null });
    // Requested (or requested before, by this very event): the file message replies with this tap's token.
    if (refusal !== null) return answer(refusal);
  };
};
