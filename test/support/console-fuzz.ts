/**
 * The console's property tests (test/console-fuzz.test.ts, test/console-sends-fuzz.test.ts):
 * random requests to a file's own routes, hostile or near-valid, sent by a signed-in operator's
 * browser (session cookie and CSRF token, so they get past the guards into the screens and their
 * forms). Each file checks its own properties of the answers.
 */
import fc from 'fast-check';
import { send } from './console';

export interface ConsoleRequest {
  method: 'GET' | 'POST';
  /** A path under /admin; its first `{id}` is replaced by `id`. */
  template: string;
  id: string;
  query: Record<string, string>;
  /** Field and value pairs, so a field may come twice. */
  form: Array<[string, string]>;
  lang: string | undefined;
}

/** Values no form accepts, or that break a careless parser or page. */
const HOSTILE = [
  '',
  '\u0000',
  '\ud800',
  '<img src=x onerror=alert(1)>',
  "' OR 1=1 --",
  'x'.repeat(5000),
  'x'.repeat(5001),
  'MTIzOmFiYw',
  '%',
  '..',
];

/** Field values: `valid` ones (valid somewhere), and near-valid or hostile ones. */
export function fieldValues(valid: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...valid),
    fc.uuid().map(String),
    fc.integer({ min: -5, max: 2 ** 53 }).map(String),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(...HOSTILE),
  );
}

/**
 * Requests to `templates`: an id that is one of `known` (seeded rows) or none at all, a query
 * string and a form of `fields` and random names with `values`, any Accept-Language.
 */
export function consoleRequests(o: {
  templates: string[];
  known: string[];
  fields: string[];
  values: fc.Arbitrary<string>;
}): fc.Arbitrary<ConsoleRequest> {
  const ids = fc.oneof(
    fc.constantFrom(...o.known),
    fc.uuid().map(String),
    fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
    fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '%2F', '0', '-1', '99999999999999999999'),
  );
  const name = fc.oneof(fc.constantFrom(...o.fields), fc.string({ maxLength: 10 }));
  return fc.record({
    method: fc.constantFrom('GET' as const, 'POST' as const),
    template: fc.constantFrom(...o.templates),
    id: ids,
    query: fc.dictionary(name, o.values, { maxKeys: 4 }),
    form: fc.array(fc.tuple(name, o.values), { maxLength: 6 }),
    lang: fc.constantFrom(undefined, 'en', 'zh-TW', '*;q=x'),
  });
}

/** A form that a test wants posted whatever the random runs draw (fast-check's `examples`). */
export function formPost(template: string, id: string, form: Record<string, string>): [ConsoleRequest] {
  return [{ method: 'POST', template, id, query: {}, form: Object.entries(form), lang: undefined }];
}

export interface Answer {
  res: Response;
  body: string;
  /** The request and the answer's start, to name it in a failed assertion. */
  what: string;
}

/**
 * fast-check's property over `requests` (the `examples` first): each sent by `op`, its answer
 * given to `check`. Returns how many answers had each status.
 */
export async function fuzzAsOperator(
  op: { cookie: string; csrf: string },
  requests: fc.Arbitrary<ConsoleRequest>,
  options: { numRuns: number; examples: Array<[ConsoleRequest]> },
  check: (answer: Answer) => void,
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(requests, async (r) => {
      const answer = await sendAsOperator(op, r);
      check(answer);
      statuses.set(answer.res.status, (statuses.get(answer.res.status) ?? 0) + 1);
    }),
    options,
  );
  return statuses;
}

/** As the operator's browser sends it: the session cookie, and the CSRF token after the form's fields. */
async function sendAsOperator(op: { cookie: string; csrf: string }, r: ConsoleRequest): Promise<Answer> {
  const path = r.template.replace('{id}', r.id);
  const qs = new URLSearchParams(r.query).toString();
  const headers: Record<string, string> = r.lang ? { 'accept-language': r.lang } : {};
  const res =
    r.method === 'GET'
      ? await send('GET', `${path}${qs ? `?${qs}` : ''}`, { cookie: op.cookie, headers })
      : await send('POST', path, {
          cookie: op.cookie,
          headers,
          rawBody: `${new URLSearchParams(r.form).toString()}&_csrf=${op.csrf}`,
        });
  const body = await res.text();
  const what = `${r.method} ${path} ${qs} ${JSON.stringify(r.form)} -> ${res.status} ${body.slice(0, 300)}`;
  return { res, body, what };
}
