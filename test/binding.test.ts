/**
 * User binding and group commands, end to end: a LINE user sends text through the webhook, the
 * bot binds (or refuses) inside the event's transaction and replies through the LINE emulator.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_WRONG_CODES, redeemBindingCode } from '../src/bot/binding';
import { CODE_ALPHABET, normalizeCode } from '../src/domain/binding-code';
import { lineBindingCodes, lineGroups, lineUsers } from '@linebot-edge/shared/schema';
import { adminFetch, createAccount, createProject, expectJson, issueCode, seedLineUser } from './support/admin';
import { withDb } from './support/db';
import { lineRequests, violations } from './support/emulator';
import { newId, postEvents, textEvent, type SourceSpec } from './support/line';

const started = Date.now();

/** The stored form of a code as the API shows it. */
const stored = (shown: string) => normalizeCode(shown)!;
/** Well-formed codes no one issued (an issued one is random: these are as good as never). */
const WRONG = (i: number) => `ZZZ-ZZZ-ZZ${CODE_ALPHABET[i % 8]}`;
/** Full-width forms of ASCII letters and digits, as CJK keyboards type them. */
const fullWidth = (s: string) => s.replace(/[0-9A-Za-z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));

/** Sends a text as LINE would and returns the bot's reply texts (none when it stayed silent). */
async function say(src: SourceSpec, text: string, extra: Record<string, unknown> = {}) {
  const ev = { ...textEvent(src, text), ...extra };
  const res = await postEvents([ev]);
  expect(res.status).toBe(200);
  return { ev, replies: await repliesTo(ev.replyToken) };
}

async function repliesTo(replyToken: string): Promise<string[]> {
  const sent = (await lineRequests('/v2/bot/message/reply')).filter(
    (r) => (r.body as { replyToken?: string }).replyToken === replyToken && r.status === 200,
  );
  return sent.flatMap((r) => (r.body as { messages: Array<{ text: string }> }).messages.map((m) => m.text));
}

const wrongAttemptsOf = (lineUserId: string) =>
  withDb(async (db) => {
    const { rows } = await db.execute<{
      n: number;
    }>(sql`SELECT count(*)::int AS n FROM line_binding_attempts a JOIN line_users u ON u.id = a.line_user_id
      WHERE u.line_user_id = ${lineUserId} AND NOT a.succeeded`);
    return rows[0]!.n;
  });

const boundAccountOf = (lineUserId: string) =>
  withDb(
    async (db) =>
      (await db.select({ userId: lineUsers.userId }).from(lineUsers).where(eq(lineUsers.lineUserId, lineUserId)))[0]
        ?.userId ?? null,
  );

async function bindNewUser(role: 'admin' | 'member' = 'member') {
  const account = await createAccount(role, `Person ${role}`);
  const lineUserId = newId.user();
  const { code } = await issueCode(account.id);
  const { replies } = await say({ userId: lineUserId }, code);
  expect(replies.join('\n')).toContain('綁定成功');
  return { account, lineUserId };
}

