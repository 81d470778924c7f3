/**
 * A local LINE Messaging API emulator (node:http, no framework) for development and tests.
 *
 * One port serves both api.line.me and api-data.line.me paths. Every JSON request body is
 * validated against LINE's OpenAPI spec; invalid bodies and unknown paths are answered like
 * LINE would (400 / 404) and recorded as violations, so tests can assert the bot only ever
 * sends what LINE accepts. Tests running inside workerd can only reach us with fetch, so all
 * seeding, fault injection and inspection is also available over HTTP under `/__emulator/`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  createOpenApiValidator,
  type OpenApiDocument,
  type OpenApiOperation,
  type OperationMatch,
  type ValidationDetail,
} from './openapi-validator.ts';
import { applySeed, type EmulatorSeed } from './seed.ts';
import { summarizeMessages } from './summarize.ts';
import { chatOfSource, describeBotMessages, describeEvent, type Names, type TranscriptEntry } from './transcript.ts';
import { listen } from '../lib/listen.ts';

export interface LineEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Override the OpenAPI spec file (default: test/fixtures/line-openapi/messaging-api.yml). */
  specPath?: string;
  /** Receives a one-line human-readable summary of every accepted reply and push. */
  log?: (line: string) => void;
  /**
   * Users, groups and rooms to answer for (profiles, summaries, member counts). Applied at start
   * and again by `reset()`: the seed is the emulator's baseline.
   */
  seed?: EmulatorSeed;
  /**
   * Receives the chat as it happens: the bot's replies and pushes, and the events a sender
   * reported through `POST /__emulator/webhook` (which also tells replies where they went).
   */
  transcript?: (entry: TranscriptEntry) => void;
  /**
   * Added before every LINE API answer, to model the network between the bot and api.line.me
   * (benchmarks compare approaches that call LINE more or less often). Default 0.
   */
  latencyMs?: number;
  /**
   * The month's message quota (`GET /v2/bot/message/quota`), overriding the seed's: a number
   * (`limited`) or `none`. Default: the seed's, else `none` (pushes are never refused for quota).
   */
  quota?: number | 'none';
}

export interface RecordedRequest {
  /** Arrival time, ms since epoch. */
  at: number;
  method: string;
  /** Pathname only; the query string is in `query`. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased names; `authorization` is redacted. */
  headers: Record<string, string>;
  /** Parsed JSON body, or null when there was none (or it was not JSON). */
  body: unknown;
  /** The status the emulator answered. */
  status: number;
  /** The JSON body it answered (e.g. `sentMessages`), or null. */
  response: unknown;
  /** Contract problems (unknown path, invalid body, missing auth); empty for a good request. */
  errors: string[];
}

export interface Fault {
  /** Any method when omitted. */
  method?: string;
  /** A string matches the pathname exactly; a RegExp is tested against it. */
  path: string | RegExp;
  /** Only requests whose JSON body contains this text (e.g. a push's `to`), so parallel tests keep their own faults. */
  bodyContains?: string;
  status: number;
  /** JSON-encoded unless a string (sent as-is); default `{message: <status text>}`. */
  body?: unknown;
  /** How many requests to fail; default Infinity. Decremented on each use. */
  times?: number;
  headers?: Record<string, string>;
}

export interface SeededProfile {
  displayName: string;
  pictureUrl?: string;
  statusMessage?: string;
  language?: string;
}
export interface SeededGroup {
  groupName?: string;
  pictureUrl?: string;
  count?: number;
}
export interface SeededRoom {
  count?: number;
  /** Rooms have no name on LINE; this one is for the transcript only. */
  name?: string;
}
/** Bytes served for a message's content: given whole, or generated (streamed, never held in memory). */
export type SeededContent =
  | { body: Buffer | Uint8Array; contentType: string }
  | { generate: GeneratedContent; contentType: string };
/** `size` deterministic pseudo-random bytes from `seed` (see generateContent): large files for tests. */
export interface GeneratedContent {
  size: number;
  seed?: number;
}

interface SentMessage {
  id: string;
  quoteToken: string;
}

/** The month's target limit as LINE states it, and what was counted against it so far. */
export interface QuotaState {
  type: 'none' | 'limited';
  /** The limit when `limited`. */
  value?: number;
  /** Messages counted this month: one per recipient of each accepted push (a group's members). */
  totalUsage: number;
}

