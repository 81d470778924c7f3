/**
 * A local Claude (Anthropic Messages API) emulator for development, tests and the bench
 * (node:http, no framework): the sibling of the LINE emulator.
 *
 * `POST /v1/messages` is checked the way Anthropic checks it (validate.ts) and answered
 * deterministically (answer.ts) with usage figures and prompt-caching arithmetic. Faults, delays
 * and scripted answers are set per test. Tests running inside workerd can only reach us with
 * fetch, so every control is also an HTTP endpoint under `/__emulator/`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContentBlock, Message, StopReason, Usage } from '@anthropic-ai/sdk/resources/messages';
import {
  completeBlock,
  defaultAnswer,
  lastUserText,
  limitToMaxTokens,
  newId,
  outputTokens,
  PromptCache,
  type Answer,
  type ValidRequest,
} from './answer.ts';
import { checkBody, checkHeaders, DEFAULT_LIMITS, MAX_BODY_BYTES, type Problem } from './validate.ts';
import { listen } from '../lib/listen.ts';

export interface ClaudeEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Accept only this API key (401 otherwise); by default any non-empty key. */
  apiKey?: string;
  /** Prefixes shorter than this many tokens are not cached (Anthropic: 1024-4096 by model). Default 0. */
  minCacheTokens?: number;
  /** Anthropic's per-image limit, measured on the base64 string. Default 5 MiB. */
  maxImageBase64Bytes?: number;
  /** Receives a one-line summary of every answered request (the transcript of `npm run dev`). */
  log?: (line: string) => void;
}

export interface Fault {
  status: number;
  /** How many requests to fail; default: until cleared. */
  times?: number;
  /** Only requests whose last user text contains this. */
  match?: string;
  /** Seconds, sent as `retry-after` (fractions allowed: the SDK parses a float). */
  retryAfter?: number;
  /** Replaces the whole answer body; default Anthropic's error envelope for the status. */
  body?: unknown;
  /** `error.type` and `error.message` of the default envelope. */
  type?: string;
  message?: string;
  headers?: Record<string, string>;
}

export interface Delay {
  ms: number;
  /** Default: until cleared. */
  times?: number;
  match?: string;
}

export interface ScriptedAnswer {
  /** Response blocks; `text` blocks need only `text`, `tool_use` blocks only `name` (and `input`). */
  content?: Record<string, unknown>[];
  /** Shorthand for `content: [{type: 'text', text}]`. */
  text?: string;
  /** Default `tool_use` when the content calls a tool, else `end_turn`. */
  stop_reason?: StopReason;
  match?: string;
  /** Default 1. */
  times?: number;
  /** Overrides of the computed usage figures. */
  usage?: Partial<Usage>;
}

export interface RecordedRequest {
  /** The `request-id` answered (req_…). */
  id: string;
  /** Arrival and answer times, ms since epoch; `answeredAt` is null while the answer is pending. */
  at: number;
  answeredAt: number | null;
  method: string;
  path: string;
  /** Lower-cased names; `x-api-key` and `authorization` are redacted. */
  headers: Record<string, string>;
  /** The parsed body; base64 image data over 64 KiB is replaced by its size and sha256. */
  body: unknown;
  /** Null while pending. */
  status: number | null;
  response: unknown;
  /** Contract problems of the request; empty for a good one (even when a fault answered it). */
  errors: string[];
  answer: Answer['kind'] | 'fault' | 'error' | null;
  delayMs: number;
  /** The client hung up before the answer was written (e.g. the Worker was cut off). */
  aborted: boolean;
}

export interface ClaudeEmulatorStats {
  requests: number;
  pending: number;
  byStatus: Record<string, number>;
  byAnswer: Record<string, number>;
  violations: number;
  aborted: number;
  tokens: { input: number; output: number; cacheCreation: number; cacheRead: number };
}

export interface ClaudeEmulator {
  /** e.g. `http://127.0.0.1:8793`: the SDK's `baseURL` (ANTHROPIC_BASE_URL). */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Every API request so far, pending ones included (control requests are not recorded). */
  requests(): RecordedRequest[];
  violations(): RecordedRequest[];
  stats(): ClaudeEmulatorStats;
  /** Clears records, faults, delays, scripts and the prompt cache. */
  reset(): void;
  fault(fault: Fault): void;
  delay(delay: Delay): void;
  script(...answers: ScriptedAnswer[]): void;
}

const CONTROL_PREFIX = '/__emulator/';
const RECORDED_IMAGE_CHARS = 64 * 1024;

