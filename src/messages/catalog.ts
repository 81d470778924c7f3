/**
 * What the bot says in LINE (command replies, AI notices, NAS deliveries) and the share pages'
 * few words, in Traditional Chinese and English, like the console's src/console/i18n.ts: a new
 * text adds its key to both columns, and a missing translation is a type error.
 *
 * The reader's language comes from their LINE profile (./language.ts). An English reader gets the
 * English column. A zh-TW reader (also everyone whose language LINE does not tell: group members
 * often) gets the Chinese column, with the English line under it for the texts that have always
 * carried one (`zhWithEnglish`), so an English speaker with no stored language still understands.
 *
 * No number is written into a text: limits, minutes and sizes are `{params}` filled in by the
 * caller from the constant or setting they come from.
 */

export type BotLang = 'zh-TW' | 'en';

/** Texts said in Chinese with the English under them to a zh-TW reader. */
const zhWithEnglish = {
  'bind.bound': '綁定成功！您的 LINE 帳號已連結到「{account}」。',
  'bind.alreadySame': '您的 LINE 帳號已經綁定「{account}」。',
  'bind.wrongCode': '綁定碼錯誤或已過期，請向管理員重新取得。',
  'bind.lineAlreadyBound': '此 LINE 帳號已綁定其他帳號。如需更換，請先傳送 /unbind。',
  'bind.accountTaken': '該帳號已綁定其他 LINE 帳號，請聯絡管理員。',
  'bind.lockedOut': '錯誤次數過多，請於 {minutes} 分鐘後再試。',
  'bind.unbound': '已解除綁定。',
  'bind.notBound': '您的 LINE 帳號尚未綁定。',
  'bind.prompt': '您好！請向管理員取得綁定碼（{codeLength} 個英數字，例如 K7M-2QX-9PA），直接傳送給我即可完成綁定。',

  'project.show': '此群組綁定的專案：{name}',
  'project.none': '此群組尚未綁定專案。',
  'project.bound': '已將此群組綁定到專案：{name}',
  'project.unbound': '已解除此群組的專案綁定。',
  'project.notFound': '找不到專案「{target}」。',
  'project.refused': '只有已綁定的管理員可以變更專案綁定。',
  'project.onlyInGroups': '/project 指令請在群組中使用。',

  'ai.historyReset': '好的，我們重新開始對話。',
  'ai.dailyLimit': '今天的 AI 回答次數已達上限（{limit} 次），明天再問我吧。',
  'ai.noAnswer': '抱歉，我現在無法回答，請稍後再試。',
  'ai.paused': '目前由專人處理這個對話，AI 暫停回答；您的訊息已收到。',

  'find.usage':
    '請在 /find 後面輸入關鍵字，例如：\n/find 報價單\n/find 平面圖 type:pdf\n（多個關鍵字以空白分開，檔名或資料夾須包含全部關鍵字）',
  'find.tooManyKeywords': '關鍵字最多 {max} 個，請減少後再試。',
  'find.keywordTooLong': '每個關鍵字最多 {max} 個字，請縮短後再試。',
  'find.badType': '無法辨識的檔案類型「{value}」，請寫成 type:pdf 或 type:pdf,docx（最多 {maxTypes} 種）。',
  'find.noProject': '此群組尚未綁定專案，無法搜尋 NAS。請管理員先用 /project bind <專案名稱> 綁定專案。',
  'find.noFolder': '專案「{project}」尚未設定 NAS 資料夾，請聯絡管理員設定。',
  'find.notMember': '您不是專案「{project}」的成員，無法在此搜尋或傳送 NAS 檔案。成員由管理員加入。',
  'find.noProjects': '您還不是任何專案的成員，所以沒有可搜尋的 NAS 資料夾。成員由管理員加入。',
  'find.projectsWithoutFolder':
    '您所屬的專案（{projects}）尚未設定 NAS 資料夾，所以沒有可搜尋的檔案。請聯絡管理員設定。',
  'find.nothing':
    '找不到符合「{wanted}」的檔案。\n小提示：\n・換個關鍵字或減少關鍵字\n・關鍵字可以是檔名或資料夾名稱的一部分\n・用 type:pdf 只找某種檔案',
  'find.listFooter': '傳送「/send 編號」取得檔案，例如 /send 1（{minutes} 分鐘內有效）。',
  'find.tapInvalid': '這個按鈕已失效（已有較新的搜尋，或不是這個聊天的搜尋結果），請重新用 /find 搜尋。',

  'send.usage': '請輸入要傳送的編號，例如：/send 1（先用 /find 搜尋）。',
  'send.noList': '請先用 /find 搜尋檔案，再用 /send 編號 傳送。',
  'send.listExpired': '搜尋結果已超過 {minutes} 分鐘，請重新用 /find 搜尋。',
  'send.noSuchNumber': '沒有這個編號，請輸入 1 到 {count} 之間的數字。',
  'send.fileGone': '這個檔案已不存在或不在此聊天可存取的資料夾中，請重新搜尋。',
  'send.tooLarge': '「{name}」有 {size}，超過可傳送的上限 {max}，請直接到 NAS 取用。',

  'offer.notAsker': '只有提問的人可以傳送這個檔案；如需要，請自己問我。',
  'offer.alreadySent': '這個檔案已經傳送過了。',
  'offer.expired': '這個按鈕已超過 {minutes} 分鐘，請重新請我搜尋檔案。',
  'offer.noScope': '您目前無權從 NAS 傳送這個檔案（帳號或專案權限已變更）。',
  'offer.fileChanged': '這個檔案在提供之後已被移動、修改或刪除，請重新請我搜尋。',
  'offer.intro': '只有提問的人點「{button}」才會傳送檔案（{minutes} 分鐘內有效）。',

  // Defaults of the operator-editable texts (bot_texts, src/domain/bot-texts.ts).
  'welcome.follow':
    '您好！我是公司的 LINE 助理：可以搜尋並傳送 NAS 上的檔案，也能用 AI 回答您的問題。\n開始之前請先綁定帳號：向管理員取得綁定碼（例如 K7M-2QX-9PA），直接在這裡傳送給我即可。傳送 /說明 查看可以做什麼。',
  'welcome.join':
    '大家好！我是公司的 LINE 助理。在群組中，我可以搜尋並傳送此群組專案在 NAS 上的檔案（/找 關鍵字）；管理員開啟後，也能用 AI 回答提及我（@）的問題。\n請管理員先把此群組綁定到專案：/project bind <專案名稱>。傳送 /說明 查看可以做什麼。',
  'lateAnswer.working': '我還在想這個問題，需要多一點時間。準備好之後，請點「{button}」取得回答。',
  'lateAnswer.notReady': '回答還沒準備好，請稍後再點「{button}」。',
  'lateAnswer.alreadyDelivered': '這個回答已經傳送過了。',
  'lateAnswer.notAsker': '只有提問的人可以取得這個回答。',
  'lateAnswer.withdrawn': '這個問題已收回，沒有回答可以取得。',
};

