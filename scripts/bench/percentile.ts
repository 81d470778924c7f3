/** The nearest-rank percentile `q` (0..1) of ascending `sorted`; NaN when empty. */
export const percentile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
