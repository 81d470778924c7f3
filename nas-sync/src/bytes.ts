/** Byte counts for people: decimal for rates and totals (`1.5 MB`), binary for the daily cap (`1 GiB`). */

function scale(
  bytes: number,
  step: number,
  units: readonly string[],
): { value: number; unit: string; scaled: boolean } {
  let i = 0;
  let value = bytes;
  while (value >= step && i < units.length - 1) {
    value /= step;
    i++;
  }
  return { value, unit: units[i]!, scaled: i > 0 };
}

/** 1234567 -> "1.2 MB". */
export function formatBytes(n: number): string {
  const { value, unit, scaled } = scale(n, 1000, ['B', 'KB', 'MB', 'GB', 'TB']);
  return `${scaled ? value.toFixed(1) : value} ${unit}`;
}

/** 1073741824 -> "1 GiB", 524288000 -> "500 MiB", 1536 -> "1.5 KiB". */
export function formatBinaryBytes(n: number): string {
  const { value, unit, scaled } = scale(n, 1024, ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']);
  return `${scaled ? Number(value.toFixed(2)) : value} ${unit}`;
}
