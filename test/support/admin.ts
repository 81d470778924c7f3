/**
 * Calling the management API the way the company system would, checking real answers against the
 * OpenAPI document the API serves, and seeding rows directly (independent of the webhook path).
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import {
  lineAiAnswers,
  lineFiles,
  lineGroups,
  lineMessages,
  lineUsers,
  lineWebhookEvents,
} from '@linebot-edge/shared/schema';
import worker from '../../src/index';
import { forgetIfRefused, ownClient } from './clients';
import { withDb } from './db';
import { newId } from './line';

const ADMIN_BASE = 'https://bot.example/api/linebot/admin';

export interface AdminFetchOptions {
  body?: unknown;
  rawBody?: string;
  token?: string | null;
  headers?: Record<string, string>;
  env?: Partial<Env>;
}

export async function adminFetch(method: string, path: string, options: AdminFetchOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  const client = ownClient(headers);
  const token = options.token === undefined ? env.ADMIN_API_TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.body);
  }
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${ADMIN_BASE}${path}`, { method, headers, body }),
    { ...env, ...options.env },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  await forgetIfRefused(res.status, client);
  return res;
}

/** JSON of a response that must have the given status. */
export async function expectJson<T = any>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export async function createAccount(role: 'admin' | 'member' = 'member', displayName?: string) {
  const username = `user.${unique()}`;
  return expectJson<{ id: number; username: string; displayName: string | null; role: string }>(
    await adminFetch('POST', '/users', { body: { username, role, displayName } }),
    201,
  );
}

export async function createProject(name = `Project ${unique()}`) {
  return expectJson<{ id: string; name: string; aiInstructions: string | null }>(
    await adminFetch('POST', '/projects', { body: { name } }),
    201,
  );
}

/** A project with a NAS folder (`share/path`), made through the API. */
export async function createProjectWithFolder(nasFolder: string, name?: string) {
  const project = await createProject(name);
  await expectJson(await adminFetch('PATCH', `/projects/${project.id}`, { body: { nasFolder } }), 200);
  return project;
}

/** Makes the account a member of the project through the API (201 added, 200 changed). */
export async function addMember(projectId: string, userId: number, role: 'member' | 'manager' = 'member') {
  const res = await adminFetch('PUT', `/projects/${projectId}/members/${userId}`, { body: { role } });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`expected 201 or 200, got ${res.status}: ${await res.text()}`);
  return (await res.json()) as { userId: number; role: string };
}

export async function removeMember(projectId: string, userId: number) {
  await expectJson(await adminFetch('DELETE', `/projects/${projectId}/members/${userId}`), 204);
}

export async function issueCode(userId: number) {
  return expectJson<{ code: string; expiresAt: string }>(
    await adminFetch('POST', `/users/${userId}/binding-code`),
    201,
  );
}

// ---- the contract: real responses against the served OpenAPI document ----------------------

type Json = any;
export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; [k: string]: Json };
  [k: string]: Json;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** Every operation of the document, with a matcher for concrete paths. */
