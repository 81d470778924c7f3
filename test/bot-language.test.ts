/**
 * The bot's words (src/messages/catalog.ts) in the reader's language: the two columns alike, no
 * number typed into a text, the language taken from the LINE profile, and an English-speaking user
 * answered in English end to end (webhook in, LINE emulator out), in a group too, while a zh-TW
 * user beside them keeps today's texts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_OFFERS_PER_ANSWER, OFFER_TTL_MINUTES, offerMessage } from '../src/ai/offers';
import { MAX_WRONG_CODES, WRONG_CODE_WINDOW_MINUTES } from '../src/bot/binding';
import { CODE_LENGTH } from '../src/domain/binding-code';
import { SEARCH_LIST_TTL_MINUTES } from '../src/bot/nas';
import { defaultSettings } from '../src/config/settings';
import { failureText, fileMessage, humanSize, refusedText } from '../src/nas/deliver';
import type { SendRequestRow } from '../src/nas/upload';
import { MAX_FILE_TYPES, MAX_KEYWORD_CHARS, MAX_KEYWORDS, MAX_RESULTS } from '../src/nas/search';
import { catalogues, helpText, say as text, type BotMessageKey } from '../src/messages/catalog';
import { botLanguage, browserLanguage } from '../src/messages/language';
import { addMember, createAccount, createProject, createProjectWithFolder, issueCode } from './support/admin';
import { say } from './support/chat';
import { seedProfile, violations } from './support/emulator';
import { newId } from './support/line';
import { call } from './support/nas';
import { insertNasFiles, newShare } from './support/nas-find';

const started = Date.now();
const HAN = /[\u4e00-\u9fff]/;

describe('the catalogue', () => {
  it('has the same keys in both columns, none empty', () => {
    const zh = Object.keys(catalogues['zh-TW']).sort();
    expect(Object.keys(catalogues.en).sort()).toEqual(zh);
    for (const lang of ['zh-TW', 'en'] as const) {
      for (const [key, value] of Object.entries(catalogues[lang])) expect(value.trim(), `${lang} ${key}`).not.toBe('');
    }
  });

  it('types no number a constant or setting holds: those come in as {params}', () => {
    const constants = {
      OFFER_TTL_MINUTES,
      MAX_OFFERS_PER_ANSWER,
      MAX_WRONG_CODES,
      WRONG_CODE_WINDOW_MINUTES,
      CODE_LENGTH,
      SEARCH_LIST_TTL_MINUTES,
      MAX_FILE_TYPES,
      MAX_KEYWORD_CHARS,
      MAX_KEYWORDS,
      MAX_RESULTS,
      ...defaultSettings,
    };
    const numbers = new Map<number, string>();
    for (const [name, value] of Object.entries(constants))
      if (typeof value === 'number' && value > 1) numbers.set(value, name);
    // Sanity: the heuristic knows the numbers the texts used to carry.
    expect([...numbers.keys()]).toEqual(expect.arrayContaining([30, 15, 9, 8, 5, 10]));
    for (const lang of ['zh-TW', 'en'] as const) {
      for (const [key, value] of Object.entries(catalogues[lang])) {
        // Standalone numbers only: `K7M-2QX-9PA` and `/send 1` are examples, not limits.
        for (const m of value.matchAll(/(?<![\w.-])\d+(?![\w.-])/g)) {
          expect(numbers.get(Number(m[0])), `${lang} ${key}: "${m[0]}" in "${value}"`).toBeUndefined();
        }
      }
    }
  });

  it('fills {params}; a list is joined the column’s way; a zh-TW reader keeps the English line where the bot always gave one', () => {
    expect(text('en', 'find.projectsWithoutFolder', { projects: ['A', 'B'] })).toBe(
      'Your projects (A, B) have no NAS folder yet, so there is nothing to search. Ask an administrator to set one.',
    );
    expect(text('zh-TW', 'find.projectsWithoutFolder', { projects: ['A', 'B'] })).toBe(
      '您所屬的專案（A、B）尚未設定 NAS 資料夾，所以沒有可搜尋的檔案。請聯絡管理員設定。\nYour projects (A, B) have no NAS folder yet, so there is nothing to search. Ask an administrator to set one.',
    );
    expect(text('zh-TW', 'bind.lockedOut', { minutes: 15 })).toBe(
      '錯誤次數過多，請於 15 分鐘後再試。\nToo many wrong codes. Please wait 15 minutes and try again.',
    );
    expect(text('en', 'bind.lockedOut', { minutes: 15 })).toBe(
      'Too many wrong codes. Please wait 15 minutes and try again.',
    );
    expect(text('zh-TW', 'share.notFound')).toBe('找不到這個連結');
    expect(text('en', 'ai.dailyLimit', { limit: 7 })).toBe(
      "You have reached today's limit of 7 AI answers. Ask me again tomorrow.",
    );
  });

  it('help: English alone for en; Chinese then English for zh-TW', () => {
    expect(helpText('en', ['find', 'help'])).toBe(
      'What you can do here:\n・/find <keywords>: search the NAS (add type:pdf to filter)\n・/help or /說明: show this help',
    );
    expect(helpText('zh-TW', ['help'])).toBe(
      '您可以使用的指令：\n・/help 或 /說明：顯示此說明\n\nWhat you can do here:\n・/help or /說明: show this help',
    );
  });

  it('NAS failures and refusals in the asker’s language, sizes from the setting', () => {
    const row = { name: 'plan.pdf', size: 3 * 1024 ** 2 };
    expect(failureText('en', 'too_large', row, 1024 ** 2)).toBe(
      `"plan.pdf" (${humanSize(row.size)}) is over the ${humanSize(1024 ** 2)} the bot can send.`,
    );
    expect(failureText('zh-TW', 'too_large', row, 1024 ** 2)).toBe(
      '「plan.pdf」（3 MB）超過可傳送的上限 1 MB，無法傳送。',
    );
    expect(failureText('zh-TW', 'unreadable', row, 1)).toBe('NAS 無法讀取「plan.pdf」，請稍後再試或聯絡管理員。');
    expect(refusedText('en', 'plan.pdf', 'unbound')).toBe(
      '"plan.pdf" was not sent: your LINE account is no longer bound.',
    );
    expect(refusedText('zh-TW', 'plan.pdf', 'noFolder')).toBe(
      '「plan.pdf」沒有傳出：這個檔案已不在此聊天可存取的資料夾內（專案或其資料夾已變更），請重新搜尋。',
    );
  });
});

describe('messages beyond a text', () => {
  const offers = [
    { id: '00000000-0000-4000-8000-000000000001', name: 'a.pdf', size: 2048 },
    { id: '00000000-0000-4000-8000-000000000002', name: 'b.pdf', size: 4096 },
  ];
  const texts = (m: unknown) => JSON.stringify(m);

  it('the AI’s file offers: English alone for en, today’s for zh-TW', () => {
    const en = offerMessage(offers, 'en');
    expect(en.altText).toBe('Files to send: a.pdf, b.pdf');
    expect(texts(en)).toContain(
      `"text":"Only the person who asked can send a file by tapping its button (within ${OFFER_TTL_MINUTES} minutes)."`,
    );
    expect(texts(en)).toContain('"label":"Send"');
    expect(texts(en)).toContain('"displayText":"Send \\"a.pdf\\""');
    expect(texts(en)).not.toMatch(HAN);
    const zh = offerMessage(offers, 'zh-TW');
    expect(zh.altText).toBe('可傳送的檔案 Files to send：a.pdf、b.pdf');
    expect(texts(zh)).toContain(
      `只有提問的人點「傳送」才會傳送檔案（${OFFER_TTL_MINUTES} 分鐘內有效）。\\nOnly the person who asked`,
    );
    expect(texts(zh)).toContain('"displayText":"傳送「a.pdf」"');
  });

  it('a NAS file’s link message, its end in Taipei time with the weekday in the reader’s language', () => {
    const row = { name: 'plan.pdf', size: 2048, contentType: 'application/pdf', previewR2Key: null } as SendRequestRow;
    const friday = new Date('2026-05-08T09:30:00Z'); // 17:30 on a Friday in Taipei
    const text = (lang: 'en' | 'zh-TW') =>
      (fileMessage(lang, row, 'TOKEN', 'https://bot.example', friday) as { text: string }).text;
    expect(text('zh-TW')).toBe(
      '📎 plan.pdf（2 KB）\n下載連結：https://bot.example/s/TOKEN\n連結有效至 2026-05-08 (週五) 17:30（台北時間）',
    );
    expect(text('en')).toBe(
      '📎 plan.pdf (2 KB)\nDownload: https://bot.example/s/TOKEN\nThe link works until 2026-05-08 (Fri) 17:30 (Taipei time).',
    );
  });
});

describe('the reader’s language', () => {
  it.each([
    ['en', 'en'],
    ['en-US', 'en'],
    ['EN_gb', 'en'],
    ['zh-TW', 'zh-TW'],
    ['zh-Hant', 'zh-TW'],
    ['zh-CN', 'zh-TW'],
    ['ja', 'zh-TW'],
    ['', 'zh-TW'],
    [null, 'zh-TW'],
    [undefined, 'zh-TW'],
    ['eng', 'zh-TW'],
  ])('LINE language %j -> %s (the company’s zh-TW unless English)', (profile, lang) => {
    expect(botLanguage(profile)).toBe(lang);
  });

  it('a share page follows Accept-Language', () => {
    expect(browserLanguage('en-US,en;q=0.9')).toBe('en');
    expect(browserLanguage('zh-TW,zh;q=0.9,en;q=0.8')).toBe('zh-TW');
    expect(browserLanguage(undefined)).toBe('zh-TW');
  });
});

/** A new LINE user whose profile says `language`, bound by a code to a new account; the binding reply. */
async function boundUserSpeaking(language: string, role: 'admin' | 'member' = 'member') {
  const userId = newId.user();
  await seedProfile({ userId, displayName: `Speaker ${language}`, language });
  const account = await createAccount(role, 'Pat Lee');
  const { code } = await issueCode(account.id);
  const { replies } = await say({ userId }, code);
  return { userId, accountId: account.id, replies };
}