/** LINE's answer to a push over the month's limit. */
const QUOTA_EXCEEDED_BODY = { message: 'You have reached your monthly limit.' };

export interface EmulatorState {
  profiles: Map<string, SeededProfile>;
  groups: Map<string, SeededGroup>;
  rooms: Map<string, SeededRoom>;
  content: Map<string, SeededContent>;
  faults: Fault[];
  /** Reply tokens already used once (LINE rejects a second use). */
  usedReplyTokens: Set<string>;
  /** X-Line-Retry-Key values of accepted pushes, with what was answered then. */
  acceptedRetryKeys: Map<string, { requestId: string; sentMessages: SentMessage[] }>;
  /** Reply tokens of reported webhook events, with where the reply goes (for the transcript). */
  replyTokenChats: Map<string, string | undefined>;
  /** The push quota and its use (`/v2/bot/message/quota`, `/quota/consumption`). */
  quota: QuotaState;
  /** Rich menus created, by id, with their image once uploaded (LINE takes one upload per menu). */
  richMenus: Map<string, RichMenuState>;
  /** The rich menu every user sees unless linked to another (`POST /v2/bot/user/all/richmenu/{id}`). */
  defaultRichMenuId: string | null;
}

export interface RichMenuState {
  /** The rich menu object as created (size, selected, name, chatBarText, areas). */
  menu: Record<string, unknown>;
  image?: { contentType: string; bytes: Buffer };
}

export interface LineEmulator {
  /** e.g. `http://127.0.0.1:8790`; use it as both the API and the data API base URL. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Every LINE request so far (control requests under /__emulator/ are not recorded). */
  requests(): RecordedRequest[];
  /** The recorded requests that had contract problems. */
  violations(): RecordedRequest[];
  /** Clears recorded requests, faults, seeds, reply-token / retry-key memory and the quota's use. */
  reset(): void;
  state: EmulatorState;
}

/** What a handler decided to answer; recorded and then written in one place. */
const isPlainJson = (v: unknown) =>
  Array.isArray(v) || (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype);

interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; Buffers and strings as-is. */
  body?: unknown;
}

