/** `join` / `leave`: the bot entered or left a group or room. */
import { botText } from '../../domain/bot-texts';
import { fromLineTimestamp } from '../../lib/time';
import { str } from '../../lib/values';
import { fetchChatInfo, upsertChat } from '../participants';
import { chatOf, sourceOf, type EventHandler } from '../types';
import { sendWelcome } from './welcome';

export const handleJoin: EventHandler = async (event, deps) => {
  const chat = chatOf(sourceOf(event));
  if (!chat) return;
  // Always fresh on join: the name may have changed while the bot was away.
  const info = await fetchChatInfo(deps.line, chat);
  const at = fromLineTimestamp(event.timestamp, new Date());
  return async (tx) => {
    const chatPk = await upsertChat(tx, chat, info, { isActive: true, joinedAt: at, leftAt: null });
    // A group has no one language: the company's (zh-TW, with the English under it by default).
    const text = await botText(tx, 'welcome.join', 'zh-TW');
    return sendWelcome(deps, { type: chat.type, chatPk }, text, str(event.replyToken), at);
  };
};

export const handleLeave: EventHandler = async (event) => {
  const chat = chatOf(sourceOf(event));
  if (!chat) return;
  // No API call: LINE refuses summaries of groups the bot is no longer in.
  const at = fromLineTimestamp(event.timestamp, new Date());
  return async (tx) => {
    await upsertChat(tx, chat, undefined, { isActive: false, leftAt: at });
  };
};
