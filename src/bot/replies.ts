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
      '您好！請向管理員取得綁定碼（9 個英數字，例如 K7M-2QX-9PA），直接傳送給我即可完成綁定。',
      'Hi! Ask your administrator for a binding code (9 letters and digits, like K7M-2QX-9PA) and send it to me here to link your account.',
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
  // NAS search and send (src/bot/nas.ts)
  findUsage: () =>
    both(
      '請在 /find 後面輸入關鍵字，例如：\n/find 報價單\n/find 平面圖 type:pdf\n（多個關鍵字以空白分開，檔名或資料夾須包含全部關鍵字）',
      'Type keywords after /find, e.g. "/find quotation" or "/find plan type:pdf" (every keyword must be in the file or folder name).',
    ),
  findTooManyKeywords: (max: number) => both(`關鍵字最多 ${max} 個，請減少後再試。`, `Use at most ${max} keywords.`),
  findKeywordTooLong: (max: number) => both(`每個關鍵字最多 ${max} 個字，請縮短後再試。`, `A keyword has at most ${max} characters.`),
  findBadType: (value: string) =>
    both(`無法辨識的檔案類型「${value}」，請寫成 type:pdf 或 type:pdf,docx（最多 5 種）。`, `Unknown file type "${value}": write type:pdf or type:pdf,docx (at most 5).`),
  findNoProject: () =>
    both('此群組尚未綁定專案，無法搜尋 NAS。請管理員先用 /project bind <專案名稱> 綁定專案。', 'This group is not bound to a project, so there is no NAS folder to search. An admin can bind one with /project bind <name>.'),
  findNoFolder: (project: string) =>
    both(`專案「${project}」尚未設定 NAS 資料夾，請聯絡管理員設定。`, `Project "${project}" has no NAS folder yet. Ask an administrator to set it.`),
  findNotMember: (project: string) =>
    both(
      `您不是專案「${project}」的成員，無法在此搜尋或傳送 NAS 檔案。成員由管理員加入。`,
      `You are not a member of project "${project}", so you cannot search or send its NAS files here. An administrator adds members.`,
    ),
  findNoProjects: (withoutFolder: string[]) =>
    withoutFolder.length === 0
      ? both(
          '您還不是任何專案的成員，所以沒有可搜尋的 NAS 資料夾。成員由管理員加入。',
          'You are not a member of any project, so there is no NAS folder for you to search. An administrator adds members.',
        )
      : both(
          `您所屬的專案（${withoutFolder.join('、')}）尚未設定 NAS 資料夾，所以沒有可搜尋的檔案。請聯絡管理員設定。`,
          `Your projects (${withoutFolder.join(', ')}) have no NAS folder yet, so there is nothing to search. Ask an administrator to set one.`,
        ),
  findNothing: (wanted: string) =>
    both(
      `找不到符合「${wanted}」的檔案。\n小提示：\n・換個關鍵字或減少關鍵字\n・關鍵字可以是檔名或資料夾名稱的一部分\n・用 type:pdf 只找某種檔案`,
      `No files match "${wanted}". Try other or fewer keywords; part of a file or folder name is enough.`,
    ),
  sendUsage: () => both('請輸入要傳送的編號，例如：/send 1（先用 /find 搜尋）。', 'Give the number to send, e.g. /send 1 (search with /find first).'),
  sendNoList: () => both('請先用 /find 搜尋檔案，再用 /send 編號 傳送。', 'Search with /find first, then send a file with /send <number>.'),
  sendListExpired: () => both('搜尋結果已超過 30 分鐘，請重新用 /find 搜尋。', 'That search is more than 30 minutes old. Please search again with /find.'),
  sendNoSuchNumber: (count: number) =>
    both(`沒有這個編號，請輸入 1 到 ${count} 之間的數字。`, `No such number: give a number from 1 to ${count}.`),
  sendFileGone: () =>
    both('這個檔案已不存在或不在此聊天可存取的資料夾中，請重新搜尋。', 'That file is gone or no longer in the folder this chat may use. Please search again.'),
  sendTooLarge: (name: string, size: string, max: string) =>
    both(`「${name}」有 ${size}，超過可傳送的上限 ${max}，請直接到 NAS 取用。`, `"${name}" is ${size}, over the ${max} the bot can send. Please get it from the NAS directly.`),
  // Taps on the AI's file offers (src/events/handlers/postback.ts)
  offerNotAsker: () =>
    both('只有提問的人可以傳送這個檔案；如需要，請自己問我。', 'Only the person who asked can send this file. Ask me yourself if you need it.'),
  offerAlreadySent: () => both('這個檔案已經傳送過了。', 'This file was already sent.'),
  offerExpired: (minutes: number) =>
    both(`這個按鈕已超過 ${minutes} 分鐘，請重新請我搜尋檔案。`, `This button is more than ${minutes} minutes old. Please ask me to search again.`),
  offerNoScope: () =>
    both('您目前無權從 NAS 傳送這個檔案（帳號或專案權限已變更）。', 'You may no longer send this file from the NAS (your account or project access has changed).'),
  offerFileChanged: () =>
    both('這個檔案在提供之後已被移動、修改或刪除，請重新請我搜尋。', 'This file was moved, changed or deleted since it was offered. Please ask me to search again.'),
};

const commandHelp: Record<string, [string, string]> = {
  find: ['/find 或 /找 <關鍵字>：搜尋 NAS 檔案（可加 type:pdf）', '/find <keywords>: search the NAS (add type:pdf to filter)'],
  send: ['/send 或 /傳 <編號>：傳送搜尋結果中的檔案', '/send <number>: send a file from the last search'],
  bind: ['傳送綁定碼（例如 K7M-2QX-9PA）：綁定您的帳號', 'send your binding code (like K7M-2QX-9PA): bind your account'],
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
