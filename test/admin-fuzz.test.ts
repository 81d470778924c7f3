/**
 * No input makes the management API answer 5xx. fast-check throws generated hostile values at every
 * operation of the served OpenAPI document and at each of its parameters (path, query, body fields),
 * one target at a time so each value gets past the others: strings with U+0000 and lone surrogates,
 * huge, negative and fractional numbers, 1e400 as text and as a JSON literal, very long strings,
 * unicode, wrong JSON types, arrays and objects where scalars belong, extra fields, broken JSON and
 * other content types. Every answer must be documented for its operation and match its schema
 * (errors: the Error envelope; a 400 names the field).
 *
 * Values that could name rows other test files use (small integer ids) are left out: the suite
 * shares one database, and a retry or a binding code there would disturb them.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { contract, operationsOf, type AdminFetchOptions, type Contract } from './support/admin';

let api: Contract;
beforeAll(async () => {
  api = await contract();
});

const RUNS = 400;
const TIME_LIMIT_MS = 45_000;

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const b64url = (text: string) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** A valid body per operation, so a hostile value in one field is not masked by another. */
const validBodies: Record<string, () => Record<string, unknown>> = {
  createUser: () => ({ username: `fuzz.${unique()}` }),
  createProject: () => ({ name: `Fuzz ${unique()}` }),
  updateGroup: () => ({ allowAiResponse: true }),
  updateProject: () => ({ aiInstructions: 'fuzz' }),
  setProjectMember: () => ({ role: 'member' }),
  // Under a random key (the path's valid value for a string): a 404, never a change to a real text.
  setBotText: () => ({ text: 'fuzz' }),
  pauseGroupAi: () => ({ hours: 1 }),
  pauseLineUserAi: () => ({ hours: null }),
};

/**
 * Percent-encoding that also carries lone surrogates, as their WTF-8 bytes (what a client sending
 * raw bytes could put in a URL): encodeURIComponent throws on them.
 */
function pct(s: string): string {
  let out = '';
  for (const ch of s) {
    const u = ch.charCodeAt(0);
    if (ch.length === 1 && u >= 0xd800 && u <= 0xdfff) {
      out += [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

const specials = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\ud83d\ude00',
  '',
  ' ',
  '\t',
  '\n',
  '0',
  '-0',
  '-1',
  '1.5',
  '1e3',
  '1e400',
  '-1e400',
  '1e-400',
  '0x10',
  '+5',
  ' 7 ',
  '00000000000000000001',
  '2147483647',
  '2147483648',
  '4294967296',
  '9007199254740991',
  '9007199254740992',
  '99999999999999999999999',
  'NaN',
  'Infinity',
  '-Infinity',
  'null',
  'undefined',
  'true',
  'false',
  '[]',
  '{}',
  '[1]',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '../..',
  'C',
  'U',
  'R',
  'C'.repeat(64),
  'U'.padEnd(33, 'f'),
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '{00000000-0000-0000-0000-000000000000}',
  '中文字',
  'é',
  'e\u0301',
  '\u202egnp.exe',
  '\ufeff',
  '\uffff',
  '\u{10ffff}',
  '🙂'.repeat(300),
];
/** Already percent-encoded or broken encodings, put into the URL as they are. */
const rawTokens = ['%', '%zz', '%E0%A4%A', '%ED%A0%80', '%C0%80', '%00', '%2F', '%2e%2e', '+', '%2B', '%FF%FE', '%25'];

const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.constantFrom('1e400', '-8640000000000001', '253402300800000', '-62135596800001', '9007199254740992'),
);
const hostileText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...specials) },
  { weight: 2, arbitrary: fc.string({ unit: utf16Unit, maxLength: 40 }) },
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  numberText,
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => `${u}0`),
  fc.integer({ min: 65, max: 6000 }).map((n) => 'x'.repeat(n)),
  fc.tuple(numberText, fc.oneof(fc.uuid(), numberText)).map(([ms, id]) => b64url(`${ms}:${id}`)),
);
/** Cursors of the right form ("ms:id", base64url) around the edges of what the columns hold. */
const edgeMs = [
  -62135596800001, -62135596800000, 0, 253402300799999, 253402300800000, 8.64e15, -8.64e15, 999999999999999,
];
const cursorish = fc
  .tuple(
    fc
      .oneof(
        fc.maxSafeInteger(),
        fc.constantFrom(...edgeMs),
        fc.integer({ min: 253402300800000, max: 999999999999999 }),
      )
      .map(String),
    fc.oneof(
      fc.uuid(),
      fc.maxSafeNat().map(String),
      fc.constantFrom('0', '-1', '9007199254740992', '9223372036854775808', '1.5'),
    ),
  )
  .map(([ms, id]) => b64url(`${ms}:${id}`));
