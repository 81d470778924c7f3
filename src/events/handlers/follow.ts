/** `follow` (added as a friend or unblocked) and `unfollow` (blocked). */
import { botText } from '../../domain/bot-texts';
import { fromLineTimestamp } from '../../lib/time';
import { str } from '../../lib/values';
import { languageOfLineUser } from '../../messages/language';
import { fetchProfile, isStale, loadKnown, upsertLineUser } from '../participants';
import { sourceOf, type EventHandler } from '../types';
import { sendWelcome } from './welcome';

export const handleFollow: EventHandler = async (event, deps) => {
  const { userId } = sourceOf(event);
  if (!userId) return;
  const known = await loadKnown(deps.db, userId, null);
  // A new friend's 1:1 profile also carries language and status message.
  const profile = isStale(known.user, deps.profileTtlMs) ? await fetchProfile(deps.line, userId, null) : undefined;
  const at = fromLineTimestamp(event.timestamp, new Date());
  return async (tx) => {
    const lineUserPk = await upsertLineUser(tx, userId, profile, {
      isFriend: true,
      followedAt: at,
      unfollowedAt: null,
    });
    // In the language of the profile just stored: the greeting answers this user.
    const text = await botText(tx, 'welcome.follow', await languageOfLineUser(tx, lineUserPk));
    return sendWelcome(deps, { type: 'user', lineUserPk }, text, str(event.replyToken), at);
  };
};

export const handleUnfollow: EventHandler = async (event) => {
  const { userId } = sourceOf(event);
  if (!userId) return;
  // No profile call: LINE refuses profiles of users who blocked the bot.
  const at = fromLineTimestamp(event.timestamp, new Date());
  return async (tx) => {
    await upsertLineUser(tx, userId, undefined, { isFriend: false, unfollowedAt: at });
  };
};
