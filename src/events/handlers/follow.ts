/** `follow` (added as a friend or unblocked) and `unfollow` (blocked). */
import { fromLineTimestamp } from '../../lib/time';
import { fetchProfile, isStale, loadKnown, upsertLineUser } from '../participants';
import { sourceOf, type EventHandler } from '../types';

export const handleFollow: EventHandler = async (event, deps) => {
  const { userId } = sourceOf(event);
  if (!userId) return;
  const known = await loadKnown(deps.db, userId, null);
  // A new friend's 1:1 profile also carries language and status message.
  const profile = isStale(known.user, deps.profileTtlMs) ? await fetchProfile(deps.line, userId, null) : undefined;
  const at = fromLineTimestamp(event.timestamp, new Date());
  return async (tx) => {
    await upsertLineUser(tx, userId, profile, { isFriend: true, followedAt: at, unfollowedAt: null });
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