describe('an English-speaking LINE user, end to end', () => {
  it('unbound: the binding prompt, a wrong code, then the binding, in English only', async () => {
    const userId = newId.user();
    await seedProfile({ userId, displayName: 'Amy', language: 'en-US' });
    const [prompt] = (await say({ userId }, 'hello?')).replies;
    expect(prompt).toBe(
      `Hi! Ask your administrator for a binding code (${CODE_LENGTH} letters and digits, like K7M-2QX-9PA) and send it to me here to link your account.`,
    );
    const [wrong] = (await say({ userId }, 'ZZZ-ZZZ-ZZ2')).replies;
    expect(wrong).toBe('That code is wrong or has expired. Ask your administrator for a new one.');

    const account = await createAccount('member', 'Amy Chen');
    const { code } = await issueCode(account.id);
    expect((await say({ userId }, code)).replies).toEqual(['Done! Your LINE account is now bound to "Amy Chen".']);
    const [help] = (await say({ userId }, '/說明')).replies;
    expect(help).toMatch(/^What you can do here:\n/);
    expect(help).not.toContain('您可以使用的指令');
    expect((await say({ userId }, '/unbind')).replies).toEqual(['Your LINE account is no longer bound.']);
  });

  it('/find with no result and a bad query, in English; the zh-TW user gets today’s texts', async () => {
    const share = newShare();
    await insertNasFiles(share, [{ path: 'plans/floor.pdf' }]);
    const project = await createProjectWithFolder(share);
    const en = await boundUserSpeaking('en');
    expect(en.replies).toEqual(['Done! Your LINE account is now bound to "Pat Lee".']);
    await addMember(project.id, en.accountId);

    expect((await say({ userId: en.userId }, '/find nothingmatchesthis')).replies).toEqual([
      'No files match "nothingmatchesthis". Try other or fewer keywords; part of a file or folder name is enough.',
    ]);
    const tooMany = Array.from({ length: MAX_KEYWORDS + 1 }, (_, i) => `k${i}`).join(' ');
    expect((await say({ userId: en.userId }, `/find ${tooMany}`)).replies).toEqual([
      `Use at most ${MAX_KEYWORDS} keywords.`,
    ]);
    const [list] = (await say({ userId: en.userId }, '/find floor')).replies;
    expect(list).toMatch(/^1 found for "floor":\n1\. floor\.pdf\n/);
    expect(list).toContain(`within ${SEARCH_LIST_TTL_MINUTES} minutes`);
    expect(list).not.toMatch(HAN);
    expect((await say({ userId: en.userId }, '/send 2')).replies).toEqual([
      'No such number: give a number from 1 to 1.',
    ]);

    const zh = await boundUserSpeaking('zh-TW');
    expect(zh.replies).toEqual([
      '綁定成功！您的 LINE 帳號已連結到「Pat Lee」。\nDone! Your LINE account is now bound to "Pat Lee".',
    ]);
    await addMember(project.id, zh.accountId);
    expect((await say({ userId: zh.userId }, '/find nothingmatchesthis')).replies[0]).toMatch(
      /^找不到符合「nothingmatchesthis」的檔案。\n小提示：[\s\S]*\nNo files match "nothingmatchesthis"\./,
    );
  });

  it('in a group each reply is in the language of the user who triggered it', async () => {
    const en = await boundUserSpeaking('en');
    const zh = await boundUserSpeaking('ja'); // not English: the company's zh-TW
    const groupId = newId.group();
    expect((await say({ userId: en.userId, groupId }, '/project')).replies).toEqual([
      'This group is not bound to a project.',
    ]);
    expect((await say({ userId: zh.userId, groupId }, '/project')).replies).toEqual([
      '此群組尚未綁定專案。\nThis group is not bound to a project.',
    ]);
    const project = await createProject();
    expect((await say({ userId: en.userId, groupId }, `/project bind ${project.id}`)).replies).toEqual([
      'Only bound admins can change the project binding.',
    ]);
  });

  it('over the daily AI limit: the notice in English, with the limit from the setting', async () => {
    const en = await boundUserSpeaking('en');
    const limit = { env: { AI_DAILY_LIMIT_PER_USER: '0' } as Partial<Env> };
    expect((await say({ userId: en.userId }, 'What is on the schedule today?', limit)).replies).toEqual([
      "You have reached today's limit of 0 AI answers. Ask me again tomorrow.",
    ]);
  });

  it('a share page in the browser’s language', async () => {
    const token = `nosuchlink${newId.event().replace(/\W/g, '')}`;
    expect(
      (await call('GET', `/s/${token}`, { token: null, headers: { 'accept-language': 'en-US,en;q=0.9' } })).text(),
    ).toContain('<p>No such link.</p>');
    expect(
      (await call('GET', `/s/${token}`, { token: null, headers: { 'accept-language': 'zh-TW' } })).text(),
    ).toContain('<p>找不到這個連結</p>');
  });
});

afterAll(async () => {
  expect((await violations()).filter((v) => v.at >= started)).toEqual([]);
});

// Keys named in code through a template (`weekday.${n}`): all present.
it.each([0, 1, 2, 3, 4, 5, 6])('weekday.%i is in the catalogue', (n) => {
  expect(catalogues.en[`weekday.${n}` as BotMessageKey]).toBeTruthy();
});
