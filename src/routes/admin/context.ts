/**
 * The management API's shared wiring: bearer-token auth (constant-time), a database per request,
 * validation errors that say which field and why, and the query pieces several routes share.
 */
import { OpenAPIHono, type Hook, type z } from '@hono/zod-openapi';
import { eq, type AnyColumn, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Context, MiddlewareHandler } from 'hono';
import type { AuditActor } from '../../audit/record';
import { config } from '../../config';
import type { Database } from '../../db/client';
import { lineGroups, lineUsers, projects } from '@linebot-edge/shared/schema';
import { ApiError, errorResponse, type FieldError } from '../../http/errors';
import { refuseBearer } from '../../security/bearer';
import { clientOf } from '../../security/limiter';
import type { AppEnv } from '../../http/types';
import { UUID_PATTERN } from './schemas';
import { hasPgCode } from '../../db/errors';

export type AdminEnv = AppEnv & { Variables: AppEnv['Variables'] & { db: Database } };

const LOCATIONS: Record<string, FieldError['in']> = { json: 'body', param: 'path', query: 'query' };

/** One field error per zod issue; an unknown body field is named itself rather than `(root)`. */
function fieldErrors(target: string, issues: z.ZodError['issues']): FieldError[] {
  const where = LOCATIONS[target] ?? 'body';
  return issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ in: where, path: [...at, key].join('.'), message: 'unknown field' }));
    }
    return [{ in: where, path: at.join('.') || '(root)', message: issue.message }];
  });
}

const validationHook: Hook<unknown, AdminEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const fields = fieldErrors(result.target, result.error.issues);
  const summary = fields.map((f) => `${f.in} ${f.path}: ${f.message}`).join('; ');
  return errorResponse(c as unknown as Context<AppEnv>, 400, 'invalid_request', summary, fields);
};

export const adminRouter = () => new OpenAPIHono<AdminEnv>({ defaultHook: validationHook });

/**
 * Every admin route: `Authorization: Bearer <ADMIN_API_TOKEN>`, compared in constant time, behind
 * the shared limiter (../../security/limiter.ts). An unset or too short token is a misconfiguration:
 * 503, never "open". Needs `db` (withDatabase runs first).
 */
export const requireAdminToken: MiddlewareHandler<AdminEnv> = async (c, next) => {
  const refusal = await refuseBearer({
    secret: 'ADMIN_API_TOKEN',
    expected: config(c.env).secrets.adminApiToken,
    header: c.req.header('authorization'),
    surface: 'admin',
    via: 'api',
    client: clientOf(c.req.header('cf-connecting-ip')),
    path: c.req.path,
    log: c.get('log'),
    db: () => c.get('db'),
  });
  if (refusal) {
    if (refusal.status === 429) c.header('Retry-After', String(refusal.retryAfterSeconds));
    throw new ApiError(refusal.status, refusal.code, refusal.message);
  }
  await next();
};

export { withDatabase } from '../../http/database';

/** The management API as the audit trail names it: the company system, holding the bearer token. */
export const apiActor = (c: Context<AdminEnv>): AuditActor => ({ via: 'api', operator: 'api', client: c.req.header('cf-connecting-ip') ?? null });

export const notFound = (what: string, id: string | number) => new ApiError(404, 'not_found', `${what} ${id} not found`);

/** A 400 found by a handler rather than by zod (a cursor, a date range), in the same shape. */
export const invalidField = (where: FieldError['in'], path: string, why: string) =>
  new ApiError(400, 'invalid_request', `${where} ${path}: ${why}`, { fields: [{ in: where, path, message: why }] });

const UNIQUE_VIOLATION = new Set(['23505']);

/** Postgres unique violation, for turning duplicates into 409. */
export const isUniqueViolation = (err: unknown): boolean => {
  return hasPgCode(err, UNIQUE_VIOLATION);
};

// ---- query pieces the lists share -------------------------------------------------------------

/**
 * The LINE user and the chat of a listed row (a message's sender, an answer's asker), joined under
 * these names so that `chatFilters` can compare LINE's ids on them whatever the row's table.
 */
export const sender = alias(lineUsers, 'sender');
export const chat = alias(lineGroups, 'chat');

/**
 * A group or user named by our UUID or by LINE's id. Anything that is not a UUID is compared with
 * LINE's id as text, never cast: a string of digits or an odd value simply matches nothing.
 */
const byRef = (ref: string | undefined, ours: AnyColumn, lines: AnyColumn): SQL | undefined =>
  !ref ? undefined : UUID_PATTERN.test(ref) ? eq(ours, ref) : eq(lines, ref);

/**
 * The `groupId` / `lineUserId` filters of a list whose rows have these two foreign keys; the query
 * must join `chat` on the first and `sender` on the second (an empty value means no filter).
 */
export function chatFilters(q: { groupId?: string; lineUserId?: string }, row: { lineGroupId: AnyColumn; lineUserId: AnyColumn }): SQL[] {
  const group = byRef(q.groupId, row.lineGroupId, chat.lineGroupId);
  const user = byRef(q.lineUserId, row.lineUserId, sender.lineUserId);
  return [group, user].filter((w) => w !== undefined);
}

/** A project as the API shows it, on its own and inside a group. */
export const projectColumns = { id: projects.id, name: projects.name, aiInstructions: projects.aiInstructions, nasFolder: projects.nasFolder };

/** How a log line records a change of AI instructions: their length, never their text. */
export const instructionsLog = (v: string | null | undefined) =>
  v === undefined ? {} : { aiInstructionsLength: v === null ? null : v.length };