/** Dates of the right form (YYYY-MM-DD) at the edges of the calendar and of what Postgres holds. */
const dateish = fc.oneof(
  fc.constantFrom(
    '0000-01-01',
    '0001-01-01',
    '9999-12-31',
    '2024-02-29',
    '2026-02-29',
    '2026-02-30',
    '2026-13-01',
    '2026-00-10',
    '2026-01-32',
    '1899-12-31',
    '1970-01-01',
  ),
  fc
    .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
  fc
    .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }))
    .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
);
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -0, 2 ** 31, -(2 ** 63)),
  fc.array(hostileText, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), hostileText, { maxKeys: 3 }),
);
/** Literals JSON.stringify cannot produce, spliced into an otherwise valid body. */
const jsonLiterals = [
  '1e400',
  '-1e400',
  '1e-400',
  '123456789012345678901234567890',
  '-0',
  '"\\u0000"',
  '"\\ud800"',
  '"\\udc00\\ud800"',
  '[[[[[]]]]]',
];
const malformedJson = ['', '{', '{"a":', 'nul', '{"a":1}x', '\u0000', "{'a':1}", '{"a":1,}', '\ufeff{}', '[1,2'];
const otherTypes = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json;',
  'application/xml',
  'application/jsonx',
  '',
];
const jsonTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/merge-patch+json',
];

/** Could name an existing account or inbox row: never sent (see the header comment). */
const mayExist = (s: string) => /^\d{1,16}$/.test(s) && Number(s) >= 1 && Number(s) < 2_000_000_000;

interface Plan {
  operationId: string;
  method: string;
  path: string;
  options: AdminFetchOptions;
}

