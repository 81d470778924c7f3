/**
 * Issue 8, "intake no content can block": whatever a signed webhook body's events contain, they
 * are recorded and processed (done, failed or dead, never stuck), the valid events beside them are
 * processed normally, and the answer is 200, or 400 / 401 / 413 for a body that is not a webhook,
 * is not signed, or is too big. 503 only when the database is really unreachable.
 *
 * Hostile values: U+0000 and lone surrogates in strings and keys, numbers JSON.parse cannot keep
 * (1e400) or a bigint column cannot hold (2**64), huge strings, wrong types, nested garbage, deep
 * nesting. Event shapes come from the LINE SDKs' webhook bodies (test/fixtures/webhook-examples/).
 */
import { inArray, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_WEBHOOK_BODY_BYTES } from '../src/config/constants';
import { lineWebhookEvents } from '@linebot-edge/shared/schema';
import { inboxKey } from '../src/inbox/record';
import { MAX_DEPTH, storable, TOO_DEEP } from '../src/inbox/storable';
import { fromLineTimestamp } from '../src/lib/time';
import { INT4, num, SAFE_INTEGER } from '../src/lib/values';
import type { WebhookEventObject } from '../src/line/webhook-body';
import { signBody } from '../src/webhook/signature';
import { withDb } from './support/db';
import { violations } from './support/emulator';
import { event, newId, postWebhook, textEvent } from './support/line';

const started = Date.now();
const KiB = 1024;

// ---------------------------------------------------------------------------------------------
// Building bodies with values JSON.stringify cannot write

/**
 * Raw JSON text spliced into a body: JSON.stringify writes Infinity as null and 2**64 rounded, so
 * such values travel as a marker string that `bodyText` replaces with the literal.
 */
const RAW: string[] = [];
const raw = (json: string) => `@@raw:${RAW.push(json) - 1}@@`;
const bodyText = (body: unknown) => JSON.stringify(body).replace(/"@@raw:(\d+)@@"/g, (_, i: string) => RAW[Number(i)]!);
const webhookText = (events: unknown[], destination: unknown = 'Uffffffffffffffffffffffffffffffff') =>
  bodyText({ destination, events });

/** Own properties whatever the key ("__proto__" assigned with `=` would set the prototype). */
function put<T extends object>(obj: T, key: string, value: unknown): T {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}
const objectOf = (entries: [string, unknown][]) =>
  entries.reduce((o, [k, v]) => put(o, k, v), {} as Record<string, unknown>);

// ---------------------------------------------------------------------------------------------
// The hostile values

const hostileStrings = [
  '\u0000',
  'a\u0000b',
  '\uD800', // a lone high surrogate
  '\uDFFF', // a lone low surrogate
  'x\uD83D', // high at the end
  '\uDE00x', // low at the start
  '\uDC00\uD800', // a pair the wrong way round
  '\u0000'.repeat(64),
  'ok 😀 \uD83D',
];
const hostileNumbers = [
  '1e400',
  '-1e400',
  String(2n ** 64n),
  String(2n ** 70n),
  String(2n ** 63n),
  String(-(2n ** 63n) - 1n),
  '1e-400',
  '-0',
  '123456789012345678901234567890.5',
  '1.7976931348623157e308',
].map(raw);
const wrongTypes: unknown[] = [{}, [], true, false, null, 0, -1, 1.5, '', 5, { type: 5 }, [[[]]], { id: {} }];
const hostileKeys = [
  '\u0000',
  'k\u0000',
  '\uD800',
  '\uDC00k',
  '__proto__',
  'constructor',
  '',
  'toString',
  'k'.repeat(1000),
];
/** 100 KiB, with a NUL and lone surrogates in it. */
const huge = `\u0000${'x'.repeat(50 * KiB)}\uD800${'y'.repeat(50 * KiB - 3)}\uDC00`;
const deepArray = raw('['.repeat(5000) + ']'.repeat(5000));
const deepObject = raw('{"a":'.repeat(3000) + 'null' + '}'.repeat(3000));
const smallGarbage = objectOf([
  ['\u0000', ['\uD800', raw('1e400'), { __proto__x: null }]],
  ['__proto__', { polluted: true }],
  ['n', raw(String(2n ** 64n))],
]);

/** Small hostile values for the every-path sweep, used in turn. */
const sweepValues: unknown[] = [...hostileStrings, ...hostileNumbers, ...wrongTypes, smallGarbage];

