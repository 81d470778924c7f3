/** A value put into a LIKE pattern matches itself only: `\`, `%` and `_` escaped (Postgres' default escape). */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, '\\$&');
