/**
 * The browser project's one check before its files run: without Chromium its tests are skipped,
 * and this says so where everyone sees it (a skipped test's own output is not shown); in CI
 * (CI=true, where .ci/run installs Chromium) a missing browser is an error instead.
 */
import { chromiumMissing } from '../support/browser.ts';

export default function setup() {
  const missing = chromiumMissing();
  if (!missing) return;
  if (process.env.CI) throw new Error(`browser tests cannot run: ${missing}`);
  console.warn(`\nbrowser tests skipped: ${missing}\n`);
}
