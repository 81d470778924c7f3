/**
 * The Claude emulator, driven by the real @anthropic-ai/sdk client: what the Worker's AI tests rely
 * on (Anthropic's validation and errors, deterministic answers, the tool loop, usage and prompt
 * caching, faults with the SDK's own retries, delays, scripted answers) and the control endpoints.
 */
import Anthropic, {
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming, MessageParam, Tool } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startClaudeEmulator, type ClaudeEmulator, type RecordedRequest } from '../../scripts/claude-emulator/index.ts';

const KEY = 'sk-ant-emulator-test-SECRET-4711';
const MODEL = 'claude-sonnet-4-6';
const SEARCH: Tool = {
  name: 'search_chat_history',
  description: 'Search this chat',
  input_schema: { type: 'object', properties: { keywords: { type: 'string' } }, required: ['keywords'] },
};
const PROJECT: Tool = { name: 'get_project', input_schema: { type: 'object', properties: {} } };
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]).toString(
  'base64',
);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]).toString('base64');

let emu: ClaudeEmulator;
const client = (options: ConstructorParameters<typeof Anthropic>[0] = {}) =>
  new Anthropic({ apiKey: KEY, baseURL: emu.url, maxRetries: 0, ...options });
const ask = (params: Partial<MessageCreateParamsNonStreaming>, c = client()) =>
  c.messages.create({
    model: MODEL,
    max_tokens: 512,
    messages: [{ role: 'user', content: '你好' }],
    ...params,
  } as MessageCreateParamsNonStreaming);
/** The error the SDK throws for a request (undefined when it succeeds). */
const failure = (params: Record<string, unknown>, c = client()) =>
  ask(params as Partial<MessageCreateParamsNonStreaming>, c).then(
    () => undefined,
    (e: unknown) => e,
  );
const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url}/__emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
};

beforeAll(async () => {
  emu = await startClaudeEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

describe('answers', () => {
  it('answers in the Messages API shape, naming the question and the history length, with usage', async () => {
    const { data: m, response } = await ask({}).withResponse();
    expect(m).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(m.id).toMatch(/^msg_/);
    expect(m.content).toEqual([{ type: 'text', text: '（模擬回覆）收到：「你好」（對話紀錄 1 則）', citations: null }]);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(m.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    expect(m.usage.input_tokens).toBeGreaterThan(0);
    expect(m.usage.output_tokens).toBe(Math.ceil((m.content[0] as { text: string }).text.length / 3));
    // Deterministic: the same request costs the same.
    expect((await ask({})).usage).toEqual(m.usage);
    const rec = emu.requests()[0]!;
    expect(rec).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      status: 200,
      answer: 'text',
      errors: [],
      aborted: false,
    });
    expect(rec.id).toBe(response.headers.get('request-id'));
  });

  it('counts the whole history and quotes the last user text; counts images; stops at max_tokens', async () => {
    const history: MessageParam[] = [
      { role: 'user', content: '[Alice] 早安' },
      { role: 'assistant', content: '早安！' },
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: JPEG } },
          { type: 'text', text: '[Alice] 這張圖是什麼？' },
        ],
      },
    ];
    const m = await ask({ messages: history, system: '你是公司助理' });
    expect(m.content[0]).toMatchObject({
      text: '（模擬回覆）收到：「[Alice] 這張圖是什麼？」（附圖 1 張）（對話紀錄 3 則）',
    });
    const short = await ask({ max_tokens: 3 });
    expect(short.stop_reason).toBe('max_tokens');
    expect(short.usage.output_tokens).toBeLessThanOrEqual(3);
  });
});