/** Texts said in one language only. */
const zhOnly = {
  'list.separator': '、',

  'help.title': '您可以使用的指令：',
  'help.find': '/find 或 /找 <關鍵字>：搜尋 NAS 檔案（可加 type:pdf）',
  'help.send': '/send 或 /傳 <編號>：傳送搜尋結果中的檔案',
  'help.bind': '傳送綁定碼（例如 K7M-2QX-9PA）：綁定您的帳號',
  'help.unbind': '/unbind：解除綁定',
  'help.project': '/project：顯示此群組的專案',
  'help.projectBind': '/project bind <名稱或 ID>：綁定專案',
  'help.projectUnbind': '/project unbind：解除專案綁定',
  'help.reset': '/reset 或 新對話：AI 從這裡重新開始對話',
  'help.help': '/help 或 /說明：顯示此說明',

  // Quick reply buttons under /help (LINE: a label has at most 20 characters).
  'quick.find': '搜尋檔案',
  'quick.reset': '新對話',
  'quick.project': '專案',
  'quick.help': '說明',

  'find.found': '找到 {count} 個符合「{query}」的檔案：',
  'find.foundMore': '找到超過 {count} 個符合「{query}」的檔案：',
  'find.listCut': '結果太多，只列出最相關的 {max} 個；加上更多關鍵字可以縮小範圍。',
  'find.tapFooter': '點「{button}」取得檔案，或傳送「/send 編號」（{minutes} 分鐘內有效）。',
  'find.searchAgain': '重新搜尋',

  'offer.button': '傳送',
  'offer.displayText': '傳送「{name}」',
  'offer.altText': '可傳送的檔案 Files to send：{names}',
  'offer.unnamed': '(未命名)',

  'lateAnswer.button': '取得回答',

  'nas.fileMessage': '📎 {name}（{size}）\n下載連結：{url}\n連結有效至 {expires}（台北時間）',
  'nas.linkExpiry': '{date} (週{weekday}) {time}',
  'nas.failed.missing': '「{name}」已不在 NAS 上，無法傳送。',
  'nas.failed.changed': '「{name}」在搜尋之後已被修改，請重新搜尋（/find）後再傳送。',
  'nas.failed.outsideShare': '「{name}」不在可傳送的共用資料夾內，無法傳送。',
  'nas.failed.unreadable': 'NAS 無法讀取「{name}」，請稍後再試或聯絡管理員。',
  'nas.failed.tooLarge': '「{name}」（{size}）超過可傳送的上限 {max}，無法傳送。',
  'nas.failed.unreachable': '目前無法連線到 NAS，「{name}」沒有傳出，請稍後再試。',
  'nas.refused': '「{name}」沒有傳出：{reason}',
  'nas.refused.unbound': '您的 LINE 帳號已解除綁定。',
  'nas.refused.noProject': '此群組已不再綁定專案。',
  'nas.refused.notMember': '您已不是可存取這個檔案的專案成員。成員由管理員加入。',
  'nas.refused.outsideScope': '這個檔案已不在此聊天可存取的資料夾內（專案或其資料夾已變更），請重新搜尋。',

  'weekday.0': '日',
  'weekday.1': '一',
  'weekday.2': '二',
  'weekday.3': '三',
  'weekday.4': '四',
  'weekday.5': '五',
  'weekday.6': '六',

  'share.tooMany': '查詢次數過多，請稍後再試',
  'share.unavailable': '暫時無法提供檔案，請稍後再試',
  'share.notFound': '找不到這個連結',
  'share.revoked': '這個連結已被撤銷',
  'share.expired': '這個連結已過期',
  'share.noPreview': '這個檔案沒有預覽圖',
  'share.fileGone': '檔案已不存在',
};

