/**
 * Delivering a NAS send request into its chat, exactly once: an uploaded file becomes a share link
 * and a LINE message (an image message for JPEG/PNG up to 10 MB with a preview, else a text with
 * the link), a failed request a text saying why. Sent by the outbound module (src/line/outbound.ts):
 * by reply while the asking message's token is valid, else by push with an X-Line-Retry-Key
 * derived from the request id; the request's `reply_attempted_at` marks the reply.
 *
 * `sent_at` records that the asker was told: on a `sent` row the file went out, on a `failed` row
 * the failure was told (NULL: not yet, the Cron backstop tells it).
 */
import { isImageMessageType, type FailureReason } from '@linebot-edge/shared/upload-contract';
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { accountIdOf, recordAudit, type AuditAction } from '../audit/record';
import { fileWithinScope, type NasScopeDecision } from '../access/policy';
import type { Queryable } from '../db/client';
import { nasSendRequests } from '@linebot-edge/shared/schema';
import type { Message } from '../line/client';
import { LineApiError } from '../line/errors';
import { destinationOf, replyAttemptMark, sendMessages, type OutboundDeps } from '../line/outbound';
import { config, type ConfigEnv } from '../config';
import { taipeiDate, taipeiDateTime, taipeiWeekday } from '../lib/taipei';
import { say, type BotLang, type BotMessageKey } from '../messages/catalog';
import { languageOfLineUser } from '../messages/language';
import { isConsoleRequest, operatorOfRequest, settleOperatorSend } from './operator-sends';
import { nasScopeOf, operatorNasScopeOf } from './scope';
import { createShareLink, shareLinkTtlSeconds, shareUrls } from './share-links';
import { essence, markFailed, type SendRequestRow } from './upload';

type Deps = OutboundDeps;

/** The backstop delivers an uploaded row (or tells a failed one) left alone this long. */
const DELIVERY_GRACE_MS = 60_000;
/** A request no job claimed (pending) or finished (uploading) within this long: the NAS is down. */
export const NAS_STALE_MS = 10 * 60_000;
/** The backstop stops trying after this long (LINE keeps retry keys for 24 h). */
const DELIVERY_GIVE_UP_MS = 23 * 3600_000;
const BACKSTOP_BATCH = 25;

