/**
 * The AI's tools, each alone: what they return, and that the asker's context alone decides what
 * they may see (ids the model puts in its input are ignored). Rows are inserted directly.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { aiTools, capToolResult, MAX_TOOL_RESULT_CHARS, runTool, toolDefinitions } from '../src/ai/tools';
import { escapeLike } from '../src/lib/like';
import { ToolInputError, type AiTool, type AskerContext } from '../src/ai/types';
import { openDb } from '../src/db/client';
import { lineGroups, lineMessages, lineUsers, projects, users } from '@linebot-edge/shared/schema';
import { createLogger } from '../src/lib/log';
import { withDb } from './support/db';
import { newId } from './support/line';

const MIN = 60_000;
const base = Date.now() - 60 * MIN;
const at = (minutes: number) => new Date(base + minutes * MIN);

/** A LINE user bound to a company account (as every sender the AI quotes as themselves), unless `userId: null`. */
const user = (fields: Partial<typeof lineUsers.$inferInsert> = {}) =>
  withDb(async (db) => {
    const userId =
      'userId' in fields
        ? fields.userId
        : (
            await db
              .insert(users)
              .values({ username: `u.${crypto.randomUUID()}` })
              .returning()
          )[0]!.id;
    return (
      await db
        .insert(lineUsers)
        .values({ lineUserId: newId.user(), ...fields, userId })
        .returning()
    )[0]!;
  });
/** A group the bot has been in since before its messages (joined_at unknown, as for a group first seen by a message). */
const group = (fields: Partial<typeof lineGroups.$inferInsert> = {}) =>
  withDb(
    async (db) =>
      (
        await db
          .insert(lineGroups)
          .values({ lineGroupId: newId.group(), joinedAt: null, ...fields })
          .returning()
      )[0]!,
  );
const project = (fields: Partial<typeof projects.$inferInsert> = {}) =>
  withDb(
    async (db) =>
      (
        await db
          .insert(projects)
          .values({ name: `Project ${crypto.randomUUID()}`, ...fields })
          .returning()
      )[0]!,
  );
const messages = (rows: Partial<typeof lineMessages.$inferInsert>[]) =>
  withDb(async (db) =>
    db
      .insert(lineMessages)
      .values(
        rows.map((m) => ({
          messageId: newId.message(),
          sourceType: m.lineGroupId ? 'group' : 'user',
          messageType: 'text',
          sentAt: new Date(),
          ...m,
        })),
      )
      .returning(),
  );

/** The asker's context as loadAnswerContext builds it from the answer's row. */
const askerIn = (
  asker: { id: string },
  chat: { id: string; sourceType?: 'group' | 'room'; projectId?: string | null } | null,
  questionMessagePk = crypto.randomUUID(),
): AskerContext => ({
  answerId: crypto.randomUUID(),
  lineUserPk: asker.id,
  chatPk: chat?.id ?? null,
  chatType: chat ? (chat.sourceType ?? 'group') : 'user',
  projectId: chat?.projectId ?? null,
  questionMessagePk,
});

const run = (asker: AskerContext, name: string, input: unknown) => withDb((db) => runTool({ db }, asker, name, input));
const search = (asker: AskerContext, input: unknown) => run(asker, 'search_chat_history', input);
/** The result lines of a successful search (the first line is its header). */
async function found(asker: AskerContext, input: unknown): Promise<string[]> {
  const result = await search(asker, input);
  expect(result.isError, result.content).toBe(false);
  return result.content.startsWith('No messages') ? [] : result.content.split('\n').slice(1);
}

