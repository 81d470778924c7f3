/**
 * The management API's AI side, happy paths: AI instructions per group and per project, the log of
 * AI answers (filters and cursor paging as /messages) and their usage per Asia/Taipei day and per
 * chat. Answers are seeded straight into line_ai_answers; every answer is checked against the
 * served OpenAPI document as well.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { contract, createProject, seedAiAnswer, seedGroup, seedLineUser, type Contract } from './support/admin';

let api: Contract;
beforeAll(async () => {
  api = await contract();
});

async function call(method: string, path: string, status: number, body?: unknown) {
  const res = await api.call(method, path, { body });
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
  return res.body;
}

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const DAY = 86_400_000;
/** Midnight in Taipei (UTC+8, no daylight saving since 1979) of a UTC calendar day. */
const taipeiMidnight = (utcDay: number) => utcDay - 8 * 3_600_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** A random day of the given year, so that tests sharing the database do not share usage ranges. */
const dayIn = (year: number) => Date.UTC(year, 0, 1) + Math.floor(Math.random() * 300) * DAY;

describe('AI instructions', () => {
  it('are set, kept, blanked and cleared on a group', async () => {
    const group = await seedGroup({ name: 'Site A' });
    const text = '工地在台北。\nAnswer briefly.';
    const set = await call('PATCH', `/groups/${group.id}`, 200, { aiInstructions: text });
    expect(set).toMatchObject({ id: group.id, aiInstructions: text, allowAiResponse: false });
    // Other fields leave them alone.
    expect(await call('PATCH', `/groups/${group.id}`, 200, { allowAiResponse: true })).toMatchObject({
      aiInstructions: text,
      allowAiResponse: true,
    });
    const list = await call('GET', '/groups', 200);
    expect(list.items.find((g: { id: string }) => g.id === group.id).aiInstructions).toBe(text);
    // The longest allowed, then blank (an emptied text box) and null both clear.
    const longest = 'x'.repeat(4000);
    expect((await call('PATCH', `/groups/${group.id}`, 200, { aiInstructions: longest })).aiInstructions).toBe(longest);
    expect((await call('PATCH', `/groups/${group.id}`, 200, { aiInstructions: '  \n ' })).aiInstructions).toBeNull();
    await call('PATCH', `/groups/${group.id}`, 200, { aiInstructions: text });
    expect((await call('PATCH', `/groups/${group.id}`, 200, { aiInstructions: null })).aiInstructions).toBeNull();
  });

  it('are set on a project, which can also be renamed, and show in its groups', async () => {
    const project = await createProject();
    expect(project.aiInstructions).toBeNull();
    const withText = await call('POST', '/projects', 201, {
      name: `Tower ${unique()}`,
      aiInstructions: 'Cite drawing numbers.',
    });
    expect(withText.aiInstructions).toBe('Cite drawing numbers.');

    const set = await call('PATCH', `/projects/${project.id}`, 200, { aiInstructions: 'Budget questions go to Amy.' });
    expect(set).toEqual({
      id: project.id,
      name: project.name,
      aiInstructions: 'Budget questions go to Amy.',
      nasFolder: null,
    });
    const name = `Renamed ${unique()}`;
    const renamed = await call('PATCH', `/projects/${project.id}`, 200, { name: `  ${name} ` });
    expect(renamed).toEqual({ id: project.id, name, aiInstructions: 'Budget questions go to Amy.', nasFolder: null });
    expect((await call('GET', '/projects', 200)).items).toContainEqual(renamed);

    const group = await seedGroup();
    const bound = await call('PATCH', `/groups/${group.id}`, 200, { projectId: project.id });
    expect(bound.project).toEqual(renamed);
    expect(await call('PATCH', `/projects/${project.id}`, 200, { aiInstructions: null })).toEqual({
      ...renamed,
      aiInstructions: null,
    });
  });
});

