/**
 * Reading what a page was sent: query strings through the management API's own zod schemas (one
 * definition of what is valid), form fields as strings. What fails is a 400 page saying why.
 */
import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ApiError } from '../api/errors';
import type { ConsoleEnv } from './types';

/** A filter form sends its empty fields as `name=`: an empty field means no filter. */
export function queryOf(c: Context<ConsoleEnv>): Record<string, string> {
  return Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== ''));
}

/** Why a value was refused, as the API says it: `before: not a cursor...`. */
export const issuesText = (error: z.ZodError) =>
  error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/** The query (or `given`, read from it) parsed by `schema`, or a 400 (the console's error handler renders its message). */
export function parseQuery<S extends z.ZodType>(
  c: Context<ConsoleEnv>,
  schema: S,
  given: Record<string, string> = queryOf(c),
): z.infer<S> {
  const parsed = schema.safeParse(given);
  if (!parsed.success) throw new ApiError(400, 'invalid_request', issuesText(parsed.error));
  return parsed.data;
}

/** The form the CSRF check has parsed already (Hono keeps it): one string per field, the first if repeated. */
export async function formOf(c: Context<ConsoleEnv>): Promise<Record<string, string | undefined>> {
  const body = await c.req.parseBody({ all: true });
  // No prototype: a field named __proto__ is just a field.
  const out: Record<string, string | undefined> = Object.create(null);
  for (const [name, value] of Object.entries(body)) {
    const first = Array.isArray(value) ? value[0] : value;
    out[name] = typeof first === 'string' ? first : undefined;
  }
  return out;
}

export { isUuid } from '../lib/uuid';
