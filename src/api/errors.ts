/**
 * One error envelope for every JSON error this service answers:
 * `{ "error": { "code": "...", "message": "..." }, "requestId": "..." }`.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../http/types';

/** Every `error.code` this service answers with (the management API's Error schema lists them). */
export const errorCodes = [
  'invalid_signature',
  'invalid_body',
  'payload_too_large',
  'unsupported_media_type',
  'database_unavailable',
  'unauthorized',
  'invalid_request',
  'conflict',
  'not_found',
  'rate_limited',
  'not_configured',
  'internal_error',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export class ApiError extends HTTPException {
  /** For 400: which fields were refused and why. */
  readonly fields?: FieldError[];

  constructor(
    status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; fields?: FieldError[] },
  ) {
    super(status, { message, cause: options?.cause });
    this.fields = options?.fields;
  }
}

export const fieldLocations = ['path', 'query', 'body'] as const;

export interface FieldError {
  /** Where the field is: the path, the query string or the JSON body. */
  in: (typeof fieldLocations)[number];
  /** Dotted path inside that part, `(root)` for the part as a whole. */
  path: string;
  message: string;
}

/** A 400 found by code rather than by zod (a cursor, a date range), in the same shape as zod's. */
export const invalidField = (where: FieldError['in'], path: string, why: string) =>
  new ApiError(400, 'invalid_request', `${where} ${path}: ${why}`, { fields: [{ in: where, path, message: why }] });

export function errorResponse(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  code: ErrorCode,
  message: string,
  fields?: FieldError[],
) {
  return c.json(
    { error: fields ? { code, message, fields } : { code, message }, requestId: c.get('requestId') },
    status,
  );
}

/** Hono's own refusals: a malformed JSON body (400), an oversize body (413), a non-JSON body on a JSON route (415). */
const HTTP_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  401: 'unauthorized',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/** app.onError: the one place that turns errors into HTTP. */
export function handleError(err: Error, c: Context<AppEnv>) {
  if (err instanceof ApiError)
    return errorResponse(c, err.status as ContentfulStatusCode, err.code, err.message, err.fields);
  if (err instanceof HTTPException) {
    const code = HTTP_CODES[err.status] ?? (err.status < 500 ? 'invalid_request' : 'internal_error');
    // Hono's only 400 is a body its validator could not parse: the body as a whole is the field.
    const fields: FieldError[] | undefined =
      err.status === 400 ? [{ in: 'body', path: '(root)', message: err.message }] : undefined;
    return errorResponse(c, err.status as ContentfulStatusCode, code, err.message, fields);
  }
  c.get('log').error('http.unhandled_error', { error: err, path: c.req.path });
  return errorResponse(c, 500, 'internal_error', 'internal error');
}
