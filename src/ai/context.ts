/**
 * What one answer is built from, read from its `line_ai_answers` row: who asks in which chat (the
 * rights every tool works from), the system prompt, the chat's history as alternating turns
 * ending with the question, and the asker's recent images.
 *
 * A chat is a group or room (`line_group_id`) or a 1:1 chat, which LINE identifies by its user:
 * a 1:1 chat's messages are the rows without a group whose `line_user_id` is that user (the bot's
 * messages there carry the user they went to). So the same person's group messages never appear in
 * their 1:1 history, nor the other way round.
 *
 * In a group or room the model sees only what a member who joined last could see: messages after
 * the bot's own latest `join` and after the latest `memberJoined` (LINE hides earlier messages from
 * new members). What senders without a company account wrote there reaches it only quoted as
 * third-party data (src/ai/quote.ts), never as words of its own. (A 1:1 chat's user is the asker.)
 */
import type Anthropic from '@anthropic-ai/sdk';
import { and, desc, eq, gt, gte, isNotNull, isNull, lte, ne, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/client';
import { lineAiAnswers, lineGroups, lineMessages, lineUsers, projects } from '@linebot-edge/shared/schema';
import { botLanguage } from '../messages/language';
import { systemPrompt } from './prompt';
import { oneLine, thirdPartyMessage } from './quote';
import { estimateTokens } from './tokens';
import type { AnswerContext, AskerContext } from './types';

export interface LoadOptions {
  model: string;
  /** The prompt's current date and time; default now. */
  now?: Date;
  /** Estimated tokens (see tokens.ts) of history, the question not counted; default 8000. */
  historyTokenBudget?: number;
}

const DEFAULT_HISTORY_TOKEN_BUDGET = 8000;
/** Rows read at most, whatever the budget: markers like [圖片] cost a few tokens each. */
const HISTORY_MAX_ROWS = 400;
/** One long message (a pasted document) must not use up the whole budget. */
const MAX_MESSAGE_CHARS = 2000;
/** Role switch and the line break between messages. */
const PER_MESSAGE_TOKENS = 3;
const IMAGE_WINDOW_MS = 10 * 60_000;
const MAX_IMAGES = 3;

export async function loadAnswerContext(db: Queryable, answerId: string, options: LoadOptions): Promise<AnswerContext> {
  const [row] = await db
    .select({
      questionMessagePk: lineAiAnswers.questionMessageId,
      question: lineAiAnswers.question,
      questionAt: lineMessages.sentAt,
      lineUserPk: lineAiAnswers.lineUserId,
      chatPk: lineAiAnswers.lineGroupId,
      askerName: lineUsers.displayName,
      askerLineId: lineUsers.lineUserId,
      askerLanguage: lineUsers.language,
      userHistoryFrom: lineUsers.aiHistoryFrom,
      chatType: lineGroups.sourceType,
      chatName: lineGroups.name,
      chatInstructions: lineGroups.aiInstructions,
      chatHistoryFrom: lineGroups.aiHistoryFrom,
      projectId: lineGroups.projectId,
      projectName: projects.name,
      projectInstructions: projects.aiInstructions,
    })
    .from(lineAiAnswers)
    .innerJoin(lineMessages, eq(lineMessages.id, lineAiAnswers.questionMessageId))
    .innerJoin(lineUsers, eq(lineUsers.id, lineAiAnswers.lineUserId))
    .leftJoin(lineGroups, eq(lineGroups.id, lineAiAnswers.lineGroupId))
    .leftJoin(projects, eq(projects.id, lineGroups.projectId))
    .where(eq(lineAiAnswers.id, answerId));
  if (!row) throw new Error(`AI answer ${answerId} not found`);

  const asker: AskerContext = {
    answerId,
    lineUserPk: row.lineUserPk,
    chatPk: row.chatPk,
    chatType: row.chatPk === null ? 'user' : (row.chatType ?? 'group'),
    projectId: row.chatPk === null ? null : row.projectId,
    questionMessagePk: row.questionMessagePk,
  };
  const inGroup = asker.chatType !== 'user';
  const historyFrom = inGroup ? row.chatHistoryFrom : row.userHistoryFrom;

  const history = await loadHistory(db, asker, {
    questionAt: row.questionAt,
    historyFrom,
    budget: options.historyTokenBudget ?? DEFAULT_HISTORY_TOKEN_BUDGET,
  });
  const question = row.question.trim() || '[沒有文字]';
  const messages = toTurns(history, {
    role: 'user',
    text: inGroup ? `${senderLabel(row.askerName, row.askerLineId)}: ${question}` : question,
  });

  return {
    asker,
    lang: botLanguage(row.askerLanguage),
    model: options.model,
    system: systemPrompt({
      chatType: asker.chatType,
      chatName: row.chatName,
      projectName: row.projectName,
      chatInstructions: row.chatInstructions,
      projectInstructions: row.projectInstructions,
      askerName: row.askerName,
      now: options.now ?? new Date(),
    }),
    messages,
    imageMessageIds: await recentImages(db, asker, row.questionAt),
  };
}

/** The messages of the asker's chat, and nothing else (see the file's comment). */
function inChat(asker: Pick<AskerContext, 'chatPk' | 'lineUserPk'>): SQL {
  return asker.chatPk !== null
    ? eq(lineMessages.lineGroupId, asker.chatPk)
    : and(isNull(lineMessages.lineGroupId), eq(lineMessages.lineUserId, asker.lineUserPk))!;
}

/**
 * In a group or room, only messages after the bot's latest join and the latest member's join, read
 * now (a member may join while an answer runs). A 1:1 chat has no such bound.
 */
function afterJoins(asker: Pick<AskerContext, 'chatPk'>): SQL | undefined {
  if (asker.chatPk === null) return undefined;
  return sql`${lineMessages.sentAt} > coalesce(
    (select greatest(${lineGroups.joinedAt}, ${lineGroups.memberJoinedAt}) from ${lineGroups} where ${lineGroups.id} = ${asker.chatPk}),
    '-infinity'::timestamptz)`;
}

/** Unsent messages never reach the model: unsent after arrival, or a tombstone for one unsent before. */
const notUnsent: SQL = and(isNull(lineMessages.unsentAt), ne(lineMessages.messageType, 'unsent'))!;

export interface Line {
  role: 'user' | 'assistant';
  text: string;
}

/**
 * This chat's messages newest first, as history and search read them: never unsent, never the
 * question itself, never from before a join (`afterJoins`), with the sender's name and whether
 * the sender is bound to a company account now; `where` narrows them further.
 */
export function chatMessages(db: Queryable, asker: AskerContext, where: (SQL | undefined)[], limit: number) {
  return db
    .select({
      sentAt: lineMessages.sentAt,
      isFromBot: lineMessages.isFromBot,
      messageType: lineMessages.messageType,
      content: lineMessages.content,
      rawText: sql<string | null>`${lineMessages.rawMessage}->>'text'`,
      senderName: lineUsers.displayName,
      senderLineId: lineUsers.lineUserId,
      senderBound: sql<boolean>`${lineUsers.userId} is not null`,
    })
    .from(lineMessages)
    .leftJoin(lineUsers, eq(lineUsers.id, lineMessages.lineUserId))
    .where(and(inChat(asker), notUnsent, ne(lineMessages.id, asker.questionMessagePk), afterJoins(asker), ...where))
    .orderBy(desc(lineMessages.sentAt), desc(lineMessages.createdAt), desc(lineMessages.id))
    .limit(limit);
}

async function loadHistory(
  db: Queryable,
  asker: AskerContext,
  o: { questionAt: Date; historyFrom: Date | null; budget: number },
): Promise<Line[]> {
  const rows = await chatMessages(
    db,
    asker,
    [
      // Up to the question: what arrived while the answer waited is not part of what was asked.
      lte(lineMessages.sentAt, o.questionAt),
      // `/reset` starts the history anew.
      o.historyFrom ? gt(lineMessages.sentAt, o.historyFrom) : undefined,
    ],
    HISTORY_MAX_ROWS,
  );

  const inGroup = asker.chatType !== 'user';
  const newestFirst: Line[] = [];
  for (const r of rows) {
    const text = messageText(r);
    if (!text) continue;
    const clipped = clip(text, MAX_MESSAGE_CHARS);
    const sender = senderLabel(r.senderName, r.senderLineId);
    newestFirst.push(
      r.isFromBot
        ? { role: 'assistant', text: clipped }
        : !inGroup
          ? { role: 'user', text: clipped }
          : r.senderBound
            ? { role: 'user', text: `${sender}: ${clipped}` }
            : { role: 'user', text: thirdPartyMessage(sender, clipped) },
    );
  }
  return newestWithin(newestFirst, o.budget).reverse();
}

/** The newest lines whose estimate fits the budget, stopping at the first that does not (no gaps). */
function newestWithin(newestFirst: Line[], budget: number): Line[] {
  const kept: Line[] = [];
  let used = 0;
  for (const line of newestFirst) {
    used += estimateTokens(line.text) + PER_MESSAGE_TOKENS;
    if (used > budget) break;
    kept.push(line);
  }
  return kept;
}

/**
 * Lines (oldest first) and the question as the Messages API wants them: alternating turns,
 * starting with the user's, ending with the question. Consecutive lines of one role become one
 * turn; a leading assistant turn (the bot's message right after a `/reset`, or one whose question
 * fell outside the budget) is dropped.
 */
export function toTurns(lines: Line[], question: Line & { role: 'user' }): Anthropic.MessageParam[] {
  const turns: { role: Line['role']; texts: string[] }[] = [];
  for (const line of [...lines, question]) {
    const last = turns.at(-1);
    if (last?.role === line.role) last.texts.push(line.text);
    else if (turns.length > 0 || line.role === 'user') turns.push({ role: line.role, texts: [line.text] });
  }
  return turns.map((t) => ({ role: t.role, content: t.texts.join('\n') }));
}

/** A message as text for the model: its content, or a short marker for what it cannot see. */
export function messageText(m: {
  messageType: string;
  content: string | null;
  rawText?: string | null;
}): string | null {
  const content = m.content?.trim() || null;
  switch (m.messageType) {
    case 'text':
      return content;
    case 'textV2':
      // The bot's mention of the asker: LINE's {placeholder} text, if the sender stored no content.
      return content ?? (m.rawText?.replace(/\{[A-Za-z0-9_]+\}/g, '').trim() || null);
    case 'image':
      return '[圖片]';
    case 'video':
      return '[影片]';
    case 'audio':
      return '[語音訊息]';
    case 'file':
      return content ? `[檔案 ${oneLine(content, 200)}]` : '[檔案]';
    case 'location':
      return content ? `[位置 ${oneLine(content, 200)}]` : '[位置]';
    case 'sticker':
      return content ? `[貼圖 ${oneLine(content, 100)}]` : '[貼圖]';
    default:
      return `[${m.messageType}]`;
  }
}

/** A sender's display name, or a short form of their LINE id when LINE gave no name. */
export function senderLabel(displayName: string | null, lineUserId: string | null): string {
  const name = displayName ? oneLine(displayName, 40) : '';
  return name || `使用者${lineUserId ? lineUserId.slice(-4) : ''}`;
}

/** At most `max` UTF-16 units, never half a surrogate pair, with an ellipsis when cut. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}

/**
 * The asker's own images in this chat from the 10 minutes up to the question, newest 3, oldest
 * first (the order they were sent). Only images LINE hosts (they have a `line_files` row): the
 * content API has nothing for the others.
 */
async function recentImages(db: Queryable, asker: AskerContext, questionAt: Date): Promise<string[]> {
  const rows = await db
    .select({ messageId: lineMessages.messageId })
    .from(lineMessages)
    .where(
      and(
        inChat(asker),
        eq(lineMessages.lineUserId, asker.lineUserPk),
        // In a 1:1 chat the bot's messages carry the user too.
        eq(lineMessages.isFromBot, false),
        eq(lineMessages.messageType, 'image'),
        isNotNull(lineMessages.fileId),
        notUnsent,
        afterJoins(asker),
        gte(lineMessages.sentAt, new Date(questionAt.getTime() - IMAGE_WINDOW_MS)),
        lte(lineMessages.sentAt, questionAt),
      ),
    )
    .orderBy(desc(lineMessages.sentAt), desc(lineMessages.createdAt))
    .limit(MAX_IMAGES);
  return rows.map((r) => r.messageId).reverse();
}