/** Sizes as people read them: 512 B, 3.4 KB, 12.5 MB (1024-based, one decimal). */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : Math.round(v * 10) / 10} ${units[i]}`;
}

/** A file name in a message: long names cut (LINE texts are short, names may be 255 bytes). */
const shown = (name: string) => (name.length > 120 ? `${name.slice(0, 119)}…` : name);

const failureKeys: Record<FailureReason | 'nas_unreachable', BotMessageKey> = {
  missing: 'nas.failed.missing',
  changed: 'nas.failed.changed',
  outside_share: 'nas.failed.outsideShare',
  unreadable: 'nas.failed.unreadable',
  too_large: 'nas.failed.tooLarge',
  nas_unreachable: 'nas.failed.unreachable',
};

/** What the asker reads, in their language, when the job could not send the file (stored in `error`). */
export function failureText(
  lang: BotLang,
  reason: FailureReason | 'nas_unreachable',
  row: Pick<SendRequestRow, 'name' | 'size'>,
  maxBytes: number,
): string {
  return say(lang, failureKeys[reason], { name: shown(row.name), size: humanSize(row.size), max: humanSize(maxBytes) });
}

/** A link's end as the asker reads it: `2026-05-08 (週五) 17:30`, `2026-05-08 (Fri) 17:30` (Taipei time). */
const linkExpiry = (lang: BotLang, at: Date) =>
  say(lang, 'nas.linkExpiry', {
    date: taipeiDate(at),
    weekday: say(lang, `weekday.${taipeiWeekday(at)}` as BotMessageKey),
    time: taipeiDateTime(at).slice(11),
  });

function isImageMessageFile(row: Pick<SendRequestRow, 'contentType' | 'size' | 'previewR2Key'>): boolean {
  const type = row.contentType ? essence(row.contentType) : '';
  return isImageMessageType(type, row.size) && row.previewR2Key !== null;
}

/** The message carrying an uploaded file's link, in the asker's language. */
export function fileMessage(lang: BotLang, row: SendRequestRow, token: string, base: string, expiresAt: Date): Message {
  const urls = shareUrls(base, token);
  if (isImageMessageFile(row)) return { type: 'image', originalContentUrl: urls.file, previewImageUrl: urls.preview };
  return {
    type: 'text',
    text: say(lang, 'nas.fileMessage', {
      name: shown(row.name),
      size: humanSize(row.size),
      url: urls.file,
      expires: linkExpiry(lang, expiresAt),
    }),
  };
}

/** What a share link's token becomes in the stored copy of the bot's message. */
const redactedToken = (shareLinkId: string) => `[share-link:${shareLinkId}]`;

/** Into the request's chat through the outbound module: by the asking message's reply token while it is good, else by push keyed by the request and `kind`. */
async function sendToChat(
  deps: Deps,
  row: SendRequestRow,
  messages: Message[],
  kind: 'file' | 'failure',
  now: number,
  recorded = messages,
  sentByOperator?: string,
) {
  const { chat, to } = await destinationOf(deps.db, { lineUserPk: row.lineUserId, chatPk: row.lineGroupId });
  return sendMessages(deps, {
    chat,
    messages,
    recorded,
    sentByOperator,
    reply: {
      token: row.replyToken,
      eventAt: row.eventAt,
      attempted: row.replyAttemptedAt !== null,
      markAttempted: replyAttemptMark(deps.db, nasSendRequests, row.id),
    },
    push: { to, key: `nas-send:${row.id}:${kind}` },
    now,
  });
}

export interface DeliverOptions {
  env: ConfigEnv;
  /** The origin the upload came in on: the link's base when neither the request nor PUBLIC_BASE_URL names one. */
  origin?: string;
  now?: number;
}

/** The share links' origin: the request's public_base_url, else PUBLIC_BASE_URL, else the upload's origin. */
function linkBase(row: Pick<SendRequestRow, 'publicBaseUrl'>, env: ConfigEnv, origin?: string): string | null {
  return row.publicBaseUrl || config(env).publicBaseUrl || origin || null;
}

export type DeliveryResult = 'sent' | 'told' | 'skipped';

/** How a send request was asked for, from its key: `/send` (`event:`), a tap on an AI offer (`offer:`), the AI itself (`ai:`), a console operator (`console:`). */
function requestHow(requestKey: string): 'command' | 'tap' | 'ai_offer' | 'console' | 'other' {
  if (requestKey.startsWith('event:')) return 'command';
  if (isConsoleRequest(requestKey)) return 'console';
  if (requestKey.startsWith('offer:')) return 'tap';
  if (requestKey.startsWith('ai:')) return 'ai_offer';
  return 'other';
}

const refusalKeys: Record<Exclude<NasScopeDecision['kind'], 'scope'> | 'outside_scope', BotMessageKey> = {
  unbound: 'nas.refused.unbound',
  noProject: 'nas.refused.noProject',
  notMember: 'nas.refused.notMember',
  noProjects: 'nas.refused.notMember',
  noFolder: 'nas.refused.outsideScope',
  outside_scope: 'nas.refused.outsideScope',
};

/** What the asker reads when the file is no longer theirs to get here (the scope changed after the request). */
export function refusedText(lang: BotLang, name: string, why: keyof typeof refusalKeys): string {
  return say(lang, 'nas.refused', { name: shown(name), reason: say(lang, refusalKeys[why]) });
}

/** An audit entry about a request: its asker and chat, how it was asked for, the file's share and path. */
const auditRequest = (
  db: Queryable,
  action: AuditAction,
  row: SendRequestRow,
  actorUserId: number | null,
  details: Record<string, unknown>,
  operator: string | null = null,
) =>
  recordAudit(db, {
    action,
    via: operator === null ? 'chat' : 'console',
    actorUserId,
    actorLineUserId: row.lineUserId,
    operator,
    lineGroupId: row.lineGroupId,
    targetType: 'nas_send_request',
    targetId: row.id,
    details: { how: requestHow(row.requestKey), share: row.share, path: row.path, ...details },
  });

/**
 * The asker's scope, read now, still covers the file? A request made before an unbinding, a
 * project change or a membership removal is refused: marked failed with the reason (and audited,
 * in one transaction), then told like any failure. The failed row, or null when it may go out.
 */
async function refuseOutOfScope(deps: Deps, row: SendRequestRow): Promise<SendRequestRow | 'skipped' | null> {
  // A console send: what the operator may send into the chat (operatorNasScopeFor), read now too.
  const decision =
    isConsoleRequest(row.requestKey) || row.lineUserId === null
      ? await operatorNasScopeOf(
          deps.db,
          row.lineGroupId !== null
            ? { chatPk: row.lineGroupId, lineUserPk: null }
            : { chatPk: null, lineUserPk: row.lineUserId! },
        )
      : await nasScopeOf(deps.db, { lineUserPk: row.lineUserId, chatPk: row.lineGroupId });
  if (decision.kind === 'scope' && fileWithinScope(decision.scope, row)) return null;
  const why = decision.kind === 'scope' ? 'outside_scope' : decision.kind;
  const actorUserId = await accountIdOf(deps.db, row.lineUserId);
  const failed = await deps.db.transaction(async (tx) => {
    const marked = await markFailed(
      tx,
      row.id,
      refusedText(await languageOfLineUser(tx, row.lineUserId), row.name, why),
      ['uploaded'],
    );
    if (marked) {
      await auditRequest(tx, 'nas.send_refused', row, actorUserId, { reason: why });
    }
    return marked;
  });
  deps.log.warn('nas.delivery_refused', { sendRequestId: row.id, reason: why });
  return failed ?? 'skipped';
}

/** Tells the asker why a failed request was not sent, then marks it told (`sent_at`). */
async function tellFailure(
  deps: Deps,
  row: SendRequestRow,
  options: DeliverOptions,
  now: number,
): Promise<DeliveryResult> {
  // Nobody in the chat asked for a console send: the operator reads why on the console, the chat nothing.
  if (isConsoleRequest(row.requestKey)) {
    await deps.db.transaction(async (tx) => {
      await tx
        .update(nasSendRequests)
        .set({ sentAt: sql`now()`, updatedAt: sql`now()` })
        .where(
          and(eq(nasSendRequests.id, row.id), eq(nasSendRequests.status, 'failed'), isNull(nasSendRequests.sentAt)),
        );
      await settleOperatorSend(tx, row.id, { status: 'failed', error: row.error ?? 'the NAS could not send the file' });
    });
    deps.log.info('nas.failure_told', { sendRequestId: row.id, sentBy: 'console' });
    return 'told';
  }
  const text =
    row.error ??
    failureText(
      await languageOfLineUser(deps.db, row.lineUserId),
      'unreadable',
      row,
      config(options.env).nasSendMaxBytes,
    );
  const sentBy = await sendOrGiveUp(deps, row, [{ type: 'text', text }], 'failure', now);
  if (!sentBy) return 'skipped';
  await deps.db
    .update(nasSendRequests)
    .set({ sentBy, sentAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(nasSendRequests.id, row.id), eq(nasSendRequests.status, 'failed'), isNull(nasSendRequests.sentAt)));
  deps.log.info('nas.failure_told', { sendRequestId: row.id, sentBy });
  return 'told';
}

/**
 * Delivers an uploaded request (link + message, then `sent`) or tells a failed one (then
 * `sent_at`). Re-reads the row first: a request another run delivered meanwhile is skipped. An
 * uploaded file whose asker may no longer get it here is not delivered (refuseOutOfScope).
 */
async function deliverSendRequest(deps: Deps, id: string, options: DeliverOptions): Promise<DeliveryResult> {
  const now = options.now ?? Date.now();
  const [row] = await deps.db.select().from(nasSendRequests).where(eq(nasSendRequests.id, id));
  if (!row || row.sentAt !== null || (row.status !== 'uploaded' && row.status !== 'failed')) return 'skipped';
  const log = deps.log.child({ sendRequestId: row.id });

  if (row.status === 'failed') return tellFailure(deps, row, options, now);

  const refused = await refuseOutOfScope(deps, row);
  if (refused === 'skipped') return 'skipped';
  if (refused) return tellFailure(deps, refused, options, now);

  const base = linkBase(row, options.env, options.origin);
  if (!base) throw new Error(`send request ${row.id}: no base URL for its share link`);
  // An image message's links outlive a download link's SHARE_LINK_TTL: LINE fetches them whenever the chat is opened.
  const ttl = shareLinkTtlSeconds(isImageMessageFile(row) ? 'image_message' : 'download', config(options.env));
  const { token, link } = await createShareLink(deps.db, row, ttl);
  const message = fileMessage(await languageOfLineUser(deps.db, row.lineUserId), row, token, base, link.expiresAt);
  // The chat history keeps the message without its token: the database alone opens no link.
  const recorded = JSON.parse(JSON.stringify(message).replaceAll(token, redactedToken(link.id))) as Message;
  const operator = isConsoleRequest(row.requestKey) ? await operatorOfRequest(deps.db, row.id) : null;
  const sentBy = await sendOrGiveUp(deps, row, [message], 'file', now, [recorded], operator ?? undefined);
  if (!sentBy) return 'skipped';
  const actorUserId = await accountIdOf(deps.db, row.lineUserId);
  const marked = await deps.db.transaction(async (tx) => {
    const rows = await tx
      .update(nasSendRequests)
      .set({ status: 'sent', sentBy, sentAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(nasSendRequests.id, row.id), eq(nasSendRequests.status, 'uploaded')))
      .returning({ id: nasSendRequests.id });
    // Once per file that left the NAS: the run that marks it sent records it.
    if (rows.length === 1) {
      await auditRequest(
        tx,
        'nas.file_sent',
        row,
        actorUserId,
        { size: row.size, shareLinkId: link.id, sentBy },
        operator,
      );
      if (isConsoleRequest(row.requestKey)) await settleOperatorSend(tx, row.id, { status: 'sent' });
    }
    return rows;
  });
  log.info('nas.sent', { sentBy, messageType: message.type, shareLinkId: link.id, marked: marked.length === 1 });
  return 'sent';
}

/**
 * Sends, or, when LINE refuses for good (the user blocked the bot, the bot left the group: a 4xx
 * other than 429), records that nobody can be told: a file becomes `failed`, and either way
 * `sent_at` is set so no run tries again. Retryable errors (5xx, network, LINE's rate limit: 429
 * logged as line.rate_limited) are thrown; a push LINE refused for the monthly limit (429, logged as
 * line.quota_exceeded) is left, like them, for the backstop.
 */
async function sendOrGiveUp(
  deps: Deps,
  row: SendRequestRow,
  messages: Message[],
  kind: 'file' | 'failure',
  now: number,
  recorded = messages,
  sentByOperator?: string,
) {
  try {
    return (await sendToChat(deps, row, messages, kind, now, recorded, sentByOperator)).sentBy;
  } catch (err) {
    if (!(err instanceof LineApiError) || err.isRetryable) throw err;
    deps.log.warn('nas.send_refused', { sendRequestId: row.id, kind, status: err.status, error: err });
    await deps.db
      .update(nasSendRequests)
      .set({
        status: 'failed',
        error: sql`coalesce(${nasSendRequests.error}, ${`LINE refused the message (${err.status})`})`,
        sentAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(nasSendRequests.id, row.id), inArray(nasSendRequests.status, ['uploaded', 'failed'])));
    if (isConsoleRequest(row.requestKey)) {
      await settleOperatorSend(deps.db, row.id, {
        status: 'failed',
        error: `LINE refused the message (${err.status})`,
      });
    }
    return null;
  }
}

/** Never throws: a delivery that fails is left for the backstop (logged). */
export async function deliverInBackground(deps: Deps, id: string, options: DeliverOptions): Promise<void> {
  try {
    await deliverSendRequest(deps, id, options);
  } catch (err) {
    deps.log.error('nas.deliver_failed', { sendRequestId: id, error: err });
  }
}

/**
 * The Cron backstop: requests whose NAS job went silent become `failed` ("the NAS is not
 * reachable"), and every `uploaded` row left unsent and `failed` row not told for over a minute is
 * delivered. Rows are taken by bumping `updated_at`, so overlapping runs share no row.
 */
export async function runNasBackstop(deps: Deps, env: DeliverOptions['env'], now = Date.now()) {
  const counts = { timedOut: 0, sent: 0, told: 0, errors: 0 };
  const at = (ms: number) => new Date(now - ms).toISOString();
  const stale = await deps.db
    .select({
      id: nasSendRequests.id,
      name: nasSendRequests.name,
      size: nasSendRequests.size,
      status: nasSendRequests.status,
      lineUserId: nasSendRequests.lineUserId,
    })
    .from(nasSendRequests)
    .where(
      or(
        and(
          eq(nasSendRequests.status, 'pending'),
          lt(nasSendRequests.createdAt, sql`${at(NAS_STALE_MS)}::timestamptz`),
        ),
        and(
          eq(nasSendRequests.status, 'uploading'),
          lt(
            sql`coalesce(${nasSendRequests.claimedAt}, ${nasSendRequests.createdAt})`,
            sql`${at(NAS_STALE_MS)}::timestamptz`,
          ),
        ),
      ),
    )
    .limit(BACKSTOP_BATCH);
  const timedOut: string[] = [];
  for (const s of stale) {
    const text = failureText(
      await languageOfLineUser(deps.db, s.lineUserId),
      'nas_unreachable',
      s,
      config(env).nasSendMaxBytes,
    );
    const failed = await markFailed(deps.db, s.id, text, [s.status]);
    if (failed) {
      timedOut.push(s.id);
      counts.timedOut++;
      deps.log.warn('nas.request_timed_out', { sendRequestId: s.id, was: s.status });
    }
  }

  const due = await deps.db
    .update(nasSendRequests)
    .set({ updatedAt: sql`now()` })
    .where(
      sql`${nasSendRequests.id} IN (
        SELECT id FROM nas_send_requests
        WHERE status IN ('uploaded', 'failed') AND sent_at IS NULL
          AND updated_at < ${at(DELIVERY_GRACE_MS)}::timestamptz AND updated_at > ${at(DELIVERY_GIVE_UP_MS)}::timestamptz
        ORDER BY updated_at LIMIT ${BACKSTOP_BATCH} FOR UPDATE SKIP LOCKED)`,
    )
    .returning({ id: nasSendRequests.id });
  // Rows this run just timed out are told now too, not a minute later.
  const ids = [...new Set([...timedOut, ...due.map((d) => d.id)])];
  for (const id of ids) {
    try {
      const result = await deliverSendRequest(deps, id, { env, now });
      if (result === 'sent') counts.sent++;
      if (result === 'told') counts.told++;
    } catch (err) {
      counts.errors++;
      deps.log.error('nas.backstop_deliver_failed', { sendRequestId: id, error: err });
    }
  }
  return counts;
}
