/**
 * User binding: an admin issues a one-time code for a company account (src/domain/accounts.ts);
 * the LINE user sends it to the bot in a 1:1 chat; the bot ties `line_users.user_id` to the account.
 *
 * Unlike the seed's reference: codes (src/domain/binding-code.ts: 9 characters without look-alikes, over
 * 40 bits) come from crypto.getRandomValues without modulo bias, are unique among live codes (a
 * partial unique index), single-use, valid 10 minutes, revoked when a newer one is issued, and
 * guessing is limited to 5 wrong codes per LINE user per 15 minutes, counted under a lock on the
 * LINE user's row so that parallel deliveries cannot get past it.
 */
import { and, count, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { chatActor, recordAudit } from '../audit/record';
import type { Transaction } from '../db/client';
import { lineBindingAttempts, lineBindingCodes, lineUsers, users } from '@linebot-edge/shared/schema';
import { say, type BotLang } from '../messages/catalog';
export const MAX_WRONG_CODES = 5;
export const WRONG_CODE_WINDOW_MINUTES = 15;

const isLive = () =>
  and(isNull(lineBindingCodes.usedAt), isNull(lineBindingCodes.revokedAt), gt(lineBindingCodes.expiresAt, sql`now()`));

export interface Sender {
  lineUserPk: string;
  /** The bound company account, if any. */
  userId: number | null;
  /** The language the bot answers them in. */
  lang: BotLang;
}

const accountName = (u: { displayName: string | null; username: string }) => u.displayName || u.username;

/**
 * A LINE user sent a code (normalised, src/domain/binding-code.ts; '' for one that cannot be a code) in a
 * 1:1 chat: bind, or say exactly why not. Returns the reply text.
 */
export async function redeemBindingCode(tx: Transaction, sender: Sender, code: string): Promise<string> {
  // The LINE user's row is the lock: a parallel delivery of another code waits here until this
  // transaction has counted and recorded its attempt, so the count below is never stale. NO KEY
  // UPDATE, not UPDATE: the event's own rows (the message) already hold KEY SHARE on this row
  // through their foreign keys, and two deliveries each holding it and asking for UPDATE deadlock.
  await tx.select({ id: lineUsers.id }).from(lineUsers).where(eq(lineUsers.id, sender.lineUserPk)).for('no key update');
  const [{ wrong } = { wrong: 0 }] = await tx
    .select({ wrong: count() })
    .from(lineBindingAttempts)
    .where(
      and(
        eq(lineBindingAttempts.lineUserId, sender.lineUserPk),
        eq(lineBindingAttempts.succeeded, false),
        gt(lineBindingAttempts.createdAt, sql`now() - make_interval(mins => ${WRONG_CODE_WINDOW_MINUTES})`),
      ),
    );
  // Locked: the code is not even looked at, so guessing learns nothing.
  if (wrong >= MAX_WRONG_CODES) return say(sender.lang, 'bind.lockedOut', { minutes: WRONG_CODE_WINDOW_MINUTES });

  const [live] = await tx
    .select({
      id: lineBindingCodes.id,
      userId: lineBindingCodes.userId,
      username: users.username,
      displayName: users.displayName,
    })
    .from(lineBindingCodes)
    .innerJoin(users, eq(users.id, lineBindingCodes.userId))
    .where(and(eq(lineBindingCodes.code, code), isLive()))
    .for('update', { of: lineBindingCodes });

  const recordAttempt = (succeeded: boolean) =>
    tx.insert(lineBindingAttempts).values({ lineUserId: sender.lineUserPk, succeeded });

  if (!live) {
    await recordAttempt(false);
    return say(sender.lang, 'bind.wrongCode');
  }
  const markUsed = () =>
    tx
      .update(lineBindingCodes)
      .set({ usedAt: sql`now()`, usedByLineUserId: sender.lineUserPk })
      .where(eq(lineBindingCodes.id, live.id));

  if (sender.userId !== null) {
    if (sender.userId !== live.userId) return say(sender.lang, 'bind.lineAlreadyBound');
    await markUsed();
    return say(sender.lang, 'bind.alreadySame', { account: accountName(live) });
  }
  const [taken] = await tx
    .select({ id: lineUsers.id })
    .from(lineUsers)
    .where(and(eq(lineUsers.userId, live.userId), ne(lineUsers.id, sender.lineUserPk)));
  if (taken) return say(sender.lang, 'bind.accountTaken');

  await tx
    .update(lineUsers)
    .set({ userId: live.userId, updatedAt: sql`now()` })
    .where(eq(lineUsers.id, sender.lineUserPk));
  await markUsed();
  await recordAttempt(true);
  await recordAudit(tx, {
    action: 'binding.bound',
    ...chatActor(sender.lineUserPk, live.userId),
    targetType: 'user',
    targetId: live.userId,
  });
  return say(sender.lang, 'bind.bound', { account: accountName(live) });
}

/** `/unbind` in a 1:1 chat. */
export async function unbindLineUser(tx: Transaction, sender: Sender): Promise<string> {
  if (sender.userId === null) return say(sender.lang, 'bind.notBound');
  await tx.update(lineUsers).set({ userId: null, updatedAt: sql`now()` }).where(eq(lineUsers.id, sender.lineUserPk));
  await recordAudit(tx, {
    action: 'binding.unbound',
    ...chatActor(sender.lineUserPk, sender.userId),
    targetType: 'user',
    targetId: sender.userId,
  });
  return say(sender.lang, 'bind.unbound');
}
