/**
 * The console's pages, inside workerd against the test Postgres: the security headers on every
 * kind of response, the layout and language, what LINE users wrote shown as text, the overview's
 * figures against rows this test inserts, the chart, and the one state-changing form so far
 * (AI replies of a group) refused without its CSRF token or from a foreign origin, changing nothing.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { eq, sql } from 'drizzle-orm';
import { jsx } from 'hono/jsx';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import {
  lineAiAnswers,
  lineFiles,
  lineGroups,
  lineMessages,
  lineUsers,
  lineWebhookEvents,
} from '@linebot-edge/shared/schema';
import { updateGroup } from '../src/domain/groups';
import { CONTENT_SECURITY_POLICY } from '../src/console/headers';
import { createConsole } from '../src/console/index';
import { CHART_DAYS, messagesPerDay, overviewFigures, type Overview } from '../src/domain/overview';
import { type PushQuota, UNKNOWN_FIGURES } from '../src/domain/push-quota';
import { layoutBars, niceMax } from '../src/console/views/chart';
import { OverviewPage } from '../src/console/views/overview';
import { Avatar, DisplayName, safeImageUrl } from '../src/console/views/people';
import { createProject, seedGroup } from './support/admin';
import { inSnapshot, taipeiMidnight, withDb } from './support/db';
import { newId } from './support/line';
import { ORIGIN, send, type SendOptions } from './support/console';

const app = createApp({ console: createConsole() });

/** A signed-in operator: the session cookie and the CSRF token its pages carry. */
async function operator(lang?: string) {
  const res = await send('POST', '/login', {
    form: { token: env.ADMIN_API_TOKEN },
    headers: { 'cf-connecting-ip': `pages-${crypto.randomUUID()}` },
  });
  expect(res.status).toBe(303);
  const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
  const page = await send('GET', '', { cookie, headers: lang ? { 'accept-language': lang } : {} });
  const html = await page.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  return { cookie, csrf, html };
}

const render = async (node: unknown) => String(await (node as { toString(): string | Promise<string> }).toString());

function expectSecurityHeaders(res: Response, what: string) {
  expect(res.headers.get('content-security-policy'), what).toBe(CONTENT_SECURITY_POLICY);
  expect(res.headers.get('x-frame-options'), what).toBe('DENY');
  expect(res.headers.get('referrer-policy'), what).toBe('same-origin');
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(res.headers.get('cache-control'), what).toBe('no-store');
}

describe('security headers', () => {
  it('the policy: nothing by default, no script, our styles, https images, no framing, no base', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self' data: https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  });

  it('are on every kind of console response', async () => {
    const { cookie, csrf } = await operator();
    const responses: Array<[string, Response, number]> = [
      ['sign-in page', await send('GET', '/login'), 200],
      [
        'wrong token',
        await send('POST', '/login', { form: { token: 'nope' }, headers: { 'cf-connecting-ip': crypto.randomUUID() } }),
        401,
      ],
      ['stylesheet', await send('GET', '/assets/console.css'), 200],
      ['redirect to sign-in', await send('GET', ''), 303],
      ['post without a session', await send('POST', '/logout'), 401],
      ['overview', await send('GET', '', { cookie }), 200],
      ['unknown page', await send('GET', '/no-such-screen', { cookie }), 404],
      [
        'foreign origin',
        await send('POST', '/logout', { cookie, form: { _csrf: csrf }, headers: { origin: 'https://evil.example' } }),
        403,
      ],
      ['bad form', await send('POST', `/groups/not-a-uuid/ai`, { cookie, form: { _csrf: csrf, allow: 'true' } }), 400],
      [
        'body too large',
        await send('POST', '/logout', { cookie, rawBody: `_csrf=${csrf}&x=${'a'.repeat(70_000)}` }),
        413,
      ],
    ];
    for (const [what, res, status] of responses) {
      expect(res.status, what).toBe(status);
      expectSecurityHeaders(res, what);
    }
  });

  it('the stylesheet is served from the Worker as CSS', async () => {
    const res = await send('GET', '/assets/console.css');
    expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await res.text()).toContain('.nav');
  });

  it('pages link only our own stylesheet and have no script and no inline style', async () => {
    const { html } = await operator();
    expect(html).toContain('<link rel="stylesheet" href="/admin/assets/console.css"');
    expect(html).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/); // no CDN
  });
});

