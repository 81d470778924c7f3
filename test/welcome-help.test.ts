/**
 * Welcome and help, through the webhook: a greeting by reply on follow and on join (once: a
 * redelivery or a late retry sends nothing), in the reader's language, with an operator's override
 * from the admin API; /help lists what this person may do here, with quick replies.
 */
import { describe, expect, it } from 'vitest';
import { say } from '../src/messages/catalog';
import { adminFetch, createAccount, expectJson, issueCode } from './support/admin';
import { boundUser } from './support/chat';
import { ESCAPED, expectForgedPostsRefused, HOSTILE, operator, page, send, submit } from './support/console';
import { withDb } from './support/db';
import { auditLog } from '@linebot-edge/shared/schema';
import { desc, eq } from 'drizzle-orm';
import { lineRequests, seedProfile, violations } from './support/emulator';
import { event, newId, postEvents, textEvent, type TestEvent } from './support/line';

type Sent = {
  type: string;
  text: string;
  quickReply?: { items: Array<{ type: string; action: Record<string, string> }> };
};

/** The messages of every reply (and every push) the bot sent for this token / to this id. */
const repliesWith = async (replyToken: string) =>
  (await lineRequests('/v2/bot/message/reply'))
    .filter((r) => (r.body as { replyToken: string }).replyToken === replyToken)
    .map((r) => {
      expect(r.status).toBe(200);
      return (r.body as { messages: Sent[] }).messages;
    });
const pushesTo = async (to: string) =>
  (await lineRequests('/v2/bot/message/push')).filter((r) => (r.body as { to: string }).to === to);

async function post(ev: TestEvent) {
  expect((await postEvents([ev])).status).toBe(200);
}

describe('welcome', () => {
  it('on follow: the greeting by reply, once (a redelivery sends nothing), in zh-TW with the English under it', async () => {
    const userId = newId.user();
    await seedProfile({ userId, displayName: '新朋友', language: 'zh-TW' });
    const ev = event('follow', { userId }, { replyToken: newId.replyToken(), follow: { isUnblocked: false } });
    await post(ev);
    await post({ ...ev, deliveryContext: { isRedelivery: true } });
    const replies = await repliesWith(ev.replyToken as string);
    expect(replies).toEqual([[{ type: 'text', text: say('zh-TW', 'welcome.follow') }]]);
    expect(replies[0]![0]!.text).toContain('綁定碼');
    expect(replies[0]![0]!.text).toContain('binding code');
    expect(await pushesTo(userId)).toEqual([]);
  });

  it('on follow by an English profile: the English text; an operator’s override from the admin API is said instead', async () => {
    const userId = newId.user();
    await seedProfile({ userId, displayName: 'Friend', language: 'en-US' });
    const first = event('follow', { userId }, { replyToken: newId.replyToken(), follow: { isUnblocked: false } });
    await post(first);
    expect(await repliesWith(first.replyToken as string)).toEqual([
      [{ type: 'text', text: say('en', 'welcome.follow') }],
    ]);

    const text = `Welcome to Acme! Ask IT for your code. ${newId.event()}`;
    const set = await expectJson(await adminFetch('PUT', '/bot-texts/welcome.follow/en', { body: { text } }), 200);
    expect(set).toMatchObject({ key: 'welcome.follow', lang: 'en', text, overridden: true, updatedBy: 'api' });
    try {
      const again = event('follow', { userId }, { replyToken: newId.replyToken(), follow: { isUnblocked: true } });
      await post(again);
      expect(await repliesWith(again.replyToken as string)).toEqual([[{ type: 'text', text }]]);
    } finally {
      await expectJson(await adminFetch('DELETE', '/bot-texts/welcome.follow/en'), 204);
    }
    const list = await expectJson(await adminFetch('GET', '/bot-texts'), 200);
    expect(list.items).toContainEqual(
      expect.objectContaining({
        key: 'welcome.follow',
        lang: 'en',
        overridden: false,
        text: say('en', 'welcome.follow'),
      }),
    );
  });

  it('a follow processed after its reply token expired (a late retry) sends nothing, not even by push', async () => {
    const userId = newId.user();
    const ev = event('follow', { userId }, { replyToken: newId.replyToken(), timestamp: Date.now() - 120_000 });
    await post(ev);
    expect(await repliesWith(ev.replyToken as string)).toEqual([]);
    expect(await pushesTo(userId)).toEqual([]);
  });

  it('on join in a group or a room: how the bot works there and how an admin binds a project, once', async () => {
    for (const src of [
      { userId: '', groupId: newId.group() },
      { userId: '', roomId: newId.room() },
    ]) {
      const ev = event('join', src, { replyToken: newId.replyToken() });
      await post(ev);
      await post({ ...ev, deliveryContext: { isRedelivery: true } });
      const replies = await repliesWith(ev.replyToken as string);
      expect(replies).toEqual([[{ type: 'text', text: say('zh-TW', 'welcome.join') }]]);
      expect(replies[0]![0]!.text).toContain('/project bind');
    }
    expect(await violations()).toEqual([]);
  });
});

