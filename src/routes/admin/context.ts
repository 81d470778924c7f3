/**
 * The management API's shared wiring: bearer-token auth (constant-time), a database per request,
 * validation errors that say which field and why.
 */
import { OpenAPIHono, type Hook, type z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { AuditActor } from '../../audit/record';
import { config } from '../../config';
import type { Database } from '../../db/client';
import { ApiError, errorResponse, type FieldError } from '../../api/errors';
import { refuseBearer } from '../../security/bearer';
import { clientOf } from '../../security/limiter';
import type { AppEnv } from '../../http/types';

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
export const apiActor = (c: Context<AdminEnv>): AuditActor => ({
  via: 'api',
  operator: 'api',
  client: c.req.header('cf-connecting-ip') ?? null,
});

export const notFound = (what: string, id: string | number) =>
  new ApiError(404, 'not_found', `${what} ${id} not found`);

/** How a log line records a change of AI instructions: their length, never their text. */
export const instructionsLog = (v: string | null | undefined) =>
  v === undefined ? {} : { aiInstructionsLength: v === null ? null : v.length };
