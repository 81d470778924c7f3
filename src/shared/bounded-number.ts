/**
 * How a numeric setting is read on both sides (the Worker's settings, the nas-sync job's
 * environment): a number as people write it, cut to a whole number and clamped into its bounds,
 * so that a typo of 0 or 99999999 still means "small" or "large", never the default in disguise.
 */

/** A number as people write it: optional sign, digits, fraction and exponent (no hex, no "10MB"). */
export const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export interface Bounds {
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** A fraction cut to a whole number, then clamped to the nearest bound (Infinity too). */
export const clampToBounds = (n: number, bounds: Bounds): number =>
  Math.min(bounds.max, Math.max(bounds.min, Math.trunc(n)));
