/**
 * The console's words: Traditional Chinese by default (the operators' language), English when the
 * browser prefers it. Every string a page shows comes from here, so a new screen adds its keys to
 * both columns and a missing translation is a type error, not a blank.
 */

export const languages = ['zh-Hant', 'en'] as const;
export type Lang = (typeof languages)[number];

const zh = {
  'app.name': 'LINE Bot 管理後台',
  'nav.overview': '概覽',
  'nav.groups': '群組',
  'nav.lineUsers': 'LINE 使用者',
  'nav.accounts': '帳號',
  'nav.messages': '訊息',
  'nav.files': '檔案',
  'nav.inbox': '收件匣',
  'nav.aiLogs': 'AI 紀錄',
  'nav.logout': '登出',
  'nav.label': '主選單',

  'login.title': '登入',
  'login.token': '管理權杖',
  'login.submit': '登入',
  'login.help': '請輸入 ADMIN_API_TOKEN。',
  'login.wrong': '權杖不正確。',
  'login.disabled': '尚未設定管理權杖（ADMIN_API_TOKEN），無法登入。',
  'login.limited': '錯誤次數過多，請於 {minutes} 分鐘後再試。',

  'overview.title': '概覽',
  'overview.lineUsers': 'LINE 使用者',
  'overview.groups': '群組與聊天室',
  'overview.groupsActive': '使用中 {active}／共 {total}',
  'overview.messagesToday': '今日訊息',
  'overview.messagesTodayNote': '台北時間',
  'overview.inbox': '收件匣',
  'overview.inboxFailed': '失敗 {n}',
  'overview.inboxDead': '放棄 {n}',
  'overview.nas': 'NAS 同步待處理',
  'overview.nasOldest': '最久等待 {age}',
  'overview.nasNone': '沒有等待中的檔案',
  'overview.aiToday': '今日 AI 回答',
  'overview.aiTokens': '輸入 {input}／輸出 {output} tokens',
  'overview.chartTitle': '近 30 天每日訊息數',
  'overview.chartDesc': '{from} 至 {to}，每日訊息數長條圖，最多 {max} 則。',
  'overview.chartBar': '{day}：{n} 則訊息',
  'overview.chartData': '顯示數據',
  'overview.day': '日期',
  'overview.count': '訊息數',

  'age.seconds': '{n} 秒',
  'age.minutes': '{n} 分鐘',
  'age.hours': '{n} 小時',
  'age.days': '{n} 天',

  'error.title': '錯誤',
  'error.400': '要求的內容不正確。',
  'error.401': '尚未登入或登入已過期。',
  'error.403': '要求被拒絕（跨站請求或安全權杖不符），沒有任何變更。',
  'error.404': '找不到這個頁面或項目。',
  'error.413': '送出的內容太大。',
  'error.429': '要求太頻繁，請稍後再試。',
  'error.500': '伺服器發生錯誤，請稍後再試。',
  'error.back': '回到概覽',
  'error.signIn': '前往登入',
} as const;

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  'app.name': 'LINE Bot console',
  'nav.overview': 'Overview',
  'nav.groups': 'Groups',
  'nav.lineUsers': 'LINE users',
  'nav.accounts': 'Accounts',
  'nav.messages': 'Messages',
  'nav.files': 'Files',
  'nav.inbox': 'Inbox',
  'nav.aiLogs': 'AI logs',
  'nav.logout': 'Sign out',
  'nav.label': 'Main menu',

  'login.title': 'Sign in',
  'login.token': 'Admin token',
  'login.submit': 'Sign in',
  'login.help': 'Enter the ADMIN_API_TOKEN.',
  'login.wrong': 'That token is not correct.',
  'login.disabled': 'No admin token (ADMIN_API_TOKEN) is set: nobody can sign in.',
  'login.limited': 'Too many wrong tries. Try again in {minutes} minutes.',

  'overview.title': 'Overview',
  'overview.lineUsers': 'LINE users',
  'overview.groups': 'Groups and rooms',
  'overview.groupsActive': '{active} active of {total}',
  'overview.messagesToday': 'Messages today',
  'overview.messagesTodayNote': 'Asia/Taipei',
  'overview.inbox': 'Inbox',
  'overview.inboxFailed': '{n} failed',
  'overview.inboxDead': '{n} dead',
  'overview.nas': 'NAS sync backlog',
  'overview.nasOldest': 'oldest waiting {age}',
  'overview.nasNone': 'nothing waiting',
  'overview.aiToday': 'AI answers today',
  'overview.aiTokens': '{input} input / {output} output tokens',
  'overview.chartTitle': 'Messages per day, last 30 days',
  'overview.chartDesc': 'Bar chart of messages per day from {from} to {to}; at most {max}.',
  'overview.chartBar': '{day}: {n} messages',
  'overview.chartData': 'Show the data',
  'overview.day': 'Day',
  'overview.count': 'Messages',

  'age.seconds': '{n} s',
  'age.minutes': '{n} min',
  'age.hours': '{n} h',
  'age.days': '{n} days',

  'error.title': 'Error',
  'error.400': 'The request is not valid.',
  'error.401': 'You are not signed in, or your session has expired.',
  'error.403': 'Request refused (cross-site, or the security token does not match). Nothing was changed.',
  'error.404': 'No such page or item.',
  'error.413': 'What you sent is too large.',
  'error.429': 'Too many requests. Try again later.',
  'error.500': 'Something went wrong on the server. Try again later.',
  'error.back': 'Back to the overview',
  'error.signIn': 'Sign in',
};

const dictionaries: Record<Lang, Record<MessageKey, string>> = { 'zh-Hant': zh, en };

/** A page string in the given language, `{name}` placeholders filled in (the result is text, escaped by JSX). */
export function t(lang: Lang, key: MessageKey, params?: Record<string, string | number>): string {
  const template = dictionaries[lang][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/**
 * The language of the page from `Accept-Language`: English when the browser ranks English above
 * Chinese (or names English and no Chinese), Traditional Chinese otherwise. Other languages and
 * `*` do not decide; ties keep the browser's order.
 */
export function pickLanguage(header: string | undefined | null): Lang {
  if (!header) return 'zh-Hant';
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      const quality = q === undefined ? 1 : Number(q);
      return { primary: tag.trim().toLowerCase().split('-')[0], quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((e) => e.quality > 0 && (e.primary === 'en' || e.primary === 'zh'))
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  return ranked[0]?.primary === 'en' ? 'en' : 'zh-Hant';
}

/** The locale numbers and dates are formatted in. */
export const localeOf = (lang: Lang) => (lang === 'en' ? 'en-US' : 'zh-TW');

export const formatNumber = (lang: Lang, n: number) => new Intl.NumberFormat(localeOf(lang)).format(n);

/** A waiting time in its largest whole unit: 45 秒, 12 分鐘, 3 小時, 2 天. */
export function formatAge(lang: Lang, seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return t(lang, 'age.seconds', { n: s });
  if (s < 3600) return t(lang, 'age.minutes', { n: Math.floor(s / 60) });
  if (s < 86_400) return t(lang, 'age.hours', { n: Math.floor(s / 3600) });
  return t(lang, 'age.days', { n: formatNumber(lang, Math.floor(s / 86_400)) });
}