describe('search_chat_history: scope', () => {
  it("a group's search finds only that group's messages, whatever ids the model passes", async () => {
    const wang = await user({ displayName: '王小明' });
    const mine = await group();
    const other = await group();
    await messages([
      { lineUserId: wang.id, lineGroupId: mine.id, content: '週五開會', sentAt: at(-3) },
      { isFromBot: true, lineGroupId: mine.id, content: '開會地點在三樓', sentAt: at(-2) },
      { lineUserId: wang.id, lineGroupId: other.id, content: '機密開會內容', sentAt: at(-2) },
      { lineUserId: wang.id, content: '私訊開會', sentAt: at(-2) },
    ]);
    const asker = askerIn(wang, mine);
    const claims = [
      { keywords: '開會' },
      { keywords: ['開會'], groupId: other.lineGroupId, chatPk: other.id, lineGroupId: other.id, chatId: other.id },
      { keywords: '開會', lineUserId: wang.lineUserId, userId: wang.id, chat: { type: 'user' } },
    ];
    for (const input of claims) {
      const lines = await found(asker, input);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/ bot: 開會地點在三樓$/);
      expect(lines[1]).toMatch(/ 王小明: 週五開會$/);
      expect(lines.join('\n')).not.toMatch(/機密|私訊/);
    }
  });

  it("a 1:1 chat's search finds that chat (the user's and the bot's messages), never the same user's group messages", async () => {
    const wang = await user({ displayName: '王小明' });
    const lee = await user();
    const g = await group();
    await messages([
      { lineUserId: wang.id, content: '報價單在哪', sentAt: at(-5) },
      { isFromBot: true, lineUserId: wang.id, content: '報價單在共用資料夾', sentAt: at(-4) },
      { lineUserId: wang.id, lineGroupId: g.id, content: '群組的報價單', sentAt: at(-3) },
      { lineUserId: lee.id, content: '別人的報價單', sentAt: at(-3) },
      { isFromBot: true, lineUserId: lee.id, content: '給別人的報價單', sentAt: at(-3) },
    ]);
    const lines = await found(askerIn(wang, null), {
      keywords: '報價單',
      groupId: g.lineGroupId,
      lineUserId: lee.lineUserId,
    });
    expect(lines.map((l) => l.slice(17))).toEqual(['bot: 報價單在共用資料夾', '王小明: 報價單在哪']);

    // And the group's search never finds the 1:1 messages.
    const inGroup = await found(askerIn(wang, g), { keywords: '報價單' });
    expect(inGroup.map((l) => l.slice(17))).toEqual(['王小明: 群組的報價單']);
  });

  it('never an unsent message, nor the question itself; before a /reset still found', async () => {
    const wang = await user({ displayName: '王小明' });
    const g = await group({ aiHistoryFrom: at(-1) });
    const [question] = await messages([
      { lineUserId: wang.id, lineGroupId: g.id, content: '@bot 找一下合約', sentAt: at(0) },
      { lineUserId: wang.id, lineGroupId: g.id, content: '合約收回了', unsentAt: at(-1), sentAt: at(-2) },
      { lineUserId: wang.id, lineGroupId: g.id, messageType: 'unsent', content: '合約墓碑', sentAt: at(-2) },
      { lineUserId: wang.id, lineGroupId: g.id, content: '合約在這裡', sentAt: at(-3) },
    ]);
    const lines = await found(askerIn(wang, g, question!.id), { keywords: ['合約'] });
    expect(lines.map((l) => l.slice(17))).toEqual(['王小明: 合約在這裡']);
  });
});

