/**
 * The LINE API emulator and its OpenAPI validator, in plain Node: the contract the Worker's tests
 * rely on (validation, profiles, replies, pushes, retry keys, content, faults, the control
 * endpoints), and the person-facing parts (seed, transcript).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  createOpenApiValidator,
  DEFAULT_SPEC_PATH,
  formatTranscriptEntry,
  idFor,
  parseQuota,
  startLineEmulator,
  type LineEmulator,
  type TranscriptEntry,
} from '../../scripts/line-emulator/index.ts';
import { fileListMessage } from '../../src/line/file-flex.ts';

const spec = parseYaml(readFileSync(DEFAULT_SPEC_PATH, 'utf8'));

describe('OpenAPI validator', () => {
  const validator = createOpenApiValidator();
  const push = (messages: unknown[], extra: Record<string, unknown> = {}) =>
    validator.validateRequest('POST', '/v2/bot/message/push', { to: 'U0123456789abcdef', messages, ...extra });

  it('accepts a valid push and names the operation', () => {
    const r = push([{ type: 'text', text: 'hi' }]);
    expect(r.errors).toEqual([]);
    expect(r.operationId).toBe('pushMessage');
  });

  it('rejects malformed messages with the property at fault', () => {
    expect(push([{ type: 'text' }]).errors.some((e) => e.startsWith('messages[0].text'))).toBe(true);
    expect(push([{ type: 'bogus' }]).errors.some((e) => e.startsWith('messages[0].type'))).toBe(true);
    expect(push([{ text: 'x' }]).errors.some((e) => e.startsWith('messages[0].type'))).toBe(true);
    expect(push(['hello']).errors.length).toBeGreaterThan(0);
    expect(push(Array(6).fill({ type: 'text', text: 'x' })).errors.some((e) => e.startsWith('messages:'))).toBe(true);
    expect(push([]).errors.length).toBeGreaterThan(0);
    expect(push(Array(5).fill({ type: 'text', text: 'x' })).errors).toEqual([]);
    // Unknown top-level properties follow the spec (allowed).
    expect(push([{ type: 'text', text: 'x' }], { extra: 1 }).errors).toEqual([]);
    expect(push([{ type: 'text', text: 'x', sender: { name: 'n'.repeat(21) } }]).errors).toHaveLength(1);
  });

  it('lets the spec decide whether a 5001-character text is too long', () => {
    const textMax = spec.components.schemas.TextMessage.allOf[1].properties.text.maxLength as number | undefined;
    const long = push([{ type: 'text', text: 'x'.repeat(5001) }]);
    if (textMax) expect(long.errors.length).toBeGreaterThan(0);
    else expect(long.errors).toEqual([]);
  });

  it('follows nested discriminators (template actions, flex, narrowcast recipients)', () => {
    const template = push([
      {
        type: 'template',
        altText: 'a',
        template: { type: 'buttons', text: 't', actions: [{ type: 'nope', label: 'x' }] },
      },
    ]);
    expect(template.errors.some((e) => e.includes('actions[0].type'))).toBe(true);
    const flex = push([
      {
        type: 'flex',
        altText: 'a',
        contents: { type: 'bubble', body: { type: 'box', layout: 'sideways', contents: [] } },
      },
    ]);
    expect(flex.errors.some((e) => e.includes('contents.body.layout'))).toBe(true);
    const flexOk = push([
      {
        type: 'flex',
        altText: 'a',
        contents: {
          type: 'bubble',
          body: { type: 'box', layout: 'vertical', contents: [{ type: 'text', text: 'hi' }] },
        },
      },
    ]);
    expect(flexOk.errors).toEqual([]);
    const narrow = validator.validateRequest('POST', '/v2/bot/message/narrowcast', {
      messages: [{ type: 'sticker', packageId: '446', stickerId: '1988' }],
      recipient: { type: 'operator', and: [{ type: 'audience', audienceGroupId: 1 }, { type: 'zzz' }] },
    });
    expect(narrow.errors).toHaveLength(1);
    expect(narrow.errors[0]).toContain('recipient.and[1].type');
  });

  it('checks the bot’s Flex lists, their postback buttons and quick replies; a malformed one is a violation', () => {
    const list = fileListMessage({
      altText: '1. 報價單.pdf',
      heading: '找到 1 個',
      entries: [
        {
          name: '1. 報價單.pdf',
          details: ['📁 share/案場A', '2 KB・2026-11-20 14:30'],
          button: { label: '傳送', data: `find:${crypto.randomUUID()}:1`, displayText: '傳送「報價單.pdf」' },
        },
      ],
      footer: '點「傳送」取得檔案',
      quickReply: {
        items: [
          {
            type: 'action',
            action: {
              type: 'postback',
              label: '重新搜尋',
              data: 'find:again',
              inputOption: 'openKeyboard',
              fillInText: '/find ',
            },
          },
        ],
      },
    });
    expect(push([list]).errors).toEqual([]);
    /** The list with one part broken, through its JSON. */
    const broken = (edit: (m: any) => void) => {
      const m = structuredClone(list);
      edit(m);
      return push([m]).errors;
    };
    const button = (m: any) => m.contents.body.contents[1].contents[3];
    expect(broken((m) => delete button(m).action.data)).toEqual([expect.stringContaining('action.data')]);
    expect(broken((m) => (button(m).action.type = 'tap'))).toEqual([expect.stringContaining('action.type')]);
    expect(broken((m) => (button(m).action.data = 'x'.repeat(301))).some((e) => e.includes('action.data'))).toBe(true);
    expect(broken((m) => (button(m).style = 'loud'))).toEqual([expect.stringContaining('style')]);
    expect(broken((m) => delete m.contents.body.contents[0].text).length).toBeGreaterThan(0);
    expect(broken((m) => (m.contents.type = 'card'))).toEqual([expect.stringContaining('contents.type')]);
    expect(broken((m) => delete m.altText)).toEqual([expect.stringContaining('altText')]);
    expect(broken((m) => (m.altText = 'x'.repeat(1501))).some((e) => e.includes('altText'))).toBe(true);
    expect(
      broken((m) => (m.quickReply.items[0].action.inputOption = 'openMic')).some((e) => e.includes('inputOption')),
    ).toBe(true);
    expect(broken((m) => (m.quickReply.items = Array(14).fill(m.quickReply.items[0]))).length).toBeGreaterThan(0);
    expect(broken((m) => delete m.quickReply.items[0].action)).toEqual([
      expect.stringContaining('quickReply.items[0]'),
    ]);
  });

  it('checks bodies, paths and methods', () => {
    const reply = validator.validateRequest('POST', '/v2/bot/message/reply', {
      messages: [{ type: 'text', text: 'x' }],
    });
    expect(reply.errors.some((e) => e.startsWith('replyToken'))).toBe(true);
    expect(validator.validateRequest('POST', '/v2/bot/message/push', undefined).errors).toHaveLength(1);
    expect(validator.validateRequest('GET', '/v2/bot/profile/U1', undefined).errors).toEqual([]);
    expect(validator.validateRequest('GET', '/v2/bot/nope', undefined).errors).toHaveLength(1);
    expect(validator.validateRequest('DELETE', '/v2/bot/profile/U1', undefined).errors).toHaveLength(1);
  });

  it('routes literal paths before templates and decodes path parameters', () => {
    const literal = validator.findOperation('GET', '/v2/bot/richmenu/list');
    expect('operationId' in literal && literal.operationId).toBe('getRichMenuList');
    const decoded = validator.findOperation('GET', '/v2/bot/profile/U%201');
    expect('operationId' in decoded && decoded.params.userId).toBe('U 1');
  });

  it('compiles the body schema of every operation (no broken $ref)', () => {
    let compiled = 0;
    for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) {
        if (!['get', 'post', 'put', 'delete'].includes(method)) continue;
        expect(
          () => validator.validateRequest(method, path.replace(/\{[^}]+\}/g, 'x'), {}),
          `${method} ${path}`,
        ).not.toThrow();
        compiled++;
      }
    }
    expect(compiled).toBeGreaterThan(70);
  });

  it('handles nullable and inheritance discriminators (a small spec through specPath)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'line-emulator-'));
    try {
      const specPath = join(dir, 'mini.yml');
      writeFileSync(specPath, MINI_SPEC);
      const mini = createOpenApiValidator(specPath);
      const v = (body: unknown) => mini.validateRequest('POST', '/pets', body).errors;
      expect(v({ pet: { kind: 'cat', lives: 9 } })).toEqual([]);
      expect(v({ pet: { kind: 'cat' } })).toHaveLength(1);
      expect(v({ pet: { kind: 'cat', lives: 9, name: 'toolong' } })).toHaveLength(1);
      expect(v({ pet: { kind: 'cow' } })).toHaveLength(1);
      expect(v({ pet: { kind: 'dog', friend: { kind: 'cat' } } })).toHaveLength(1);
      expect(v({ pet: { kind: 'dog' }, limit: null })).toEqual([]);
      expect(v({ pet: { kind: 'dog' }, color: null })).toEqual([]);
      expect(v({ pet: { kind: 'dog' }, limit: 'x' })).toHaveLength(1);
      expect(v({ pet: { kind: 'dog' }, plain: null })).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('emulator server', () => {
  const responseAjv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: the default import is the plugin at run time but typed as the module.
  const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ??
    addFormatsImport) as unknown as (ajv: Ajv) => Ajv;
  addFormats(responseAjv);
  responseAjv.addSchema({ components: spec.components }, 'spec');
  /** Whether an emulator response matches the spec's response schema of that name. */
  const matchesSpec = (schemaName: string, body: unknown) => {
    const validate = responseAjv.compile({ $ref: `spec#/components/schemas/${schemaName}` });
    const ok = validate(body);
    if (!ok) console.error(schemaName, validate.errors);
    return ok;
  };

  const logLines: string[] = [];
  let emu: LineEmulator;
  const AUTH = { authorization: 'Bearer test-token' };
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH) {
    const res = await fetch(emu.url + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  beforeAll(async () => {
    emu = await startLineEmulator({ port: 0, log: (l) => logLines.push(l) });
  });
  afterAll(() => emu.close());

  it('listens on loopback and answers health', async () => {
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.port).toBeGreaterThan(0);
    expect((await call('GET', '/__emulator/health', undefined, {})).json?.ok).toBe(true);
  });

  it('authenticates like LINE', async () => {
    const noAuth = await call('GET', '/v2/bot/profile/U1', undefined, {});
    expect(noAuth.status).toBe(401);
    expect(noAuth.json?.message).toMatch(/Authentication failed/);
    expect(noAuth.headers.get('x-line-request-id')).toBeTruthy();
    expect((await call('GET', '/v2/bot/profile/U1', undefined, { authorization: 'Bearer ' })).status).toBe(401);
  });

  it('serves profiles, group summaries and member counts, default or seeded', async () => {
    const prof = await call('GET', '/v2/bot/profile/Uabcdef1a2b');
    expect(prof.status).toBe(200);
    expect(prof.json).toMatchObject({ displayName: 'User 1a2b', language: 'zh-TW' });
    expect(matchesSpec('UserProfileResponse', prof.json)).toBe(true);
    expect(prof.headers.get('x-line-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    emu.state.profiles.set('Useeded', { displayName: 'Alice', language: 'ja' });
    const seeded = await call('GET', '/v2/bot/profile/Useeded');
    expect(seeded.json).toMatchObject({ displayName: 'Alice', language: 'ja' });
    expect(seeded.json).not.toHaveProperty('pictureUrl');

    const created = await call(
      'POST',
      '/__emulator/profiles',
      { userId: 'Uhttp', displayName: 'Bob', pictureUrl: 'https://example.com/b.png' },
      {},
    );
    expect(created.status).toBe(201);
    const gm = await call('GET', '/v2/bot/group/Cgroup/member/Uhttp');
    expect(gm.json).toMatchObject({ displayName: 'Bob', pictureUrl: 'https://example.com/b.png' });
    expect(gm.json).not.toHaveProperty('language');
    expect(matchesSpec('GroupUserProfileResponse', gm.json)).toBe(true);
    const rm = await call('GET', '/v2/bot/room/Rroom/member/Uzzzz9999');
    expect(rm.json.displayName).toBe('User 9999');
    expect(matchesSpec('RoomUserProfileResponse', rm.json)).toBe(true);

    const gs = await call('GET', '/v2/bot/group/Cabc1234/summary');
    expect(gs.json).toMatchObject({ groupName: 'Group 1234', groupId: 'Cabc1234' });
    expect(matchesSpec('GroupSummaryResponse', gs.json)).toBe(true);
    expect((await call('GET', '/v2/bot/group/Cabc1234/members/count')).json.count).toBe(3);
    await call('POST', '/__emulator/groups', { groupId: 'Cseed', groupName: 'Team', count: 7 }, {});
    expect((await call('GET', '/v2/bot/group/Cseed/summary')).json.groupName).toBe('Team');
    const gc = await call('GET', '/v2/bot/group/Cseed/members/count');
    expect(gc.json.count).toBe(7);
    expect(matchesSpec('GroupMemberCountResponse', gc.json)).toBe(true);
    emu.state.rooms.set('Rseed', { count: 2 });
    expect((await call('GET', '/v2/bot/room/Rseed/members/count')).json.count).toBe(2);
    expect((await call('GET', '/v2/bot/room/Rother/members/count')).json.count).toBe(3);
  });

  it('accepts a reply token once', async () => {
    const r1 = await call('POST', '/v2/bot/message/reply', {
      replyToken: 'tok1',
      messages: [
        { type: 'text', text: 'hello' },
        { type: 'sticker', packageId: '446', stickerId: '1988' },
      ],
    });
    expect(r1.status).toBe(200);
    expect(r1.json.sentMessages).toHaveLength(2);
    expect(matchesSpec('ReplyMessageResponse', r1.json)).toBe(true);
    expect(r1.json.sentMessages[0].id).not.toBe(r1.json.sentMessages[1].id);
    const r2 = await call('POST', '/v2/bot/message/reply', {
      replyToken: 'tok1',
      messages: [{ type: 'text', text: 'again' }],
    });
    expect(r2.status).toBe(400);
    expect(r2.json.message).toBe('Invalid reply token');
    expect(logLines[0]).toBe('reply -> [text] hello | [sticker] 446/1988');
  });

  it('answers a repeated push retry key with 409 and the first answer', async () => {
    const key = '123e4567-e89b-12d3-a456-426614174000';
    const body = { to: 'Uabc', messages: [{ type: 'text', text: 'hi' }] };
    const p1 = await call('POST', '/v2/bot/message/push', body, { ...AUTH, 'x-line-retry-key': key });
    expect(p1.status).toBe(200);
    expect(matchesSpec('PushMessageResponse', p1.json)).toBe(true);
    const p2 = await call('POST', '/v2/bot/message/push', body, { ...AUTH, 'x-line-retry-key': key });
    expect(p2.status).toBe(409);
    expect(p2.json.message).toBe('The retry key is already accepted');
    expect(p2.headers.get('x-line-accepted-request-id')).toBe(p1.headers.get('x-line-request-id'));
    expect(p2.json.sentMessages?.[0]?.id).toBe(p1.json.sentMessages[0].id);
    expect(matchesSpec('ErrorResponse', p2.json)).toBe(true);
    const p3 = await call('POST', '/v2/bot/message/push', body, { ...AUTH, 'x-line-retry-key': 'not-a-uuid' });
    expect(p3.status).toBe(400);
    expect(logLines).toContain('push Uabc -> [text] hi');
  });

  it('answers invalid requests like LINE and records them as violations', async () => {
    emu.reset();
    const bad = await call('POST', '/v2/bot/message/push', {
      to: 'Uabc',
      messages: [{ type: 'text' }, { type: 'bogus' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe('The request body has 2 error(s)');
    expect(bad.json.details?.[0]?.property).toBe('messages[0].text');
    expect(bad.json.details?.[1]?.property).toBe('messages[1].type');
    expect(matchesSpec('ErrorResponse', bad.json)).toBe(true);
    const notFound = await call('GET', '/v2/bot/nowhere');
    expect(notFound.status).toBe(404);
    expect(notFound.json.message).toBe('Not found');
    const badJson = await fetch(`${emu.url}/v2/bot/message/push`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(badJson.status).toBe(400);
    expect(emu.violations()).toHaveLength(3);
    const httpViolations = (await call('GET', '/__emulator/violations', undefined, {})).json.violations;
    expect(httpViolations).toHaveLength(3);
    expect(httpViolations[0].errors).toHaveLength(2);
    const rec = emu.requests()[0]!;
    expect(rec).toMatchObject({ method: 'POST', path: '/v2/bot/message/push', status: 400, body: { to: 'Uabc' } });
    expect(typeof rec.at).toBe('number');
    expect(rec.headers.authorization).toBe('Bearer ***');
    expect(emu.requests().every((r) => !r.path.startsWith('/__emulator'))).toBe(true);
  });

  it('serves message content: a deterministic default, or bytes seeded in state or over HTTP', async () => {
    const c1 = await fetch(`${emu.url}/v2/bot/message/12345/content`, { headers: AUTH });
    const c1bytes = Buffer.from(await c1.arrayBuffer());
    expect(c1.status).toBe(200);
    expect(c1.headers.get('content-type')).toBe('image/jpeg');
    expect([c1bytes[0], c1bytes[1]]).toEqual([0xff, 0xd8]);
    const again = Buffer.from(
      await (await fetch(`${emu.url}/v2/bot/message/12345/content`, { headers: AUTH })).arrayBuffer(),
    );
    expect(again.equals(c1bytes)).toBe(true);
    emu.state.content.set('777', { body: Buffer.from('RIFFwav'), contentType: 'audio/x-m4a' });
    const c2 = await fetch(`${emu.url}/v2/bot/message/777/content`, { headers: AUTH });
    expect(c2.headers.get('content-type')).toBe('audio/x-m4a');
    expect(await c2.text()).toBe('RIFFwav');
    await fetch(`${emu.url}/__emulator/content/888`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4' },
      body: new Uint8Array([1, 2, 3]),
    });
    const c3 = await fetch(`${emu.url}/v2/bot/message/888/content`, { headers: AUTH });
    expect(c3.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await c3.arrayBuffer()).equals(Buffer.from([1, 2, 3]))).toBe(true);
  });

  it('injects faults (once, by regex, with headers) and clears them', async () => {
    emu.reset();
    emu.state.faults.push({ method: 'GET', path: '/v2/bot/profile/Ufault', status: 500, times: 1 });
    const f1 = await call('GET', '/v2/bot/profile/Ufault');
    const f2 = await call('GET', '/v2/bot/profile/Ufault');
    expect([f1.status, f2.status]).toEqual([500, 200]);
    expect(emu.requests()[0]!.status).toBe(500);
    expect(emu.violations()).toHaveLength(0);
    const fr = await call(
      'POST',
      '/__emulator/faults',
      {
        pathRegex: '^/v2/bot/message/(reply|push)$',
        status: 429,
        body: { message: 'Too many requests' },
        headers: { 'retry-after': '1' },
      },
      {},
    );
    expect(fr.status).toBe(201);
    const f3 = await call('POST', '/v2/bot/message/reply', {
      replyToken: 'tokF',
      messages: [{ type: 'text', text: 'x' }],
    });
    expect(f3.status).toBe(429);
    expect(f3.json.message).toBe('Too many requests');
    expect(f3.headers.get('retry-after')).toBe('1');
    expect(f3.headers.get('x-line-request-id')).toBeTruthy();
    expect(emu.state.usedReplyTokens.has('tokF')).toBe(false);
    expect((await call('DELETE', '/__emulator/faults', undefined, {})).status).toBe(200);
    expect(emu.state.faults).toHaveLength(0);
    expect(
      (await call('POST', '/v2/bot/message/reply', { replyToken: 'tokF', messages: [{ type: 'text', text: 'x' }] }))
        .status,
    ).toBe(200);
  });

  it('injects a fault only into requests whose body holds the given text (parallel tests keep their own)', async () => {
    emu.reset();
    const fr = await call(
      'POST',
      '/__emulator/faults',
      { path: '/v2/bot/message/push', bodyContains: 'Uquota', status: 429, times: 1 },
      {},
    );
    expect(fr.status).toBe(201);
    const other = await call('POST', '/v2/bot/message/push', { to: 'Uother', messages: [{ type: 'text', text: 'x' }] });
    const mine = await call('POST', '/v2/bot/message/push', { to: 'Uquota', messages: [{ type: 'text', text: 'x' }] });
    const again = await call('POST', '/v2/bot/message/push', { to: 'Uquota', messages: [{ type: 'text', text: 'x' }] });
    expect([other.status, mine.status, again.status]).toEqual([200, 429, 200]);
  });

  it('filters recorded requests and resets over HTTP', async () => {
    emu.reset();
    await call('GET', '/v2/bot/profile/Ufilter');
    // `since` is inclusive and in ms: wait until the clock has moved past the first request.
    const first = emu.requests()[0]!.at;
    while (Date.now() <= first) await new Promise((r) => setTimeout(r, 1));
    const since = Date.now();
    await call('GET', '/v2/bot/group/Cfilter/summary');
    const byPath = (await call('GET', '/__emulator/requests?path=/group/', undefined, {})).json.requests;
    expect(byPath).toHaveLength(1);
    expect(byPath[0].path).toBe('/v2/bot/group/Cfilter/summary');
    const bySince = (await call('GET', `/__emulator/requests?since=${since}`, undefined, {})).json.requests;
    expect(bySince.map((r: { path: string }) => r.path)).toEqual(['/v2/bot/group/Cfilter/summary']);
    expect((await call('POST', '/__emulator/reset', undefined, {})).status).toBe(200);
    expect(emu.requests()).toHaveLength(0);
    expect(emu.state.usedReplyTokens.size).toBe(0);
  });

  it("serves the month's quota and its use: a push counts once per recipient, replies nothing, a 409 nothing", async () => {
    emu.reset();
    const quota = await call('GET', '/v2/bot/message/quota');
    expect(quota.status).toBe(200);
    expect(quota.json).toEqual({ type: 'none' });
    expect(matchesSpec('MessageQuotaResponse', quota.json)).toBe(true);
    emu.state.groups.set('Cquota', { count: 7 });
    const text = [{ type: 'text', text: 'x' }];
    const key = '0b9f2c7e-8a51-4d2e-9c3a-5f1e2d3c4b5a';
    // Three messages to one user count as one; a group push as its 7 members; a room's default 3.
    expect(
      (await call('POST', '/v2/bot/message/push', { to: 'Uquota', messages: [...text, ...text, ...text] })).status,
    ).toBe(200);
    expect(
      (
        await call(
          'POST',
          '/v2/bot/message/push',
          { to: 'Cquota', messages: text },
          { ...AUTH, 'x-line-retry-key': key },
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await call(
          'POST',
          '/v2/bot/message/push',
          { to: 'Cquota', messages: text },
          { ...AUTH, 'x-line-retry-key': key },
        )
      ).status,
    ).toBe(409);
    expect((await call('POST', '/v2/bot/message/push', { to: 'Rquota', messages: text })).status).toBe(200);
    expect((await call('POST', '/v2/bot/message/reply', { replyToken: 'tokQ', messages: text })).status).toBe(200);
    const used = await call('GET', '/v2/bot/message/quota/consumption');
    expect(used.json).toEqual({ totalUsage: 1 + 7 + 3 });
    expect(matchesSpec('QuotaConsumptionResponse', used.json)).toBe(true);
    expect(emu.violations()).toHaveLength(0);
  });

  it("refuses a push over a limited quota with 429 and LINE's words, set over the control API", async () => {
    emu.reset();
    const set = await call('PUT', '/__emulator/quota', { type: 'limited', value: 10, totalUsage: 8 }, {});
    expect(set.status).toBe(200);
    expect((await call('GET', '/v2/bot/message/quota')).json).toEqual({ type: 'limited', value: 10 });
    emu.state.groups.set('Cbig', { count: 5 });
    const text = [{ type: 'text', text: 'x' }];
    const big = await call('POST', '/v2/bot/message/push', { to: 'Cbig', messages: text });
    expect(big.status).toBe(429);
    expect(big.json).toEqual({ message: 'You have reached your monthly limit.' });
    expect((await call('POST', '/v2/bot/message/push', { to: 'Ufits', messages: text })).status).toBe(200);
    expect((await call('POST', '/v2/bot/message/push', { to: 'Ufits2', messages: text })).status).toBe(200);
    expect((await call('POST', '/v2/bot/message/push', { to: 'Utoomany', messages: text })).status).toBe(429);
    expect((await call('GET', '/__emulator/quota', undefined, {})).json).toEqual({
      type: 'limited',
      value: 10,
      totalUsage: 10,
    });
    // Replies are free: never refused for quota.
    expect((await call('POST', '/v2/bot/message/reply', { replyToken: 'tokQ2', messages: text })).status).toBe(200);
    expect((await call('PUT', '/__emulator/quota', { type: 'limited' }, {})).status).toBe(200);
    expect((await call('PUT', '/__emulator/quota', { type: 'lots' }, {})).status).toBe(400);
    expect((await call('PUT', '/__emulator/quota', { totalUsage: -1 }, {})).status).toBe(400);
    emu.reset();
    expect((await call('GET', '/__emulator/quota', undefined, {})).json).toEqual({ type: 'none', totalUsage: 0 });
  });

  it('refuses pushes for quota to one chat when told to, whatever the figures', async () => {
    emu.reset();
    const told = await call('POST', '/__emulator/quota/refusals', { to: 'Urefused', times: 1 }, {});
    expect(told.status).toBe(201);
    const text = [{ type: 'text', text: 'x' }];
    const other = await call('POST', '/v2/bot/message/push', { to: 'Urefused2', messages: text });
    const mine = await call('POST', '/v2/bot/message/push', { to: 'Urefused', messages: text });
    const again = await call('POST', '/v2/bot/message/push', { to: 'Urefused', messages: text });
    expect([other.status, mine.status, again.status]).toEqual([200, 429, 200]);
    expect(mine.json).toEqual({ message: 'You have reached your monthly limit.' });
    // The refused push was not counted.
    expect((await call('GET', '/v2/bot/message/quota/consumption')).json).toEqual({ totalUsage: 2 });
  });

  it('answers operations it does not model: generic 2xx, 501 for data, still validated', async () => {
    const loading = await call('POST', '/v2/bot/chat/loading/start', { chatId: 'Uabc' });
    expect([200, 202]).toContain(loading.status);
    expect((await call('GET', '/v2/bot/info')).status).toBe(501);
    expect((await call('POST', '/v2/bot/chat/loading/start', {})).status).toBe(400);
  });
});

describe('emulator for a person: seed and transcript', () => {
  const entries: TranscriptEntry[] = [];
  let emu: LineEmulator;
  const alice = idFor('U', 'alice');
  const ops = idFor('C', 'ops');
  const lunch = 'R0123456789abcdef0123456789abcdef';

  beforeAll(async () => {
    emu = await startLineEmulator({
      seed: {
        users: [{ name: 'alice', displayName: 'Alice Chen', language: 'en' }],
        groups: [{ name: 'ops', groupName: 'Site Ops', members: ['alice', 'bob'] }],
        rooms: [{ name: 'lunch', id: lunch, count: 4 }],
      },
      transcript: (e) => entries.push(e),
    });
  });
  afterAll(() => emu.close());

  const get = async (path: string) => (await fetch(emu.url + path, { headers: { authorization: 'Bearer t' } })).json();

  it('answers from the seed, and keeps it across reset', async () => {
    expect(await get(`/v2/bot/profile/${alice}`)).toMatchObject({ displayName: 'Alice Chen', language: 'en' });
    expect(await get(`/v2/bot/group/${ops}/summary`)).toMatchObject({ groupName: 'Site Ops' });
    expect(await get(`/v2/bot/group/${ops}/members/count`)).toEqual({ count: 3 }); // two members and the bot
    emu.reset();
    expect(await get(`/v2/bot/room/${lunch}/members/count`)).toEqual({ count: 4 });
  });

  it('reads --quota as a whole number or none', () => {
    expect(parseQuota('200')).toBe(200);
    expect(parseQuota('0')).toBe(0);
    expect(parseQuota('none')).toBe('none');
    for (const bad of ['', ' ', '-1', '1.5', 'lots']) expect(() => parseQuota(bad), bad).toThrow(/--quota/);
  });

  it('takes the quota from the seed, and the --quota option over it', async () => {
    const seeded = await startLineEmulator({ seed: { quota: { type: 'limited', value: 500, totalUsage: 20 } } });
    const option = await startLineEmulator({ seed: { quota: { value: 500 } }, quota: 'none' });
    try {
      const at = (e: LineEmulator, path: string) =>
        fetch(e.url + path, { headers: { authorization: 'Bearer t' } }).then((r) => r.json());
      expect(await at(seeded, '/v2/bot/message/quota')).toEqual({ type: 'limited', value: 500 });
      expect(await at(seeded, '/v2/bot/message/quota/consumption')).toEqual({ totalUsage: 20 });
      seeded.state.quota.totalUsage = 30;
      seeded.reset();
      expect(await at(seeded, '/v2/bot/message/quota/consumption')).toEqual({ totalUsage: 20 });
      expect(await at(option, '/v2/bot/message/quota')).toEqual({ type: 'none' });
    } finally {
      await seeded.close();
      await option.close();
    }
  });

  it('prints the chat: what users said (reported) and what the bot sent to whom', async () => {
    const reported = await fetch(`${emu.url}/__emulator/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        destination: 'Ubot',
        events: [
          {
            type: 'message',
            replyToken: 'rt-1',
            source: { type: 'group', groupId: ops, userId: alice },
            message: { id: '1', type: 'text', text: 'hello' },
          },
          { type: 'join', source: { type: 'room', roomId: lunch } },
        ],
      }),
    });
    expect(reported.status).toBe(201);
    const auth = { authorization: 'Bearer t', 'content-type': 'application/json' };
    await fetch(`${emu.url}/v2/bot/message/reply`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ replyToken: 'rt-1', messages: [{ type: 'text', text: 'Hi Alice' }] }),
    });
    await fetch(`${emu.url}/v2/bot/message/push`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ to: alice, messages: [{ type: 'text', text: 'psst' }] }),
    });

    expect(entries.map(({ at: _at, ...e }) => e)).toEqual([
      { from: 'user', kind: 'message', chat: 'Site Ops', speaker: 'Alice Chen', text: 'hello' },
      { from: 'user', kind: 'join', chat: 'lunch', speaker: undefined, text: '* the bot joined *' },
      { from: 'bot', kind: 'reply', chat: 'Site Ops', text: '[text] Hi Alice' },
      { from: 'bot', kind: 'push', chat: '1:1 Alice Chen', text: '[text] psst' },
    ]);
    expect(formatTranscriptEntry(entries[0]!)).toMatch(/^\d\d:\d\d:\d\d {2}\[Site Ops\] Alice Chen: hello$/);
    expect(formatTranscriptEntry(entries[2]!)).toMatch(/\[Site Ops\] bot \(reply\): \[text\] Hi Alice$/);
  });
});

const MINI_SPEC = `openapi: 3.0.0
info: {title: mini, version: '1'}
paths:
  /pets:
    post:
      operationId: addPet
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/PetRequest'}
      responses: {'200': {description: OK}}
components:
  schemas:
    PetRequest:
      type: object
      required: [pet]
      properties:
        pet: {$ref: '#/components/schemas/Pet'}
        limit: {type: integer, nullable: true}
        color: {type: string, enum: [red, blue], nullable: true}
        plain: {type: string}
    Pet:
      type: object
      required: [kind]
      properties: {kind: {type: string}, name: {type: string, maxLength: 5}}
      discriminator:
        propertyName: kind
        mapping: {cat: '#/components/schemas/Cat', dog: '#/components/schemas/Dog'}
    Cat:
      allOf: [{$ref: '#/components/schemas/Pet'}, {type: object, required: [lives], properties: {lives: {type: integer}}}]
    Dog:
      allOf: [{$ref: '#/components/schemas/Pet'}, {type: object, properties: {friend: {$ref: '#/components/schemas/Pet'}}}]
`;
