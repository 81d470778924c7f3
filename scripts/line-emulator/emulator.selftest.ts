/**
 * Self-test of the LINE emulator and its OpenAPI validator (Node; not part of the workerd suite).
 *
 *   npx tsx scripts/line-emulator/emulator.selftest.ts
 *
 * Exits non-zero when any check fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { createOpenApiValidator, DEFAULT_SPEC_PATH, startLineEmulator } from './index.ts';

let failures = 0;
let passes = 0;
function check(name: string, condition: unknown, extra?: unknown): void {
  if (condition) {
    passes++;
    return;
  }
  failures++;
  console.error(`FAIL ${name}${extra === undefined ? '' : `\n     ${JSON.stringify(extra)}`}`);
}

// ---------------------------------------------------------------------------------------------
// Validator

const validator = createOpenApiValidator();
const push = (messages: unknown[], extra: Record<string, unknown> = {}) =>
  validator.validateRequest('POST', '/v2/bot/message/push', { to: 'U0123456789abcdef', messages, ...extra });

{
  const r = push([{ type: 'text', text: 'hi' }]);
  check('valid push', r.errors.length === 0 && r.operationId === 'pushMessage', r);
  check('text without text', push([{ type: 'text' }]).errors.some((e) => e.startsWith('messages[0].text')), push([{ type: 'text' }]));
  check('unknown message type', push([{ type: 'bogus' }]).errors.some((e) => e.startsWith('messages[0].type')));
  check('message without type', push([{ text: 'x' }]).errors.some((e) => e.startsWith('messages[0].type')));
  check('message not an object', push(['hello']).errors.length > 0);
  check('6 messages', push(Array(6).fill({ type: 'text', text: 'x' })).errors.some((e) => e.startsWith('messages:')));
  check('0 messages', push([]).errors.length > 0);
  check('5 messages ok', push(Array(5).fill({ type: 'text', text: 'x' })).errors.length === 0);
  check('unknown top-level property follows spec (allowed)', push([{ type: 'text', text: 'x' }], { extra: 1 }).errors.length === 0);
  check('sender.name maxLength 20', push([{ type: 'text', text: 'x', sender: { name: 'n'.repeat(21) } }]).errors.length === 1);

  // The spec decides whether 5001-character texts are invalid (this snapshot has no maxLength).
  const spec = parseYaml(readFileSync(DEFAULT_SPEC_PATH, 'utf8'));
  const textMax = spec.components.schemas.TextMessage.allOf[1].properties.text.maxLength as number | undefined;
  const long = push([{ type: 'text', text: 'x'.repeat(5001) }]);
  check(`5001-char text ${textMax ? 'invalid' : 'valid (spec has no maxLength)'}`, textMax ? long.errors.length > 0 : long.errors.length === 0);

  // Nested discriminators: template actions, flex components, narrowcast recipients.
  const template = push([
    { type: 'template', altText: 'a', template: { type: 'buttons', text: 't', actions: [{ type: 'nope', label: 'x' }] } },
  ]);
  check('unknown action type in template', template.errors.some((e) => e.includes('actions[0].type')), template);
  const flex = push([
    {
      type: 'flex',
      altText: 'a',
      contents: { type: 'bubble', body: { type: 'box', layout: 'sideways', contents: [] } },
    },
  ]);
  check('flex box layout enum', flex.errors.some((e) => e.includes('contents.body.layout')), flex);
  const flexOk = push([
    {
      type: 'flex',
      altText: 'a',
      contents: { type: 'bubble', body: { type: 'box', layout: 'vertical', contents: [{ type: 'text', text: 'hi' }] } },
    },
  ]);
  check('valid flex', flexOk.errors.length === 0, flexOk);
  const narrow = validator.validateRequest('POST', '/v2/bot/message/narrowcast', {
    messages: [{ type: 'sticker', packageId: '446', stickerId: '1988' }],
    recipient: { type: 'operator', and: [{ type: 'audience', audienceGroupId: 1 }, { type: 'zzz' }] },
  });
  check('recursive recipient discriminator', narrow.errors.length === 1 && narrow.errors[0]!.includes('recipient.and[1].type'), narrow);

  const reply = validator.validateRequest('POST', '/v2/bot/message/reply', { messages: [{ type: 'text', text: 'x' }] });
  check('reply without replyToken', reply.errors.some((e) => e.startsWith('replyToken')), reply);
  check('push without body', validator.validateRequest('POST', '/v2/bot/message/push', undefined).errors.length === 1);
  check('GET without body ok', validator.validateRequest('GET', '/v2/bot/profile/U1', undefined).errors.length === 0);
  check('unknown path', validator.validateRequest('GET', '/v2/bot/nope', undefined).errors.length === 1);
  check('unknown method', validator.validateRequest('DELETE', '/v2/bot/profile/U1', undefined).errors.length === 1);
  const literal = validator.findOperation('GET', '/v2/bot/richmenu/list');
  check('literal path beats template', 'operationId' in literal && literal.operationId === 'getRichMenuList');
  const decoded = validator.findOperation('GET', '/v2/bot/profile/U%201');
  check('path params decoded', 'operationId' in decoded && decoded.params.userId === 'U 1');

  // Every operation's body schema compiles (a broken $ref would throw here).
  let compiled = 0;
  for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(item)) {
      if (!['get', 'post', 'put', 'delete'].includes(method)) continue;
      const concrete = path.replace(/\{[^}]+\}/g, 'x');
      try {
        validator.validateRequest(method, concrete, {});
        compiled++;
      } catch (e) {
        check(`compile ${method} ${path}`, false, String(e));
      }
    }
  }
  check('all operations compile', compiled > 70, compiled);
}

// A tiny spec with `nullable` and an inheritance discriminator, also exercising `specPath`.
{
  const dir = mkdtempSync(join(tmpdir(), 'line-emulator-'));
  const specPath = join(dir, 'mini.yml');
  writeFileSync(
    specPath,
    `openapi: 3.0.0
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
`,
  );
  const mini = createOpenApiValidator(specPath);
  const v = (body: unknown) => mini.validateRequest('POST', '/pets', body).errors;
  check('mini: valid cat', v({ pet: { kind: 'cat', lives: 9 } }).length === 0, v({ pet: { kind: 'cat', lives: 9 } }));
  check('mini: cat needs lives', v({ pet: { kind: 'cat' } }).length === 1);
  check('mini: base fields still checked', v({ pet: { kind: 'cat', lives: 9, name: 'toolong' } }).length === 1);
  check('mini: unknown kind', v({ pet: { kind: 'cow' } }).length === 1);
  check('mini: nested poly ref', v({ pet: { kind: 'dog', friend: { kind: 'cat' } } }).length === 1);
  check('mini: nullable integer', v({ pet: { kind: 'dog' }, limit: null }).length === 0);
  check('mini: nullable enum', v({ pet: { kind: 'dog' }, color: null }).length === 0);
  check('mini: nullable still typed', v({ pet: { kind: 'dog' }, limit: 'x' }).length === 1);
  check('mini: non-nullable rejects null', v({ pet: { kind: 'dog' }, plain: null }).length === 1);
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Server

const spec = parseYaml(readFileSync(DEFAULT_SPEC_PATH, 'utf8'));
const responseAjv = new Ajv({ strict: false, allErrors: true });
// ajv-formats is CommonJS: the default import is the plugin at run time but typed as the module.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as unknown as (
  ajv: Ajv,
) => Ajv;
addFormats(responseAjv);
responseAjv.addSchema({ components: spec.components }, 'spec');
/** Checks an emulator response against the spec's response schema of that name. */
function matchesSpec(schemaName: string, body: unknown): boolean {
  const validate = responseAjv.compile({ $ref: `spec#/components/schemas/${schemaName}` });
  const ok = validate(body);
  if (!ok) console.error(schemaName, validate.errors);
  return ok;
}