describe('layout and language', () => {
  it('Traditional Chinese by default, with the whole menu and sign-out form', async () => {
    const { html } = await operator();
    expect(html).toMatch(/^<!DOCTYPE html><html lang="zh-Hant">/);
    for (const label of ['概覽', '群組', 'LINE 使用者', '帳號', '訊息', '檔案', '收件匣', 'AI 紀錄', '登出'])
      expect(html).toContain(label);
    expect(html).toContain('<a href="/admin" aria-current="page">概覽</a>');
    expect(html).toMatch(
      /<form method="post" action="\/admin\/logout"><input type="hidden" name="_csrf" value="[A-Za-z0-9_-]{43}"\/?>/,
    );
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"');
  });

  it('English when the browser prefers it', async () => {
    const { html } = await operator('en-US,en;q=0.9,zh-TW;q=0.5');
    expect(html).toMatch(/<html lang="en">/);
    for (const label of [
      'Overview',
      'Groups',
      'LINE users',
      'Accounts',
      'Messages',
      'Files',
      'Inbox',
      'AI logs',
      'Sign out',
    ])
      expect(html).toContain(label);
    expect(html).not.toContain('概覽');
    const login = await (await send('GET', '/login', { headers: { 'accept-language': 'en' } })).text();
    expect(login).toContain('Admin token');
  });

  it('a trailing slash redirects to the page without it, under /admin only', async () => {
    const { cookie } = await operator();
    const home = await send('GET', '/', { cookie });
    expect([home.status, home.headers.get('location')]).toEqual([301, '/admin']);
    const odd = await send('GET', '/%0d%0aSet-Cookie:%20x=1/', { cookie });
    expect([odd.status, odd.headers.get('location')]).toEqual([301, '/admin/%0d%0aSet-Cookie:%20x=1']);
    expect(odd.headers.getSetCookie()).toEqual([]);
    const sneaky = await send('GET', '//evil.example/', { cookie });
    expect(sneaky.headers.get('location')).toBe('/admin//evil.example');
  });

  it('an unknown page is a 404 page inside the layout', async () => {
    const { cookie } = await operator();
    const res = await send('GET', '/no-such-screen', { cookie, headers: { 'accept-language': 'en' } });
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('No such page or item.');
    expect(html).toContain('/admin/logout');
  });
});

describe('what LINE users write is shown as text', () => {
  const hostile = '<img src=x onerror=alert(1)>';

  it('a hostile display name is escaped', async () => {
    const html = await render(jsx(DisplayName, { name: hostile, lineId: newId.user() }));
    expect(html).toBe('<span class="name">&lt;img src=x onerror=alert(1)&gt;</span>');
    expect(html).not.toContain('<img');
  });

  it('names that look like markup or entities stay what they are', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a name that looks like a template on purpose.
    const templateLike = '{{7*7}} ${7*7}';
    for (const name of [
      '"><script>alert(1)</script>',
      "' onmouseover='x",
      '&lt;b&gt;',
      '</span><b>bold</b>',
      templateLike,
    ]) {
      const html = await render(jsx(DisplayName, { name, lineId: 'U1' }));
      const text = html.replace(/^<span class="name">/, '').replace(/<\/span>$/, '');
      expect(text).not.toMatch(/[<>"']/);
      expect(
        text
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&amp;/g, '&'),
      ).toBe(name);
    }
  });

  it('no name: the LINE id, as text', async () => {
    expect(await render(jsx(DisplayName, { name: null, lineId: 'U123' }))).toBe(
      '<span class="name unnamed">U123</span>',
    );
  });

  it('pictures only from https URLs, attribute-escaped', async () => {
    const refused = [
      'javascript:alert(1)',
      'data:image/svg+xml,<svg onload=alert(1)>',
      'http://cdn.example/a.jpg',
      '//evil.example/x',
      'not a url',
      '',
      null,
    ];
    for (const url of refused) {
      expect(safeImageUrl(url), String(url)).toBeNull();
      expect(await render(jsx(Avatar, { url }))).toBe('<span class="avatar" aria-hidden="true"></span>');
    }
    const html = await render(jsx(Avatar, { url: 'https://profile.line-scdn.net/a"onerror="alert(1)' }));
    expect(html).toContain('src="https://profile.line-scdn.net/a&quot;onerror=&quot;alert(1)"');
    expect(html).toContain('referrerpolicy="no-referrer"');
  });
});