describe('search_chat_history: matching and results', () => {
  it('every keyword must match, case-insensitively; a string is split at spaces', async () => {
    const wang = await user({ displayName: 'Wang' });
    const g = await group();
    await messages([
      { lineUserId: wang.id, lineGroupId: g.id, content: 'Budget for 三樓 approved', sentAt: at(-3) },
      { lineUserId: wang.id, lineGroupId: g.id, content: 'budget pending', sentAt: at(-2) },
      { lineUserId: wang.id, lineGroupId: g.id, content: '三樓 only', sentAt: at(-1) },
    ]);
    const asker = askerIn(wang, g);
    expect((await found(asker, { keywords: ['BUDGET'] })).length).toBe(2);
    expect(await found(asker, { keywords: ['budget', '三樓'] })).toEqual([
      `${stamp(at(-3))} Wang: Budget for 三樓 approved`,
    ]);
    expect(await found(asker, { keywords: 'budget 三樓' })).toEqual([
      `${stamp(at(-3))} Wang: Budget for 三樓 approved`,
    ]);
    // A phrase with a space, kept together in an array.
    expect(await found(asker, { keywords: ['budget pending'] })).toEqual([`${stamp(at(-2))} Wang: budget pending`]);
  });

  it('finds file names, location text and stickers, shown as their markers', async () => {
    const wang = await user({ displayName: '王小明' });
    const g = await group();
    await messages([
      { lineUserId: wang.id, lineGroupId: g.id, messageType: 'file', content: '施工圖-v2.pdf', sentAt: at(-2) },
      {
        lineUserId: wang.id,
        lineGroupId: g.id,
        messageType: 'location',
        content: '施工現場\n台北市信義路',
        sentAt: at(-1),
      },
    ]);
    expect((await found(askerIn(wang, g), { keywords: '施工' })).map((l) => l.slice(17))).toEqual([
      '王小明: [位置 施工現場 台北市信義路]',
      '王小明: [檔案 施工圖-v2.pdf]',
    ]);
  });

  it('the newest 20 first, each "YYYY-MM-DD HH:mm name: text" in Asia/Taipei, one line, at most about 300 characters', async () => {
    const wang = await user({ displayName: '王小明' });
    const g = await group();
    await messages(
      Array.from({ length: 25 }, (_, i) => ({
        lineUserId: wang.id,
        lineGroupId: g.id,
        content: `進度 ${String(i).padStart(2, '0')}\n第二行 ${'很長'.repeat(i === 24 ? 400 : 1)}`,
        sentAt: at(-30 + i),
      })),
    );
    const result = await search(askerIn(wang, g), { keywords: '進度' });
    const [header, ...lines] = result.content.split('\n');
    expect(header).toBe('20 message(s) in this chat contain "進度" (newest first, Asia/Taipei time):');
    expect(lines).toHaveLength(20);
    expect(lines[0]!.startsWith(`${stamp(at(-6))} 王小明: 進度 24 第二行 很長`)).toBe(true);
    expect(lines[0]!.length).toBeLessThanOrEqual(300);
    expect(lines[0]!.endsWith('…')).toBe(true);
    expect(lines[19]).toBe(`${stamp(at(-25))} 王小明: 進度 05 第二行 很長`);
    expect(result.content.length).toBeLessThanOrEqual(MAX_TOOL_RESULT_CHARS);
  });

  it('the time is Taipei time (UTC+8)', async () => {
    const wang = await user({ displayName: '王小明' });
    const g = await group();
    await messages([
      { lineUserId: wang.id, lineGroupId: g.id, content: '跨年', sentAt: new Date('2025-12-31T16:05:00Z') },
    ]);
    expect(await found(askerIn(wang, g), { keywords: '跨年' })).toEqual(['2026-01-01 00:05 王小明: 跨年']);
  });

  it('no match: says so', async () => {
    const wang = await user();
    const result = await search(askerIn(wang, null), { keywords: ['不存在的字'] });
    expect(result).toEqual({ content: 'No messages in this chat contain "不存在的字".', isError: false });
  });

  it('LIKE wildcards and the escape character in keywords are literal', async () => {
    const wang = await user({ displayName: 'W' });
    const g = await group();
    await messages([
      { lineUserId: wang.id, lineGroupId: g.id, content: '完成 100% 了', sentAt: at(-6) },
      { lineUserId: wang.id, lineGroupId: g.id, content: '完成 1000 了', sentAt: at(-5) },
      { lineUserId: wang.id, lineGroupId: g.id, content: 'file a_b.txt', sentAt: at(-4) },
      { lineUserId: wang.id, lineGroupId: g.id, content: 'file axb.txt', sentAt: at(-3) },
      { lineUserId: wang.id, lineGroupId: g.id, content: 'path C:\\new', sentAt: at(-2) },
      { lineUserId: wang.id, lineGroupId: g.id, content: 'path C:new', sentAt: at(-1) },
    ]);
    const asker = askerIn(wang, g);
    const texts = async (keywords: unknown) => (await found(asker, { keywords })).map((l) => l.slice(17));
    expect(await texts('100%')).toEqual(['W: 完成 100% 了']);
    expect(await texts('%')).toEqual(['W: 完成 100% 了']);
    expect(await texts('a_b')).toEqual(['W: file a_b.txt']);
    expect(await texts('_')).toEqual(['W: file a_b.txt']);
    expect(await texts('C:\\')).toEqual(['W: path C:\\new']);
    expect(await texts('\\n')).toEqual(['W: path C:\\new']);
    expect(escapeLike('100%_\\')).toBe('100\\%\\_\\\\');
  });
});

