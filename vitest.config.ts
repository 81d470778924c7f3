import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

/** Test-only secrets: the suite signs its own webhook bodies with this channel secret. */
export const TEST_CHANNEL_SECRET = 'test-channel-secret';

export default defineConfig({
  test: {
    // The Worker logs a JSON line per event; show them only for tests that fail.
    silent: 'passed-only',
    projects: [
      {
        // The Worker's tests, inside workerd, against real Postgres and the LINE emulator.
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
                ADMIN_API_TOKEN: 'test-admin-token',
              },
            },
          })),
        ],
        test: {
          name: 'worker',
          globalSetup: ['./test/global-setup.ts'],
          include: ['test/**/*.test.ts'],
          exclude: ['test/node/**'],
          testTimeout: 20_000,
        },
      },
      {
        // Node-side tools (emulator, dev stack, bench, nas-sync), in plain Node.
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/node/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