describe('binding with a code in a 1:1 chat', () => {
  it('the code as shown binds the LINE user, uses up the code, and the bot says so in both languages', async () => {
    const account = await createAccount('member', '陳大文');
    const { code } = await issueCode(account.id);
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}$/);
    const lineUserId = newId.user();
    const { replies } = await say({ userId: lineUserId }, code);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('綁定成功');
    expect(replies[0]).toContain('陳大文');
    expect(replies[0]).toContain('bound');
    expect(await boundAccountOf(lineUserId)).toBe(account.id);
    const [row] = await withDb((db) =>
      db
        .select()
        .from(lineBindingCodes)
        .where(eq(lineBindingCodes.code, stored(code))),
    );
    expect(row?.usedAt).toBeInstanceOf(Date);

    // Single use: the same code from someone else is just wrong now.
    const other = await say({ userId: newId.user() }, code);
    expect(other.replies[0]).toContain('綁定碼錯誤或已過期');
  });

  it('`/bind <code>` works too', async () => {
    const account = await createAccount();
    const { code } = await issueCode(account.id);
    const lineUserId = newId.user();
    const { replies } = await say({ userId: lineUserId }, `/bind ${code}`);
    expect(replies[0]).toContain('綁定成功');
    expect(await boundAccountOf(lineUserId)).toBe(account.id);
  });

  it('the code typed in lower case, full-width, without the dashes binds', async () => {
    const account = await createAccount();
    const { code } = await issueCode(account.id);
    const lineUserId = newId.user();
    const typed = fullWidth(stored(code).toLowerCase());
    const { replies } = await say({ userId: lineUserId }, typed);
    expect(replies[0]).toContain('綁定成功');
    expect(await boundAccountOf(lineUserId)).toBe(account.id);
  });

  it('a wrong code is refused and binds nothing', async () => {
    const lineUserId = newId.user();
    const { replies } = await say({ userId: lineUserId }, WRONG(0));
    expect(replies[0]).toContain('綁定碼錯誤或已過期');
    expect(replies[0]).toContain('wrong or has expired');
    expect(await boundAccountOf(lineUserId)).toBeNull();
  });

  it('an expired code is refused', async () => {
    const account = await createAccount();
    const { code } = await issueCode(account.id);
    await withDb((db) =>
      db
        .update(lineBindingCodes)
        .set({ expiresAt: sql`now() - interval '1 second'` })
        .where(eq(lineBindingCodes.code, stored(code))),
    );
    const lineUserId = newId.user();
    expect((await say({ userId: lineUserId }, code)).replies[0]).toContain('綁定碼錯誤或已過期');
    expect(await boundAccountOf(lineUserId)).toBeNull();
  });

  it('issuing a new code revokes the earlier one', async () => {
    const account = await createAccount();
    const first = await issueCode(account.id);
    const second = await issueCode(account.id);
    const lineUserId = newId.user();
    if (first.code !== second.code) {
      expect((await say({ userId: lineUserId }, first.code)).replies[0]).toContain('綁定碼錯誤或已過期');
    }
    expect((await say({ userId: lineUserId }, second.code)).replies[0]).toContain('綁定成功');
  });

  it('a LINE account already bound to another account is told to /unbind first', async () => {
    const { lineUserId, account } = await bindNewUser();
    const other = await createAccount();
    const { code } = await issueCode(other.id);
    const { replies } = await say({ userId: lineUserId }, code);
    expect(replies[0]).toContain('此 LINE 帳號已綁定其他帳號');
    expect(await boundAccountOf(lineUserId)).toBe(account.id);
  });

  it('an account already bound to another LINE account is refused', async () => {
    const { account } = await bindNewUser();
    const { code } = await issueCode(account.id);
    const intruder = newId.user();
    const { replies } = await say({ userId: intruder }, code);
    expect(replies[0]).toContain('該帳號已綁定其他 LINE 帳號');
    expect(await boundAccountOf(intruder)).toBeNull();
  });

  it('codes sent in a group are ignored: no binding, no reply, the code stays usable', async () => {
    const account = await createAccount();
    const { code } = await issueCode(account.id);
    const lineUserId = newId.user();
    const { replies } = await say({ userId: lineUserId, groupId: newId.group() }, code);
    expect(replies).toEqual([]);
    expect(await boundAccountOf(lineUserId)).toBeNull();
    expect((await say({ userId: lineUserId }, code)).replies[0]).toContain('綁定成功');
  });

  it('after 5 wrong codes in 15 minutes the bot says to wait and does not check codes', async () => {
    const account = await createAccount();
    const lineUserId = newId.user();
    for (let i = 0; i < 5; i++) {
      expect((await say({ userId: lineUserId }, WRONG(i))).replies[0]).toContain('綁定碼錯誤或已過期');
    }
    const { code } = await issueCode(account.id);
    const locked = await say({ userId: lineUserId }, code);
    expect(locked.replies[0]).toContain('錯誤次數過多');
    expect(locked.replies[0]).toContain('15 minutes');
    expect(await boundAccountOf(lineUserId)).toBeNull();
    // The valid code was not consumed by the locked attempt.
    const [row] = await withDb((db) =>
      db
        .select()
        .from(lineBindingCodes)
        .where(eq(lineBindingCodes.code, stored(code))),
    );
    expect(row?.usedAt).toBeNull();

    // Once the window has passed, codes are checked again.
    await withDb((db) =>
      db.execute(sql`update line_binding_attempts set created_at = now() - interval '16 minutes'
        where line_user_id = (select id from line_users where line_user_id = ${lineUserId})`),
    );
    expect((await say({ userId: lineUserId }, code)).replies[0]).toContain('綁定成功');
  });

  it('parallel deliveries of wrong codes from one user record at most 5 wrong attempts', async () => {
    const lineUserId = newId.user();
    expect((await say({ userId: lineUserId }, WRONG(0))).replies[0]).toContain('綁定碼錯誤或已過期');
    const events = Array.from({ length: 11 }, (_, i) => textEvent({ userId: lineUserId }, WRONG(i + 1)));
    const answers = await Promise.all(events.map((ev) => postEvents([ev])));
    expect(answers.map((r) => r.status)).toEqual(events.map(() => 200));
    expect(await wrongAttemptsOf(lineUserId)).toBe(MAX_WRONG_CODES);
    const texts = (await Promise.all(events.map((ev) => repliesTo(ev.replyToken)))).map((r) => r.join('\n'));
    expect(texts.filter((t) => t.includes('綁定碼錯誤或已過期'))).toHaveLength(MAX_WRONG_CODES - 1);
    expect(texts.filter((t) => t.includes('錯誤次數過多'))).toHaveLength(events.length - (MAX_WRONG_CODES - 1));
  });

  it('the wrong-code count is taken under a lock: parallel redemptions cannot get past it', async () => {
    const user = await seedLineUser({});
    const sender = { lineUserPk: user.id, userId: null, lang: 'zh-TW' as const };
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        withDb((db) => db.transaction((tx) => redeemBindingCode(tx, sender, stored(WRONG(i))))),
      ),
    );
    expect(outcomes.filter((o) => o.includes('綁定碼錯誤或已過期'))).toHaveLength(MAX_WRONG_CODES);
    expect(outcomes.filter((o) => o.includes('錯誤次數過多'))).toHaveLength(12 - MAX_WRONG_CODES);
    expect(await wrongAttemptsOf(user.lineUserId)).toBe(MAX_WRONG_CODES);
  });

  it('a redelivered code message binds once and replies once', async () => {
    const account = await createAccount();
    const { code } = await issueCode(account.id);
    const lineUserId = newId.user();
    const ev = textEvent({ userId: lineUserId }, code);
    await postEvents([ev]);
    await postEvents([{ ...ev, deliveryContext: { isRedelivery: true } }]);
    expect(await repliesTo(ev.replyToken)).toHaveLength(1);
    const replies = (await lineRequests('/v2/bot/message/reply')).filter(
      (r) => (r.body as { replyToken: string }).replyToken === ev.replyToken,
    );
    expect(replies).toHaveLength(1);
    expect(await boundAccountOf(lineUserId)).toBe(account.id);
  });

  it('/unbind unbinds with a confirmation; a second /unbind says not bound', async () => {
    const { lineUserId } = await bindNewUser();
    expect((await say({ userId: lineUserId }, '/unbind')).replies[0]).toContain('已解除綁定');
    expect(await boundAccountOf(lineUserId)).toBeNull();
    expect((await say({ userId: lineUserId }, '/unbind')).replies[0]).toContain('尚未綁定');
  });

  it('an unbound user chatting 1:1 gets a binding prompt at most once a day', async () => {
    const lineUserId = newId.user();
    expect((await say({ userId: lineUserId }, 'hello?')).replies[0]).toContain('綁定碼（9 個英數字');
    expect((await say({ userId: lineUserId }, 'anyone?')).replies).toEqual([]);
    await withDb((db) =>
      db
        .update(lineUsers)
        .set({ bindingPromptedAt: sql`now() - interval '25 hours'` })
        .where(eq(lineUsers.lineUserId, lineUserId)),
    );
    expect((await say({ userId: lineUserId }, 'hello again')).replies[0]).toContain('綁定碼（9 個英數字');
  });

  it('an admin can unbind through the API', async () => {
    const { lineUserId } = await bindNewUser();
    const [row] = await withDb((db) =>
      db.select({ id: lineUsers.id }).from(lineUsers).where(eq(lineUsers.lineUserId, lineUserId)),
    );
    expect((await adminFetch('DELETE', `/line-users/${row!.id}/binding`)).status).toBe(204);
    expect(await boundAccountOf(lineUserId)).toBeNull();
  });
});