describe('search_chat_history: input', () => {
  it("the model's mistakes are error results it can correct, never exceptions", async () => {
    const wang = await user();
    const asker = askerIn(wang, null);
    const bad: unknown[] = [
      null,
      'keywords',
      {},
      { keywords: 5 },
      { keywords: [] },
      { keywords: '   ' },
      { keywords: ['ok', 3] },
      { keywords: Array.from({ length: 11 }, (_, i) => `k${i}`) },
      { keywords: ['x'.repeat(101)] },
      { keywords: ['a\u0000b'] },
      { keywords: '\u0000' },
      { keywords: ['tab\there'] },
    ];
    for (const input of bad) {
      const result = await search(asker, input);
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(result.content).toMatch(/^Invalid input for search_chat_history: /);
    }
    // The limits themselves are fine.
    expect((await search(asker, { keywords: Array.from({ length: 10 }, (_, i) => `k${i}`) })).isError).toBe(false);
    expect((await search(asker, { keywords: ['x'.repeat(100)] })).isError).toBe(false);
  });

  it('a lone surrogate is searched for as U+FFFD, not a database error', async () => {
    const wang = await user();
    expect(await search(askerIn(wang, null), { keywords: ['\uD800'] })).toEqual({
      content: 'No messages in this chat contain "\uFFFD".',
      isError: false,
    });
  });
});

describe('get_project', () => {
  it('a bound group: name, id and creation date, not the admin instructions; ids the model passes are ignored', async () => {
    const p = await project({
      name: `大安案 ${crypto.randomUUID().slice(0, 8)}`,
      aiInstructions: 'SECRET INSTRUCTIONS',
    });
    const elsewhere = await project({ name: `Other ${crypto.randomUUID().slice(0, 8)}` });
    const g = await group({ projectId: p.id });
    const wang = await user();
    const result = await run(askerIn(wang, g), 'get_project', { projectId: elsewhere.id, groupId: 'Cffff' });
    expect(result.isError).toBe(false);
    expect(result.content).toBe(
      `Project bound to this group:\nname: ${p.name}\nid: ${p.id}\ncreated: ${stamp(p.createdAt).slice(0, 10)}`,
    );
    expect(result.content).not.toContain('SECRET');
  });

  it("the chat's current binding decides: a group unbound after the question has none", async () => {
    const p = await project();
    const g = await group(); // unbound now
    const wang = await user();
    const stale = askerIn(wang, { id: g.id, projectId: p.id });
    expect(await run(stale, 'get_project', {})).toEqual({
      content: 'No project is bound to this group.',
      isError: false,
    });
  });

  it('a bound room, an unbound room, a 1:1 chat', async () => {
    const p = await project();
    const bound = await group({ lineGroupId: newId.room(), sourceType: 'room', projectId: p.id });
    const unbound = await group({ lineGroupId: newId.room(), sourceType: 'room' });
    const wang = await user();
    expect((await run(askerIn(wang, bound), 'get_project', {})).content).toMatch(
      new RegExp(`^Project bound to this chat:\nname: ${p.name}\n`),
    );
    expect((await run(askerIn(wang, unbound), 'get_project', undefined)).content).toBe(
      'No project is bound to this chat.',
    );
    const direct = await run(askerIn(wang, null), 'get_project', { groupId: bound.lineGroupId });
    expect(direct).toEqual({
      content: 'This is a 1:1 chat. Projects are bound to groups and rooms, so no project is bound here.',
      isError: false,
    });
  });
});

