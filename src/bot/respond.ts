/**
 * The bot's answer to a text message: read who is asking, let the policy decide, run the command
 * inside the event's transaction, and hand back what to send once it has committed: a reply text,
 * or `ai` when Claude is to answer (src/ai/ starts that).
 */
import type { messagingApi } from '@line/bot-sdk';
import { eq, sql } from 'drizzle-orm';
import { chatActor } from '../audit/record';
import type { Transaction } from '../db/client';
import { lineGroups, lineUsers, users } from '@linebot-edge/shared/schema';
import type { NasConfig } from '../nas/requests';
import { redeemBindingCode, unbindLineUser } from './binding';
import { decide, type ChatType, type Command, type PolicyInput } from '../access/policy';
import { parseCommand } from './commands';
import { findFiles, sendFile } from './nas';
import { bindProject, showProject, unbindProject } from './project';
import { say, type BotLang } from '../messages/catalog';
import { helpReply, type HelpReply } from './help';
import { botLanguage } from '../messages/language';
import { CODE_LENGTH } from '../domain/binding-code';
import { claimPauseNotice, pausedSql, type PauseChat } from '../domain/ai-pauses';
import { botText } from '../domain/bot-texts';

/** An unbound user in a 1:1 chat hears how to bind at most this often. */
const BINDING_PROMPT_INTERVAL_MS = 24 * 60 * 60 * 1000;

export interface TextContext {
  text: string;
  chatType: ChatType;
  lineUserPk: string;
  /** line_groups.id for groups and rooms. */
  chatPk: string | null;
  /** Addressed to the bot (mention, quote of a bot message, `@name`). */
  addressedToBot: boolean;
  /** LINE's time of the message: /reset cuts the history there, however late the event is processed. */
  sentAt: Date;
  /** The webhook event's id (or another stable id of the message): what a /send request is keyed by. */
  eventKey: string;
  replyToken: string | null;
  nas: NasConfig;
}

/**
 * A reply is a text (with quick reply buttons: /help's), or a message of its own (`/find`'s Flex
 * list); `lang`: the sender's, for a notice about the AI answer (the daily limit).
 */
export type Response =
  | { kind: 'reply'; text: string; quickReply?: HelpReply['quickReply'] }
  | { kind: 'message'; message: messagingApi.Message }
  | { kind: 'ai'; lang: BotLang }
  /** An AI question in a chat an operator has paused: not answered; `notice` once per pause. */
  | { kind: 'paused'; notice: string | null }
  | null;

/**
 * Whether the bot could say anything to this text. Plain chatter in a group that does not mention
 * the bot is silence whoever sent it, so neither the sender's account nor a transaction is needed.
 */
export function mayRespond(text: string, chatType: ChatType, addressedToBot: boolean): boolean {
  return chatType === 'user' || addressedToBot || parseCommand(text) !== null;
}