/** Anthropic's error types by status, for injected faults. */
const FAULT_TYPES: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Invalid request (injected by the Claude emulator)'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not found'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: [
    'rate_limit_error',
    'Number of request tokens has exceeded your per-minute rate limit (injected by the Claude emulator)',
  ],
  500: ['api_error', 'Internal server error'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
};

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  answer: RecordedRequest['answer'];
}

export async function startClaudeEmulator(options: ClaudeEmulatorOptions = {}): Promise<ClaudeEmulator> {
  const limits = {
    ...DEFAULT_LIMITS,
    ...(options.maxImageBase64Bytes ? { maxImageBase64: options.maxImageBase64Bytes } : {}),
  };
  const log = options.log ?? (() => {});
  const cache = new PromptCache(options.minCacheTokens ?? 0);
  const recorded: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const delays: Delay[] = [];
  const scripts: ScriptedAnswer[] = [];
  // Pending delays end at close(), so a 60 s answer never holds the process open.
  const closing = new AbortController();

  const reset = (): void => {
    recorded.length = 0;
    faults.length = 0;
    delays.length = 0;
    scripts.length = 0;
    cache.clear();
  };
  const addFault = (f: Fault): void => void faults.push({ ...f });
  const addDelay = (d: Delay): void => void delays.push({ ...d });
  // A scripted answer is used once unless it says otherwise (faults and delays last until cleared).
  const addScript = (...answers: ScriptedAnswer[]): void =>
    void scripts.push(...answers.map((a) => ({ times: 1, ...a })));

  // ------------------------------------------------------------------------------------------
  // POST /v1/messages

  /** Decides the whole answer at arrival (so queue order is arrival order); a delay only postpones it. */
  const decide = (
    headers: IncomingHttpHeaders,
    raw: Buffer | null,
    requestId: string,
    rec: RecordedRequest,
  ): { reply: Reply; delayMs: number } => {
    const problems: Problem[] = [...checkHeaders(headers, options.apiKey)];
    let body: unknown;
    if (raw === null)
      problems.push({
        status: 413,
        type: 'request_too_large',
        message: 'Request exceeds the maximum allowed number of bytes.',
      });
    else {
      try {
        body = JSON.parse(raw.toString('utf8'));
        rec.body = recordableBody(body);
      } catch {
        problems.push({ status: 400, type: 'invalid_request_error', message: 'There was an error parsing the body' });
      }
      if (body !== undefined) problems.push(...checkBody(body, limits));
    }
    rec.errors = problems.map((p) => p.message);
    const question = lastUserText((body as { messages?: unknown } | undefined)?.messages);

    const delay = take(delays, question);
    const fault = take(faults, question);
    if (fault) return { reply: faultReply(fault, requestId), delayMs: delay?.ms ?? 0 };
    const problem = problems[0];
    if (problem)
      return {
        reply: { status: problem.status, body: errorBody(problem.type, problem.message, requestId), answer: 'error' },
        delayMs: delay?.ms ?? 0,
      };

    const req = body as ValidRequest;
    const scripted = take(scripts, question);
    let answer: Answer = scripted ? scriptedAnswer(scripted) : defaultAnswer(req);
    if (!scripted) answer = limitToMaxTokens(answer, req.max_tokens);
    const usage = { ...cache.usage(req, outputTokens(answer.content)), ...scripted?.usage };
    const message: Message = {
      id: newId('msg_'),
      type: 'message',
      role: 'assistant',
      model: req.model,
      content: answer.content,
      stop_reason: answer.stop_reason,
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage,
    };
    return { reply: { status: 200, body: message, answer: answer.kind }, delayMs: delay?.ms ?? 0 };
  };

  const handleApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    raw: Buffer | null,
  ): Promise<void> => {
    const id = newId('req_');
    const rec: RecordedRequest = {
      id,
      at: Date.now(),
      answeredAt: null,
      method: req.method ?? 'GET',
      path,
      headers: redactHeaders(req.headers),
      body: null,
      status: null,
      response: null,
      errors: [],
      answer: null,
      delayMs: 0,
      aborted: false,
    };
    // Recorded at arrival: a test can see that the Worker is waiting for an answer.
    recorded.push(rec);
    res.on('close', () => {
      if (!res.writableFinished) rec.aborted = true;
    });

    let reply: Reply;
    if (rec.method === 'POST' && path === '/v1/messages') {
      const decided = decide(req.headers, raw, id, rec);
      reply = decided.reply;
      rec.delayMs = decided.delayMs;
      if (decided.delayMs > 0) await sleep(decided.delayMs, undefined, { signal: closing.signal }).catch(() => {});
    } else {
      rec.errors = [`${rec.method} ${path} is not emulated (only POST /v1/messages)`];
      reply = { status: 404, body: errorBody('not_found_error', 'Not Found', id), answer: 'error' };
    }

    rec.status = reply.status;
    rec.response = reply.body;
    rec.answer = reply.answer;
    rec.answeredAt = Date.now();
    log(summarize(rec));
    sendJson(res, reply.status, reply.body, { 'request-id': id, ...reply.headers });
  };

  // ------------------------------------------------------------------------------------------
  // Control endpoints (no auth, not recorded)

  const handleControl = (method: string, route: string, url: URL, raw: Buffer): { status: number; body: unknown } => {
    const json = (): unknown => {
      try {
        return JSON.parse(raw.toString('utf8') || 'null');
      } catch {
        throw new ControlError('body must be JSON');
      }
    };
    const key = `${method} ${route}`;
    if (key === 'GET health') return { status: 200, body: { ok: true } };
    if (key === 'GET requests') {
      const since = Number(url.searchParams.get('since') ?? NaN);
      const pending = url.searchParams.get('pending');
      return {
        status: 200,
        body: {
          requests: recorded.filter(
            (r) =>
              (Number.isNaN(since) || r.at >= since) &&
              (pending === null || (r.status === null) === (pending === 'true')),
          ),
        },
      };
    }
    if (key === 'GET violations')
      return { status: 200, body: { violations: recorded.filter((r) => r.errors.length > 0) } };
    if (key === 'GET stats') return { status: 200, body: stats() };
    if (key === 'POST reset') {
      reset();
      return { status: 200, body: { ok: true } };
    }
    if (key === 'POST faults') {
      const f = json() as Fault;
      if (!isObject(f) || !Number.isInteger(f.status) || f.status < 400 || f.status > 599)
        throw new ControlError('status (400-599) is required');
      checkCommon(f);
      if (f.retryAfter !== undefined && !(typeof f.retryAfter === 'number' && f.retryAfter >= 0))
        throw new ControlError('retryAfter must be seconds >= 0');
      addFault(f);
      return { status: 201, body: { ok: true, faults: faults.length } };
    }
    if (key === 'POST delay') {
      const d = json() as Delay;
      if (!isObject(d) || typeof d.ms !== 'number' || d.ms < 0) throw new ControlError('ms (>= 0) is required');
      checkCommon(d);
      if (d.ms === 0) delays.length = 0;
      else addDelay(d);
      return { status: 201, body: { ok: true, delays: delays.length } };
    }
    if (key === 'POST script') {
      const given = json();
      const answers = (Array.isArray(given) ? given : [given]) as ScriptedAnswer[];
      for (const a of answers) {
        if (!isObject(a) || (typeof a.text !== 'string' && !Array.isArray(a.content)))
          throw new ControlError('each answer needs text or content');
        checkCommon(a);
      }
      addScript(...answers);
      return { status: 201, body: { ok: true, scripted: scripts.length } };
    }
    const clear = { 'DELETE faults': faults, 'DELETE delay': delays, 'DELETE script': scripts }[key];
    if (clear) {
      clear.length = 0;
      return { status: 200, body: { ok: true } };
    }
    return { status: 404, body: { message: `Unknown emulator control endpoint: ${method} ${CONTROL_PREFIX}${route}` } };
  };

  const stats = (): ClaudeEmulatorStats => {
    const s: ClaudeEmulatorStats = {
      requests: recorded.length,
      pending: 0,
      byStatus: {},
      byAnswer: {},
      violations: 0,
      aborted: 0,
      tokens: { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 },
    };
    for (const r of recorded) {
      if (r.status === null) s.pending++;
      else s.byStatus[r.status] = (s.byStatus[r.status] ?? 0) + 1;
      if (r.answer) s.byAnswer[r.answer] = (s.byAnswer[r.answer] ?? 0) + 1;
      if (r.errors.length > 0) s.violations++;
      if (r.aborted) s.aborted++;
      const usage = (r.status === 200 ? (r.response as Message | null)?.usage : undefined) ?? undefined;
      if (usage) {
        s.tokens.input += usage.input_tokens;
        s.tokens.output += usage.output_tokens;
        s.tokens.cacheCreation += usage.cache_creation_input_tokens ?? 0;
        s.tokens.cacheRead += usage.cache_read_input_tokens ?? 0;
      }
    }
    return s;
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://emulator.invalid');
      const raw = await readBody(req);
      if (url.pathname.startsWith(CONTROL_PREFIX)) {
        let out: { status: number; body: unknown };
        try {
          out = handleControl(
            (req.method ?? 'GET').toUpperCase(),
            url.pathname.slice(CONTROL_PREFIX.length),
            url,
            raw ?? Buffer.alloc(0),
          );
        } catch (e) {
          out = { status: e instanceof ControlError ? 400 : 500, body: { message: (e as Error).message } };
        }
        return sendJson(res, out.status, out.body);
      }
      await handleApi(req, res, url.pathname, raw);
    })().catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody('api_error', `Emulator error: ${(e as Error).message}`, null));
    });
  });
  const port = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');

  return {
    url: `http://${urlHost(options.host ?? '127.0.0.1')}:${port}`,
    port,
    requests: () => [...recorded],
    violations: () => recorded.filter((r) => r.errors.length > 0),
    stats,
    reset,
    fault: addFault,
    delay: addDelay,
    script: addScript,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((e) => (e ? reject(e) : resolve()));
        // Keep-alive connections (the SDK's fetch) would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

class ControlError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkCommon(rule: { times?: unknown; match?: unknown }): void {
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && (rule.times as number) > 0))
    throw new ControlError('times must be a positive integer');
  if (rule.match !== undefined && typeof rule.match !== 'string') throw new ControlError('match must be a string');
}