describe('the registry', () => {
  it('definitions: every tool once, the cache breakpoint on the last only', () => {
    const defs = toolDefinitions();
    expect(defs.map((d) => d.name)).toEqual([
      'search_chat_history',
      'get_project',
      'search_nas_files',
      'send_nas_file',
    ]);
    expect(defs.map((d) => d.cache_control)).toEqual([undefined, undefined, undefined, { type: 'ephemeral' }]);
    for (const d of defs) {
      expect(d.input_schema.type).toBe('object');
      expect(d.description!.length).toBeGreaterThan(20);
      expect(Object.keys(d).sort()).toEqual(
        ['description', 'input_schema', 'name', ...(d.cache_control ? ['cache_control'] : [])].sort(),
      );
    }
    expect(new Set(aiTools.map((t) => t.name)).size).toBe(aiTools.length);
  });

  it('an unknown tool is an error result naming the tools there are', async () => {
    const wang = await user();
    const result = await run(askerIn(wang, null), 'read_all_messages', {});
    expect(result).toEqual({
      content:
        'Unknown tool "read_all_messages". Available tools: search_chat_history, get_project, search_nas_files, send_nas_file.',
      isError: true,
    });
  });

  it('results are capped at 8000 characters, marked as cut', async () => {
    const big: AiTool = {
      name: 'big',
      description: 'd',
      input_schema: { type: 'object' },
      run: async () => '字'.repeat(20_000),
    };
    const result = await withDb((db) => runTool({ db }, askerIn({ id: crypto.randomUUID() }, null), 'big', {}, [big]));
    expect(result.isError).toBe(false);
    expect(result.content).toHaveLength(MAX_TOOL_RESULT_CHARS);
    expect(result.content.endsWith('\n…[truncated]')).toBe(true);
    expect(capToolResult('short')).toBe('short');
    // Never half a surrogate pair at the cut.
    const emoji = capToolResult('😀'.repeat(5000));
    expect(emoji.isWellFormed()).toBe(true);
    expect(emoji.length).toBeLessThanOrEqual(MAX_TOOL_RESULT_CHARS);
  });

  it('a ToolInputError from any tool is an error result; any other failure throws', async () => {
    const picky: AiTool = {
      name: 'picky',
      description: 'd',
      input_schema: { type: 'object' },
      run: async () => {
        throw new ToolInputError('no');
      },
    };
    const broken: AiTool = {
      name: 'broken',
      description: 'd',
      input_schema: { type: 'object' },
      run: async () => {
        throw new Error('disk on fire');
      },
    };
    const asker = askerIn({ id: crypto.randomUUID() }, null);
    await withDb(async (db) => {
      expect(await runTool({ db }, asker, 'picky', {}, [picky, broken])).toEqual({
        content: 'Invalid input for picky: no',
        isError: true,
      });
      await expect(runTool({ db }, asker, 'broken', {}, [picky, broken])).rejects.toThrow('disk on fire');
    });
  });

  it('the database down: the tool throws (the step retries), it does not tell the model "no results"', async () => {
    const handle = openDb(env, createLogger({ test: true }));
    await handle.close();
    const wang = await user();
    await expect(
      runTool({ db: handle.db }, askerIn(wang, null), 'search_chat_history', { keywords: 'x' }),
    ).rejects.toThrow();
    await expect(runTool({ db: handle.db }, askerIn(wang, await group()), 'get_project', {})).rejects.toThrow();
  });
});

/** `YYYY-MM-DD HH:mm` in Asia/Taipei, computed independently of the code under test. */
function stamp(d: Date): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Asia/Taipei',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