export function operationsOf(doc: OpenApiDoc) {
  return Object.entries(doc.paths).flatMap(([template, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        template,
        op: op as Json,
        matches: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
  );
}

const SCHEMA_REF = '#/components/schemas/';
const SCHEMA_ID = 'https://bot.example/openapi/schemas/';

/**
 * A schema of the document made ready for Ajv: its `#/components/schemas/X` references point at
 * the component registered under its own id, and every object schema that lists its properties is
 * closed (additionalProperties: false), so a field a handler returns and zod does not describe
 * fails the check.
 */
function prepare(node: Json): Json {
  if (Array.isArray(node)) return node.map(prepare);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, prepare(v)]));
  if (typeof out.$ref === 'string') {
    if (!out.$ref.startsWith(SCHEMA_REF)) throw new Error(`unexpected $ref ${out.$ref}`);
    out.$ref = SCHEMA_ID + out.$ref.slice(SCHEMA_REF.length);
  }
  const isObject = out.type === 'object' || (Array.isArray(out.type) && out.type.includes('object'));
  if (isObject && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

export interface Checked {
  status: number;
  body: Json;
  /** The operation the request reached, or undefined for a path the document does not have. */
  operation?: string;
}

export interface Contract {
  doc: OpenApiDoc;
  /** Checks a real response: its status is documented for the operation and its body matches the schema. */
  check(method: string, path: string, res: Response): Promise<Checked>;
  /** adminFetch, then check. */
  call(method: string, path: string, options?: AdminFetchOptions): Promise<Checked>;
}

let contractPromise: Promise<Contract> | undefined;

/** The served document (fetched once per test file) and an Ajv 2020-12 validator over it. */
export function contract(): Promise<Contract> {
  contractPromise ??= (async () => {
    const doc = (await expectJson(await adminFetch('GET', '/openapi.json'), 200)) as OpenApiDoc;
    const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
    addFormats(ajv);
    ajv.addKeyword('example'); // OpenAPI's annotation, not JSON Schema's
    for (const [name, schema] of Object.entries(doc.components.schemas))
      ajv.addSchema(prepare(schema), SCHEMA_ID + name);
    const validators = new Map<Json, ValidateFunction>();
    const validatorFor = (schema: Json) => {
      let v = validators.get(schema);
      if (!v) {
        v = ajv.compile(prepare(schema));
        validators.set(schema, v);
      }
      return v;
    };
    const operations = operationsOf(doc);

    const check = async (method: string, path: string, res: Response): Promise<Checked> => {
      const text = await res.text();
      const where = `${method} ${path} -> ${res.status} ${text.slice(0, 500)}`;
      // Never a 5xx, but the one documented: the API switched off for a too short token.
      const switchedOff = res.status === 503 && text.includes('"code":"not_configured"');
      if (!switchedOff) expect(res.status, where).toBeLessThan(500);
      const pathname = new URL(`${ADMIN_BASE}${path}`).pathname.slice(new URL(ADMIN_BASE).pathname.length) || '/';
      const found = operations.find((o) => o.method === method.toUpperCase() && o.matches.test(pathname));
      let schema: Json;
      if (!found) {
        // Not an operation: the one answer is the Error envelope (401 without the token, else 404).
        expect([401, 404], where).toContain(res.status);
        schema = { $ref: `${SCHEMA_REF}Error` };
      } else {
        const response = found.op.responses[String(res.status)];
        expect(
          response,
          `status ${res.status} is not documented for ${found.method} ${found.template}: ${where}`,
        ).toBeDefined();
        const media = response.content?.['application/json'];
        if (!media) {
          expect(text, `${where}: documented without a body`).toBe('');
          return { status: res.status, body: null, operation: found.op.operationId };
        }
        schema = media.schema;
      }
      expect(res.headers.get('content-type'), where).toMatch(/^application\/json/);
      const body = JSON.parse(text);
      const validate = validatorFor(schema);
      if (!validate(body))
        expect.fail(`${where}\ndoes not match ${JSON.stringify(schema)}: ${ajv.errorsText(validate.errors)}`);
      return { status: res.status, body, operation: found?.op.operationId };
    };
    return {
      doc,
      check,
      call: async (method, path, options) => check(method, path, await adminFetch(method, path, options)),
    };
  })();
  return contractPromise;
}

// ---- rows seeded directly --------------------------------------------------------------------

type Insert<T extends { $inferInsert: unknown }> = Partial<T['$inferInsert']>;

export const seedLineUser = (fields: Insert<typeof lineUsers> = {}) =>
  withDb(
    async (db) =>
      (
        await db
          .insert(lineUsers)
          .values({ lineUserId: newId.user(), ...fields })
          .returning()
      )[0]!,
  );

export const seedGroup = (fields: Insert<typeof lineGroups> = {}) =>
  withDb(
    async (db) =>
      (
        await db
          .insert(lineGroups)
          .values({ lineGroupId: newId.group(), ...fields })
          .returning()
      )[0]!,
  );

/** A message in a group (given `lineGroupId`) or a 1:1 chat. */
export const seedMessage = (fields: Insert<typeof lineMessages> = {}) =>
  withDb(
    async (db) =>
      (
        await db
          .insert(lineMessages)
          .values({
            messageId: newId.message(),
            sourceType: fields.lineGroupId ? 'group' : 'user',
            messageType: 'text',
            sentAt: new Date(),
            ...fields,
          })
          .returning()
      )[0]!,
  );

/** A media message and its file row, linked both ways as the message handler links them. */
export async function seedFile(message: Insert<typeof lineMessages>, file: Insert<typeof lineFiles> = {}) {
  const m = await seedMessage({ messageType: file.fileType ?? 'image', content: null, ...message });
  return withDb(async (db) => {
    const [f] = await db
      .insert(lineFiles)
      .values({ messageId: m.id, fileType: m.messageType, ...file })
      .returning();
    const [linked] = await db.update(lineMessages).set({ fileId: f!.id }).where(eq(lineMessages.id, m.id)).returning();
    return { message: linked!, file: f! };
  });
}

export const seedInboxEvent = (fields: Insert<typeof lineWebhookEvents> = {}) =>
  withDb(async (db) => {
    const webhookEventId = fields.webhookEventId ?? newId.event();
    const payload = {
      type: 'postback',
      webhookEventId,
      timestamp: Date.now(),
      mode: 'active',
      postback: { data: 'x' },
    };
    return (
      await db
        .insert(lineWebhookEvents)
        .values({ webhookEventId, eventType: 'postback', payload, ...fields })
        .returning()
    )[0]!;
  });

/**
 * An AI answer's row, as the answer's Workflow leaves it: for its asker (a new LINE user unless
 * given) in a group (given `lineGroupId`) or a 1:1 chat, with its question as a message of that chat.
 */
export async function seedAiAnswer(fields: Insert<typeof lineAiAnswers> = {}) {
  const lineUserId = fields.lineUserId ?? (await seedLineUser()).id;
  const question = fields.question ?? 'What is on today?';
  const questionMessageId =
    fields.questionMessageId ??
    (await seedMessage({ lineUserId, lineGroupId: fields.lineGroupId ?? null, content: question })).id;
  const webhookEventId = fields.webhookEventId ?? newId.event();
  return withDb(
    async (db) =>
      (
        await db
          .insert(lineAiAnswers)
          .values({
            webhookEventId,
            instanceId: `ai-${webhookEventId}`,
            eventAt: new Date(),
            ...fields,
            lineUserId,
            question,
            questionMessageId,
          })
          .returning()
      )[0]!,
  );
}