describe('/help', () => {
  const helpIn = async (src: { userId: string; groupId?: string }, text = '/help') => {
    const ev = textEvent(src, text);
    await post(ev);
    const replies = await repliesWith(ev.replyToken);
    expect(replies).toHaveLength(1);
    const last = replies[0]!.at(-1)!;
    return {
      text: replies[0]!.map((m) => m.text).join('\n'),
      buttons: last.quickReply?.items.map((i) => [i.action.label, i.action.text]) ?? null,
      items: last.quickReply?.items,
    };
  };

  it('unbound, 1:1: how to bind, and no buttons (nothing to tap yet); the rich menu’s /綁定 is the same help', async () => {
    const userId = newId.user();
    const help = await helpIn({ userId });
    expect(help.text).toContain('K7M-2QX-9PA');
    expect(help.text).not.toContain('/find');
    expect(help.buttons).toBeNull();
    expect((await helpIn({ userId }, '/綁定')).text).toBe(help.text);
  });

  it('bound member, 1:1: the 1:1 commands, with quick replies that type the commands', async () => {
    const userId = await boundUser();
    const help = await helpIn({ userId }, '/說明');
    expect(help.text).toContain('/find');
    expect(help.text).toContain('/unbind');
    expect(help.text).not.toContain('/project');
    expect(help.buttons).toEqual([
      ['搜尋檔案', '/找'],
      ['新對話', '新對話'],
      ['說明', '/說明'],
    ]);
    for (const item of help.items!) expect(item).toMatchObject({ type: 'action', action: { type: 'message' } });
  });

  it('in a group: a member sees /project, an admin also /project bind; the unbound hear nothing', async () => {
    const groupId = newId.group();
    const member = await boundUser('member');
    const admin = await boundUser('admin');
    const memberHelp = await helpIn({ userId: member, groupId });
    expect(memberHelp.text).toContain('/project');
    expect(memberHelp.text).not.toContain('/project bind');
    expect(memberHelp.text).not.toContain('/unbind');
    expect(memberHelp.buttons).toEqual([
      ['搜尋檔案', '/找'],
      ['新對話', '新對話'],
      ['專案', '/project'],
      ['說明', '/說明'],
    ]);
    const adminHelp = await helpIn({ userId: admin, groupId });
    expect(adminHelp.text).toContain('/project bind');
    expect(adminHelp.buttons).toEqual(memberHelp.buttons);

    const unbound = textEvent({ userId: newId.user(), groupId }, '/help');
    await post(unbound);
    expect(await repliesWith(unbound.replyToken)).toEqual([]);
    expect(await violations()).toEqual([]);
  });

  it('an English reader gets English labels and commands', async () => {
    const userId = newId.user();
    await seedProfile({ userId, displayName: 'Reader', language: 'en' });
    const account = await createAccount();
    const bind = textEvent({ userId }, (await issueCode(account.id)).code);
    await post(bind);
    expect((await repliesWith(bind.replyToken))[0]![0]!.text).toContain('Done!');
    const help = await helpIn({ userId });
    expect(help.text.startsWith('What you can do here:\n')).toBe(true);
    expect(help.text).not.toContain('您可以使用的指令');
    expect(help.buttons).toEqual([
      ['Search files', '/find'],
      ['New chat', '/reset'],
      ['Help', '/help'],
    ]);
  });
});

