/**
 * One error envelope for every JSON error this service answers:
 * `{ "error": { "code": "...", "message": "..." }, "requestId": "..." }`.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from './types';

export type ErrorCode =
  | 'invalid_signature'
  | 'invalid_body'
  | 'payload_too_large'
  | 'database_unavailable'
  | 'unauthorized'
  | 'invalid_request'
  | 'conflict'
  | 'not_found'
  | 'internal_error';

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(status, { message, cause: options?.cause });
  }
}

export interface FieldError {
  /** Where the field is: body, query or path (param). */
  in: string;
  path: string;
  message: string;
}

export function errorResponse(c: Context<AppEnv>, status: ContentfulStatusCode, code: ErrorCode, message: string, fields?: FieldError[]) {
  return c.json({ error: fields ? { code, message, fields } : { code, message }, requestId: c.get('requestId') }, status);
}

const HTTP_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  401: 'unauthorized',
  404: 'not_found',
  413: 'payload_too_large',
};

/** app.onError: the one place that turns errors into HTTP. */
export function handleError(err: Error, c: Context<AppEnv>) {
  if (err instanceof ApiError) return errorResponse(c, err.status as ContentfulStatusCode, err.code, err.message);
  if (err instanceof HTTPException) {
    // Hono's own refusals (a malformed JSON body, an oversize body) keep their status.
    const code = HTTP_CODES[err.status] ?? 'internal_error';
    return errorResponse(c, err.status as ContentfulStatusCode, code, err.message);
  }
  c.get('log').error('http.unhandled_error', { error: err, path: c.req.path });
  return errorResponse(c, 500, 'internal_error', 'internal error');
}
