/**
 * Accounts of the company system (the minimal `users` table) and their binding codes, for the
 * console and the management API's `/users`.
 */
import { and, asc, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../audit/record';
import type { Database, Queryable, Transaction } from '../db/client';
import { lineBindingCodes, users } from '@linebot-edge/shared/schema';
import { isUniqueViolation } from '../db/errors';
import { randomCode } from './binding-code';

export interface Account {
  id: number;
  username: string;
  displayName: string | null;
  role: 'admin' | 'member';
}

export interface NewAccount {
  username: string;
  displayName?: string;
  role: 'admin' | 'member';
}

const toAccount = (u: typeof users.$inferSelect): Account => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  role: u.role,
});

/** By id, up to 1000. */
export async function listAccounts(db: Queryable): Promise<Account[]> {
  return (await db.select().from(users).orderBy(asc(users.id)).limit(1000)).map(toAccount);
}

export async function getAccount(db: Queryable, id: number): Promise<Account | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ? toAccount(row) : null;
}

/** The account of this username, whatever its case (usernames are unique that way), or null. */
export async function accountByUsername(db: Queryable, username: string): Promise<Account | null> {
  const [row] = await db.select().from(users).where(sql`lower(${users.username}) = lower(${username})`);
  return row ? toAccount(row) : null;
}

/** The new account, or 'conflict' when the username is taken (whatever its case: the unique index is on lower(username)). */
export async function createAccount(db: Queryable, account: NewAccount): Promise<Account | 'conflict'> {
  try {
    const [row] = await db.insert(users).values(account).returning();
    return toAccount(row!);
  } catch (err) {
    if (isUniqueViolation(err)) return 'conflict';
    throw err;
  }
}

/** How long a binding code can be redeemed (src/bot/binding.ts redeems it). */
const CODE_TTL_MS = 10 * 60_000;

/**
 * Issues a new code for an account, revoking its earlier live codes; audited (never the code) when
 * `actor` says who asked. The code in its stored form (no dashes).
 */
async function issueBindingCode(
  db: Database,
  userId: number,
  actor?: AuditActor,
): Promise<{ code: string; expiresAt: Date }> {
  const run = async (tx: Transaction) => {
    await tx
      .update(lineBindingCodes)
      .set({ revokedAt: sql`now()` })
      .where(
        and(eq(lineBindingCodes.userId, userId), isNull(lineBindingCodes.usedAt), isNull(lineBindingCodes.revokedAt)),
      );
    const expiresAt = new Date(Date.now() + CODE_TTL_MS);
    for (let attempt = 0; attempt < 10; attempt++) {
      const code = randomCode();
      // An expired code still holds its value in the live-code index until it is revoked.
      await tx
        .update(lineBindingCodes)
        .set({ revokedAt: sql`now()` })
        .where(
          and(
            eq(lineBindingCodes.code, code),
            isNull(lineBindingCodes.usedAt),
            isNull(lineBindingCodes.revokedAt),
            sql`${lineBindingCodes.expiresAt} <= now()`,
          ),
        );
      const inserted = await tx
        .insert(lineBindingCodes)
        .values({ code, userId, expiresAt })
        .onConflictDoNothing({
          target: lineBindingCodes.code,
          where: sql`${lineBindingCodes.usedAt} IS NULL AND ${lineBindingCodes.revokedAt} IS NULL`,
        })
        .returning({ code: lineBindingCodes.code });
      if (inserted.length > 0) {
        if (actor) {
          await recordAudit(tx, {
            action: 'binding.code_issued',
            ...actor,
            targetType: 'user',
            targetId: userId,
            details: { expiresAt: expiresAt.toISOString() },
          });
        }
        return { code, expiresAt };
      }
    }
    throw new Error('could not find a free binding code');
  };
  return db.transaction(run);
}

/** A new binding code for the account (revoking its earlier ones), or null when there is no such account. */
export async function issueCodeFor(
  db: Database,
  userId: number,
  actor: AuditActor,
): Promise<{ code: string; expiresAt: Date } | null> {
  if (!(await getAccount(db, userId))) return null;
  return issueBindingCode(db, userId, actor);
}

/**
 * The account's code that can still be used, if any: what the console shows after issuing one
 * (the page after the redirect reads it here, so the code travels in no URL and no cookie).
 */
export async function liveCodeOf(db: Queryable, userId: number): Promise<{ code: string; expiresAt: Date } | null> {
  const [row] = await db
    .select({ code: lineBindingCodes.code, expiresAt: lineBindingCodes.expiresAt })
    .from(lineBindingCodes)
    .where(
      and(
        eq(lineBindingCodes.userId, userId),
        isNull(lineBindingCodes.usedAt),
        isNull(lineBindingCodes.revokedAt),
        gt(lineBindingCodes.expiresAt, sql`now()`),
      ),
    )
    .orderBy(desc(lineBindingCodes.createdAt), desc(lineBindingCodes.id))
    .limit(1);
  return row ?? null;
}
