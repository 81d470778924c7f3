import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

/** Test-only secrets: the suite signs its own webhook bodies with this channel secret. */
export const TEST_CHANNEL_SECRET = 'test-channel-secret';
/** A made-up key for the local Claude emulator; the tests check it never reaches a log line. */
export const TEST_ANTHROPIC_API_KEY = 'sk-ant-test-key-never-logged';
/** The bearer secrets: 32 characters at least, or the Worker refuses them (src/security/tokens.ts). */
export const TEST_ADMIN_API_TOKEN = 'test-admin-token-5f0c2e9a7b41d36e';
export const TEST_NAS_AGENT_TOKEN = 'test-nas-agent-token-8d3b61fa0c27';

/** The Worker's tests run inside workerd, against real Postgres and the LINE emulator. */
const workerProject = (name: string, include: string[], exclude: string[] = []) => ({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          DATABASE_URL: inject('databaseUrl'),
          DB_WS_PROXY: inject('wsProxy'),
          LINE_API_BASE_URL: inject('lineApiUrl'),
          LINE_DATA_API_BASE_URL: inject('lineApiUrl'),
          LINE_CHANNEL_SECRET: TEST_CHANNEL_SECRET,
          LINE_CHANNEL_ACCESS_TOKEN: 'test-channel-access-token',
          ADMIN_API_TOKEN: TEST_ADMIN_API_TOKEN,
          NAS_AGENT_TOKEN: TEST_NAS_AGENT_TOKEN,
          ANTHROPIC_API_KEY: TEST_ANTHROPIC_API_KEY,
          ANTHROPIC_BASE_URL: inject('claudeApiUrl'),
          BOT_NAMES: '小幫手,Helper',
        },
      },
    })),
  ],
  test: {
    name,
    globalSetup: ['./test/global-setup.ts'],
    include,
    exclude: ['test/node/**', 'test/browser/**', ...exclude],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  test: {
    // The Worker logs a JSON line per event; show them only for tests that fail.
    silent: 'passed-only',
    // Two files at a time on every machine. Vitest's default is one worker fewer than the cores (one
    // here), but most files wait on Postgres, workerd and the emulators rather than compute: on this
    // 2-core machine the suite took 906 s one file at a time and 620 s two at a time.
    maxWorkers: 2,
    projects: [
      // Every Worker test through PgBouncer with a password and pipelined login, as against Neon's
      // pooled endpoint (test/global-setup.ts falls back to the direct path without pgbouncer).
      workerProject('worker', ['test/**/*.test.ts'], ['test/isolated/**']),
      // Tests that load the whole database, on one of their own: the total wrong-token limit (which
      // would refuse every other file's right tokens while it holds) and /healthz under load
      // (counted in Postgres' own session statistics, which other files' connections would move).
      workerProject('worker-isolated', ['test/isolated/**/*.test.ts']),
      // The ingestion tests again straight into Postgres (trust auth, no pipelining): the path of
      // `npm run dev` and of a Neon direct (unpooled) connection string.
      workerProject('worker-direct', ['test/inbox.test.ts', 'test/conformance.test.ts', 'test/smoke.test.ts']),
      {
        // Node-side tools (emulator, dev stack, bench) and the nas-sync package's tests, in plain Node.
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/node/**/*.test.ts', 'nas-sync/test/**/*.test.ts'],
          testTimeout: 60_000,
          // Setup hooks start databases and servers; a loaded 2-core machine needs more than 10 s.
          hookTimeout: 60_000,
        },
      },
      {
        // The console end to end in real Chromium against the dev stack, in plain Node; skipped
        // (and said so) where /usr/bin/chromium is missing, an error in CI.
        test: {
          name: 'browser',
          environment: 'node',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['./test/browser/setup.ts'],
          testTimeout: 30_000,
          // One stack (the Worker on Miniflare) and one browser for the whole file.
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
