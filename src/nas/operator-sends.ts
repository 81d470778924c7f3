/**
 * The NAS side of a file a console operator sends as the bot (src/domain/operator-sends.ts makes
 * the request, key `console:<operator_sends.id>`): who sent it, for the is_from_bot row and the
 * trail, and the operator_sends row settled when the delivery ends. Nobody in the chat asked, so a
 * failure is told to the operator on the console (the row's `error`), never pushed into the chat.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { operatorSends } from '@linebot-edge/shared/schema';

export const CONSOLE_REQUEST_PREFIX = 'console:';

export const isConsoleRequest = (requestKey: string) => requestKey.startsWith(CONSOLE_REQUEST_PREFIX);

/** The operator who sent the file of this request, or null (not a console send, or its row is gone). */
export async function operatorOfRequest(db: Queryable, sendRequestId: string): Promise<string | null> {
  const [row] = await db
    .select({ operator: operatorSends.operator })
    .from(operatorSends)
    .where(eq(operatorSends.nasSendRequestId, sendRequestId));
  return row?.operator ?? null;
}

/** Settles the operator's send of this request, once: `sent`, or `failed` with why (never the file's content). */
export async function settleOperatorSend(
  db: Queryable,
  sendRequestId: string,
  outcome: { status: 'sent' } | { status: 'failed'; error: string },
): Promise<void> {
  await db
    .update(operatorSends)
    .set({
      status: outcome.status,
      error: outcome.status === 'failed' ? outcome.error.slice(0, 500) : null,
      sentAt: outcome.status === 'sent' ? sql`now()` : null,
    })
    .where(
      and(eq(operatorSends.nasSendRequestId, sendRequestId), inArray(operatorSends.status, ['pending', 'sending'])),
    );
}
