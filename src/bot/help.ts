/**
 * `/help` (`/說明`): the commands this person may use here (../access/policy.ts `availableCommands`)
 * as text, with quick reply buttons for the common ones among them. A button is a message action:
 * a tap sends the command as if typed, so it is checked like any typed command.
 */
import type { messagingApi } from '@line/bot-sdk';
import { availableCommands, type ChatType, type PolicyInput } from '../access/policy';
import { helpText, say, type BotLang, type BotMessageKey } from '../messages/catalog';

/** The commands worth a button, in button order, and what a tap types in each language. */
const QUICK: ReadonlyArray<{ command: string; label: BotMessageKey; text: Record<BotLang, string> }> = [
  { command: 'find', label: 'quick.find', text: { 'zh-TW': '/找', en: '/find' } },
  { command: 'reset', label: 'quick.reset', text: { 'zh-TW': '新對話', en: '/reset' } },
  { command: 'project', label: 'quick.project', text: { 'zh-TW': '/project', en: '/project' } },
  { command: 'help', label: 'quick.help', text: { 'zh-TW': '/說明', en: '/help' } },
];

export interface HelpReply {
  text: string;
  /** Absent when help itself would be the only button (an unbound user: nothing else to tap yet). */
  quickReply?: messagingApi.QuickReply;
}

export function helpReply(lang: BotLang, chatType: ChatType, account: PolicyInput['account']): HelpReply {
  const commands = availableCommands(chatType, account);
  const text = helpText(lang, commands);
  const buttons = QUICK.filter((q) => commands.includes(q.command));
  if (buttons.every((b) => b.command === 'help')) return { text };
  return {
    text,
    quickReply: {
      items: buttons.map((b) => ({
        type: 'action',
        action: { type: 'message', label: say(lang, b.label), text: b.text[lang] },
      })),
    },
  };
}