// fast-check arbitraries: any UTF-16 code unit, biased towards the ones Postgres refuses.
const codeUnits = fc
  .array(
    fc.oneof(
      fc.constantFrom('\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '😀', 'a', 'é', '"', '\\'),
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    ),
    { maxLength: 16 },
  )
  .map((units) => units.join(''));
const hostileString = fc.oneof(fc.constantFrom(...hostileStrings), codeUnits);
const hostileKey = fc.oneof(fc.constantFrom(...hostileKeys), codeUnits);
const leaf = fc.oneof(
  hostileString,
  fc.constantFrom(...hostileNumbers),
  fc.constantFrom(...wrongTypes),
  fc.double(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((n) => raw(String(n))),
);
const { garbage } = fc.letrec((tie) => ({
  garbage: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('garbage'), { maxLength: 4 }),
  object: fc.array(fc.tuple(hostileKey, tie('garbage')), { maxLength: 4 }).map(objectOf),
}));
const hostile = fc.oneof(
  { weight: 12, arbitrary: garbage },
  { weight: 1, arbitrary: fc.constantFrom(huge, deepArray, deepObject) },
);

// ---------------------------------------------------------------------------------------------
// Event shapes from the LINE SDKs' bodies: the richest event of each type / message type / source type

type Path = string[];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isContainer = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function pathsOf(value: unknown, at: Path = []): Path[] {
  if (!isContainer(value)) return [at];
  return [at, ...Object.keys(value).flatMap((k) => pathsOf(value[k], [...at, k]))];
}
const getAt = (value: unknown, path: Path) =>
  path.reduce<unknown>((v, k) => (isContainer(v) ? v[k] : undefined), value);
function setAt(root: unknown, path: Path, value: unknown) {
  put(getAt(root, path.slice(0, -1)) as object, path.at(-1)!, value);
}

const fixtureBodies = import.meta.glob<string>('./fixtures/webhook-examples/*.json', {
  query: '?raw',
  import: 'default',
  eager: true,
});
const templates: WebhookEventObject[] = (() => {
  const richest = new Map<string, WebhookEventObject>();
  for (const text of Object.values(fixtureBodies)) {
    for (const ev of JSON.parse(text).events as WebhookEventObject[]) {
      const kind = [ev.type, (ev.message as { type?: string })?.type, (ev.source as { type?: string })?.type].join('/');
      const prev = richest.get(kind);
      if (!prev || pathsOf(prev).length < pathsOf(ev).length) richest.set(kind, ev);
    }
  }
  // The bot's own buttons (AI file offers, `offer:<uuid>`) reach a handler, unlike other postbacks.
  const offerTap = (source: Record<string, string>) =>
    ({
      type: 'postback',
      mode: 'active',
      timestamp: 1_700_000_000_000,
      webhookEventId: '01OFFERTAPTEMPLATE',
      deliveryContext: { isRedelivery: false },
      replyToken: 'b60d432864f44d079f6d8efe86cf404b',
      source,
      postback: { data: `offer:${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}` },
    }) as WebhookEventObject;
  return [
    ...richest.values(),
    offerTap({ type: 'group', groupId: 'C1', userId: 'U1' }),
    offerTap({ type: 'user', userId: 'U1' }),
  ];
})();

/** A template with fresh ids, so this run's rows are its own (all test files share one database). */
function fresh(template: WebhookEventObject): Record<string, unknown> {
  const ev = structuredClone(template) as Record<string, unknown>;
  ev.webhookEventId = newId.event();
  if (isObject(ev.message) && 'id' in ev.message) ev.message.id = newId.message();
  if (isObject(ev.source)) {
    if ('userId' in ev.source) ev.source.userId = newId.user();
    if ('groupId' in ev.source) ev.source.groupId = newId.group();
    if ('roomId' in ev.source) ev.source.roomId = newId.room();
  }
  return ev;
}

type Mutation = { kind: 'replace' | 'addKey'; at: number; key: string; value: unknown };
function mutate(ev: Record<string, unknown>, m: Mutation) {
  // A copy: fast-check's values must stay as generated (for shrinking), and a later mutation
  // could otherwise put a value inside itself. (JSON.parse keeps "__proto__" an own key.)
  const value = JSON.parse(JSON.stringify(m.value) ?? 'null') as unknown;
  if (m.kind === 'replace') {
    const paths = pathsOf(ev).filter((p) => p.length > 0);
    setAt(ev, paths[m.at % paths.length]!, value);
  } else {
    const paths = pathsOf(ev).filter((p) => isObject(getAt(ev, p)));
    put(getAt(ev, paths[m.at % paths.length]!) as object, m.key, value);
  }
}

// ---------------------------------------------------------------------------------------------
// The oracle, written from the rules (docs/architecture.md#rules-that-hold-everywhere), not from the code under test

/**
 * The entries of a body that is a webhook: UTF-8 JSON, an object, `events` an array. Each entry
 * that is an object with a non-empty string `type` is an event; any other entry is kept as `invalid`.
 */
function webhookEntries(bytes: Uint8Array): unknown[] | null {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return null;
  }
  if (!isObject(body) || !Array.isArray(body.events)) return null;
  return body.events;
}
const isEvent = (e: unknown): e is WebhookEventObject => isObject(e) && typeof e.type === 'string' && e.type !== '';

