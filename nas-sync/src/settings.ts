/**
 * The pieces the job's configuration is built from (config.ts, send/config.ts): each environment
 * variable is one zod schema whose problems name the variable, in words an operator can act on.
 * zod collects them, so every problem is reported at once, at start.
 */
import { clampToBounds, NUMBER_TEXT, type Bounds } from '@linebot-edge/shared/bounded-number';
import { z } from 'zod';

/** Reports a problem with the value being read. */
export type Problem = (message: string) => void;

/** An environment variable as set: trimmed; unset and empty alike (''). */
export const envText = z
  .string()
  .optional()
  .transform((value) => value?.trim() ?? '');

/** A variable read by `read`, which reports what is wrong through `problem`. */
export const envSetting = <T>(read: (value: string, problem: Problem) => T) =>
  envText.transform((value, ctx) => read(value, (message) => ctx.addIssue({ code: 'custom', message, input: value })));

/** A value used other than as written (clamped into its range), said once at start. */
export interface Adjusted<T> {
  value: T;
  warning?: string;
}

/**
 * A byte count within `bounds` (the rule the Worker applies to its own numeric settings): unset is
 * the default; out of range it is clamped to the nearest bound and said so; anything that is not a
 * number is a problem, never the default in disguise. `fractions: 'refuse'` makes 1.5 a problem
 * too, `'cut'` cuts it to 1 (and says so).
 */
export function byteCount(
  name: string,
  bounds: Bounds,
  options: { example: string; fractions: 'cut' | 'refuse'; format: (n: number) => string },
) {
  return envSetting((text, problem): Adjusted<number> => {
    if (text === '') return { value: bounds.default };
    const n = NUMBER_TEXT.test(text) ? Number(text) : NaN;
    if (Number.isNaN(n) || (options.fractions === 'refuse' && !Number.isInteger(n))) {
      problem(`${name} must be a whole number of bytes, e.g. ${options.example} (got ${JSON.stringify(text)})`);
      return { value: bounds.default };
    }
    const value = clampToBounds(n, bounds);
    if (value === n) return { value };
    const why =
      Number.isFinite(n) && n >= bounds.min && n <= bounds.max
        ? 'is not a whole number'
        : `is outside ${options.format(bounds.min)} to ${options.format(bounds.max)}`;
    return { value, warning: `${name} ${text} ${why}: using ${options.format(value)}` };
  });
}

/** The problems of a failed parse, in order, one line each. */
export const problemsOf = (error: z.ZodError): string[] => error.issues.map((issue) => issue.message);
