import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

/** Test-only secrets: the suite signs its own webhook bodies with this channel secret. */
export const TEST_CHANNEL_SECRET = 'test-channel-secret';

export default defineConfig({
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
    globalSetup: ['./test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // The Worker logs a JSON line per event; show them only for tests that fail.
    silent: 'passed-only',
  },
});
