import type { SQL } from 'drizzle-orm';
import type { AiConfig } from '../ai/config';
import type { Database, Transaction } from '../db/client';
import type { LineClient } from '../line/client';
import type { Logger } from '../lib/log';
import type { NasConfig } from '../nas/requests';
import type { WebhookEventObject } from '../line/webhook-body';

export interface EventDeps {
  db: Database;
  line: LineClient;
  log: Logger;
  /** Profiles and group summaries are re-fetched from LINE at most once per this period. */
  profileTtlMs: number;
  ai: AiConfig;
  /** NAS sends: the size limit and the share links' origin. */
  nas: NasConfig;
  /** The R2 bucket (env.FILES): an unsend deletes the file's thumbnail after its transaction. */
  files?: R2Bucket;
}

/**
 * The writes an event makes, run in one transaction together with marking its inbox row done.
 * It may return a side effect to run once that transaction has committed (a reply to the user):
 * replies go out at most once, because a redelivered or retried event never commits twice.
 */
export type Apply = (tx: Transaction) => Promise<void | AfterCommit>;
export type AfterCommit = () => Promise<void>;

/**
 * Writes that fit in one SQL statement (data-modifying CTEs). One statement is atomic by itself,
 * so it needs no BEGIN and COMMIT: three round trips fewer than an `Apply`. The statement must
 * include `markDone()`, the UPDATE that marks the event's inbox row done (given a payload
 * expression, it also sets the row's payload).
 */
export interface OneStatement {
  oneStatement: (markDone: (payload?: SQL) => SQL) => SQL;
}

/**
 * A handler does its reads and LINE API calls first (outside any transaction), then returns
 * the writes to apply atomically; returning nothing means there is nothing to write.
 */
export type EventHandler = (event: WebhookEventObject, deps: EventDeps) => Promise<Apply | OneStatement | void>;

/** LINE's source object; fixtures and future types may lack fields, so every id is optional. */
export type Source = { type?: string; userId?: string; groupId?: string; roomId?: string };

/** Where a conversation happens, when it is not a 1:1 chat. */
export interface Chat {
  type: 'group' | 'room';
  id: string;
}

/** LINE's source with only string fields kept: a forged `userId: {}` must never reach the LINE API or a column. */
export function sourceOf(event: WebhookEventObject): Source {
  const source = event.source as Record<string, unknown> | null | undefined;
  if (typeof source !== 'object' || source === null) return {};
  const out: Source = {};
  for (const key of ['type', 'userId', 'groupId', 'roomId'] as const) {
    const v = source[key];
    if (typeof v === 'string' && v !== '') out[key] = v;
  }
  return out;
}

/** A postback's data as LINE sent it (anything else: undefined). */
export const postbackDataOf = (event: WebhookEventObject): unknown =>
  (event.postback as { data?: unknown } | null | undefined)?.data;

/** The source type as LINE named it (user, group, room, or one LINE adds later). */
export const sourceTypeOf = (source: Source): string =>
  typeof source.type === 'string' && source.type ? source.type.slice(0, 32) : 'unknown';

export function chatOf(source: Source): Chat | null {
  if (source.type === 'group' && source.groupId) return { type: 'group', id: source.groupId };
  if (source.type === 'room' && source.roomId) return { type: 'room', id: source.roomId };
  return null;
}
