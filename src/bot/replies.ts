/**
 * What the bot says, in Traditional Chinese with the English alongside (the company's users read
 * one or the other; LINE's `language` is often missing for group members).
 */

const both = (zh: string, en: string) => `${zh}\n${en}`;

export const replies = {
  bound: (account: string) => both(`綁定成功！您的 LINE 帳號已連結到「${account}」。`, `Done! Your LINE account is now bound to "${account}".`),
  alreadyBoundSame: (account: string) => both(`您的 LINE 帳號已經綁定「${account}」。`, `Your LINE account is already bound to "${account}".`),
  wrongCode: () =>
    both('綁定碼錯誤或已過期，請向管理員重新取得。', 'That code is wrong or has expired. Ask your administrator for a new one.'),
  lineAlreadyBound: () =>
    both('此 LINE 帳號已綁定其他帳號。如需更換，請先傳送 /unbind。', 'This LINE account is already bound to another account. Send /unbind first to change it.'),
  accountTaken: () =>
    both('該帳號已綁定其他 LINE 帳號，請聯絡管理員。', 'That account is already bound to another LINE account. Please contact your administrator.'),
  lockedOut: (minutes: number) =>
    both(`錯誤次數過多，請於 ${minutes} 分鐘後再試。`, `Too many wrong codes. Please wait ${minutes} minutes and try again.`),
  unbound: () => both('已解除綁定。', 'Your LINE account is no longer bound.'),
  notBound: () => both('您的 LINE 帳號尚未綁定。', 'Your LINE account is not bound to an account.'),
  bindingPrompt: () =>
    both(
      '您好！請向管理員取得 6 位數綁定碼，直接傳送給我即可完成綁定。',
      'Hi! Ask your administrator for a 6-digit binding code and send it to me here to link your account.',
    ),
  projectShow: (name: string) => both(`此群組綁定的專案：${name}`, `This group is bound to project: ${name}`),
  projectNone: () => both('此群組尚未綁定專案。', 'This group is not bound to a project.'),
  projectBound: (name: string) => both(`已將此群組綁定到專案：${name}`, `This group is now bound to project: ${name}`),
  projectUnbound: () => both('已解除此群組的專案綁定。', 'This group is no longer bound to a project.'),
  projectNotFound: (target: string) => both(`找不到專案「${target}」。`, `No project called "${target}".`),
  projectRefused: () => both('只有已綁定的管理員可以變更專案綁定。', 'Only bound admins can change the project binding.'),
  projectOnlyInGroups: () => both('/project 指令請在群組中使用。', 'Use /project in a group.'),
  historyReset: () => both('好的，我們重新開始對話。', 'OK, a fresh conversation starts here.'),
  aiDailyLimit: (limit: number) =>
    both(`今天的 AI 回答次數已達上限（${limit} 次），明天再問我吧。`, `You have reached today's limit of ${limit} AI answers. Ask me again tomorrow.`),
  aiNoAnswer: () => both('抱歉，我現在無法回答，請稍後再試。', 'Sorry, I cannot answer right now. Please try again later.'),
};

const commandHelp: Record<string, [string, string]> = {
  bind: ['傳送 6 位數綁定碼：綁定您的帳號', 'send your 6-digit code: bind your account'],
  unbind: ['/unbind：解除綁定', '/unbind: unbind your account'],
  project: ['/project：顯示此群組的專案', '/project: show this group\'s project'],
  projectBind: ['/project bind <名稱或 ID>：綁定專案', '/project bind <name or id>: bind a project'],
  projectUnbind: ['/project unbind：解除專案綁定', '/project unbind: unbind the project'],
  reset: ['/reset 或 新對話：AI 從這裡重新開始對話', '/reset or 新對話: the AI starts the conversation anew'],
  help: ['/help 或 /說明：顯示此說明', '/help or /說明: show this help'],
};

export function helpText(commands: string[]): string {
  const lines = commands.map((c) => commandHelp[c]).filter((x): x is [string, string] => Boolean(x));
  return ['您可以使用的指令：', ...lines.map(([zh]) => `・${zh}`), '', 'What you can do here:', ...lines.map(([, en]) => `・${en}`)].join('\n');
}
