/** Tunables of the service. Configuration that differs per deployment lives in env (wrangler.toml), read through ./index.ts. */

/** LINE's webhook deadline is 1-2 s; past this the ack stops waiting for the inbox INSERT. */
export const ACK_BUDGET_MS = 1_000;
/** LINE bodies are small (a few KiB even for 100 events); anything larger is not LINE. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;
/** Profiles and group summaries are re-fetched at most this often. */
export const PROFILE_TTL_MS = 24 * 60 * 60 * 1000;
/** How many due inbox rows one cron run claims at a time, and how long it keeps claiming. */
export const CRON_BATCH_SIZE = 25;
export const CRON_TIME_BUDGET_MS = 25_000;
