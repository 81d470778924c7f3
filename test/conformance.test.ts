/**
 * Conformance: every webhook body from the LINE SDKs' test suites, signed and posted, is answered
 * 200 and every event in it lands in the inbox and is processed (done), including the unknown
 * event, message and source types the SDKs include on purpose. Never a 500.
 */
import { inArray } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { lineWebhookEvents } from '@linebot-edge/shared/schema';
import { inboxKey } from '../src/inbox/record';
import { parseWebhookBody } from '../src/line/webhook-body';
import { withDb } from './support/db';
import { violations } from './support/emulator';
import { postWebhook } from './support/line';

const bodies = import.meta.glob<string>('./fixtures/webhook-examples/*.json', {
  query: '?raw',
  import: 'default',
  eager: true,
});
const started = Date.now();

describe('webhook bodies from the LINE SDKs', () => {
  it('has all 84 bodies', () => {
    expect(Object.keys(bodies)).toHaveLength(84);
  });

  it.each(Object.entries(bodies).map(([path, body]) => [path.split('/').pop()!, body] as const))(
    '%s: 200, recorded and processed',
    async (_name, body) => {
      const res = await postWebhook(body);
      expect(res.status, await res.clone().text()).toBe(200);

      const { events } = parseWebhookBody(new TextEncoder().encode(body).buffer as ArrayBuffer);
      if (events.length === 0) return;
      const keys = [...new Set(await Promise.all(events.map(inboxKey)))];
      const rows = await withDb((db) =>
        db
          .select({
            key: lineWebhookEvents.webhookEventId,
            status: lineWebhookEvents.status,
            eventType: lineWebhookEvents.eventType,
            lastError: lineWebhookEvents.lastError,
          })
          .from(lineWebhookEvents)
          .where(inArray(lineWebhookEvents.webhookEventId, keys)),
      );
      expect(rows.map((r) => r.key).sort()).toEqual(keys.sort());
      for (const row of rows) expect(row, `${row.eventType}: ${row.lastError}`).toMatchObject({ status: 'done' });
    },
  );
});

afterAll(async () => {
  const bad = (await violations()).filter((v) => v.at >= started);
  expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
});