/** Takes one use of the first rule that applies to this question (rules without `times` never run out). */
function take<T extends { times?: number; match?: string }>(rules: T[], question: string): T | undefined {
  const i = rules.findIndex((r) => r.match === undefined || question.includes(r.match));
  const rule = rules[i];
  if (!rule) return undefined;
  if (rule.times !== undefined && --rule.times <= 0) rules.splice(i, 1);
  return rule;
}

function scriptedAnswer(s: ScriptedAnswer): Answer {
  const content: ContentBlock[] = (s.content ?? [{ type: 'text', text: s.text ?? '' }]).map(completeBlock);
  const stop = s.stop_reason ?? (content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  return { kind: 'scripted', content, stop_reason: stop };
}

function faultReply(f: Fault, requestId: string): Reply {
  const [type, message] = FAULT_TYPES[f.status] ?? [
    f.status >= 500 ? 'api_error' : 'invalid_request_error',
    'Injected fault',
  ];
  const headers: Record<string, string> = { ...f.headers };
  if (f.retryAfter !== undefined) headers['retry-after'] = String(f.retryAfter);
  return {
    status: f.status,
    headers,
    body: f.body ?? errorBody(f.type ?? type, f.message ?? message, requestId),
    answer: 'fault',
  };
}

/** Anthropic's error envelope. */
function errorBody(type: string, message: string, requestId: string | null) {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return; // the client hung up while we waited
  const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers });
  res.end(payload);
}

