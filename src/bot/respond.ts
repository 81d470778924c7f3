/**
 * The bot's answer to a text message: read who is asking, let the policy decide, run the command
 * inside the event's transaction, and hand back the reply text to send once it has committed.
 */
import { eq, sql } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { lineGroups, lineUsers, users } from '../db/schema';
import { redeemBindingCode, unbindLineUser } from './binding';
import { parseCommand, type Command } from './commands';
import { availableCommands, decide, type ChatType, type PolicyInput } from './policy';
import { bindProject, showProject, unbindProject } from './project';
import { helpText, replies } from './replies';

/** An unbound user in a 1:1 chat hears how to bind at most this often. */
export const BINDING_PROMPT_INTERVAL_MS = 24 * 60 * 60 * 1000;

export interface TextContext {
  text: string;
  chatType: ChatType;
  lineUserPk: string;
  /** line_groups.id for groups and rooms. */
  chatPk: string | null;
  /** LINE's `mention.mentionees[].isSelf`. */
  mentionsBot: boolean;
}

/**
 * Whether the bot could say anything to this text. Plain chatter in a group that does not mention
 * the bot is silence whoever sent it, so neither the sender's account nor a transaction is needed.
 */
export function mayRespond(text: string, chatType: ChatType, mentionsBot: boolean): boolean {
  return chatType === 'user' || mentionsBot || parseCommand(text) !== null;
}

/** Returns the reply text, or null to stay silent. */
export async function respondToText(tx: Transaction, ctx: TextContext): Promise<string | null> {
  if (!mayRespond(ctx.text, ctx.chatType, ctx.mentionsBot)) return null;
  const command = parseCommand(ctx.text);
  const inGroup = ctx.chatType !== 'user';

  const [sender] = await tx
    .select({ userId: lineUsers.userId, role: users.role, bindingPromptedAt: lineUsers.bindingPromptedAt })
    .from(lineUsers)
    .leftJoin(users, eq(users.id, lineUsers.userId))
    .where(eq(lineUsers.id, ctx.lineUserPk));
  if (!sender) return null;
  const account = sender.userId !== null && sender.role ? { role: sender.role } : null;
  // The group setting matters only to a mention of the bot (the AI rule); commands never read it.
  const groupAllowsAi =
    inGroup && ctx.mentionsBot && ctx.chatPk !== null
      ? ((await tx.select({ allow: lineGroups.allowAiResponse }).from(lineGroups).where(eq(lineGroups.id, ctx.chatPk)))[0]?.allow ?? false)
      : false;

  const input: PolicyInput = {
    chatType: ctx.chatType,
    account,
    command,
    groupAllowsAi,
    mentionsBot: ctx.mentionsBot,
    promptedRecently:
      sender.bindingPromptedAt !== null && Date.now() - sender.bindingPromptedAt.getTime() < BINDING_PROMPT_INTERVAL_MS,
  };
  const action = decide(input);
  const who = { lineUserPk: ctx.lineUserPk, userId: sender.userId };

  switch (action.kind) {
    case 'silence':
    case 'ai': // AI replies arrive in a later issue; the policy already decides who gets them.
      return null;
    case 'bindingPrompt':
      await tx.update(lineUsers).set({ bindingPromptedAt: sql`now()` }).where(eq(lineUsers.id, ctx.lineUserPk));
      return replies.bindingPrompt();
    case 'refuse':
      return replies.projectRefused();
    case 'command':
      return runCommand(tx, action.command, ctx, who, account);
  }
}

async function runCommand(
  tx: Transaction,
  command: Command,
  ctx: TextContext,
  who: { lineUserPk: string; userId: number | null },
  account: PolicyInput['account'],
): Promise<string> {
  switch (command.kind) {
    case 'bind':
      return redeemBindingCode(tx, who, command.code);
    case 'unbind':
      return unbindLineUser(tx, who);
    case 'help':
      return helpText(availableCommands(ctx.chatType, account));
    case 'project':
      if (ctx.chatPk === null) return replies.projectOnlyInGroups();
      if (command.action === 'show') return showProject(tx, ctx.chatPk);
      if (command.action === 'bind') return bindProject(tx, ctx.chatPk, command.target);
      return unbindProject(tx, ctx.chatPk);
  }
}