// ---- the overview -------------------------------------------------------------------------------

describe('overview figures', () => {
  it('count what they say, by the Asia/Taipei day', async () => {
    await inSnapshot(async (tx) => {
      const before = await overviewFigures(tx);
      const daysBefore = await messagesPerDay(tx);

      const [u1, u2] = await tx
        .insert(lineUsers)
        .values([{ lineUserId: newId.user() }, { lineUserId: newId.user() }])
        .returning();
      const [g1] = await tx
        .insert(lineGroups)
        .values([{ lineGroupId: newId.group() }, { lineGroupId: newId.group(), isActive: false }])
        .returning();
      const message = (sentAt: ReturnType<typeof sql>, extra: Partial<typeof lineMessages.$inferInsert> = {}) => ({
        messageId: newId.message(),
        lineUserId: u1!.id,
        lineGroupId: g1!.id,
        sourceType: 'group',
        messageType: 'text',
        content: 'hi',
        sentAt: sentAt as unknown as Date,
        ...extra,
      });
      const msgs = await tx
        .insert(lineMessages)
        .values([
          message(sql`now()`),
          message(sql`now()`, { isFromBot: true }),
          message(sql`now()`, { messageType: 'image', content: null }),
          message(taipeiMidnight), // the first instant of today
          message(sql`${taipeiMidnight} - interval '1 microsecond'`), // the last of yesterday
          message(sql`now() - interval '3 days'`),
          message(sql`now() - interval '3 days'`),
          message(sql`now() - interval '40 days'`), // before the chart
          message(sql`now() + interval '2 days'`), // a clock in the future counts nowhere
        ])
        .returning();

      await tx.insert(lineWebhookEvents).values(
        (['failed', 'failed', 'dead', 'done', 'processing'] as const).map((status) => ({
          webhookEventId: newId.event(),
          eventType: 'postback',
          payload: {},
          status,
        })),
      );

      const image = msgs[2]!;
      const more = await tx
        .insert(lineMessages)
        .values([
          message(sql`now()`, { messageType: 'file' }),
          message(sql`now()`, { messageType: 'video' }),
          message(sql`now()`, { messageType: 'audio' }),
        ])
        .returning();
      await tx.insert(lineFiles).values([
        // Waiting since long before anything else in the database: the oldest.
        { messageId: image.id, fileType: 'image', createdAt: sql`now() - interval '20000 days'` as unknown as Date },
        { messageId: more[0]!.id, fileType: 'file' },
        // Unsent before it was fetched: not waiting. Synced: not waiting.
        { messageId: more[1]!.id, fileType: 'video', removeRequestedAt: new Date() },
        { messageId: more[2]!.id, fileType: 'audio', syncStatus: 'synced', nasPath: 'x' },
      ]);

      const answer = (createdAt: ReturnType<typeof sql>, inputTokens: number, outputTokens: number) => ({
        webhookEventId: newId.event(),
        instanceId: `ai-${crypto.randomUUID()}`,
        questionMessageId: msgs[0]!.id,
        lineUserId: u2!.id,
        question: 'q',
        eventAt: new Date(),
        inputTokens,
        outputTokens,
        createdAt: createdAt as unknown as Date,
      });
      await tx
        .insert(lineAiAnswers)
        .values([
          answer(sql`now()`, 1200, 80),
          answer(taipeiMidnight, 300, 20),
          answer(sql`${taipeiMidnight} - interval '1 second'`, 5000, 500),
        ]);

      const after = await overviewFigures(tx);
      const daysAfter = await messagesPerDay(tx);

      expect(after.lineUsers - before.lineUsers).toBe(2);
      expect(after.groups.total - before.groups.total).toBe(2);
      expect(after.groups.active - before.groups.active).toBe(1);
      // 3 now + midnight + the 3 file messages (each media row is a message too).
      expect(after.messagesToday - before.messagesToday).toBe(7);
      expect(after.inbox.failed - before.inbox.failed).toBe(2);
      expect(after.inbox.dead - before.inbox.dead).toBe(1);
      expect(after.nas.waiting - before.nas.waiting).toBe(2);
      expect(after.nas.oldestWaitingSeconds).toBe(20000 * 86400);
      expect(after.ai.answers - before.ai.answers).toBe(2);
      expect(after.ai.inputTokens - before.ai.inputTokens).toBe(1500);
      expect(after.ai.outputTokens - before.ai.outputTokens).toBe(100);

      expect(daysAfter).toHaveLength(CHART_DAYS);
      expect(daysAfter.map((d) => d.day)).toEqual(daysBefore.map((d) => d.day));
      const delta = daysAfter.map((d, i) => d.messages - daysBefore[i]!.messages);
      const expected = Array<number>(CHART_DAYS).fill(0);
      expected[CHART_DAYS - 1] = 7;
      expected[CHART_DAYS - 2] = 1;
      expected[CHART_DAYS - 4] = 2;
      expect(delta).toEqual(expected);
      // The last bar is today in Taipei and agrees with the figure.
      expect(daysAfter[CHART_DAYS - 1]!.messages).toBe(after.messagesToday);
    });
  });

  it('the days run 30 consecutive dates up to today in Asia/Taipei', async () => {
    const days = await withDb((db) => messagesPerDay(db));
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Taipei' }).format(new Date());
    expect(days.at(-1)!.day).toBe(today);
    for (let i = 1; i < days.length; i++) {
      expect(Date.parse(days[i]!.day) - Date.parse(days[i - 1]!.day)).toBe(86_400_000);
    }
  });
});

