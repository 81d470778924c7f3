/**
 * WCAG 2.1 AA in real Chromium: axe-core run inside the page (through the DevTools protocol, which
 * the console's CSP, with no script allowed at all, does not apply to), failing on any violation
 * axe rates serious or critical. The console's screens pass it as they are: a violation is fixed
 * in the markup or the stylesheet, never by turning a rule off.
 */
import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** The rule sets checked: WCAG 2.0 and 2.1, levels A and AA. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

interface AxeNode {
  target: unknown[];
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: AxeNode[];
}

/** The serious and critical violations on the page as it is now, one line per element. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(axe.source);
  const violations = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} }, resultTypes: ['violations'] })
       .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
         nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) })))`,
  )) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map(
        (n) =>
          `${v.impact} ${v.id} (${v.help}) at ${n.target.join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`,
      ),
    );
}

/**
 * Fails the test, listing each element, when the page has a serious or critical WCAG 2.1 AA
 * violation; a soft assertion, so that a loop over screens reports every screen that fails.
 */
export async function expectAccessible(page: Page): Promise<void> {
  const { pathname, search } = new URL(page.url());
  expect.soft(await accessibilityProblems(page), `${pathname}${search}`).toEqual([]);
}