describe('validation, as Anthropic answers it', () => {
  const toolUse = { type: 'tool_use', id: 'toolu_1', name: 'search_chat_history', input: { keywords: 'x' } } as const;
  const result = (id: string) => ({ type: 'tool_result', tool_use_id: id, content: 'found' }) as const;
  const image = (media_type: string, data: string, type = 'base64') => ({
    role: 'user',
    content: [
      {
        type: 'image',
        source: type === 'url' ? { type, url: 'https://example.com/a.jpg' } : { type, media_type, data },
      },
    ],
  });
  const cached = { type: 'text', text: 'x', cache_control: { type: 'ephemeral' } };

  const cases: [string, Record<string, unknown>, string][] = [
    ['model missing', { model: undefined }, 'model: Field required'],
    ['max_tokens missing', { max_tokens: undefined }, 'max_tokens: Field required'],
    ['messages missing', { messages: undefined }, 'messages: Field required'],
    ['messages empty', { messages: [] }, 'messages: List should have at least 1 item'],
    [
      'first message from the assistant',
      {
        messages: [
          { role: 'assistant', content: 'hi' },
          { role: 'user', content: 'hi' },
        ],
      },
      'first message must use the "user" role',
    ],
    [
      'two user turns in a row',
      {
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
        ],
      },
      'roles must alternate between "user" and "assistant"',
    ],
    [
      'empty content',
      { messages: [{ role: 'user', content: '' }] },
      'messages.0: all messages must have non-empty content',
    ],
    [
      'tool_result answering no tool_use of the previous message',
      {
        tools: [SEARCH],
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: [toolUse] },
          { role: 'user', content: [result('toolu_other')] },
        ],
      },
      'messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_other',
    ],
    [
      'tool_result two turns late',
      {
        tools: [SEARCH],
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: [toolUse] },
          { role: 'user', content: [result('toolu_1')] },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: [result('toolu_1')] },
        ],
      },
      'messages.4.content.0: unexpected `tool_use_id`',
    ],
    [
      'tool_use without its tool_result next',
      {
        tools: [SEARCH],
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: [toolUse] },
          { role: 'user', content: 'and?' },
        ],
      },
      'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1',
    ],
    [
      'tool_result after text in the same message',
      {
        tools: [SEARCH],
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: [toolUse] },
          { role: 'user', content: [{ type: 'text', text: 'x' }, result('toolu_1')] },
        ],
      },
      'tool_result blocks must come first',
    ],
    [
      'tool blocks without tools',
      {
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: [toolUse] },
          { role: 'user', content: [result('toolu_1')] },
        ],
      },
      'Requests which include `tool_use` or `tool_result` blocks must define tools.',
    ],
    ['image by url', { messages: [image('image/jpeg', JPEG, 'url')] }, 'accepts base64 image sources only'],
    [
      'image of an unsupported type',
      { messages: [image('image/bmp', JPEG)] },
      "media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'",
    ],
    ['image that is not base64', { messages: [image('image/jpeg', 'not base64!')] }, 'Invalid base64 data'],
    [
      'image whose bytes are another type',
      { messages: [image('image/jpeg', PNG)] },
      'specified using the image/jpeg media type, but the image appears to be a image/png image',
    ],
    [
      'image over 5 MB (of base64)',
      { messages: [image('image/jpeg', 'A'.repeat(5 * 1024 * 1024 + 4))] },
      'image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes',
    ],
    [
      'five cache breakpoints',
      { messages: [{ role: 'user', content: Array(5).fill(cached) }] },
      'A maximum of 4 blocks with cache_control may be provided. Found 5.',
    ],
    [
      'a tool name with a space',
      { tools: [{ ...SEARCH, name: 'search chat' }] },
      "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
    ],
    [
      'a tool schema that is not an object',
      { tools: [{ ...SEARCH, input_schema: { type: 'string' } }] },
      "tools.0.custom.input_schema.type: Input should be 'object'",
    ],
    [
      'an invalid JSON schema',
      { tools: [{ ...SEARCH, input_schema: { type: 'object', properties: { k: { type: 'text' } } } }] },
      'tools.0.custom.input_schema: JSON schema is invalid',
    ],
    ['two tools of one name', { tools: [SEARCH, SEARCH] }, 'tools: Tool names must be unique.'],
    ['a misspelt parameter', { max_token: 5 }, 'max_token: Extra inputs are not permitted'],
    ['streaming', { stream: true }, 'stream: streaming is not emulated'],
  ];

  it.each(cases)('%s', async (_name, params, message) => {
    const e = await failure(params);
    expect(e).toBeInstanceOf(BadRequestError);
    expect((e as BadRequestError).status).toBe(400);
    expect((e as BadRequestError).type).toBe('invalid_request_error');
    expect((e as BadRequestError).apiMessage).toContain(message);
    expect((e as BadRequestError).requestID).toMatch(/^req_/);
    const [violation] = emu.violations();
    expect(violation?.errors.join('\n')).toContain(message);
  });

  it('records every problem of a request, answers the first; summarises big images in the record', async () => {
    const e = await failure({
      model: undefined,
      max_tokens: undefined,
      messages: [image('image/jpeg', 'A'.repeat(100_000))],
    });
    expect((e as BadRequestError).apiMessage).toBe('model: Field required');
    const rec = emu.violations()[0]!;
    expect(rec.errors).toHaveLength(3);
    expect(JSON.stringify(rec.body)).toMatch(/<100000 base64 characters, sha256 [0-9a-f]{64}>/);
  });

  it('accepts what Anthropic accepts: a proper tool round, 1h before 5m breakpoints, server tools', async () => {
    const m = await ask({
      tools: [SEARCH, { type: 'web_search_20250305', name: 'web_search' } as never],
      system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'text', text: '查一下' }, toolUse] },
        {
          role: 'user',
          content: [result('toolu_1'), { type: 'text', text: 'thanks', cache_control: { type: 'ephemeral' } }],
        },
      ],
    });
    expect(m.stop_reason).toBe('end_turn');
    expect(emu.violations()).toEqual([]);
  });

  it('refuses an unknown model with 404 and a missing or wrong key with 401', async () => {
    const nf = await failure({ model: 'sonnet-4' });
    expect(nf).toBeInstanceOf(NotFoundError);
    expect((nf as NotFoundError).apiMessage).toBe('model: sonnet-4');

    const noKey = await failure({}, client({ apiKey: null, defaultHeaders: { authorization: null } }));
    expect(noKey).toBeInstanceOf(AuthenticationError);
    expect((noKey as AuthenticationError).type).toBe('authentication_error');
    expect((noKey as AuthenticationError).apiMessage).toBe('x-api-key header is required');

    const strict = await startClaudeEmulator({ apiKey: KEY });
    try {
      const wrong = await failure({}, new Anthropic({ apiKey: 'sk-wrong', baseURL: strict.url, maxRetries: 0 }));
      expect((wrong as AuthenticationError).status).toBe(401);
      expect((wrong as AuthenticationError).apiMessage).toBe('invalid x-api-key');
      // The SDK sends the key as a bearer token; `x-api-key` (curl, other clients) works too.
      expect((await ask({}, new Anthropic({ apiKey: KEY, baseURL: strict.url }))).type).toBe('message');
      const viaHeader = new Anthropic({ apiKey: null, baseURL: strict.url, defaultHeaders: { 'x-api-key': KEY } });
      expect((await ask({}, viaHeader)).type).toBe('message');
    } finally {
      await strict.close();
    }
  });

  it('requires the anthropic-version header', async () => {
    const e = await failure({}, client({ defaultHeaders: { 'anthropic-version': null } }));
    expect((e as BadRequestError).apiMessage).toBe('anthropic-version: header is required');
  });

  it('never records the API key', async () => {
    await ask({});
    await ask({}, new Anthropic({ apiKey: null, baseURL: emu.url, defaultHeaders: { 'x-api-key': KEY } }));
    await failure({ model: undefined });
    const [a, b] = emu.requests() as [RecordedRequest, RecordedRequest];
    expect(a.headers.authorization).toBe('Bearer ***');
    expect(b.headers['x-api-key']).toBe('***');
    const overHttp = await fetch(`${emu.url}/__emulator/requests`).then((r) => r.text());
    expect(overHttp).not.toContain(KEY);
    expect(JSON.stringify(emu.requests())).not.toContain(KEY);
  });
});