describe('GET /ai-logs', () => {
  it('lists answers newest first with every field, filtered by chat and asker, paged by cursor', async () => {
    const group = await seedGroup({ name: 'Ops' });
    const amy = await seedLineUser({ displayName: 'Amy' });
    const bob = await seedLineUser({ displayName: null });
    const base = Date.now() - 60_000;
    const full = await seedAiAnswer({
      lineUserId: amy.id,
      lineGroupId: group.id,
      question: 'When is the site visit?',
      status: 'answered',
      outcome: 'answered',
      model: 'claude-sonnet-4-5',
      inputTokens: 1500,
      outputTokens: 120,
      cacheCreationInputTokens: 1000,
      cacheReadInputTokens: 400,
      latencyMs: 3200,
      stopReason: 'end_turn',
      toolCalls: [
        { name: 'search_chat_history', input: { keywords: 'site visit' }, ok: true },
        { name: 'get_project', input: {}, ok: false },
      ],
      requestIds: ['req_011', 'req_012'],
      sentBy: 'push',
      restarts: 1,
      createdAt: new Date(base),
      finishedAt: new Date(base + 3500),
    });
    // Still running; then one by another asker in the same group, and one in Amy's 1:1 chat.
    const running = await seedAiAnswer({
      lineUserId: amy.id,
      lineGroupId: group.id,
      status: 'running',
      createdAt: new Date(base + 1000),
    });
    const byBob = await seedAiAnswer({
      lineUserId: bob.id,
      lineGroupId: group.id,
      status: 'failed',
      outcome: 'no_answer',
      error: 'Claude answered 529',
      createdAt: new Date(base + 2000),
    });
    const direct = await seedAiAnswer({ lineUserId: amy.id, createdAt: new Date(base + 3000) });

    const inGroup = await call('GET', `/ai-logs?groupId=${group.lineGroupId}`, 200);
    expect(inGroup.items.map((i: { id: string }) => i.id)).toEqual([byBob.id, running.id, full.id]);
    expect(inGroup.nextCursor).toBeNull();
    expect(inGroup.items[2]).toEqual({
      id: full.id,
      webhookEventId: full.webhookEventId,
      lineGroupId: group.lineGroupId,
      groupName: 'Ops',
      lineUserId: amy.lineUserId,
      userName: 'Amy',
      question: 'When is the site visit?',
      status: 'answered',
      outcome: 'answered',
      model: 'claude-sonnet-4-5',
      inputTokens: 1500,
      outputTokens: 120,
      cacheCreationInputTokens: 1000,
      cacheReadInputTokens: 400,
      latencyMs: 3200,
      stopReason: 'end_turn',
      // The model's tool input stays in the database.
      toolCalls: [
        { name: 'search_chat_history', ok: true },
        { name: 'get_project', ok: false },
      ],
      requestIds: ['req_011', 'req_012'],
      sentBy: 'push',
      error: null,
      restarts: 1,
      createdAt: new Date(base).toISOString(),
      finishedAt: new Date(base + 3500).toISOString(),
    });
    expect(inGroup.items[1]).toMatchObject({
      status: 'running',
      outcome: null,
      model: null,
      inputTokens: 0,
      latencyMs: null,
      toolCalls: [],
      requestIds: [],
      sentBy: null,
      finishedAt: null,
    });
    expect(inGroup.items[0]).toMatchObject({
      lineUserId: bob.lineUserId,
      userName: null,
      outcome: 'no_answer',
      error: 'Claude answered 529',
    });

    // Our UUIDs and LINE's ids alike, as /messages takes them; a 1:1 answer has no group.
    const amys = await call('GET', `/ai-logs?lineUserId=${amy.id.toUpperCase()}`, 200);
    expect(amys.items.map((i: { id: string }) => i.id)).toEqual([direct.id, running.id, full.id]);
    expect(amys.items[0]).toMatchObject({ lineGroupId: null, groupName: null, lineUserId: amy.lineUserId });
    const amyInGroup = await call('GET', `/ai-logs?lineUserId=${amy.lineUserId}&groupId=${group.id}`, 200);
    expect(amyInGroup.items.map((i: { id: string }) => i.id)).toEqual([running.id, full.id]);
    for (const odd of ['1', 'not-an-id', encodeURIComponent('Cé中')]) {
      expect((await call('GET', `/ai-logs?groupId=${odd}`, 200)).items, odd).toEqual([]);
    }

    // One at a time, every answer once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = await call(
        'GET',
        `/ai-logs?lineUserId=${amy.lineUserId}&limit=1${cursor ? `&before=${cursor}` : ''}`,
        200,
      );
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor && seen.length < 10);
    expect(seen).toEqual([direct.id, running.id, full.id]);
  });

  it('shows the first 500 characters of a question, never half a character', async () => {
    const user = await seedLineUser();
    const long = `${'🙂'.repeat(499)}中${'x'.repeat(2000)}`;
    await seedAiAnswer({ lineUserId: user.id, question: long });
    const { items } = await call('GET', `/ai-logs?lineUserId=${user.id}`, 200);
    expect(items[0].question).toBe(`${'🙂'.repeat(499)}中`);
  });

  it('reads odd JSON the answer left (not arrays, odd entries) as empty or defaulted, never failing the list', async () => {
    const user = await seedLineUser();
    const at = Date.now() - 1000;
    await seedAiAnswer({
      lineUserId: user.id,
      toolCalls: { name: 'x' },
      requestIds: 'req_1',
      sentBy: 'fax',
      createdAt: new Date(at),
    });
    await seedAiAnswer({
      lineUserId: user.id,
      toolCalls: [null, 'x', { ok: true }, { name: 'get_project' }],
      requestIds: ['req_2', 7, null],
      createdAt: new Date(at + 1),
    });
    const { items } = await call('GET', `/ai-logs?lineUserId=${user.id}`, 200);
    expect(
      items.map((i: { toolCalls: unknown; requestIds: unknown; sentBy: unknown }) => [
        i.toolCalls,
        i.requestIds,
        i.sentBy,
      ]),
    ).toEqual([
      [
        [
          { name: '(unnamed)', ok: true },
          { name: 'get_project', ok: false },
        ],
        ['req_2'],
        null,
      ],
      [[], [], null],
    ]);
  });
});