const FINAL = ['done', 'failed', 'dead'];
/** What `newId.event()` makes. */
const FRESH_ID = /^01TEST[0-9A-F]{20}$/;

/**
 * Posts a body and checks everything the rules promise: the status, and for a webhook that every
 * event is in the inbox once, processed to a final status, with the storable form of what was
 * sent; the valid events' messages are stored.
 */
async function postAndCheck(
  body: string | Uint8Array,
  opts: { signed?: boolean; valid?: { webhookEventId: string; messageId: string }[] } = {},
) {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const signed = opts.signed ?? true;
  const events = webhookEntries(bytes);
  const expected = bytes.byteLength > MAX_WEBHOOK_BODY_BYTES ? 413 : !signed ? 401 : events ? 200 : 400;
  const res = await postWebhook(bytes, signed ? {} : { signature: await signBody('not-the-channel-secret', bytes) });
  const answer = await res.text();
  expect(res.status, answer.slice(0, 500)).toBe(expected);
  if (expected !== 200 || events!.length === 0) return;

  const result = JSON.parse(answer) as { status: string; recorded?: number; invalid?: number; duplicates?: number };
  if (result.status === 'recorded')
    expect(result.recorded! + result.invalid! + result.duplicates!).toBe(events!.length);
  const keys = await Promise.all(events!.map((e) => inboxKey(e)));
  const rows = await withDb((db) =>
    db
      .select({
        key: lineWebhookEvents.webhookEventId,
        status: lineWebhookEvents.status,
        payload: lineWebhookEvents.payload,
      })
      .from(lineWebhookEvents)
      .where(inArray(lineWebhookEvents.webhookEventId, [...new Set(keys)])),
  );
  const byKey = new Map(rows.map((r) => [r.key, r]));
  expect(rows).toHaveLength(new Set(keys).size);
  events!.forEach((ev, i) => {
    const row = byKey.get(keys[i]!);
    expect(row, `entry ${i} (${keys[i]}) is not in the inbox`).toBeDefined();
    if (!isEvent(ev)) {
      // Not an event: kept as received (in its storable form), never processed.
      expect(row!.status, `entry ${i} is no event`).toBe('invalid');
      expect(row!.payload).toEqual(storable(ev) ?? null);
      return;
    }
    expect(FINAL, `event ${i} (${keys[i]}) ended ${row!.status}`).toContain(row!.status);
    // Keyed by a fresh id of ours: the row is this event's, with exactly its storable form.
    if (ev.webhookEventId === keys[i] && FRESH_ID.test(keys[i]!)) expect(row!.payload).toEqual(storable(ev));
  });

  for (const { webhookEventId, messageId } of opts.valid ?? []) {
    expect(byKey.get(webhookEventId)?.status).toBe('done');
    const stored = await withDb((db) =>
      db.execute(sql`select message_id from line_messages where message_id = ${messageId}`),
    );
    expect(stored.rows, `message ${messageId} of a valid event was not stored`).toHaveLength(1);
  }
}

const validText = () => textEvent({ userId: newId.user() }, 'a valid neighbour');
const validRef = (ev: ReturnType<typeof validText>) => ({
  webhookEventId: ev.webhookEventId,
  messageId: ev.message.id,
});

/**
 * Runs a test body, reporting a failure with lone surrogates escaped: vitest sends failures to
 * Node over a WebSocket, and a lone surrogate in a text frame is invalid UTF-8 that kills the run
 * (the failure is then lost). The message alone also keeps vitest's diff of 100 KiB values out.
 */