describe('tool use', () => {
  it('calls search_chat_history on 搜尋, then quotes the tool result', async () => {
    const question: MessageParam = { role: 'user', content: '[Bob] 幫我搜尋 報價單' };
    const first = await ask({ tools: [SEARCH, PROJECT], messages: [question] });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((b) => b.type === 'tool_use')!;
    expect(call).toMatchObject({ type: 'tool_use', name: 'search_chat_history', input: { keywords: '報價單' } });
    expect(call.id).toMatch(/^toolu_[A-Za-z0-9_-]+$/);

    const second = await ask({
      tools: [SEARCH, PROJECT],
      messages: [
        question,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: call.id, content: '[2024-05-01] Alice: 報價單已寄給客戶，金額 12 萬' },
          ],
        },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    const said = (second.content[0] as { text: string }).text;
    expect(said).toContain('收到：「[Bob] 幫我搜尋 報價單」');
    expect(said).toContain('search_chat_history 回傳：「[2024-05-01] Alice: 報價單已寄給客戶');
    expect(said).toContain('（對話紀錄 3 則）');
  });

  it('follows the offered schema (keywords as a list) and calls any tool with /tool', async () => {
    const listSearch = {
      ...SEARCH,
      input_schema: { type: 'object' as const, properties: { keywords: { type: 'array', items: { type: 'string' } } } },
    };
    const m = await ask({ tools: [listSearch], messages: [{ role: 'user', content: 'search invoice March' }] });
    expect(m.content[1]).toMatchObject({ name: 'search_chat_history', input: { keywords: ['invoice', 'March'] } });
    const p = await ask({
      tools: [SEARCH, PROJECT],
      messages: [{ role: 'user', content: '/tool get_project {"detail": true}' }],
    });
    expect(p.content[1]).toMatchObject({ name: 'get_project', input: { detail: true } });
    const missing = await ask({ tools: [SEARCH], messages: [{ role: 'user', content: '/tool nas_search {}' }] });
    expect(missing.stop_reason).toBe('end_turn');
    // Without tools, or with tool_choice none, a trigger word is just text.
    expect((await ask({ messages: [{ role: 'user', content: '搜尋 x' }] })).stop_reason).toBe('end_turn');
    expect(
      (await ask({ tools: [SEARCH], tool_choice: { type: 'none' }, messages: [{ role: 'user', content: '搜尋 x' }] }))
        .stop_reason,
    ).toBe('end_turn');
  });
});

