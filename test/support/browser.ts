/**
 * Real Chromium for the console's end-to-end tests (test/browser/) and the README screenshots
 * (scripts/screenshots.ts): Debian's `chromium` driven by playwright-core (Playwright's own browser
 * download does not work offline), and the dev stack it talks to, on a fresh database in the
 * local Postgres.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createDatabase, dropDatabase, migrateDatabase } from '../../scripts/lib/database.ts';
import type { EmulatorSeed } from '../../scripts/line-emulator/index.ts';
import { startStack, type Stack } from '../../scripts/local/stack.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const INSTALL_HINT = 'apt-get install -y chromium fonts-noto-cjk, or scripts/install-system-packages.sh';

/** Why the browser tests cannot run here, or null when they can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (${INSTALL_HINT})`;
}

/** Headless, no sandbox (containers), nothing that reaches the internet on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A phone (the operators' usual device) and a laptop. */
export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;

export const SCREENSHOT_DIR = join(ROOT, 'test-output', 'screenshots');

/**
 * `<name>-phone.png` and `<name>-desktop.png` of the page as it is now (the whole page), then the
 * viewport the page had before.
 */
export async function captureScreens(page: Page, name: string, dir = SCREENSHOT_DIR): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const before = page.viewportSize();
  const files: string[] = [];
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    const file = join(dir, `${name}-${label}.png`);
    await page.screenshot({ path: file, fullPage: true });
    files.push(file);
  }
  if (before) await page.setViewportSize(before);
  return files;
}

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const ADMIN_TOKEN = 'browser-test-admin-token';
export const CHANNEL_SECRET = 'browser-test-channel-secret';

export interface ConsoleStack {
  stack: Stack;
  /** The console's origin, e.g. http://127.0.0.1:43121 */
  url: string;
  /** Straight into the Worker's database (seeding, checking what a form changed). */
  db: pg.Pool;
  stop(): Promise<void>;
}

/**
 * The dev stack as `npm run dev` starts it (wrangler dev, the ws proxy, the LINE emulator), on a
 * fresh, migrated database in the local Postgres, with fixed test secrets.
 */
export async function startConsoleStack(label: string, options: { seed?: EmulatorSeed; log?: (line: string) => void } = {}): Promise<ConsoleStack> {
  const name = `linebot_${label}_${Date.now()}_${process.pid}`;
  const databaseUrl = await createDatabase(ADMIN_URL, name);
  const stops: Array<() => Promise<unknown>> = [() => dropDatabase(ADMIN_URL, name)];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => {});
  };
  try {
    await migrateDatabase(databaseUrl);
    const stack = await startStack({
      worker: 'wrangler-dev',
      ports: { worker: 0, emulator: 0, proxy: 0 },
      databaseUrl,
      seed: options.seed,
      secrets: {
        LINE_CHANNEL_SECRET: CHANNEL_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN: 'browser-test-channel-access-token',
        ADMIN_API_TOKEN: ADMIN_TOKEN,
        NAS_AGENT_TOKEN: 'browser-test-nas-agent-token',
        ANTHROPIC_API_KEY: 'browser-test-anthropic-key',
      },
      onWorkerOutput: options.log,
      log: options.log,
    });
    stops.push(() => stack.stop());
    const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    db.on('error', () => {});
    stops.push(() => db.end());
    return { stack, url: stack.workerUrl, db, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export const ensureDir = (file: string) => mkdirSync(dirname(file), { recursive: true });