const sampleOverview = (over: Partial<Overview['figures']> = {}): Overview => ({
  figures: {
    lineUsers: 1234,
    groups: { active: 12, total: 15 },
    messagesToday: 321,
    inbox: { failed: 2, dead: 1 },
    nas: { waiting: 7, oldestWaitingSeconds: 3 * 3600 + 5 },
    ai: { answers: 42, inputTokens: 123456, outputTokens: 7890 },
    ...over,
  },
  perDay: Array.from({ length: 30 }, (_, i) => ({
    day: `2026-06-${String(i + 1).padStart(2, '0')}`,
    messages: i === 29 ? 0 : i * 10,
  })),
});

describe('overview page', () => {
  it('shows each figure, formatted, in Chinese', async () => {
    const html = await render(jsx(OverviewPage, { lang: 'zh-Hant', overview: sampleOverview() }));
    for (const text of [
      '1,234',
      '使用中 12／共 15',
      '321',
      '失敗 2',
      '放棄 1',
      '最久等待 3 小時',
      '42',
      '輸入 123,456／輸出 7,890 tokens',
      '近 30 天每日訊息數',
    ]) {
      expect(html).toContain(text);
    }
  });

  it('and in English; nothing waiting reads as such', async () => {
    const html = await render(
      jsx(OverviewPage, { lang: 'en', overview: sampleOverview({ nas: { waiting: 0, oldestWaitingSeconds: null } }) }),
    );
    for (const text of [
      'LINE users',
      '12 active of 15',
      '2 failed',
      '1 dead',
      'nothing waiting',
      '123,456 input / 7,890 output tokens',
    ]) {
      expect(html).toContain(text);
    }
  });

  const withQuota = (q: Partial<PushQuota>): Overview => ({
    ...sampleOverview(),
    pushQuota: {
      month: '2026-12',
      type: 'limited',
      value: 500,
      totalUsage: 410,
      percentUsed: 82,
      level: 'warning',
      ageSeconds: 120,
      stale: false,
      refusedThisMonth: 0,
      ...q,
    },
  });
  const quotaCard = (html: string) => /<div class="card" data-figure="push-quota"[\s\S]*?<\/div>/.exec(html)![0];

  it('the push quota: use, percentage and age; a warning from 80%, another at 100%; refusals stand out', async () => {
    const warning = quotaCard(await render(jsx(OverviewPage, { lang: 'zh-Hant', overview: withQuota({}) })));
    for (const text of [
      '本月推播額度',
      '82%',
      '已用 410／500 則',
      '接近上限：已用 82%',
      '2 分鐘前的數字',
      '本月被 LINE 拒絕的推播 0',
    ])
      expect(warning).toContain(text);
    expect(warning).toContain('<dd class="warn" role="status">');
    expect(warning).toContain('<dd class="note" data-figure="push-refusals">');

    const full = quotaCard(
      await render(
        jsx(OverviewPage, {
          lang: 'en',
          overview: withQuota({ totalUsage: 500, percentUsed: 100, level: 'exhausted', refusedThisMonth: 3 }),
        }),
      ),
    );
    for (const text of ['Push quota this month', '100%', '500 of 500 messages used', 'Used up: LINE refuses pushes'])
      expect(full).toContain(text);
    expect(full).toContain('<dd class="bad" data-figure="push-refusals">3 pushes refused by LINE this month</dd>');

    const calm = quotaCard(
      await render(
        jsx(OverviewPage, { lang: 'en', overview: withQuota({ totalUsage: 10, percentUsed: 2, level: 'ok' }) }),
      ),
    );
    expect(calm).toContain('2%');
    expect(calm).not.toContain('role="status"');

    const none = quotaCard(
      await render(
        jsx(OverviewPage, {
          lang: 'zh-Hant',
          overview: withQuota({ type: 'none', value: null, totalUsage: 42, percentUsed: null, level: 'ok' }),
        }),
      ),
    );
    expect(none).toContain('無上限');
    expect(none).toContain('本月已用 42 則');
  });

  it('the push quota when LINE does not answer: the cached figures and how old, or unknown', async () => {
    const stale = quotaCard(
      await render(jsx(OverviewPage, { lang: 'en', overview: withQuota({ stale: true, ageSeconds: 3 * 3600 }) })),
    );
    expect(stale).toContain('<dd class="note warn">LINE did not answer: figures from 3 h ago</dd>');
    const unknown = quotaCard(
      await render(
        jsx(OverviewPage, {
          lang: 'zh-Hant',
          overview: withQuota({ ...UNKNOWN_FIGURES, stale: true }),
        }),
      ),
    );
    expect(unknown).toContain('data-level="unknown"');
    expect(unknown).toContain('未知（LINE 沒有回應）');
    expect(unknown).not.toContain('%');
  });

  it('the chart: an accessible SVG, a bar per day with its tooltip, and the data as a table', async () => {
    const html = await render(jsx(OverviewPage, { lang: 'en', overview: sampleOverview() }));
    expect(html).toMatch(
      /<svg viewBox="0 0 600 200" role="img" aria-labelledby="messages-per-day-title messages-per-day-desc"/,
    );
    expect(html).toContain('<title id="messages-per-day-title">Messages per day, last 30 days</title>');
    expect(html).toContain(
      '<desc id="messages-per-day-desc">Bar chart of messages per day from 2026-06-01 to 2026-06-30; at most 280.</desc>',
    );
    expect(html.match(/<rect class="bar[^"]*"/g)).toHaveLength(30);
    expect(html).toContain('<title>2026-06-29: 280 messages</title>');
    expect(html).toContain('<rect class="bar zero"');
    expect(html.match(/<tr><td>2026-06-\d\d<\/td>/g)).toHaveLength(30);
    expect(html).toContain('<summary>Show the data</summary>');
    // Day labels: today and each week back, none crowding another.
    expect([...html.matchAll(/<text [^>]*text-anchor="middle">([^<]*)</g)].map((m) => m[1])).toEqual([
      '06-02',
      '06-09',
      '06-16',
      '06-23',
      '06-30',
    ]);
  });

  it('over HTTP: the overview from the database, in the layout', async () => {
    const { html } = await operator();
    expect(html).toContain('<h1>概覽</h1>');
    expect(html.match(/<rect class="bar/g)).toHaveLength(30);
    for (const figure of ['line-users', 'groups', 'messages-today', 'inbox', 'nas', 'ai', 'push-quota'])
      expect(html).toContain(`data-figure="${figure}"`);
  });
});

describe('chart geometry', () => {
  it.each([
    [0, 1],
    [1, 1],
    [3, 5],
    [7, 10],
    [10, 10],
    [11, 20],
    [99, 100],
    [101, 200],
    [250, 500],
    [5000, 5000],
  ])('axis maximum for %i is %i', (max, top) => expect(niceMax(max)).toBe(top));

  it('the tallest bar reaches the top of the axis, a day without messages is a sliver, bars do not overlap', () => {
    const { bars, top } = layoutBars([
      { day: 'a', messages: 0 },
      { day: 'b', messages: 50 },
      { day: 'c', messages: 100 },
    ]);
    expect(top).toBe(100);
    expect(bars[2]!.y).toBe(12);
    expect(bars[2]!.height).toBe(164);
    expect(bars[1]!.height).toBe(82);
    expect(bars[0]!.height).toBe(2);
    for (const b of bars) expect(b.y + b.height).toBe(176);
    expect(bars[0]!.x + bars[0]!.width).toBeLessThan(bars[1]!.x);
  });
});

// ---- a state-changing form: AI replies of a group --------------------------------------------------

const aiOf = (id: string) =>
  withDb(
    async (db) =>
      (await db.select({ allow: lineGroups.allowAiResponse }).from(lineGroups).where(eq(lineGroups.id, id)))[0]?.allow,
  );

describe('POST /admin/groups/:id/ai', () => {
  it('with the CSRF token from our own page: sets the value asked for and goes to the group', async () => {
    const { cookie, csrf } = await operator();
    const group = await seedGroup({ allowAiResponse: false });
    const res = await send('POST', `/groups/${group.id}/ai`, {
      cookie,
      form: { _csrf: csrf, allow: 'true' },
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/groups/${group.id}`);
    expect(await aiOf(group.id)).toBe(true);
    // The value wanted, not a flip: the same form again changes nothing.
    await send('POST', `/groups/${group.id}/ai`, { cookie, form: { _csrf: csrf, allow: 'true' } });
    expect(await aiOf(group.id)).toBe(true);
    await send('POST', `/groups/${group.id}/ai`, { cookie, form: { _csrf: csrf, allow: 'false' } });
    expect(await aiOf(group.id)).toBe(false);
  });

  it('refused with nothing changed: no token, a wrong one, another session’s, a foreign origin, cross-site, no session', async () => {
    const a = await operator();
    const b = await operator();
    const group = await seedGroup({ allowAiResponse: false });
    const path = `/groups/${group.id}/ai`;
    const valid = { cookie: a.cookie, form: { _csrf: a.csrf, allow: 'true' } };
    const attempts: Array<[string, SendOptions, number]> = [
      ['no CSRF token', { cookie: a.cookie, form: { allow: 'true' } }, 403],
      ['an empty token', { cookie: a.cookie, form: { _csrf: '', allow: 'true' } }, 403],
      ['a made-up token', { cookie: a.cookie, form: { _csrf: 'A'.repeat(43), allow: 'true' } }, 403],
      ['the token of another session', { cookie: a.cookie, form: { _csrf: b.csrf, allow: 'true' } }, 403],
      ['the token in the query, not the form', { cookie: a.cookie, form: { allow: 'true' }, headers: {} }, 403],
      ['a foreign Origin, with a valid token', { ...valid, headers: { origin: 'https://evil.example' } }, 403],
      ['Origin null', { ...valid, headers: { origin: 'null' } }, 403],
      ['Sec-Fetch-Site cross-site, with a valid token', { ...valid, headers: { 'sec-fetch-site': 'cross-site' } }, 403],
      ['Sec-Fetch-Site same-site', { ...valid, headers: { 'sec-fetch-site': 'same-site' } }, 403],
      ['no session, with a valid token', { form: valid.form }, 401],
    ];
    for (const [what, options, status] of attempts) {
      const target = what.includes('query') ? `${path}?_csrf=${a.csrf}` : path;
      const res = await send('POST', target, options);
      expect(res.status, what).toBe(status);
      expectSecurityHeaders(res, what);
      expect(await aiOf(group.id), what).toBe(false);
    }
    const refused = await send('POST', path, {
      cookie: a.cookie,
      form: { allow: 'true' },
      headers: { 'accept-language': 'en' },
    });
    expect(await refused.text()).toContain('Nothing was changed.');
  });

  it('bad input: 400 for a malformed id or value, 404 for an unknown group', async () => {
    const { cookie, csrf } = await operator();
    const group = await seedGroup({ allowAiResponse: false });
    expect((await send('POST', '/groups/not-a-uuid/ai', { cookie, form: { _csrf: csrf, allow: 'true' } })).status).toBe(
      400,
    );
    for (const allow of ['yes', '1', 'TRUE', '', 'constructor', 'toString']) {
      expect(
        (await send('POST', `/groups/${group.id}/ai`, { cookie, form: { _csrf: csrf, allow } })).status,
        allow,
      ).toBe(400);
    }
    expect((await send('POST', `/groups/${group.id}/ai`, { cookie, form: { _csrf: csrf } })).status).toBe(400);
    expect(await aiOf(group.id)).toBe(false);
    expect(
      (await send('POST', `/groups/${crypto.randomUUID()}/ai`, { cookie, form: { _csrf: csrf, allow: 'true' } }))
        .status,
    ).toBe(404);
  });

  it('a body that is not a form it can read: refused, nothing changed', async () => {
    const { cookie, csrf } = await operator();
    const group = await seedGroup({ allowAiResponse: false });
    const path = `/groups/${group.id}/ai`;
    const broken = await send('POST', path, {
      cookie,
      rawBody: '--x\r\nnot multipart',
      headers: { 'content-type': 'multipart/form-data; boundary=y' },
    });
    expect(broken.status).toBe(400);
    const json = await send('POST', path, {
      cookie,
      rawBody: JSON.stringify({ _csrf: csrf, allow: 'true' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(403);
    expect(await aiOf(group.id)).toBe(false);
    // A real multipart form (what a browser sends with enctype="multipart/form-data") works.
    const form = new FormData();
    form.set('_csrf', csrf);
    form.set('allow', 'true');
    const ctx = createExecutionContext();
    const request = new Request(`${ORIGIN}/admin${path}`, {
      method: 'POST',
      headers: { cookie, origin: ORIGIN },
      body: form,
      redirect: 'manual',
    });
    const res = await app.fetch(request, env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(303);
    expect(await aiOf(group.id)).toBe(true);
  });
});

describe('updateGroup (the console and the API share it)', () => {
  const operator = { via: 'console', operator: 'test' } as const;
  it('changes only the fields given', async () => {
    const project = await createProject();
    const group = await seedGroup({ allowAiResponse: false, aiInstructions: 'kept', projectId: project.id });
    expect(await withDb((db) => updateGroup(db, group.id, { allowAiResponse: true }, operator))).toBe('updated');
    const [row] = await withDb((db) => db.select().from(lineGroups).where(eq(lineGroups.id, group.id)));
    expect(row).toMatchObject({ allowAiResponse: true, aiInstructions: 'kept', projectId: project.id });
    expect(row!.updatedAt.getTime()).toBeGreaterThan(group.updatedAt.getTime());

    expect(await withDb((db) => updateGroup(db, group.id, { projectId: null, aiInstructions: null }, operator))).toBe(
      'updated',
    );
    const [unbound] = await withDb((db) => db.select().from(lineGroups).where(eq(lineGroups.id, group.id)));
    expect(unbound).toMatchObject({ allowAiResponse: true, aiInstructions: null, projectId: null });
  });

  it('an unknown project changes nothing; an unknown group is reported', async () => {
    const group = await seedGroup({ allowAiResponse: false });
    expect(
      await withDb((db) =>
        updateGroup(db, group.id, { allowAiResponse: true, projectId: crypto.randomUUID() }, operator),
      ),
    ).toBe('project_not_found');
    expect(await aiOf(group.id)).toBe(false);
    expect(await withDb((db) => updateGroup(db, crypto.randomUUID(), { allowAiResponse: true }, operator))).toBe(
      'group_not_found',
    );
  });
});
