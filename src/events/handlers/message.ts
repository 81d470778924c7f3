/**
 * `message`: store the sender, the chat, the message and (for media LINE hosts) a `line_files`
 * row whose `nas_path` the on-prem sync job fills in later.
 *
 * The message's and the file's UUIDs are made here, not by the database, so both rows can name
 * each other (`line_files.message_id`, `line_messages.file_id`) within one statement.
 */
import { and, eq, type Placeholder, type Query, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { addressing } from '../../ai/addressing';
import { startAnswer } from '../../ai/answers';
import { clip } from '../../inbox/storable';
import { mayRespond, respondToText } from '../../bot/respond';
import { lineFiles, lineMessages } from '@linebot-edge/shared/schema';
import type { InboxInsert, IntakeStatement } from '../../inbox/record';
import type { WebhookEventObject } from '../../line/webhook-body';
import { say } from '../../messages/catalog';
import { isUnsent, payloadRedactedWhen, redactPayloadsIfUnsent } from '../redact';
import { fromLineTimestamp } from '../../lib/time';
import { INT4, num, SAFE_INTEGER, str } from '../../lib/values';
import { textMessages, withQuickReply } from '../../line/messages';
import type { Message } from '../../line/client';
import { sendMessages, type BotChat } from '../../line/outbound';
import { prepareParticipants } from '../participants';
import { chatOf, sourceOf, sourceTypeOf, type EventDeps, type EventHandler } from '../types';

/** A message object as received: the seven known types and whatever LINE adds next. */
export type MessageObject = { id?: unknown; type?: unknown } & Record<string, unknown>;

export const handleMessage: EventHandler = async (event, deps) => {
  const message = event.message as MessageObject | undefined;
  if (!message || typeof message.id !== 'string' || !message.id) {
    deps.log.warn('event.message_without_id', { eventType: event.type });
    return;
  }
  const messageId = message.id;
  const source = sourceOf(event);
  const chat = chatOf(source);
  // A source LINE did not describe fully (or a new source type) gets no answer: never bind from it.
  const chatType = chat ? chat.type : source.type === 'user' ? ('user' as const) : null;
  const participants = await prepareParticipants(deps, source.userId, chat);
  const replyToken = str(event.replyToken);
  const text = message.type === 'text' && typeof message.text === 'string' ? message.text : null;
  const quotedMessageId = str(message.quotedMessageId);
  // In a group, a quote of one of the bot's own messages addresses the bot.
  const quotesBot =
    text !== null && chat !== null && quotedMessageId !== null && (await isBotMessage(deps, quotedMessageId));
  const address = text !== null ? addressing(text, message.mention, deps.ai.botNames, quotesBot) : null;
  const addressed = address?.addressed ?? false;
  const file = fileOf(message);
  const messagePk = crypto.randomUUID();
  const filePk = file ? crypto.randomUUID() : null;

  const row = (userPk: string | null, chatPk: string | null) =>
    messageRow(event, message as MessageObject & { id: string }, { messagePk, filePk, userPk, chatPk });

  // The common case (a known sender in a known group, nothing for the bot to answer): the
  // message, its file and the inbox row's `done` in one statement.
  const resolved = participants.resolved;
  const mayAnswer = (userPk: string | null) =>
    userPk !== null && chatType !== null && mayAnswerText(text, replyToken, chatType, addressed);
  if (resolved && !mayAnswer(resolved.userPk)) {
    return {
      oneStatement: (markDone) => {
        const insertMessage = deps.db
          .insert(lineMessages)
          .values(row(resolved.userPk, resolved.chatPk))
          .onConflictDoNothing({ target: lineMessages.messageId })
          .returning({ id: lineMessages.id });
        // The file only when the message was inserted now (not a redelivery, not a tombstone).
        const insertFile = fileAfterMessage(file, filePk);
        // Not inserted and already unsent (the unsend overtook it): its own payload loses the text.
        const payload = payloadRedactedWhen(sql`NOT EXISTS (SELECT 1 FROM m) AND ${isUnsent(messageId)}`);
        // getSQL(): embedded as SQL, not as a parenthesised subquery.
        return sql`with m as (${insertMessage.getSQL()})${insertFile} ${markDone(payload)}`;
      },
    };
  }

  return async (tx) => {
    const { userPk, chatPk } = await participants.apply(tx);
    const inserted = await tx
      .insert(lineMessages)
      .values(row(userPk, chatPk))
      // Already stored (redelivery), or unsent before it arrived (a tombstone row exists).
      .onConflictDoNothing({ target: lineMessages.messageId })
      .returning({ id: lineMessages.id });

    if (inserted.length === 0) {
      // A redelivery, or a message unsent before it arrived: then its payload loses the text too.
      await redactPayloadsIfUnsent(tx, messageId);
      return;
    }

    if (file) await tx.insert(lineFiles).values({ id: filePk!, messageId: messagePk, ...file });

    // Commands and binding: decided and applied in this transaction, answered after it commits.
    if (!mayAnswer(userPk)) return;
    const eventAt = fromLineTimestamp(event.timestamp, new Date());
    const response = await respondToText(tx, {
      text: text!,
      chatType: chatType!,
      lineUserPk: userPk!,
      chatPk,
      addressedToBot: addressed,
      sentAt: eventAt,
      eventKey: str(event.webhookEventId) ?? `message:${messageId}`,
      replyToken,
      nas: deps.nas,
    });
    if (!response) return;
    let reply: Message[];
    /** A notice that may only go by reply (free), never pushed. */
    let replyOnly = false;
    if (response.kind === 'ai') {
      const started = await startAnswer(
        tx,
        {
          webhookEventId: str(event.webhookEventId) ?? `message:${messageId}`,
          questionMessagePk: messagePk,
          lineUserPk: userPk!,
          chatPk,
          // In a 1:1 chat every text is for the bot: only a group's address is cut from the question.
          question: chat ? address!.question : text!,
          replyToken,
          quoteToken: str(message.quoteToken),
          eventAt,
        },
        deps.ai.dailyLimit,
      );
      if (started.kind === 'started') return () => launchAnswer(deps, started, chat === null ? source.userId! : null);
      if (started.kind !== 'limited' || !started.notify) return;
      reply = textMessages(say(response.lang, 'ai.dailyLimit', { limit: deps.ai.dailyLimit }));
    } else if (response.kind === 'paused') {
      // An operator has taken over: stored and decided (no answer row, so nothing answers it after
      // the pause, the backstop included); once per pause a notice, by reply only: it is free.
      await tx.update(lineMessages).set({ aiProcessed: true }).where(eq(lineMessages.id, messagePk));
      deps.log.info('ai.paused_question', { messagePk, notice: response.notice !== null });
      if (response.notice === null) return;
      reply = textMessages(response.notice);
      replyOnly = true;
    } else {
      reply =
        response.kind === 'message'
          ? [response.message]
          : withQuickReply(textMessages(response.text), response.quickReply);
    }
    const botChat: BotChat =
      chatPk !== null && chat ? { type: chat.type, chatPk } : { type: 'user', lineUserPk: userPk! };
    // Processed late (a cron retry), the reply token has expired: the outbound module pushes
    // instead, keyed by the event, so LINE delivers it once however often this runs. The reply
    // needs no mark: it runs once, after this transaction commits once.
    const eventKey = str(event.webhookEventId) ?? messageId;
    return async () => {
      await sendMessages(deps, {
        chat: botChat,
        messages: reply,
        reply: { token: replyToken, eventAt },
        push: replyOnly ? null : { to: chat?.id ?? source.userId!, key: `${eventKey}:answer` },
      });
    };
  };
};

async function isBotMessage(deps: EventDeps, lineMessageId: string): Promise<boolean> {
  const [row] = await deps.db
    .select({ id: lineMessages.id })
    .from(lineMessages)
    .where(and(eq(lineMessages.messageId, lineMessageId), eq(lineMessages.isFromBot, true)));
  return row !== undefined;
}

/**
 * After the answer's record has committed: the loading animation in a 1:1 chat, and the answer's
 * Workflow, side by side (the animation is a LINE request; the answer need not wait for it).
 * Neither may fail the event: the Cron Trigger starts an answer whose Workflow never did.
 */
async function launchAnswer(
  deps: EventDeps,
  started: { answerId: string; instanceId: string },
  oneToOneUserId: string | null,
) {
  const loading = oneToOneUserId
    ? deps.line.startLoading(oneToOneUserId).catch((err: unknown) => deps.log.warn('ai.loading_failed', { error: err }))
    : undefined;
  await Promise.all([loading, createWorkflow(deps, started)]);
}

async function createWorkflow(deps: EventDeps, started: { answerId: string; instanceId: string }) {
  if (!deps.ai.workflow) {
    deps.log.warn('ai.no_workflow_binding', { answerId: started.answerId });
    return;
  }
  try {
    await deps.ai.workflow.create({
      id: started.instanceId,
      params: { answerId: started.answerId, lateAnswer: deps.ai.lateAnswer, publicBaseUrl: deps.nas.publicBaseUrl },
    });
  } catch (err) {
    deps.log.warn('ai.workflow_create_failed', { answerId: started.answerId, error: err });
  }
}

/** The `line_messages` row of a message event (the ids made by the caller, see the file's comment). */
function messageRow(
  event: WebhookEventObject,
  message: MessageObject & { id: string },
  ids: { messagePk: string; filePk: string | null; userPk: string | null; chatPk: string | null },
): typeof lineMessages.$inferInsert {
  return {
    id: ids.messagePk,
    messageId: message.id,
    fileId: ids.filePk,
    lineUserId: ids.userPk,
    lineGroupId: ids.chatPk,
    sourceType: sourceTypeOf(sourceOf(event)),
    messageType: typeof message.type === 'string' ? message.type.slice(0, 32) : 'unknown',
    content: contentOf(message),
    replyToken: str(event.replyToken),
    quoteToken: str(message.quoteToken),
    quotedMessageId: str(message.quotedMessageId),
    rawMessage: message,
    sentAt: fromLineTimestamp(event.timestamp, new Date()),
  };
}

/** Whether a text may get an answer from a known sender (a command, the AI, binding): then the full path runs. */
const mayAnswerText = (
  text: string | null,
  replyToken: string | null,
  chatType: 'user' | 'group' | 'room',
  addressed: boolean,
) => text !== null && !!replyToken && mayRespond(text, chatType, addressed);

/**
 * Recording and storing in one statement, decided before anything is read: a message that asks
 * for no answer (no command, not addressed to the bot, not in a 1:1 chat where every text is
 * for the AI) from a sender with a user id. One call of a Postgres function
 * (`linebot_intake_message`, drizzle/0014_intake_message_function.sql) inserts the inbox row
 * `done` together with the message (and its file) when the sender's row, and the chat's, exist
 * and are fresh and the message is new; otherwise it inserts the inbox row `processing`, as
 * `recordEvents` does, and the usual path (profiles from LINE, tombstones, commands) takes it
 * from there.
 *
 * Returns null when the event needs the usual path anyway: another type, no message id or sender,
 * a chat LINE did not describe, a text that may be answered, or a quote in a group (whether it
 * quotes the bot is a read of its own).
 *
 * Why: most of a company account's traffic is group chatter. Recording it and then processing it
 * took three round trips after the connection (the INSERT, the participant lookup, the write);
 * this takes one, which is most of the Worker's CPU per event (npm run bench:profile).
 */
export function intakeStatement(
  deps: Pick<EventDeps, 'ai' | 'profileTtlMs'>,
  inbox: InboxInsert,
): IntakeStatement | null {
  const event = inbox.payload as WebhookEventObject;
  if (event.type !== 'message' || inbox.status === 'invalid') return null;
  const message = event.message as MessageObject | undefined;
  if (!message || typeof message.id !== 'string' || !message.id) return null;
  const source = sourceOf(event);
  const chat = chatOf(source);
  if (!source.userId || (chat === null && source.type !== 'user')) return null;
  const text = message.type === 'text' && typeof message.text === 'string' ? message.text : null;
  if (text !== null && chat !== null && str(message.quotedMessageId) !== null) return null;
  const addressed = text !== null ? addressing(text, message.mention, deps.ai.botNames, false).addressed : false;
  if (mayAnswerText(text, str(event.replyToken), chat ? chat.type : 'user', addressed)) return null;

  const file = fileOf(message);
  const filePk = file ? crypto.randomUUID() : null;
  const m = messageRow(event, message as MessageObject & { id: string }, {
    messagePk: crypto.randomUUID(),
    filePk,
    userPk: null,
    chatPk: null,
  });
  // The function takes a valid event's inbox row (toInboxRows) as it is; anything else goes the usual way.
  if (Object.keys(inbox).some((key) => !INTAKE_INBOX_KEYS.has(key))) return null;
  const values: Record<string, unknown> = {
    ttlSeconds: deps.profileTtlMs / 1000,
    lineUserId: source.userId,
    lineChatId: chat?.id ?? null,
    messagePk: m.id,
    messageId: m.messageId,
    sourceType: m.sourceType,
    messageType: m.messageType,
    content: m.content ?? null,
    replyToken: m.replyToken ?? null,
    quoteToken: m.quoteToken ?? null,
    quotedMessageId: m.quotedMessageId ?? null,
    rawMessage: JSON.stringify(m.rawMessage),
    sentAt: (m.sentAt as Date).toISOString(),
    filePk,
    fileType: file?.fileType ?? null,
    fileName: file?.fileName ?? null,
    fileSize: file?.fileSize ?? null,
    duration: file?.duration ?? null,
    webhookEventId: inbox.webhookEventId,
    destination: inbox.destination ?? null,
    eventType: inbox.eventType,
    inboxSourceType: inbox.sourceType ?? null,
    eventTimestamp: inbox.eventTimestamp ?? null,
    isRedelivery: inbox.isRedelivery ?? false,
    payload: JSON.stringify(inbox.payload),
  };
  intakeQuery ??= new PgDialect().sqlToQuery(intakeCall());
  return { query: intakeQuery, values };
}

/** The columns of a valid event's inbox row (`toInboxRows`); an `invalid` row has more. */
const INTAKE_INBOX_KEYS = new Set<string>([
  'webhookEventId',
  'destination',
  'eventType',
  'sourceType',
  'eventTimestamp',
  'isRedelivery',
  'payload',
]);

/**
 * The call of `linebot_intake_message` (drizzle/0014_intake_message_function.sql, which says why
 * it is a function): its text never changes, so it is rendered once per isolate and only filled in.
 */
let intakeQuery: Query | undefined;

function intakeCall(): SQL {
  const v = sql.placeholder;
  return sql`select id, status from linebot_intake_message(
    ${v('ttlSeconds')}::float8, ${v('lineUserId')}::varchar, ${v('lineChatId')}::varchar,
    ${v('messagePk')}::uuid, ${v('messageId')}::varchar, ${v('sourceType')}::varchar, ${v('messageType')}::varchar,
    ${v('content')}::text, ${v('replyToken')}::varchar, ${v('quoteToken')}::varchar, ${v('quotedMessageId')}::varchar,
    ${v('rawMessage')}::jsonb, ${v('sentAt')}::timestamptz,
    ${v('filePk')}::uuid, ${v('fileType')}::varchar, ${v('fileName')}::varchar, ${v('fileSize')}::bigint, ${v('duration')}::integer,
    ${v('webhookEventId')}::varchar, ${v('destination')}::text, ${v('eventType')}::varchar, ${v('inboxSourceType')}::varchar,
    ${v('eventTimestamp')}::bigint, ${v('isRedelivery')}::boolean, ${v('payload')}::jsonb)`;
}

/**
 * The `f` CTE of a one-statement write: the message's file, inserted only when the `m` CTE inserted
 * the message now (not a redelivery, not a tombstone); nothing for a message without a file.
 */
const fileAfterMessage = (
  file: { [K in keyof FileFields]: FileFields[K] | Placeholder } | null,
  filePk: unknown,
): SQL =>
  file
    ? sql`, f as (insert into ${lineFiles} (id, message_id, file_type, file_name, file_size, duration)
          select ${filePk}::uuid, m.id, ${file.fileType}::varchar, ${file.fileName ?? null}::varchar, ${file.fileSize ?? null}::bigint, ${file.duration ?? null}::integer
          from m on conflict (message_id) do nothing)`
    : sql``;

/** The searchable text of a message. */
export function contentOf(message: MessageObject): string | null {
  switch (message.type) {
    case 'text':
      return str(message.text);
    case 'file':
      return str(message.fileName);
    case 'location':
      return [str(message.title), str(message.address)].filter(Boolean).join('\n') || null;
    case 'sticker': {
      const text = str(message.text);
      if (text) return text;
      const keywords = Array.isArray(message.keywords) ? message.keywords.filter((k) => typeof k === 'string') : [];
      return keywords.length > 0 ? keywords.join(', ') : null;
    }
    default:
      return null;
  }
}

type FileFields = Omit<typeof lineFiles.$inferInsert, 'id' | 'messageId'>;

/** Media hosted by LINE: every file, and image/video/audio unless an external provider hosts it. */
function fileOf(message: MessageObject): FileFields | null {
  const type = message.type;
  if (type === 'file') {
    const fileName = str(message.fileName);
    // The column holds 512; LINE's names are far shorter, a forged one must not fail the event.
    return {
      fileType: 'file',
      fileName: fileName && clip(fileName, 512),
      fileSize: num(message.fileSize, SAFE_INTEGER),
    };
  }
  if (type === 'image' || type === 'video' || type === 'audio') {
    const provider = message.contentProvider as { type?: unknown } | undefined;
    if (provider?.type !== 'line') return null;
    return { fileType: type, duration: num(message.duration, INT4) };
  }
  return null;
}