const escapingFailures = (fn: () => Promise<void> | void) => async () => {
  try {
    await fn();
  } catch (err) {
    // fast-check's error holds the property's own failure as its cause: that goes first.
    const show = (e: unknown) =>
      e instanceof Error ? `${e.stack?.includes(e.message) ? e.stack : `${e.message}\n${e.stack}`}` : String(e);
    const text = [(err as Error).cause, err]
      .filter(Boolean)
      .map((e) => show(e).slice(0, 10_000))
      .join('\n\n');
    throw new Error(text.replace(/\p{Cs}/gu, (c) => `\\u${c.charCodeAt(0).toString(16)}`));
  }
};

// ---------------------------------------------------------------------------------------------

describe('bodies that got 503 before issue 8 (and were redelivered forever)', () => {
  const hostileEvents: [string, () => unknown][] = [
    ['U+0000 in a string', () => event('postback', { userId: newId.user() }, { postback: { data: 'a\u0000b' } })],
    ['U+0000 in a key', () => event('postback', { userId: newId.user() }, { postback: { 'a\u0000': 1 } })],
    ['a lone surrogate', () => event('postback', { userId: newId.user() }, { postback: { data: '\uD800' } })],
    ['timestamp 2**64', () => event('postback', { userId: newId.user() }, { timestamp: raw(String(2n ** 64n)) })],
    [
      'nesting 50,000 deep',
      () => event('postback', { userId: newId.user() }, { postback: raw('['.repeat(50_000) + ']'.repeat(50_000)) }),
    ],
  ];
  it.each(hostileEvents)('%s: 200, and the valid event beside it is processed', (_name, hostileEvent) =>
    escapingFailures(async () => {
      const ok = validText();
      await postAndCheck(webhookText([ok, hostileEvent()]), { valid: [validRef(ok)] });
    })(),
  );

  it(
    'an over-long destination',
    escapingFailures(async () => {
      const ok = validText();
      await postAndCheck(webhookText([ok], `U${'f'.repeat(100)}\u0000`), { valid: [validRef(ok)] });
    }),
  );

  it('503 still when the database is unreachable, hostile content or not', async () => {
    const body = webhookText([validText(), event('postback', null, { postback: { data: '\u0000\uD800' } })]);
    const res = await postWebhook(body, { env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' } });
    expect(res.status).toBe(503);
  });
});

describe('what gets stored', () => {
  it(
    'one body with each hostile value: U+FFFD for NUL and lone surrogates, null for what no column or jsonb holds',
    escapingFailures(async () => {
      const userId = newId.user();
      const everything = event(
        'postback',
        { userId },
        {
          postback: objectOf([
            ['nul', 'a\u0000b'],
            ['high', 'x\uD800y'],
            ['low', '\uDC00'],
            ['reversed', '\uDC00\uD800'],
            ['pair', 'ok 😀'],
            ['k\u0000', 1],
            ['\uD800', 2],
            ['huge', huge],
            ['inf', raw('1e400')],
            ['negInf', raw('-1e400')],
            ['two64', raw(String(2n ** 64n))],
            ['two70', raw(String(2n ** 70n))],
            ['negZero', raw('-0')],
            ['deep', raw('['.repeat(5000) + ']'.repeat(5000))],
            ['__proto__', { polluted: true }],
          ]),
        },
      );
      const misshapen = { type: 'message', timestamp: 'x', source: 5, webhookEventId: {}, message: 7 };
      const longId = event(
        'post\u0000back',
        { userId },
        { webhookEventId: 'A'.repeat(500), timestamp: raw(String(2n ** 64n)) },
      );
      const longTypes = event(`x\u0000${'y'.repeat(100)}`, null, {
        timestamp: raw('1e400'),
        source: { type: `gr\u0000oup${'p'.repeat(40)}`, userId },
      });
      const ok = validText();
      const destination = `U\u0000${'f'.repeat(100)}`;
      const body = webhookText([everything, misshapen, longId, longTypes, ok], destination);
      await postAndCheck(body, { valid: [validRef(ok)] });

      const keys = await Promise.all((JSON.parse(body).events as WebhookEventObject[]).map((e) => inboxKey(e)));
      expect(keys[0]).toBe(everything.webhookEventId);
      // A webhookEventId that is not a plain id of at most 80 characters: the hash of the event.
      expect(keys[1]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(keys[2]).toMatch(/^sha256:[0-9a-f]{64}$/);
      const rows = await withDb((db) =>
        db.select().from(lineWebhookEvents).where(inArray(lineWebhookEvents.webhookEventId, keys)),
      );
      const row = (i: number) => rows.find((r) => r.webhookEventId === keys[i])!;

      const p = (row(0).payload as { postback: Record<string, unknown> }).postback;
      expect(p).toMatchObject({
        nul: 'a\uFFFDb',
        high: 'x\uFFFDy',
        low: '\uFFFD',
        reversed: '\uFFFD\uFFFD',
        pair: 'ok 😀',
      });
      expect(p['k\uFFFD']).toBe(1);
      expect(p['\uFFFD']).toBe(2);
      expect(p.huge).toBe(`\uFFFD${'x'.repeat(50 * KiB)}\uFFFD${'y'.repeat(50 * KiB - 3)}\uFFFD`);
      expect(p).toMatchObject({ inf: null, negInf: null, two64: 2 ** 64, two70: 2 ** 70, negZero: 0 });
      // Nested arrays down to MAX_DEPTH (the event is level 0, postback 1, deep 2), then the marker.
      let deep = p.deep;
      for (let level = 2; level < MAX_DEPTH; level++) deep = (deep as unknown[])[0];
      expect(deep).toBe(TOO_DEEP);
      expect(Object.hasOwn(p, '__proto__')).toBe(true);
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
      expect(row(0)).toMatchObject({
        destination: `U\uFFFD${'f'.repeat(62)}`,
        eventType: 'postback',
        sourceType: 'user',
      });

      expect(row(1)).toMatchObject({ eventType: 'message', sourceType: null, eventTimestamp: null, status: 'done' });
      expect(row(1).payload).toEqual(misshapen);
      expect(row(2)).toMatchObject({ eventType: 'post\uFFFDback', eventTimestamp: null });
      expect(row(2).payload).toMatchObject({ webhookEventId: 'A'.repeat(500), timestamp: 2 ** 64 });
      expect(row(3)).toMatchObject({
        eventType: `x\uFFFD${'y'.repeat(62)}`,
        sourceType: `gr\uFFFDoup${'p'.repeat(26)}`,
        eventTimestamp: null,
      });
      expect(row(3).payload).toMatchObject({ timestamp: null });
      expect(row(4)).toMatchObject({ eventType: 'message', eventTimestamp: ok.timestamp, status: 'done' });

      // The same bytes again (LINE's redelivery): the same keys, nothing recorded twice.
      const again = await postWebhook(body);
      expect(await again.json()).toMatchObject({ recorded: 0, duplicates: 5 });
    }),
  );

  it(
    'a surrogate pair is never cut in half by a bounded column',
    escapingFailures(async () => {
      const ev = event(`${'t'.repeat(63)}😀`, null);
      await postAndCheck(webhookText([ev]));
      const [row] = await withDb((db) =>
        db
          .select()
          .from(lineWebhookEvents)
          .where(inArray(lineWebhookEvents.webhookEventId, [ev.webhookEventId])),
      );
      expect(row?.eventType).toBe('t'.repeat(63));
    }),
  );

  it(
    'storable is idempotent and its JSON is what jsonb accepts',
    escapingFailures(() => {
      fc.assert(
        fc.property(fc.oneof(garbage, fc.constantFrom(huge)), (value) => {
          const once = storable(JSON.parse(bodyText(value)));
          expect(storable(once)).toEqual(once);
          const text = JSON.stringify(once);
          expect(text).not.toContain('\\u0000');
          expect(text.isWellFormed()).toBe(true);
        }),
        { numRuns: 500 },
      );
    }),
  );
});

describe('reading numbers from stored events', () => {
  it('num() with a range refuses what the column cannot hold; fromLineTimestamp falls back', () => {
    expect(num(2 ** 64)).toBe(2 ** 64);
    expect(num(2 ** 64, SAFE_INTEGER)).toBeNull();
    expect(num(2 ** 31, INT4)).toBeNull();
    expect(num(-(2 ** 31), INT4)).toBe(-(2 ** 31));
    expect(num(12.7, INT4)).toBe(12);
    expect(num(null, INT4)).toBeNull();
    const fallback = new Date(0);
    expect(fromLineTimestamp(2 ** 70, fallback)).toBe(fallback);
    expect(fromLineTimestamp(-8.64e15, fallback)).toBe(fallback);
    expect(fromLineTimestamp(1_700_000_000_000, fallback).toISOString()).toBe('2023-11-14T22:13:20.000Z');
  });
});

describe('property: any signed webhook body is recorded and processed', () => {
  it(
    'hostile values at every path of every event type (a sweep)',
    escapingFailures(async () => {
      for (const template of templates) {
        const events: unknown[] = [];
        pathsOf(template).forEach((path, i) => {
          const value = sweepValues[i % sweepValues.length];
          if (path.length > 0) {
            const ev = fresh(template);
            // A `type` that is not a non-empty string makes the entry `invalid`; its neighbours are still processed.
            setAt(ev, path, value);
            events.push(ev);
          }
          if (isObject(getAt(template, path))) {
            const ev = fresh(template);
            put(getAt(ev, path) as object, hostileKeys[i % hostileKeys.length]!, value);
            events.push(ev);
          }
        });
        const big = fresh(template);
        put(big, 'huge', huge);
        put(big, 'deep', deepArray);
        const ok = validText();
        await postAndCheck(webhookText([...events, big, ok]), { valid: [validRef(ok)] });
      }
    }),
    120_000,
  );

  it(
    'fuzzed bodies: webhooks with hostile events, non-webhooks, oversize and unsigned bodies',
    escapingFailures(async () => {
      const mostlySigned = fc.oneof(
        { weight: 19, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      );
      const mutation = fc.record({
        kind: fc.constantFrom('replace' as const, 'addKey' as const),
        at: fc.nat(),
        key: hostileKey,
        value: hostile,
      });
      const hostileEvent = fc.record({
        template: fc.constantFrom(...templates),
        mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
      });
      const webhookCase = fc.record({
        kind: fc.constant('webhook' as const),
        events: fc.array(fc.option(hostileEvent, { freq: 4 }), { minLength: 1, maxLength: 5 }), // null: a valid text message
        destination: fc.oneof(
          { weight: 6, arbitrary: fc.constant('Uffffffffffffffffffffffffffffffff') },
          { weight: 2, arbitrary: hostileString },
          { weight: 1, arbitrary: fc.constantFrom(undefined, `U${'f'.repeat(100)}`) },
          { weight: 1, arbitrary: garbage },
        ),
        signed: mostlySigned,
      });
      const notWebhookCase = fc.record({
        kind: fc.constant('bytes' as const),
        bytes: fc.oneof(
          fc.constantFrom(
            '',
            'not json',
            '{',
            '{"events":',
            'null',
            '[]',
            '5',
            '"x"',
            '{"events":{}}',
            '{"events":"x"}',
            '{"events":null}',
            '{"events":[5]}',
            '{"events":[{}]}',
            '{"events":[{"type":""}]}',
            '{"events":[{"type":5}]}',
            '{"events":[null]}',
            '{"destination":5,"events":[]}',
            '{"events":[]}',
            '{"events":[{"type":"x"}]}x',
          ),
          codeUnits,
          fc.uint8Array({ maxLength: 64 }),
        ),
        signed: mostlySigned,
      });
      const oversizeCase = fc.record({
        kind: fc.constant('oversize' as const),
        json: fc.boolean(),
        signed: fc.boolean(),
      });
      const cases = fc.oneof(
        { weight: 16, arbitrary: webhookCase },
        { weight: 3, arbitrary: notWebhookCase },
        { weight: 1, arbitrary: oversizeCase },
      );

      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          if (c.kind === 'bytes') return postAndCheck(c.bytes, { signed: c.signed });
          if (c.kind === 'oversize') {
            const filler = 'x'.repeat(MAX_WEBHOOK_BODY_BYTES);
            const body = c.json ? webhookText([event('postback', null, { postback: { data: filler } })]) : filler + '!';
            return postAndCheck(body, { signed: c.signed });
          }
          const valid: ReturnType<typeof validText>[] = [];
          const events = c.events.map((h) => {
            if (!h) return valid[valid.push(validText()) - 1];
            const ev = fresh(h.template);
            for (const m of h.mutations) mutate(ev, m);
            return ev;
          });
          return postAndCheck(webhookText(events, c.destination), { signed: c.signed, valid: valid.map(validRef) });
        }),
        { numRuns: 250 },
      );
    }),
    120_000,
  );
});

afterAll(async () => {
  const bad = (await violations()).filter((v) => v.at >= started);
  expect(bad, JSON.stringify(bad.slice(0, 5), null, 2).slice(0, 5000)).toEqual([]);
});