describe('group commands', () => {
  const groupProject = (groupId: string) =>
    withDb(
      async (db) =>
        (
          await db
            .select({ projectId: lineGroups.projectId })
            .from(lineGroups)
            .where(eq(lineGroups.lineGroupId, groupId))
        )[0]?.projectId,
    );

  it('a bound admin binds the group to a project by name, /project shows it, /project unbind clears it', async () => {
    const { lineUserId } = await bindNewUser('admin');
    const project = await createProject();
    const groupId = newId.group();
    expect((await say({ userId: lineUserId, groupId }, '/project')).replies[0]).toContain('尚未綁定專案');
    expect(
      (await say({ userId: lineUserId, groupId }, `/project bind ${project.name.toUpperCase()}`)).replies[0],
    ).toContain(project.name);
    expect(await groupProject(groupId)).toBe(project.id);
    expect((await say({ userId: lineUserId, groupId }, '/project')).replies[0]).toContain(`專案：${project.name}`);
    expect((await say({ userId: lineUserId, groupId }, '/project unbind')).replies[0]).toContain(
      '已解除此群組的專案綁定',
    );
    expect(await groupProject(groupId)).toBeNull();
  });

  it('an admin can bind by project id; an unknown project is reported', async () => {
    const { lineUserId } = await bindNewUser('admin');
    const project = await createProject();
    const groupId = newId.group();
    expect((await say({ userId: lineUserId, groupId }, `/project bind ${project.id}`)).replies[0]).toContain(
      project.name,
    );
    expect(await groupProject(groupId)).toBe(project.id);
    expect((await say({ userId: lineUserId, groupId }, '/project bind No Such Project')).replies[0]).toContain(
      '找不到專案',
    );
    expect(await groupProject(groupId)).toBe(project.id);
  });

  it('a bound member may look but gets a short refusal for changes', async () => {
    const { lineUserId } = await bindNewUser('member');
    const project = await createProject();
    const groupId = newId.group();
    expect((await say({ userId: lineUserId, groupId }, '/project')).replies[0]).toContain('尚未綁定專案');
    const refused = await say({ userId: lineUserId, groupId }, `/project bind ${project.name}`);
    expect(refused.replies[0]).toContain('只有已綁定的管理員');
    expect(await groupProject(groupId)).toBeNull();
  });

  it('an unbound user in a group gets silence, even for commands', async () => {
    const lineUserId = newId.user();
    const groupId = newId.group();
    const project = await createProject();
    for (const text of ['/project', `/project bind ${project.name}`, '/help', 'hello bot']) {
      expect((await say({ userId: lineUserId, groupId }, text)).replies, text).toEqual([]);
    }
    expect(await groupProject(groupId)).toBeNull();
  });

  it('/help lists what the asking user may do, in the chat they asked in', async () => {
    const adminUser = await bindNewUser('admin');
    const memberUser = await bindNewUser('member');
    const groupId = newId.group();
    const adminHelp = (await say({ userId: adminUser.lineUserId, groupId }, '/help')).replies[0]!;
    expect(adminHelp).toContain('/project bind');
    const memberHelp = (await say({ userId: memberUser.lineUserId, groupId }, '/說明')).replies[0]!;
    expect(memberHelp).toContain('/project');
    expect(memberHelp).not.toContain('/project bind');
    const unboundHelp = (await say({ userId: newId.user() }, '/help')).replies[0]!;
    expect(unboundHelp).toContain('傳送綁定碼（例如 K7M-2QX-9PA）');
    expect(unboundHelp).not.toContain('/project');
  });

  it("group settings changed through the API show in the bot's answers", async () => {
    const { lineUserId } = await bindNewUser('member');
    const groupId = newId.group();
    await say({ userId: lineUserId, groupId }, 'hi all');
    const [group] = await withDb((db) =>
      db.select({ id: lineGroups.id }).from(lineGroups).where(eq(lineGroups.lineGroupId, groupId)),
    );
    const project = await createProject();
    await expectJson(await adminFetch('PATCH', `/groups/${group!.id}`, { body: { projectId: project.id } }), 200);
    expect((await say({ userId: lineUserId, groupId }, '/project')).replies[0]).toContain(project.name);
  });
});

afterAll(async () => {
  const bad = (await violations()).filter((v) => v.at >= started);
  expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
});

describe('answers processed late', () => {
  it('a code message processed after its reply token expired is answered by push, once', async () => {
    const account = await createAccount('member', 'Late Larry');
    const { code } = await issueCode(account.id);
    const lineUserId = newId.user();
    // LINE delivered it two minutes ago (a cron retry would see the same).
    const ev = { ...textEvent({ userId: lineUserId }, code), timestamp: Date.now() - 120_000 };
    await postEvents([ev]);
    expect(await boundAccountOf(lineUserId)).toBe(account.id);
    expect(await repliesTo(ev.replyToken)).toEqual([]);
    const pushes = (await lineRequests('/v2/bot/message/push')).filter(
      (r) => (r.body as { to: string }).to === lineUserId,
    );
    expect(pushes).toHaveLength(1);
    expect((pushes[0]!.body as { messages: Array<{ text: string }> }).messages[0]!.text).toContain('綁定成功');
    expect(pushes[0]!.headers['x-line-retry-key']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