describe('prompt caching', () => {
  const system = [
    { type: 'text' as const, text: '你是公司助理。'.repeat(50), cache_control: { type: 'ephemeral' as const } },
  ];

  it('reports a cache write for a new prefix and reads for the same prefix later', async () => {
    const first = await ask({ system, tools: [SEARCH] });
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(100);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: first.usage.cache_creation_input_tokens,
      ephemeral_1h_input_tokens: 0,
    });

    const again = await ask({ system, tools: [SEARCH], messages: [{ role: 'user', content: '另一個問題' }] });
    expect(again.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(again.usage.cache_creation_input_tokens).toBe(0);

    // Another system prompt is another prefix; another model has its own cache.
    expect(
      (await ask({ system: [{ ...system[0]!, text: '不同' }], tools: [SEARCH] })).usage.cache_read_input_tokens,
    ).toBe(0);
    expect((await ask({ model: 'claude-haiku-4-5', system, tools: [SEARCH] })).usage.cache_read_input_tokens).toBe(0);
  });

  it('extends a cached conversation: reads the earlier prefix, writes only the new part', async () => {
    const turn = (text: string) => ({
      role: 'user' as const,
      content: [{ type: 'text' as const, text, cache_control: { type: 'ephemeral' as const } }],
    });
    const one = await ask({ system, messages: [turn('第一個問題')] });
    const two = await ask({
      system,
      messages: [{ role: 'user', content: '第一個問題' }, { role: 'assistant', content: '答' }, turn('第二個問題')],
    });
    // The whole first prompt (system and first question) is found 2 blocks back from the new breakpoint.
    expect(two.usage.cache_read_input_tokens).toBe(one.usage.cache_creation_input_tokens);
    expect(two.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(two.usage.cache_creation_input_tokens).toBeLessThan(two.usage.cache_read_input_tokens!);
    // Every input token is counted exactly once.
    const total = (u: Anthropic.Usage) =>
      u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
    const uncached = await startClaudeEmulator();
    try {
      const plain = await ask(
        {
          system,
          messages: [{ role: 'user', content: '第一個問題' }, { role: 'assistant', content: '答' }, turn('第二個問題')],
        },
        new Anthropic({ apiKey: KEY, baseURL: uncached.url }),
      );
      expect(total(two.usage)).toBe(total(plain.usage));
    } finally {
      await uncached.close();
    }
  });

  it('does not cache prefixes under minCacheTokens', async () => {
    const strict = await startClaudeEmulator({ minCacheTokens: 100_000 });
    try {
      const m = await ask({ system }, new Anthropic({ apiKey: KEY, baseURL: strict.url }));
      expect(m.usage.cache_creation_input_tokens).toBe(0);
    } finally {
      await strict.close();
    }
  });
});