describe('GET /ai-usage', () => {
  it('sums answers and tokens per Asia/Taipei day and per chat', async () => {
    const day = dayIn(1991);
    const midnight = taipeiMidnight(day);
    const group = await seedGroup({ name: 'Usage group' });
    const room = await seedGroup({ name: null, sourceType: 'room' });
    const user = await seedLineUser();
    const tokens = (n: number) => ({
      inputTokens: n,
      outputTokens: n + 1,
      cacheCreationInputTokens: n + 2,
      cacheReadInputTokens: n + 3,
    });
    // Day 1 in Taipei begins at 16:00 UTC of the day before: the last millisecond before it is the day before.
    await seedAiAnswer({ lineUserId: user.id, lineGroupId: group.id, ...tokens(1), createdAt: new Date(midnight - 1) });
    await seedAiAnswer({ lineUserId: user.id, lineGroupId: group.id, ...tokens(10), createdAt: new Date(midnight) });
    await seedAiAnswer({
      lineUserId: user.id,
      lineGroupId: group.id,
      ...tokens(100),
      createdAt: new Date(midnight + DAY - 1),
    });
    await seedAiAnswer({
      lineUserId: user.id,
      lineGroupId: room.id,
      ...tokens(1000),
      createdAt: new Date(midnight + 2 * DAY),
    });
    await seedAiAnswer({ lineUserId: user.id, ...tokens(10_000), createdAt: new Date(midnight + 2 * DAY + 1) });
    await seedAiAnswer({ ...tokens(100_000), createdAt: new Date(midnight + 2 * DAY + 2) });

    const from = dayOf(day);
    const to = dayOf(day + 2 * DAY);
    const usage = await call('GET', `/ai-usage?from=${from}&to=${to}`, 200);
    const figures = (answers: number, n: number) => ({
      answers,
      inputTokens: n,
      outputTokens: n + answers,
      cacheCreationInputTokens: n + 2 * answers,
      cacheReadInputTokens: n + 3 * answers,
    });
    expect(usage).toEqual({
      from,
      to,
      totals: figures(5, 111_110),
      days: [
        { date: from, ...figures(2, 110) },
        { date: dayOf(day + DAY), ...figures(0, 0) },
        { date: to, ...figures(3, 111_000) },
      ],
      // Most answers first, ties by LINE's id; both 1:1 chats are the one row without a group.
      chats: [
        { lineGroupId: group.lineGroupId, groupName: 'Usage group', chatType: 'group', ...figures(2, 110) },
        { lineGroupId: null, groupName: null, chatType: 'user', ...figures(2, 110_000) },
        { lineGroupId: room.lineGroupId, groupName: null, chatType: 'room', ...figures(1, 1000) },
      ],
    });

    // The day before holds the one answer just before Taipei's midnight.
    const before = await call('GET', `/ai-usage?from=${dayOf(day - DAY)}&to=${dayOf(day - DAY)}`, 200);
    expect(before.totals).toEqual(figures(1, 1));
  });

  it('defaults to the last 30 days up to today in Taipei, and reaches a year back from the given end', async () => {
    const usage = await call('GET', '/ai-usage', 200);
    const todayTaipei = dayOf(Date.now() + 8 * 3_600_000);
    expect(usage.to).toBe(todayTaipei);
    expect(usage.days).toHaveLength(30);
    expect(usage.days[0].date).toBe(usage.from);
    expect(usage.days.at(-1).date).toBe(todayTaipei);
    expect(usage.totals.answers).toBe(usage.days.reduce((n: number, d: { answers: number }) => n + d.answers, 0));

    expect(await call('GET', '/ai-usage?to=2026-03-01', 200)).toMatchObject({ from: '2026-01-31', to: '2026-03-01' });
    const year = await call('GET', '/ai-usage?from=1992-01-01&to=1992-12-31', 200);
    expect(year.days).toHaveLength(366);
    expect(year.days[59].date).toBe('1992-02-29');
    // The ends of the calendar are fine too.
    expect((await call('GET', '/ai-usage?from=0001-01-01&to=0001-01-02', 200)).days).toHaveLength(2);
    expect((await call('GET', '/ai-usage?from=9999-12-30&to=9999-12-31', 200)).totals.answers).toBe(0);
  });
});
