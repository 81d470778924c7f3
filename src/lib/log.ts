/**
 * Structured logs: one JSON object per line, as Workers Logs indexes them.
 * Callers pass facts, never secrets: nothing here knows the channel secret or access tokens.
 */
import { describeError } from '@linebot-edge/shared/error-text';

export type LogFields = Record<string, unknown>;
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export function createLogger(base: LogFields = {}): Logger {
  const write = (level: Level, msg: string, fields?: LogFields) => {
    // `error` may be anything a library threw or emitted (the Neon driver emits objects holding
    // its client and connection string): only its description is ever written.
    const safe = fields && 'error' in fields ? { ...fields, error: describeError(fields.error) } : fields;
    const entry = { level, msg, ...base, ...safe, time: new Date().toISOString() };
    // The replacer visits every value: only worth it when an Error may hide in a nested value.
    const line = JSON.stringify(entry, Object.values(entry).some(isObject) ? replaceErrors : undefined);
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  };
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

const isObject = (value: unknown) => typeof value === 'object' && value !== null;

/** Errors are not JSON-serialisable by default; keep what helps an operator. */
function replaceErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error) return describeError(value);
  return value;
}