/** welcome.follow in English: the texts other test files change are others (the contract test: welcome.join/en). */
const FOLLOW_EN = '/bot-texts/welcome.follow/en';
const followEn = async () =>
  (await expectJson(await adminFetch('GET', '/bot-texts'), 200)).items.find(
    (t: { key: string; lang: string }) => t.key === 'welcome.follow' && t.lang === 'en',
  );
const lastAudit = () =>
  withDb(
    async (db) =>
      (
        await db
          .select()
          .from(auditLog)
          .where(eq(auditLog.targetId, 'welcome.follow/en'))
          .orderBy(desc(auditLog.id))
          .limit(1)
      )[0],
  );

describe('the console’s bot texts screen', () => {
  it('without a session: the screen redirects to sign-in, its forms are 401 and change nothing', async () => {
    const res = await send('GET', '/bot-texts');
    expect([res.status, res.headers.get('location')]).toEqual([303, '/admin/login']);
    expect((await send('POST', `${FOLLOW_EN}`, { form: { text: 'x' } })).status).toBe(401);
    expect((await send('POST', `${FOLLOW_EN}/reset`)).status).toBe(401);
    expect((await followEn()).overridden).toBe(false);
  });

  it('lists every text; a saved text is what the bot says (CRLF as LF, escaped on the page), audited; reset brings the default back', async () => {
    const op = await operator();
    const html = await page('/bot-texts', op.cookie);
    for (const key of ['welcome.follow', 'welcome.join']) expect(html).toContain(key);
    expect(html).toContain('加為好友時的歡迎訊息');
    expect(html).toContain('href="/admin/bot-texts"');

    const text = `Hi ${HOSTILE}\r\nline two`;
    try {
      const saved = await submit(FOLLOW_EN, op, { text });
      expect(saved.notice).toBeDefined();
      expect(saved.html).toContain(ESCAPED);
      expect(saved.html).not.toContain('<img src=x');
      expect(await followEn()).toMatchObject({ text: `Hi ${HOSTILE}\nline two`, overridden: true });
      expect(await lastAudit()).toMatchObject({
        action: 'bot_text.changed',
        via: 'console',
        details: { key: 'welcome.follow', lang: 'en', textLength: text.length - 1 },
      });
      expect(JSON.stringify(await lastAudit())).not.toContain('line two');

      const userId = newId.user();
      await seedProfile({ userId, displayName: 'Console reader', language: 'en' });
      const ev = event('follow', { userId }, { replyToken: newId.replyToken(), follow: { isUnblocked: false } });
      await post(ev);
      expect(await repliesWith(ev.replyToken as string)).toEqual([[{ type: 'text', text: `Hi ${HOSTILE}\nline two` }]]);
    } finally {
      await submit(`${FOLLOW_EN}/reset`, op);
    }
    expect(await followEn()).toMatchObject({ overridden: false, text: say('en', 'welcome.follow') });
    expect(await lastAudit()).toMatchObject({ action: 'bot_text.reset', via: 'console' });
  });

  it('bad input is a 4xx with nothing changed: blank, too long, an unknown key or language; forged posts 403', async () => {
    const op = await operator();
    for (const [text, why] of [
      ['   ', 'must not be blank'],
      ['x'.repeat(5001), '5000'],
    ] as const) {
      const res = await send('POST', FOLLOW_EN, { cookie: op.cookie, form: { _csrf: op.csrf, text } });
      const html = await res.text();
      expect(res.status).toBe(400);
      expect(html).toContain(why);
    }
    const missing = await send('POST', FOLLOW_EN, { cookie: op.cookie, form: { _csrf: op.csrf } });
    expect(missing.status).toBe(400);
    for (const path of [
      '/bot-texts/welcome.nope/en',
      '/bot-texts/welcome.follow/ja',
      '/bot-texts/welcome.follow/ja/reset',
      '/bot-texts/%00/en',
    ]) {
      const res = await send('POST', path, { cookie: op.cookie, form: { _csrf: op.csrf, text: 'x' } });
      expect(res.status, path).toBe(404);
    }
    await expectForgedPostsRefused(op, [
      [FOLLOW_EN, { text: 'forged' }],
      [`${FOLLOW_EN}/reset`, {}],
    ]);
    expect((await followEn()).overridden).toBe(false);
  });
});