const zh = { ...zhWithEnglish, ...zhOnly };
export type BotMessageKey = keyof typeof zh;

const en: Record<BotMessageKey, string> = {
  'bind.bound': 'Done! Your LINE account is now bound to "{account}".',
  'bind.alreadySame': 'Your LINE account is already bound to "{account}".',
  'bind.wrongCode': 'That code is wrong or has expired. Ask your administrator for a new one.',
  'bind.lineAlreadyBound': 'This LINE account is already bound to another account. Send /unbind first to change it.',
  'bind.accountTaken': 'That account is already bound to another LINE account. Please contact your administrator.',
  'bind.lockedOut': 'Too many wrong codes. Please wait {minutes} minutes and try again.',
  'bind.unbound': 'Your LINE account is no longer bound.',
  'bind.notBound': 'Your LINE account is not bound to an account.',
  'bind.prompt':
    'Hi! Ask your administrator for a binding code ({codeLength} letters and digits, like K7M-2QX-9PA) and send it to me here to link your account.',

  'project.show': 'This group is bound to project: {name}',
  'project.none': 'This group is not bound to a project.',
  'project.bound': 'This group is now bound to project: {name}',
  'project.unbound': 'This group is no longer bound to a project.',
  'project.notFound': 'No project called "{target}".',
  'project.refused': 'Only bound admins can change the project binding.',
  'project.onlyInGroups': 'Use /project in a group.',

  'ai.historyReset': 'OK, a fresh conversation starts here.',
  'ai.dailyLimit': "You have reached today's limit of {limit} AI answers. Ask me again tomorrow.",
  'ai.noAnswer': 'Sorry, I cannot answer right now. Please try again later.',
  'ai.paused': 'A person is handling this chat now, so the AI is not answering. Your message has been received.',

  'find.usage':
    'Type keywords after /find, e.g. "/find quotation" or "/find plan type:pdf" (every keyword must be in the file or folder name).',
  'find.tooManyKeywords': 'Use at most {max} keywords.',
  'find.keywordTooLong': 'A keyword has at most {max} characters.',
  'find.badType': 'Unknown file type "{value}": write type:pdf or type:pdf,docx (at most {maxTypes}).',
  'find.noProject':
    'This group is not bound to a project, so there is no NAS folder to search. An admin can bind one with /project bind <name>.',
  'find.noFolder': 'Project "{project}" has no NAS folder yet. Ask an administrator to set it.',
  'find.notMember':
    'You are not a member of project "{project}", so you cannot search or send its NAS files here. An administrator adds members.',
  'find.noProjects':
    'You are not a member of any project, so there is no NAS folder for you to search. An administrator adds members.',
  'find.projectsWithoutFolder':
    'Your projects ({projects}) have no NAS folder yet, so there is nothing to search. Ask an administrator to set one.',
  'find.nothing': 'No files match "{wanted}". Try other or fewer keywords; part of a file or folder name is enough.',
  'find.listFooter': 'Send "/send <number>" (e.g. /send 1) within {minutes} minutes to get a file.',
  'find.tapInvalid':
    'This button no longer works (a newer search replaced it, or it is not from this chat). Please search again with /find.',

  'send.usage': 'Give the number to send, e.g. /send 1 (search with /find first).',
  'send.noList': 'Search with /find first, then send a file with /send <number>.',
  'send.listExpired': 'That search is more than {minutes} minutes old. Please search again with /find.',
  'send.noSuchNumber': 'No such number: give a number from 1 to {count}.',
  'send.fileGone': 'That file is gone or no longer in the folder this chat may use. Please search again.',
  'send.tooLarge': '"{name}" is {size}, over the {max} the bot can send. Please get it from the NAS directly.',

  'offer.notAsker': 'Only the person who asked can send this file. Ask me yourself if you need it.',
  'offer.alreadySent': 'This file was already sent.',
  'offer.expired': 'This button is more than {minutes} minutes old. Please ask me to search again.',
  'offer.noScope': 'You may no longer send this file from the NAS (your account or project access has changed).',
  'offer.fileChanged': 'This file was moved, changed or deleted since it was offered. Please ask me to search again.',
  'offer.intro': 'Only the person who asked can send a file by tapping its button (within {minutes} minutes).',

  'welcome.follow':
    "Hi! I'm the company's LINE assistant: I search and send files from the NAS and answer your questions with AI.\nFirst bind your account: ask an administrator for a binding code (like K7M-2QX-9PA) and send it to me here. Send /help to see what you can do.",
  'welcome.join':
    "Hello everyone! I'm the company's LINE assistant. Here I search and send the NAS files of this group's project (/find <keywords>); once an administrator turns it on, I also answer questions that mention me (@).\nAn administrator first binds this group to a project: /project bind <project name>. Send /help to see what you can do.",
  'lateAnswer.working': 'I need a little more time for this one. When it is ready, tap "{button}" to get the answer.',
  'lateAnswer.notReady': 'The answer is not ready yet. Please tap "{button}" again in a moment.',
  'lateAnswer.alreadyDelivered': 'This answer was already delivered.',
  'lateAnswer.notAsker': 'Only the person who asked can get this answer.',
  'lateAnswer.withdrawn': 'This question was taken back, so there is no answer to get.',

  'list.separator': ', ',

  'help.title': 'What you can do here:',
  'help.find': '/find <keywords>: search the NAS (add type:pdf to filter)',
  'help.send': '/send <number>: send a file from the last search',
  'help.bind': 'send your binding code (like K7M-2QX-9PA): bind your account',
  'help.unbind': '/unbind: unbind your account',
  'help.project': "/project: show this group's project",
  'help.projectBind': '/project bind <name or id>: bind a project',
  'help.projectUnbind': '/project unbind: unbind the project',
  'help.reset': '/reset or 新對話: the AI starts the conversation anew',
  'help.help': '/help or /說明: show this help',

  'quick.find': 'Search files',
  'quick.reset': 'New chat',
  'quick.project': 'Project',
  'quick.help': 'Help',

  'find.found': '{count} found for "{query}":',
  'find.foundMore': 'More than {count} found for "{query}":',
  'find.listCut': 'Too many results: only the {max} most relevant are listed; more keywords narrow the search.',
  'find.tapFooter': 'Tap "{button}" to get a file, or send "/send <number>" (within {minutes} minutes).',
  'find.searchAgain': 'Search again',

  'offer.button': 'Send',
  'offer.displayText': 'Send "{name}"',
  'offer.altText': 'Files to send: {names}',
  'offer.unnamed': '(unnamed)',

  'lateAnswer.button': 'Get answer',

  'nas.fileMessage': '📎 {name} ({size})\nDownload: {url}\nThe link works until {expires} (Taipei time).',
  'nas.linkExpiry': '{date} ({weekday}) {time}',
  'nas.failed.missing': '"{name}" is no longer on the NAS and cannot be sent.',
  'nas.failed.changed': '"{name}" was changed after the search. Please search again (/find), then send it.',
  'nas.failed.outsideShare': '"{name}" is not in a shared folder the bot may send from.',
  'nas.failed.unreadable': 'The NAS could not read "{name}". Please try again later or contact an administrator.',
  'nas.failed.tooLarge': '"{name}" ({size}) is over the {max} the bot can send.',
  'nas.failed.unreachable': 'The NAS cannot be reached right now, so "{name}" was not sent. Please try again later.',
  'nas.refused': '"{name}" was not sent: {reason}',
  'nas.refused.unbound': 'your LINE account is no longer bound.',
  'nas.refused.noProject': 'this group is no longer bound to a project.',
  'nas.refused.notMember':
    'you are no longer a member of a project that may get this file. An administrator adds members.',
  'nas.refused.outsideScope':
    'the file is no longer in a folder this chat may use (the project or its folder changed). Please search again.',

  'weekday.0': 'Sun',
  'weekday.1': 'Mon',
  'weekday.2': 'Tue',
  'weekday.3': 'Wed',
  'weekday.4': 'Thu',
  'weekday.5': 'Fri',
  'weekday.6': 'Sat',

  'share.tooMany': 'Too many lookups. Please try again later.',
  'share.unavailable': 'The file cannot be served right now. Please try again later.',
  'share.notFound': 'No such link.',
  'share.revoked': 'This link has been revoked.',
  'share.expired': 'This link has expired.',
  'share.noPreview': 'This file has no preview.',
  'share.fileGone': 'The file no longer exists.',
};