/** What to answer, or null to stay silent. */
export async function respondToText(tx: Transaction, ctx: TextContext): Promise<Response> {
  if (!mayRespond(ctx.text, ctx.chatType, ctx.addressedToBot)) return null;
  const command = parseCommand(ctx.text);
  const inGroup = ctx.chatType !== 'user';
  // The chat whose AI pause matters: a 1:1 chat, or a group's message addressed to the bot.
  const pauseChat: PauseChat | null = !inGroup
    ? { kind: 'user', id: ctx.lineUserPk }
    : ctx.addressedToBot && ctx.chatPk !== null
      ? { kind: 'group', id: ctx.chatPk }
      : null;

  const [sender] = await tx
    .select({
      userId: lineUsers.userId,
      role: users.role,
      bindingPromptedAt: lineUsers.bindingPromptedAt,
      language: lineUsers.language,
      aiPaused: pauseChat ? sql<boolean>`${pausedSql(pauseChat)}` : sql<boolean>`false`,
    })
    .from(lineUsers)
    .leftJoin(users, eq(users.id, lineUsers.userId))
    .where(eq(lineUsers.id, ctx.lineUserPk));
  if (!sender) return null;
  const account = sender.userId !== null && sender.role ? { role: sender.role } : null;
  // The group setting matters only to a message addressed to the bot (the AI rule); commands never read it.
  const groupAllowsAi =
    inGroup && ctx.addressedToBot && ctx.chatPk !== null
      ? ((
          await tx.select({ allow: lineGroups.allowAiResponse }).from(lineGroups).where(eq(lineGroups.id, ctx.chatPk))
        )[0]?.allow ?? false)
      : false;

  const input: PolicyInput = {
    chatType: ctx.chatType,
    account,
    command,
    groupAllowsAi,
    addressedToBot: ctx.addressedToBot,
    promptedRecently:
      sender.bindingPromptedAt !== null && Date.now() - sender.bindingPromptedAt.getTime() < BINDING_PROMPT_INTERVAL_MS,
    aiPaused: sender.aiPaused,
  };
  const action = decide(input);
  // The sender's language, in a group too: the reply answers them.
  const lang = botLanguage(sender.language);
  const who = { lineUserPk: ctx.lineUserPk, userId: sender.userId, lang };

  switch (action.kind) {
    case 'silence':
      return null;
    case 'ai':
      return { kind: 'ai', lang };
    case 'paused':
      // Once per pause the chat hears that a person is handling it; the claim is this transaction's.
      return {
        kind: 'paused',
        notice: (await claimPauseNotice(tx, pauseChat!)) ? await botText(tx, 'ai.paused', lang) : null,
      };
    case 'bindingPrompt':
      await tx.update(lineUsers).set({ bindingPromptedAt: sql`now()` }).where(eq(lineUsers.id, ctx.lineUserPk));
      return reply(say(lang, 'bind.prompt', { codeLength: CODE_LENGTH }));
    case 'refuse':
      return reply(say(lang, 'project.refused'));
    case 'command': {
      if (action.command.kind === 'help') return { kind: 'reply', ...helpReply(lang, ctx.chatType, account) };
      const answer = await runCommand(tx, action.command, ctx, who, account);
      if (answer === null) return null;
      return typeof answer === 'string' ? reply(answer) : { kind: 'message', message: answer };
    }
  }
}

const reply = (text: string): Response => ({ kind: 'reply', text });

async function runCommand(
  tx: Transaction,
  command: Command,
  ctx: TextContext,
  who: { lineUserPk: string; userId: number | null; lang: BotLang },
  account: PolicyInput['account'],
): Promise<string | messagingApi.Message | null> {
  switch (command.kind) {
    case 'bind':
      return redeemBindingCode(tx, who, command.code);
    case 'unbind':
      return unbindLineUser(tx, who);
    case 'help':
      return helpReply(who.lang, ctx.chatType, account).text;
    case 'reset':
      // For this chat only: a group's or room's row, or the user's own for the 1:1 chat.
      if (ctx.chatPk !== null)
        await tx.update(lineGroups).set({ aiHistoryFrom: ctx.sentAt }).where(eq(lineGroups.id, ctx.chatPk));
      else await tx.update(lineUsers).set({ aiHistoryFrom: ctx.sentAt }).where(eq(lineUsers.id, ctx.lineUserPk));
      return say(who.lang, 'ai.historyReset');
    case 'project':
      if (ctx.chatPk === null) return say(who.lang, 'project.onlyInGroups');
      if (command.action === 'show') return showProject(tx, ctx.chatPk, who.lang);
      if (command.action === 'bind')
        return bindProject(tx, ctx.chatPk, command.target, chatActor(ctx.lineUserPk, who.userId), who.lang);
      return unbindProject(tx, ctx.chatPk, chatActor(ctx.lineUserPk, who.userId), who.lang);
    case 'find':
      return findFiles(tx, { ...ctx, userId: who.userId, lang: who.lang }, command.text);
    case 'send':
      // Null when requested: the file message, sent once the NAS has uploaded it, uses the reply token.
      return sendFile(tx, { ...ctx, userId: who.userId, lang: who.lang }, command.index);
  }
}