const CONTROL_PREFIX = '/__emulator/';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function startLineEmulator(options: LineEmulatorOptions = {}): Promise<LineEmulator> {
  const validator = createOpenApiValidator(options.specPath);
  const log = options.log ?? (() => {});
  const recorded: RecordedRequest[] = [];
  const latencyMs = Math.max(0, options.latencyMs ?? 0);
  const state: EmulatorState = {
    profiles: new Map(),
    groups: new Map(),
    rooms: new Map(),
    content: new Map(),
    faults: [],
    usedReplyTokens: new Set(),
    acceptedRetryKeys: new Map(),
    replyTokenChats: new Map(),
    richMenus: new Map(),
    defaultRichMenuId: null,
    quota: { type: 'none', totalUsage: 0 },
  };
  const transcript = options.transcript;
  const names: Names = {
    user: (id) => state.profiles.get(id)?.displayName ?? `User ${last4(id)}`,
    group: (id) => state.groups.get(id)?.groupName ?? `Group ${last4(id)}`,
    room: (id) => state.rooms.get(id)?.name ?? `Room ${last4(id)}`,
  };
  const nameOf = (id: string) =>
    id.startsWith('C') ? names.group(id) : id.startsWith('R') ? names.room(id) : `1:1 ${names.user(id)}`;
  /** The seed's quota, then the option's: the baseline `reset()` returns to. */
  const applyBaseline = (): void => {
    if (options.seed) applySeed(state, options.seed);
    if (options.quota !== undefined) {
      state.quota = options.quota === 'none' ? { type: 'none', totalUsage: 0 } : quotaOf(options.quota, 0);
    }
  };
  applyBaseline();

  // Message ids look like LINE's (numeric strings) and are unique for the emulator's lifetime.
  let messageCounter = 0;
  const nextSentMessage = (): SentMessage => ({
    id: String(500000000000000000n + BigInt(++messageCounter)),
    quoteToken: randomBytes(24).toString('base64url'),
  });

  const reset = (): void => {
    recorded.length = 0;
    // Cleared in place: tests may hold references to these collections.
    state.faults.length = 0;
    state.profiles.clear();
    state.groups.clear();
    state.rooms.clear();
    state.content.clear();
    state.usedReplyTokens.clear();
    state.acceptedRetryKeys.clear();
    state.replyTokenChats.clear();
    state.richMenus.clear();
    state.defaultRichMenuId = null;
    state.quota = { type: 'none', totalUsage: 0 };
    applyBaseline();
  };

  // ------------------------------------------------------------------------------------------
  // LINE endpoints

  /** Answers a request whose auth, route and body have already been checked. */
  const handleLine = (match: OperationMatch, req: IncomingMessage, body: unknown, raw: Buffer): Reply => {
    const p = match.params;
    const richMenu = handleRichMenu(state, match, header(req, 'content-type'), body, raw);
    if (richMenu) return richMenu;
    switch (match.operationId) {
      case 'getProfile':
        return ok(profileOf(p.userId!, true));
      case 'getGroupMemberProfile':
      case 'getRoomMemberProfile':
        return ok(profileOf(p.userId!, false));
      case 'getGroupSummary': {
        const g = state.groups.get(p.groupId!);
        const summary: Record<string, unknown> = {
          groupId: p.groupId,
          groupName: g?.groupName ?? `Group ${last4(p.groupId!)}`,
        };
        const pictureUrl = g
          ? g.pictureUrl
          : `https://example.com/line-emulator/groups/${encodeURIComponent(p.groupId!)}.png`;
        if (pictureUrl !== undefined) summary.pictureUrl = pictureUrl;
        return ok(summary);
      }
      case 'getGroupMemberCount':
        return ok({ count: state.groups.get(p.groupId!)?.count ?? DEFAULT_MEMBER_COUNT });
      case 'getRoomMemberCount':
        return ok({ count: state.rooms.get(p.roomId!)?.count ?? DEFAULT_MEMBER_COUNT });
      case 'getMessageContent':
      case 'getMessageContentPreview': {
        const c = state.content.get(p.messageId!) ?? defaultContent(p.messageId!);
        if ('generate' in c) {
          const headers = { 'content-type': c.contentType, 'content-length': String(c.generate.size) };
          return { status: 200, headers, body: generateContent(c.generate) };
        }
        return { status: 200, headers: { 'content-type': c.contentType }, body: Buffer.from(c.body) };
      }
      case 'getMessageQuota':
        return ok(state.quota.type === 'limited' ? { type: 'limited', value: state.quota.value } : { type: 'none' });
      case 'getMessageQuotaConsumption':
        return ok({ totalUsage: state.quota.totalUsage });
      case 'getMessageContentTranscodingByMessageId':
        return ok({ status: 'succeeded' });
      case 'replyMessage':
        return reply(body as { replyToken: string; messages: unknown[] });
      case 'pushMessage':
        return push(body as { to: string; messages: unknown[] }, header(req, 'x-line-retry-key'));
      default:
        return genericSuccess(validator.spec, match);
    }
  };

  const profileOf = (userId: string, full: boolean): Record<string, unknown> => {
    const seeded = state.profiles.get(userId);
    const profile: Record<string, unknown> = seeded
      ? { userId, displayName: seeded.displayName, pictureUrl: seeded.pictureUrl }
      : {
          userId,
          displayName: `User ${last4(userId)}`,
          pictureUrl: `https://example.com/line-emulator/users/${encodeURIComponent(userId)}.png`,
        };
    if (full) {
      // Seeded profiles show only what was seeded: real users may lack a picture or status.
      profile.statusMessage = seeded ? seeded.statusMessage : 'Hello from the LINE emulator';
      // An unseeded user reads the company's language, as most real users do (the bot answers in it).
      profile.language = seeded ? seeded.language : 'zh-TW';
    }
    return dropUndefined(profile);
  };

  const reply = (body: { replyToken: string; messages: unknown[] }): Reply => {
    if (state.usedReplyTokens.has(body.replyToken)) return { status: 400, body: { message: 'Invalid reply token' } };
    state.usedReplyTokens.add(body.replyToken);
    log(`reply -> ${summarizeMessages(body.messages)}`);
    transcript?.({
      at: Date.now(),
      from: 'bot',
      kind: 'reply',
      chat: state.replyTokenChats.get(body.replyToken),
      text: describeBotMessages(body.messages),
    });
    return ok({ sentMessages: body.messages.map(nextSentMessage) });
  };

  const push = (body: { to: string; messages: unknown[] }, retryKey: string | undefined): Reply => {
    const requestId = randomUUID();
    if (retryKey !== undefined) {
      const accepted = state.acceptedRetryKeys.get(retryKey);
      if (accepted) {
        // LINE answers a repeated retry key with 409 and what it sent the first time.
        return {
          status: 409,
          headers: { 'x-line-accepted-request-id': accepted.requestId },
          body: { message: 'The retry key is already accepted', sentMessages: accepted.sentMessages },
        };
      }
    }
    // LINE counts a push once per recipient (all of a group's members), whatever its number of messages.
    const recipients = recipientsOf(body.to);
    const { quota } = state;
    if (quota.type === 'limited' && quota.totalUsage + recipients > (quota.value ?? 0)) {
      return { status: 429, body: QUOTA_EXCEEDED_BODY };
    }
    quota.totalUsage += recipients;
    const sentMessages = body.messages.map(nextSentMessage);
    if (retryKey !== undefined) state.acceptedRetryKeys.set(retryKey, { requestId, sentMessages });
    log(`push ${body.to} -> ${summarizeMessages(body.messages)}`);
    transcript?.({
      at: Date.now(),
      from: 'bot',
      kind: 'push',
      chat: nameOf(body.to),
      text: describeBotMessages(body.messages),
    });
    return { status: 200, headers: { 'x-line-request-id': requestId }, body: { sentMessages } };
  };

  /** The member count the emulator answers for a group or room (getGroupMemberCount); 1 for a user. */
  const recipientsOf = (to: string): number =>
    to.startsWith('C')
      ? (state.groups.get(to)?.count ?? DEFAULT_MEMBER_COUNT)
      : to.startsWith('R')
        ? (state.rooms.get(to)?.count ?? DEFAULT_MEMBER_COUNT)
        : 1;

  // ------------------------------------------------------------------------------------------
  // Control endpoints (no auth, not recorded)

  const handleControl = (method: string, path: string, url: URL, req: IncomingMessage, raw: Buffer): Reply => {
    const route = `${method} ${path.slice(CONTROL_PREFIX.length - 1)}`;
    const json = (): Record<string, unknown> => {
      const parsed = parseJson(raw);
      if (!parsed.ok || !isObject(parsed.value)) throw new ControlError('body must be a JSON object');
      return parsed.value;
    };
    if (route === 'GET /health') return ok({ ok: true });
    if (route === 'GET /requests') {
      const pathFilter = url.searchParams.get('path');
      const since = Number(url.searchParams.get('since') ?? NaN);
      const requests = recorded.filter(
        (r) => (pathFilter === null || r.path.includes(pathFilter)) && (Number.isNaN(since) || r.at >= since),
      );
      return ok({ requests });
    }
    if (route === 'GET /violations') return ok({ violations: recorded.filter((r) => r.errors.length > 0) });
    if (route === 'POST /faults') {
      const b = json();
      if (typeof b.status !== 'number') throw new ControlError('status (number) is required');
      let faultPath: string | RegExp;
      if (typeof b.pathRegex === 'string') faultPath = new RegExp(b.pathRegex);
      else if (typeof b.path === 'string') faultPath = b.path;
      else throw new ControlError('path or pathRegex is required');
      const fault: Fault = { path: faultPath, status: b.status, body: b.body };
      if (typeof b.method === 'string') fault.method = b.method;
      if (typeof b.bodyContains === 'string') fault.bodyContains = b.bodyContains;
      // JSON has no Infinity: an absent `times` means "until cleared".
      if (typeof b.times === 'number') fault.times = b.times;
      if (isObject(b.headers)) fault.headers = b.headers as Record<string, string>;
      state.faults.push(fault);
      return { status: 201, body: { ok: true, faults: state.faults.length } };
    }
    if (route === 'GET /quota') return ok(state.quota);
    if (route === 'PUT /quota') {
      // Sets the limit (`type`, `value`) and/or the month's use so far (`totalUsage`).
      const b = json();
      if (b.type !== undefined && b.type !== 'none' && b.type !== 'limited') {
        throw new ControlError('type must be none or limited');
      }
      for (const k of ['value', 'totalUsage'] as const) {
        if (b[k] !== undefined && !(Number.isInteger(b[k]) && (b[k] as number) >= 0)) {
          throw new ControlError(`${k} must be a whole number, 0 or more`);
        }
      }
      const type = (b.type as QuotaState['type'] | undefined) ?? state.quota.type;
      const totalUsage = (b.totalUsage as number | undefined) ?? state.quota.totalUsage;
      if (type === 'limited') {
        const value = (b.value as number | undefined) ?? state.quota.value;
        if (value === undefined) throw new ControlError('value is required for a limited quota');
        state.quota = quotaOf(value, totalUsage);
      } else state.quota = { type: 'none', totalUsage };
      return ok(state.quota);
    }
    if (route === 'POST /quota/refusals') {
      // Refuse pushes for quota (429, LINE's words) whatever the figures: to one chat (`to`), so
      // parallel tests keep theirs, `times` pushes (default until the faults are cleared).
      const b = json();
      const fault: Fault = { method: 'POST', path: '/v2/bot/message/push', status: 429, body: QUOTA_EXCEEDED_BODY };
      if (typeof b.to === 'string') fault.bodyContains = JSON.stringify(b.to);
      if (typeof b.times === 'number') fault.times = b.times;
      state.faults.push(fault);
      return { status: 201, body: { ok: true, faults: state.faults.length } };
    }
    if (route === 'DELETE /faults') {
      state.faults.length = 0;
      return ok({ ok: true });
    }
    if (route === 'POST /profiles') {
      const b = json();
      if (typeof b.userId !== 'string' || typeof b.displayName !== 'string') {
        throw new ControlError('userId and displayName are required');
      }
      state.profiles.set(b.userId, {
        displayName: b.displayName,
        pictureUrl: optionalString(b.pictureUrl),
        statusMessage: optionalString(b.statusMessage),
        language: optionalString(b.language),
      });
      return { status: 201, body: { ok: true } };
    }
    if (route === 'POST /groups') {
      const b = json();
      if (typeof b.groupId !== 'string' || typeof b.groupName !== 'string') {
        throw new ControlError('groupId and groupName are required');
      }
      state.groups.set(b.groupId, {
        groupName: b.groupName,
        pictureUrl: optionalString(b.pictureUrl),
        count: typeof b.count === 'number' ? b.count : undefined,
      });
      return { status: 201, body: { ok: true } };
    }
    if (route === 'POST /rooms') {
      const b = json();
      if (typeof b.roomId !== 'string') throw new ControlError('roomId is required');
      state.rooms.set(b.roomId, {
        count: typeof b.count === 'number' ? b.count : undefined,
        name: optionalString(b.name),
      });
      return { status: 201, body: { ok: true } };
    }
    if (route === 'POST /webhook') {
      // A sender tells us what it posted to the bot: the user's side of the transcript, and
      // where each reply token's reply will go.
      const b = json();
      const events = Array.isArray(b.events) ? b.events.filter(isObject) : [];
      for (const event of events) {
        const source = isObject(event.source)
          ? (event.source as { type?: string; userId?: string; groupId?: string; roomId?: string })
          : undefined;
        const chat = chatOfSource(source, names);
        if (typeof event.replyToken === 'string') state.replyTokenChats.set(event.replyToken, chat);
        transcript?.({
          at: Date.now(),
          from: 'user',
          kind: String(event.type),
          chat,
          speaker: source?.userId ? names.user(source.userId) : undefined,
          text: describeEvent(event, names),
        });
      }
      return { status: 201, body: { ok: true, events: events.length } };
    }
    const content = /^POST \/content\/([^/]+)$/.exec(route);
    if (content) {
      state.content.set(decodeURIComponent(content[1]!), {
        body: Buffer.from(raw),
        contentType: header(req, 'content-type') ?? 'application/octet-stream',
      });
      return { status: 201, body: { ok: true, bytes: raw.length } };
    }
    if (route === 'GET /rich-menus') {
      const richMenus = [...state.richMenus].map(([richMenuId, m]) => ({
        richMenuId,
        ...m.menu,
        image: m.image ? { contentType: m.image.contentType, size: m.image.bytes.length } : null,
      }));
      return ok({ richMenus, defaultRichMenuId: state.defaultRichMenuId });
    }
    if (route === 'POST /reset') {
      reset();
      return ok({ ok: true });
    }
    return { status: 404, body: { message: `Unknown emulator control endpoint: ${route}` } };
  };

  // ------------------------------------------------------------------------------------------
  // Request pipeline

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const at = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = url.pathname;
    const raw = await readBody(req);

    if (path.startsWith(CONTROL_PREFIX)) {
      let out: Reply;
      try {
        out = handleControl(method, path, url, req, raw);
      } catch (e) {
        out = { status: e instanceof ControlError ? 400 : 500, body: { message: String((e as Error).message) } };
      }
      return send(res, out);
    }
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));

    const errors: string[] = [];
    let errorReply: Reply | undefined;
    const fail = (reply: Reply, ...messages: string[]): void => {
      errors.push(...messages);
      errorReply ??= reply;
    };

    // Authentication first, as LINE does.
    const auth = header(req, 'authorization');
    if (!auth || !/^Bearer\s+\S+/i.test(auth)) {
      fail(
        {
          status: 401,
          body: {
            message: 'Authentication failed. Confirm that the access token in the authorization header is valid.',
          },
        },
        'missing or malformed Authorization: Bearer header',
      );
    }

    // Route by the spec.
    const match = validator.findOperation(method, path);
    if (!('operationId' in match)) {
      const error = match.pathKnown
        ? `${method} is not an operation of ${path} in the LINE spec`
        : `${method} ${path} is not a path in the LINE spec`;
      fail(
        match.pathKnown
          ? { status: 405, body: { message: 'Method not allowed' } }
          : { status: 404, body: { message: 'Not found' } },
        error,
      );
    }

    // Parse and validate the body (JSON only; binary uploads are passed through unchecked).
    let body: unknown;
    let bodyReadable = true;
    const contentType = header(req, 'content-type') ?? '';
    if (raw.length > 0 && /\bjson\b/i.test(contentType)) {
      const parsed = parseJson(raw);
      if (parsed.ok) body = parsed.value;
      else {
        bodyReadable = false;
        fail(
          { status: 400, body: { message: 'The request body is not valid JSON' } },
          'request body is not valid JSON',
        );
      }
    } else if (raw.length > 0 && 'operationId' in match && isJsonOperation(match)) {
      bodyReadable = false;
      fail(
        { status: 415, body: { message: 'Unsupported Media Type' } },
        `Content-Type must be application/json (got ${contentType || 'none'})`,
      );
    }
    // (A non-JSON body, e.g. a rich menu image, leaves `body` undefined and is not validated.)
    const binaryUpload = raw.length > 0 && body === undefined;
    if ('operationId' in match && bodyReadable && !binaryUpload) {
      const result = validator.validateRequest(method, path, body);
      if (result.errors.length > 0) fail(lineValidationError(result.details), ...result.errors);
    }

    // Retry keys must be UUIDs (the spec's `format: uuid`); LINE rejects anything else.
    const retryKey = header(req, 'x-line-retry-key');
    if (retryKey !== undefined && !UUID_RE.test(retryKey)) {
      fail(
        { status: 400, body: { message: 'The value for the X-Line-Retry-Key header is invalid' } },
        'X-Line-Retry-Key must be a UUID',
      );
    }

    // An injected fault replaces the answer but keeps any real contract errors on record.
    const fault = takeFault(state.faults, method, path, body);
    let out: Reply;
    if (fault) {
      out = {
        status: fault.status,
        headers: fault.headers,
        body: fault.body === undefined ? { message: STATUS_CODES[fault.status] ?? 'Error' } : fault.body,
      };
    } else if (errorReply) {
      out = errorReply;
    } else {
      try {
        out = handleLine(match as OperationMatch, req, body, raw);
      } catch (e) {
        errors.push(`emulator error: ${(e as Error).message}`);
        out = { status: 500, body: { message: 'Emulator error' } };
      }
    }
    out.headers = { 'x-line-request-id': randomUUID(), ...out.headers };

    recorded.push({
      at,
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers: recordHeaders(req),
      body: body ?? null,
      status: out.status,
      // JSON answers only: content bytes (Buffers, streams of generated files) are not kept.
      response: isPlainJson(out.body) ? out.body : null,
      errors,
    });
    send(res, out);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { message: `Emulator error: ${(e as Error).message}` } });
    });
  });
  const port = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');

  return {
    url: `http://${urlHost(options.host ?? '127.0.0.1')}:${port}`,
    port,
    state,
    requests: () => [...recorded],
    violations: () => recorded.filter((r) => r.errors.length > 0),
    reset,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // Keep-alive connections from fetch would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

class ControlError extends Error {}

/** What the emulator answers for a group or room nobody seeded. */
const DEFAULT_MEMBER_COUNT = 3;

const quotaOf = (value: number, totalUsage: number): QuotaState => ({ type: 'limited', value, totalUsage });

const ok = (body: unknown): Reply => ({ status: 200, body });

function send(res: ServerResponse, out: Reply): void {
  let payload: Buffer;
  const headers: Record<string, string> = { ...out.headers };
  if (out.body instanceof Readable) {
    // Generated content: streamed with backpressure (its content-length is set by the handler).
    res.writeHead(out.status, headers);
    pipeline(out.body, res).catch(() => {}); // a client that hangs up mid-body is not our error
    return;
  }
  const hasType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  if (out.body === undefined) payload = Buffer.alloc(0);
  else if (Buffer.isBuffer(out.body)) payload = out.body;
  else if (typeof out.body === 'string') {
    payload = Buffer.from(out.body);
    if (!hasType) headers['content-type'] = 'text/plain; charset=utf-8';
  } else {
    payload = Buffer.from(JSON.stringify(out.body));
    if (!hasType) headers['content-type'] = 'application/json';
  }
  headers['content-length'] = String(payload.length);
  res.writeHead(out.status, headers);
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function recordHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // Never keep the channel access token in recordings (they are printed and served over HTTP).
  if (out.authorization !== undefined) {
    const scheme = out.authorization.split(/\s+/)[0] || 'Bearer';
    out.authorization = `${scheme} ***`;
  }
  return out;
}

/** LINE's 400 shape: `{message: 'The request body has N error(s)', details: [{message, property}]}`. */
function lineValidationError(details: ValidationDetail[]): Reply {
  return {
    status: 400,
    body: { message: `The request body has ${details.length} error(s)`, details },
  };
}

function takeFault(faults: Fault[], method: string, path: string, body: unknown): Fault | undefined {
  const fault = faults.find(
    (f) =>
      (f.times ?? Infinity) > 0 &&
      (f.method === undefined || f.method.toUpperCase() === method) &&
      (typeof f.path === 'string' ? f.path === path : matchesRegex(f.path, path)) &&
      (f.bodyContains === undefined || JSON.stringify(body ?? null).includes(f.bodyContains)),
  );
  if (fault) fault.times = (fault.times ?? Infinity) - 1;
  return fault;
}

function matchesRegex(re: RegExp, s: string): boolean {
  re.lastIndex = 0; // a /g or /y regex is stateful between calls
  return re.test(s);
}

/** Whether the operation's request body is JSON (rich menu image uploads are not). */
function isJsonOperation(match: OperationMatch): boolean {
  return Boolean(match.operation.requestBody?.content?.['application/json']);
}

/**
 * Operations the emulator does not model specifically: answer the spec's first 2xx status with
 * `{}` when that is a valid response (no required fields), else 501 so a test fails loudly.
 */
function genericSuccess(spec: OpenApiDocument, match: OperationMatch): Reply {
  const op: OpenApiOperation = match.operation;
  const code = Object.keys(op.responses ?? {})
    .filter((c) => /^2\d\d$/.test(c))
    .sort()[0];
  if (code) {
    let schema = op.responses![code]!.content?.['application/json']?.schema;
    if (schema && typeof schema.$ref === 'string') {
      schema = spec.components?.schemas?.[schema.$ref.split('/').pop()!];
    }
    const required = schema?.required;
    if (!Array.isArray(required) || required.length === 0) return { status: Number(code), body: {} };
  }
  return { status: 501, body: { message: `The LINE emulator does not implement ${match.operationId}` } };
}

/**
 * Streams `size` deterministic bytes (xorshift32 from `seed`) in 64 KiB chunks, so a test can
 * serve a file of hundreds of megabytes without holding it, and compute its hash the same way.
 */
export function generateContent({ size, seed = 1 }: GeneratedContent): Readable {
  const CHUNK = 64 * 1024;
  let state = seed >>> 0 || 0x9e3779b9;
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const words = new Uint32Array(CHUNK / 4);
      for (let i = 0; i < words.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        words[i] = state >>> 0;
      }
      const n = Math.min(CHUNK, left);
      left -= n;
      this.push(Buffer.from(words.buffer, 0, n));
    },
  });
}