describe('faults, delays and scripts', () => {
  it('429 with retry-after: the SDK waits as told and succeeds on its retry', async () => {
    emu.fault({ status: 429, times: 1, retryAfter: 0.2 });
    const started = Date.now();
    const m = await ask({}, client({ maxRetries: 2 }));
    expect(m.type).toBe('message');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const [limited, retried] = emu.requests() as [RecordedRequest, RecordedRequest];
    expect(limited).toMatchObject({ status: 429, answer: 'fault', errors: [] });
    expect((limited.response as any).error.type).toBe('rate_limit_error');
    expect(retried.headers['x-stainless-retry-count']).toBe('1');
    emu.fault({ status: 429, retryAfter: 1 });
    const e = await failure({});
    expect(e).toBeInstanceOf(RateLimitError);
    expect((e as RateLimitError).headers.get('retry-after')).toBe('1');
  });

  it('529 every time: the SDK retries, then raises OverloadedError; 500 is api_error', async () => {
    emu.fault({ status: 529, retryAfter: 0.01 });
    const e = await failure({}, client({ maxRetries: 2 }));
    expect(e).toBeInstanceOf(OverloadedError);
    expect((e as OverloadedError).type).toBe('overloaded_error');
    expect(emu.requests().map((r) => r.status)).toEqual([529, 529, 529]);
    emu.reset();
    await control('POST', 'faults', { status: 500, match: 'boom', times: 1 });
    expect((await ask({})).type).toBe('message');
    const boom = await failure({ messages: [{ role: 'user', content: 'boom?' }] });
    expect(boom).toBeInstanceOf(InternalServerError);
    expect((boom as InternalServerError).type).toBe('api_error');
  });

  it('400 and 401 faults are not retried by the SDK', async () => {
    await control('POST', 'faults', { status: 401 });
    expect(await failure({}, client({ maxRetries: 3 }))).toBeInstanceOf(AuthenticationError);
    await control('DELETE', 'faults');
    await control('POST', 'faults', { status: 400, message: 'prompt is too long: 250000 tokens > 200000 maximum' });
    const e = await failure({}, client({ maxRetries: 3 }));
    expect((e as BadRequestError).apiMessage).toMatch(/prompt is too long/);
    expect(emu.requests()).toHaveLength(2);
  });

  it('delays a matching answer without holding up the others, and shows it pending meanwhile', async () => {
    expect((await control('POST', 'delay', { ms: 400, match: 'slow', times: 1 })).status).toBe(201);
    const started = Date.now();
    const slow = ask({ messages: [{ role: 'user', content: 'slow one' }] }).then(() => Date.now() - started);
    await new Promise((r) => setTimeout(r, 50));
    const pending = (await control('GET', 'requests?pending=true')).json.requests;
    expect(pending).toHaveLength(1);
    expect((await control('GET', 'stats')).json.pending).toBe(1);
    await ask({ messages: [{ role: 'user', content: 'fast one' }] });
    // The fast one was answered while the slow one still waited.
    expect(emu.requests().map((r) => r.status)).toEqual([null, 200]);
    expect(await slow).toBeGreaterThanOrEqual(390);
    expect(emu.requests().find((r) => r.delayMs === 400)?.status).toBe(200);
    // The delay was used up.
    expect(emu.stats().pending).toBe(0);
  });

  it('records a client that gives up while the answer is delayed (a Worker cut off)', async () => {
    emu.delay({ ms: 2_000 });
    const e = await failure({}, client({ timeout: 100 }));
    expect((e as Error).name).toBe('APIConnectionTimeoutError');
    await new Promise((r) => setTimeout(r, 20));
    expect(emu.requests()[0]).toMatchObject({ status: null, aborted: true, delayMs: 2_000 });
    expect(emu.stats()).toMatchObject({ pending: 1, aborted: 1 });
  });

  it('answers scripted responses in order, by match, then its own again', async () => {
    const queued = await control('POST', 'script', [
      { match: '天氣', text: '今天晴天' },
      {
        content: [
          { type: 'text', text: '我看看專案' },
          { type: 'tool_use', name: 'get_project', input: {} },
        ],
      },
    ]);
    expect(queued.json.scripted).toBe(2);
    const weather = await ask({ messages: [{ role: 'user', content: '天氣如何' }] });
    expect(weather.content).toEqual([{ type: 'text', text: '今天晴天', citations: null }]);
    const tool = await ask({ tools: [PROJECT] });
    expect(tool.stop_reason).toBe('tool_use');
    expect(tool.content[1]).toMatchObject({
      type: 'tool_use',
      name: 'get_project',
      id: expect.stringMatching(/^toolu_/),
    });
    expect((await ask({})).content[0]).toMatchObject({ text: '（模擬回覆）收到：「你好」（對話紀錄 1 則）' });
    emu.script({ text: 'x'.repeat(12_000), usage: { output_tokens: 4000 } });
    const long = await ask({});
    expect(long.usage.output_tokens).toBe(4000);
    expect(emu.stats().byAnswer).toMatchObject({ scripted: 3, text: 1 });
  });
});

describe('control endpoints', () => {
  it('reports stats, refuses bad control bodies, records unknown API paths, resets', async () => {
    await ask({});
    await failure({ model: undefined });
    const stats = (await control('GET', 'stats')).json;
    expect(stats).toMatchObject({ requests: 2, pending: 0, byStatus: { 200: 1, 400: 1 }, violations: 1 });
    expect(stats.tokens.input).toBeGreaterThan(0);
    expect((await control('POST', 'faults', { times: 1 })).status).toBe(400);
    expect((await control('POST', 'script', { match: 'x' })).status).toBe(400);
    expect((await control('GET', 'nope')).status).toBe(404);
    const models = await fetch(`${emu.url}/v1/models`, { headers: { 'x-api-key': KEY } });
    expect(models.status).toBe(404);
    expect(((await models.json()) as any).error.type).toBe('not_found_error');
    const huge = await fetch(`${emu.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: Buffer.alloc(32 * 1024 * 1024 + 1, 0x20),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as any).error.type).toBe('request_too_large');
    expect((await control('GET', 'violations')).json.violations).toHaveLength(3);
    expect((await control('POST', 'reset')).status).toBe(200);
    expect(emu.requests()).toHaveLength(0);
  });
});
