/** A database pool for the request (the management API, the console), closed after the response. */
import type { MiddlewareHandler } from 'hono';
import { openDb, type Database } from '../db/client';
import type { AppEnv } from './types';

type WithDb = { Bindings: Env; Variables: AppEnv['Variables'] & { db: Database } };

export const withDatabase: MiddlewareHandler<WithDb> = async (c, next) => {
  const handle = openDb(c.env, c.get('log'));
  c.set('db', handle.db);
  try {
    await next();
  } finally {
    c.executionCtx.waitUntil(handle.close());
  }
};