const logLines: string[] = [];
const emu = await startLineEmulator({ port: 0, log: (l) => logLines.push(l) });
const AUTH = { authorization: 'Bearer test-token' };
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH) {
  const res = await fetch(emu.url + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, json, text };
}

try {
  check('url shape', /^http:\/\/127\.0\.0\.1:\d+$/.test(emu.url) && emu.port > 0, emu.url);
  check('health', (await call('GET', '/__emulator/health', undefined, {})).json?.ok === true);

  // Auth
  const noAuth = await call('GET', '/v2/bot/profile/U1', undefined, {});
  check('401 without auth', noAuth.status === 401 && /Authentication failed/.test(noAuth.json?.message), noAuth.json);
  check('401 has request id', !!noAuth.headers.get('x-line-request-id'));
  check('empty bearer is 401', (await call('GET', '/v2/bot/profile/U1', undefined, { authorization: 'Bearer ' })).status === 401);

  // Profiles and groups
  const prof = await call('GET', '/v2/bot/profile/Uabcdef1a2b');
  check('default profile', prof.status === 200 && prof.json.displayName === 'User 1a2b' && prof.json.language === 'en', prof.json);
  check('profile matches spec', matchesSpec('UserProfileResponse', prof.json));
  check('request id uuid', /^[0-9a-f-]{36}$/.test(prof.headers.get('x-line-request-id') ?? ''));
  emu.state.profiles.set('Useeded', { displayName: 'Alice', language: 'ja' });
  const seeded = await call('GET', '/v2/bot/profile/Useeded');
  check('seeded profile', seeded.json.displayName === 'Alice' && seeded.json.language === 'ja' && !('pictureUrl' in seeded.json), seeded.json);
  check('seed profile over HTTP', (await call('POST', '/__emulator/profiles', { userId: 'Uhttp', displayName: 'Bob', pictureUrl: 'https://example.com/b.png' }, {})).status === 201);
  const gm = await call('GET', '/v2/bot/group/Cgroup/member/Uhttp');
  check('group member profile', gm.json.displayName === 'Bob' && gm.json.pictureUrl === 'https://example.com/b.png' && !('language' in gm.json), gm.json);
  check('group member matches spec', matchesSpec('GroupUserProfileResponse', gm.json));
  const rm = await call('GET', '/v2/bot/room/Rroom/member/Uzzzz9999');
  check('room member profile', rm.json.displayName === 'User 9999' && matchesSpec('RoomUserProfileResponse', rm.json), rm.json);
  const gs = await call('GET', '/v2/bot/group/Cabc1234/summary');
  check('default group summary', gs.json.groupName === 'Group 1234' && gs.json.groupId === 'Cabc1234' && matchesSpec('GroupSummaryResponse', gs.json), gs.json);
  check('default group count', (await call('GET', '/v2/bot/group/Cabc1234/members/count')).json.count === 3);
  await call('POST', '/__emulator/groups', { groupId: 'Cseed', groupName: 'Team', count: 7 }, {});
  check('seeded group summary', (await call('GET', '/v2/bot/group/Cseed/summary')).json.groupName === 'Team');
  const gc = await call('GET', '/v2/bot/group/Cseed/members/count');
  check('seeded group count', gc.json.count === 7 && matchesSpec('GroupMemberCountResponse', gc.json));
  emu.state.rooms.set('Rseed', { count: 2 });
  check('seeded room count', (await call('GET', '/v2/bot/room/Rseed/members/count')).json.count === 2);
  check('default room count', (await call('GET', '/v2/bot/room/Rother/members/count')).json.count === 3);

  // Reply
  const r1 = await call('POST', '/v2/bot/message/reply', { replyToken: 'tok1', messages: [{ type: 'text', text: 'hello' }, { type: 'sticker', packageId: '446', stickerId: '1988' }] });
  check('reply ok', r1.status === 200 && r1.json.sentMessages.length === 2 && matchesSpec('ReplyMessageResponse', r1.json), r1.json);
  check('reply ids distinct', r1.json.sentMessages[0].id !== r1.json.sentMessages[1].id);
  const r2 = await call('POST', '/v2/bot/message/reply', { replyToken: 'tok1', messages: [{ type: 'text', text: 'again' }] });
  check('reply token reuse', r2.status === 400 && r2.json.message === 'Invalid reply token', r2.json);
  check('reply log line', logLines[0] === 'reply -> [text] hello | [sticker] 446/1988', logLines);

  // Push and retry keys
  const key = '123e4567-e89b-12d3-a456-426614174000';
  const p1 = await call('POST', '/v2/bot/message/push', { to: 'Uabc', messages: [{ type: 'text', text: 'hi' }] }, { ...AUTH, 'x-line-retry-key': key });
  check('push ok', p1.status === 200 && matchesSpec('PushMessageResponse', p1.json), p1.json);
  const p2 = await call('POST', '/v2/bot/message/push', { to: 'Uabc', messages: [{ type: 'text', text: 'hi' }] }, { ...AUTH, 'x-line-retry-key': key });
  check('push retry 409', p2.status === 409 && p2.json.message === 'The retry key is already accepted', p2.json);
  check('409 accepted request id', p2.headers.get('x-line-accepted-request-id') === p1.headers.get('x-line-request-id'));
  check('409 repeats sentMessages', p2.json.sentMessages?.[0]?.id === p1.json.sentMessages[0].id && matchesSpec('ErrorResponse', p2.json));
  const p3 = await call('POST', '/v2/bot/message/push', { to: 'Uabc', messages: [{ type: 'text', text: 'hi' }] }, { ...AUTH, 'x-line-retry-key': 'not-a-uuid' });
  check('non-uuid retry key 400', p3.status === 400, p3.json);
  check('push log line', logLines.includes('push Uabc -> [text] hi'), logLines);

  // Validation errors
  emu.reset();
  const bad = await call('POST', '/v2/bot/message/push', { to: 'Uabc', messages: [{ type: 'text' }, { type: 'bogus' }] });
  check('invalid push 400', bad.status === 400 && bad.json.message === 'The request body has 2 error(s)', bad.json);
  check('invalid push details', bad.json.details?.[0]?.property === 'messages[0].text' && bad.json.details?.[1]?.property === 'messages[1].type', bad.json);
  check('invalid push matches ErrorResponse', matchesSpec('ErrorResponse', bad.json));
  const notFound = await call('GET', '/v2/bot/nowhere');
  check('unknown path 404', notFound.status === 404 && notFound.json.message === 'Not found');
  const badJson = await fetch(`${emu.url}/v2/bot/message/push`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: '{oops' });
  check('malformed JSON 400', badJson.status === 400);
  check('violations recorded', emu.violations().length === 3, emu.violations());
  const httpViolations = (await call('GET', '/__emulator/violations', undefined, {})).json.violations;
  check('violations over HTTP', httpViolations.length === 3 && httpViolations[0].errors.length === 2, httpViolations);
  const rec = emu.requests()[0]!;
  check('recorded shape', rec.method === 'POST' && rec.path === '/v2/bot/message/push' && rec.status === 400 && (rec.body as any).to === 'Uabc' && typeof rec.at === 'number', rec);
  check('authorization redacted', rec.headers.authorization === 'Bearer ***', rec.headers);
  check('control requests not recorded', emu.requests().every((r) => !r.path.startsWith('/__emulator')));

  // Content
  const c1 = await fetch(`${emu.url}/v2/bot/message/12345/content`, { headers: AUTH });
  const c1bytes = new Uint8Array(await c1.arrayBuffer());
  check('default content', c1.status === 200 && c1.headers.get('content-type') === 'image/jpeg' && c1bytes[0] === 0xff && c1bytes[1] === 0xd8);
  const c1again = new Uint8Array(await (await fetch(`${emu.url}/v2/bot/message/12345/content`, { headers: AUTH })).arrayBuffer());
  check('default content deterministic', Buffer.from(c1bytes).equals(Buffer.from(c1again)));
  emu.state.content.set('777', { body: Buffer.from('RIFFwav'), contentType: 'audio/x-m4a' });
  const c2 = await fetch(`${emu.url}/v2/bot/message/777/content`, { headers: AUTH });
  check('seeded content', c2.headers.get('content-type') === 'audio/x-m4a' && (await c2.text()) === 'RIFFwav');
  await fetch(`${emu.url}/__emulator/content/888`, { method: 'POST', headers: { 'content-type': 'video/mp4' }, body: new Uint8Array([1, 2, 3]) });
  const c3 = await fetch(`${emu.url}/v2/bot/message/888/content`, { headers: AUTH });
  check('content over HTTP', c3.headers.get('content-type') === 'video/mp4' && Buffer.from(await c3.arrayBuffer()).equals(Buffer.from([1, 2, 3])));

  // Faults
  emu.reset();
  emu.state.faults.push({ method: 'GET', path: '/v2/bot/profile/Ufault', status: 500, times: 1 });
  const f1 = await call('GET', '/v2/bot/profile/Ufault');
  const f2 = await call('GET', '/v2/bot/profile/Ufault');
  check('fault once', f1.status === 500 && f2.status === 200, [f1.status, f2.status]);
  check('fault recorded, not a violation', emu.requests()[0]!.status === 500 && emu.violations().length === 0);
  const fr = await call('POST', '/__emulator/faults', { pathRegex: '^/v2/bot/message/(reply|push)$', status: 429, body: { message: 'Too many requests' }, headers: { 'retry-after': '1' } }, {});
  check('fault over HTTP 201', fr.status === 201);
  const f3 = await call('POST', '/v2/bot/message/reply', { replyToken: 'tokF', messages: [{ type: 'text', text: 'x' }] });
  check('regex fault', f3.status === 429 && f3.json.message === 'Too many requests' && f3.headers.get('retry-after') === '1' && !!f3.headers.get('x-line-request-id'));
  check('faulted reply does not use the token', !emu.state.usedReplyTokens.has('tokF'));
  check('fault clear', (await call('DELETE', '/__emulator/faults', undefined, {})).status === 200 && emu.state.faults.length === 0);
  check('after clear', (await call('POST', '/v2/bot/message/reply', { replyToken: 'tokF', messages: [{ type: 'text', text: 'x' }] })).status === 200);

  // Request filters and reset over HTTP
  const before = Date.now();
  await new Promise((r) => setTimeout(r, 5));
  await call('GET', '/v2/bot/group/Cfilter/summary');
  const byPath = (await call('GET', '/__emulator/requests?path=/group/', undefined, {})).json.requests;
  check('filter by path', byPath.length === 1 && byPath[0].path === '/v2/bot/group/Cfilter/summary', byPath);
  const bySince = (await call('GET', `/__emulator/requests?since=${before}`, undefined, {})).json.requests;
  check('filter by since', bySince.length === 1, bySince);
  check('reset over HTTP', (await call('POST', '/__emulator/reset', undefined, {})).status === 200 && emu.requests().length === 0 && emu.state.usedReplyTokens.size === 0);

  // Operations not modelled specifically
  const loading = await call('POST', '/v2/bot/chat/loading/start', { chatId: 'Uabc' });
  check('generic 2xx for body-less responses', loading.status === 202 || loading.status === 200, loading);
  const info = await call('GET', '/v2/bot/info');
  check('501 for unmodelled data', info.status === 501, info.json);
  const loadingBad = await call('POST', '/v2/bot/chat/loading/start', {});
  check('generic ops validated too', loadingBad.status === 400, loadingBad.json);
} finally {
  await emu.close();
}

console.log(`${failures === 0 ? 'OK' : 'FAILED'}: ${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
