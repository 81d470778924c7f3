/** Canonical 8-4-4-4-12 hex, any version, any case: what Postgres' uuid type takes. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (v: string) => UUID_PATTERN.test(v);
