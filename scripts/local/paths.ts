/** Where the local platform keeps things. `.local/` is git-ignored. */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const LOCAL_DIR = join(PROJECT_ROOT, '.local');
/** The embedded Postgres' data: survives restarts; delete the folder (or `npm run dev -- --fresh`) to start over. */
export const DEFAULT_DATA_DIR = join(LOCAL_DIR, 'pgdata');
/** Addresses of the running `npm run dev`, for `npm run line`. */
export const STACK_STATE_FILE = join(LOCAL_DIR, 'dev-stack.json');
/** Bodies `npm run line` sent, for `redeliver`, `unsend` and `tap` (LINE_SENT_LOG: elsewhere, as the tests keep their own). */
export const SENT_LOG = process.env.LINE_SENT_LOG || join(LOCAL_DIR, 'line-sent.jsonl');
/** Users, groups and rooms the emulator knows by name (edit freely). */
export const DEFAULT_SEED_FILE = fileURLToPath(new URL('./seed.json', import.meta.url));