function planner() {
  const ops = operationsOf(api.doc).map(({ method, template, op }) => {
    const params: Array<{ name: string; in: string; schema: any }> = op.parameters ?? [];
    const bodyRef: string | undefined = op.requestBody?.content['application/json'].schema.$ref;
    const bodyFields = bodyRef ? Object.keys(api.doc.components.schemas[bodyRef.split('/').pop()!].properties) : [];
    return {
      method,
      template,
      operationId: op.operationId as string,
      params,
      bodyFields,
      hasBody: Boolean(op.requestBody),
    };
  });

  const pathValue = fc.oneof(
    { weight: 5, arbitrary: hostileText.filter((s) => !mayExist(s)).map(pct) },
    fc.constantFrom(...rawTokens),
  );
  const queryValue = fc.oneof(
    { weight: 5, arbitrary: hostileText.map(pct) },
    fc.constantFrom(...rawTokens),
    fc.array(hostileText.map(pct), { minLength: 2, maxLength: 3 }),
  );
  // The cursor is opaque to clients, but a forged one must still be a 400.
  const cursorValue = fc.oneof({ weight: 3, arbitrary: cursorish }, queryValue);
  const dateValue = fc.oneof({ weight: 3, arbitrary: dateish }, queryValue);
  const valueFor = (q: string) => (q === 'before' ? cursorValue : q === 'from' || q === 'to' ? dateValue : queryValue);
  const bodyFor = (op: (typeof ops)[number], target: string) => {
    const valid = validBodies[op.operationId]!;
    const json = (text: string) =>
      fc.constantFrom(...jsonTypes).map((type) => ({ rawBody: text, headers: { 'content-type': type } }));
    if (op.bodyFields.includes(target))
      return hostileJson.chain((v) => json(JSON.stringify({ ...valid(), [target]: v })));
    if (target === 'extra field') {
      return fc
        .tuple(fc.string({ unit: utf16Unit, maxLength: 10 }), hostileJson)
        .chain(([k, v]) => json(JSON.stringify({ ...valid(), [k]: v })));
    }
    if (target === 'all fields') {
      return fc
        .array(hostileJson, { minLength: op.bodyFields.length, maxLength: op.bodyFields.length })
        .chain((vs) => json(JSON.stringify(Object.fromEntries(op.bodyFields.map((f, i) => [f, vs[i]])))));
    }
    // the body as a whole
    return fc.oneof(
      hostileJson.chain((v) => json(JSON.stringify(v) ?? 'null')),
      fc
        .tuple(fc.constantFrom(...op.bodyFields), fc.constantFrom(...jsonLiterals))
        .chain(([f, lit]) => json(`{"${f}":${lit}}`)),
      fc.constantFrom(...malformedJson).chain(json),
      fc
        .tuple(fc.constantFrom(...otherTypes), fc.constantFrom('{"name":"x"}', 'name=x', '<x/>', '\u0000'))
        .map(([type, rawBody]) => ({
          rawBody,
          headers: type ? { 'content-type': type } : {},
        })),
    );
  };

  return fc.oneof(
    ...ops.map((op) => {
      const pathParams = op.params.filter((p) => p.in === 'path');
      const queryParams = op.params.filter((p) => p.in === 'query').map((p) => p.name);
      const targets = [
        ...pathParams.map((p) => `path ${p.name}`),
        ...queryParams.map((q) => `query ${q}`),
        'query extra',
        ...(op.hasBody ? [...op.bodyFields, 'extra field', 'all fields', 'whole body'] : []),
        ...(pathParams.length + queryParams.length > 0 ? ['everything'] : []),
      ];
      return fc.constantFrom(...targets).chain((target) => {
        const hostile = (name: string) => target === 'everything' || target === name;
        const path = fc
          .tuple(
            ...pathParams.map((p) => (hostile(`path ${p.name}`) ? pathValue : fc.constant(validPathValue(p.schema)))),
          )
          .map((values) => pathParams.reduce((t, p, i) => t.replace(`{${p.name}}`, values[i]!), op.template));
        const query = fc
          .tuple(
            ...queryParams.map((q) => (hostile(`query ${q}`) ? valueFor(q).map((v) => ({ [q]: v })) : fc.constant({}))),
            target === 'query extra'
              ? fc.tuple(fc.string({ maxLength: 8 }).map(pct), queryValue).map(([k, v]) => ({ [k || 'x']: v }))
              : fc.constant({}),
          )
          .map((parts) => Object.assign({}, ...parts) as Record<string, string | string[]>);
        const body: fc.Arbitrary<AdminFetchOptions> = op.hasBody
          ? op.bodyFields.includes(target) || ['extra field', 'all fields', 'whole body'].includes(target)
            ? bodyFor(op, target)
            : fc.constant({ body: validBodies[op.operationId]!() })
          : op.method === 'GET'
            ? fc.constant({})
            : fc.option(fc.constant({ rawBody: 'ignored', headers: { 'content-type': 'text/plain' } }), { nil: {} });
        return fc.tuple(path, query, body).map(
          ([p, q, options]): Plan => ({
            operationId: `${op.operationId} (${target})`,
            method: op.method,
            path: p + queryString(q),
            options,
          }),
        );
      });
    }),
  );
}

/**
 * A path value that is well formed and names nothing: a random UUID, or the largest id the column
 * holds; for a choice (a bot text's language), its first.
 */
const validPathValue = (schema: { type?: string; maximum?: number; enum?: string[] }) =>
  schema.enum ? schema.enum[0]! : schema.type === 'integer' ? String(schema.maximum) : crypto.randomUUID();

const queryString = (q: Record<string, string | string[]>) => {
  const pairs = Object.entries(q).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`));
  return pairs.length ? `?${pairs.join('&')}` : '';
};

describe('hostile input never gets a 5xx', () => {
  it(
    `${RUNS} generated requests over every operation and parameter`,
    async () => {
      const counts = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(planner(), async (plan) => {
          const { status, body } = await api.call(plan.method, plan.path, plan.options);
          if (status === 400) expect(body.error.fields?.length, `${plan.method} ${plan.path}`).toBeGreaterThan(0);
          const op = plan.operationId.split(' ')[0]!;
          counts.set(`${op} ${status}`, (counts.get(`${op} ${status}`) ?? 0) + 1);
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
      );
      // Every operation was reached; most answers are refusals, some got through to the database.
      const ops = new Set([...counts.keys()].map((k) => k.split(' ')[0]));
      expect([...ops].sort()).toEqual(
        operationsOf(api.doc)
          .map((o) => o.op.operationId)
          .sort(),
      );
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const passed = [...counts].filter(([k]) => !/ 4\d\d$/.test(k)).reduce((a, [, n]) => a + n, 0);
      console.warn(
        JSON.stringify({ msg: 'fuzz.summary', total, passed, counts: Object.fromEntries([...counts].sort()) }),
      );
      expect(total).toBeGreaterThan(RUNS / 4);
      expect(passed).toBeGreaterThan(0);
    },
    TIME_LIMIT_MS + 30_000,
  );
});