/** The body, or null when it is over Anthropic's request size limit. */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Past the limit keep draining (so the client sees our 413) but stop holding the bytes.
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? null : Buffer.concat(chunks);
}

/** The API key must never reach a record: records are printed and served over HTTP. */
function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (out['x-api-key'] !== undefined) out['x-api-key'] = '***';
  if (out.authorization !== undefined) out.authorization = `${out.authorization.split(/\s+/)[0] || 'Bearer'} ***`;
  return out;
}

/** The body as recorded: megabytes of base64 images are summarised, everything else kept. */
function recordableBody(body: unknown): unknown {
  return JSON.parse(
    JSON.stringify(body, function (this: Record<string, unknown>, key, value) {
      if (
        key === 'data' &&
        typeof value === 'string' &&
        value.length > RECORDED_IMAGE_CHARS &&
        this.type === 'base64'
      ) {
        return `<${value.length} base64 characters, sha256 ${createHash('sha256').update(value).digest('hex')}>`;
      }
      return value;
    }),
  );
}

function summarize(r: RecordedRequest): string {
  const body = r.body as { messages?: unknown[] } | null;
  const question = lastUserText(body?.messages).replace(/\s+/g, ' ').slice(0, 60);
  const m = r.status === 200 ? (r.response as Message) : undefined;
  if (!m)
    return `claude ${r.status} ${r.answer}: ${(r.response as { error?: { message?: string } })?.error?.message ?? ''}`;
  const said = m.content
    .map((b) =>
      b.type === 'text'
        ? b.text
        : b.type === 'tool_use'
          ? `[tool_use ${b.name} ${JSON.stringify(b.input)}]`
          : `[${b.type}]`,
    )
    .join(' ');
  const u = m.usage;
  return (
    `claude「${question}」(${body?.messages?.length ?? 0} msgs) -> ${said} ` +
    `[in ${u.input_tokens}, out ${u.output_tokens}, cache +${u.cache_creation_input_tokens} / read ${u.cache_read_input_tokens}${r.delayMs ? `, after ${r.delayMs} ms` : ''}]`
  );
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