/** The two columns, for the test that keeps them alike. */
export const catalogues: Readonly<Record<BotLang, Readonly<Record<BotMessageKey, string>>>> = { 'zh-TW': zh, en };

/** A value for a `{param}`: a list is joined the column's way (`、` or `, `). */
export type Param = string | number | readonly string[];

function fill(column: BotLang, key: BotMessageKey, params: Record<string, Param> | undefined): string {
  const template = catalogues[column][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'object' ? value.join(catalogues[column]['list.separator']) : String(value);
  });
}

const withEnglish = new Set<string>(Object.keys(zhWithEnglish));

/** A text for a reader of `lang`, its `{params}` filled in. */
export function say(lang: BotLang, key: BotMessageKey, params?: Record<string, Param>): string {
  if (lang === 'en') return fill('en', key, params);
  const text = fill('zh-TW', key, params);
  return withEnglish.has(key) ? `${text}\n${fill('en', key, params)}` : text;
}

/** `/help`: the commands this reader may use here; a zh-TW reader gets the English list under the Chinese one. */
export function helpText(lang: BotLang, commands: readonly string[]): string {
  const keys = commands.map((c) => `help.${c}`).filter((k): k is BotMessageKey => k in zh && k !== 'help.title');
  const section = (column: BotLang) => [
    fill(column, 'help.title', undefined),
    ...keys.map((k) => `・${fill(column, k, undefined)}`),
  ];
  return (lang === 'en' ? section('en') : [...section('zh-TW'), '', ...section('en')]).join('\n');
}