/** LINE's limits on a rich menu image: JPEG or PNG, at most 1 MB, the menu's own size. */
const RICH_MENU_IMAGE_MAX_BYTES = 1024 * 1024;
const RICH_MENU_IMAGE_TYPES = new Set(['image/png', 'image/jpeg']);
const notFound = (): Reply => ({ status: 404, body: { message: 'Not found' } });
const badRequest = (message: string): Reply => ({ status: 400, body: { message } });

/** A PNG's width and height from its IHDR chunk, or null when the bytes are no PNG. */
function pngSize(bytes: Buffer): { width: number; height: number } | null {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(signature) || bytes.toString('latin1', 12, 16) !== 'IHDR')
    return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/**
 * The rich menu operations, modelled as LINE answers them (create, upload its image once, set it as
 * the default, list, get, delete); null for every other operation. Bodies were checked against the
 * spec already; what the spec cannot say (the image's type, size and dimensions, one upload per
 * menu, no default without an image) is checked here.
 */
function handleRichMenu(
  state: EmulatorState,
  match: OperationMatch,
  contentType: string | undefined,
  body: unknown,
  raw: Buffer,
): Reply | null {
  const id = match.params.richMenuId;
  const menu = id === undefined ? undefined : state.richMenus.get(id);
  const listed = (richMenuId: string, m: RichMenuState) => ({ richMenuId, ...m.menu });
  switch (match.operationId) {
    case 'createRichMenu': {
      const richMenuId = `richmenu-${randomBytes(16).toString('hex')}`;
      state.richMenus.set(richMenuId, { menu: body as Record<string, unknown> });
      return ok({ richMenuId });
    }
    case 'getRichMenuList':
      return ok({ richmenus: [...state.richMenus].map(([richMenuId, m]) => listed(richMenuId, m)) });
    case 'getRichMenu':
      return menu ? ok(listed(id!, menu)) : notFound();
    case 'deleteRichMenu':
      if (!menu) return notFound();
      state.richMenus.delete(id!);
      if (state.defaultRichMenuId === id) state.defaultRichMenuId = null;
      return ok({});
    case 'setRichMenuImage': {
      if (!menu) return notFound();
      if (menu.image) return badRequest('An image has already been uploaded to the richmenu');
      const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
      if (!RICH_MENU_IMAGE_TYPES.has(type)) return { status: 415, body: { message: 'Unsupported Media Type' } };
      if (raw.length === 0 || raw.length > RICH_MENU_IMAGE_MAX_BYTES) return badRequest('Invalid image size');
      const size = menu.menu.size as { width: number; height: number };
      if (type === 'image/png') {
        const png = pngSize(raw);
        if (!png) return badRequest('The image is not a PNG');
        if (png.width !== size.width || png.height !== size.height)
          return badRequest(`The image must be ${size.width}x${size.height} (got ${png.width}x${png.height})`);
      } else if (raw[0] !== 0xff || raw[1] !== 0xd8) return badRequest('The image is not a JPEG');
      menu.image = { contentType: type, bytes: Buffer.from(raw) };
      return ok({});
    }
    case 'getRichMenuImage':
      if (!menu?.image) return notFound();
      return { status: 200, headers: { 'content-type': menu.image.contentType }, body: menu.image.bytes };
    case 'setDefaultRichMenu':
      if (!menu) return notFound();
      if (!menu.image) return badRequest('An image must be uploaded to the richmenu before it is set as the default');
      state.defaultRichMenuId = id!;
      return ok({});
    case 'getDefaultRichMenuId':
      return state.defaultRichMenuId ? ok({ richMenuId: state.defaultRichMenuId }) : notFound();
    case 'cancelDefaultRichMenu':
      state.defaultRichMenuId = null;
      return ok({});
    default:
      return null;
  }
}

function defaultContent(messageId: string): SeededContent {
  // A JPEG start/end marker around the id: deterministic, small and recognisably an image.
  const body = Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
    Buffer.from(`line-emulator:${messageId}`),
    Buffer.from([0xff, 0xd9]),
  ]);
  return { body, contentType: 'image/jpeg' };
}

function last4(id: string): string {
  return id.slice(-4);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
