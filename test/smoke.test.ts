import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lineMessages, lineWebhookEvents } from '../src/db/schema';
import { withDb } from './support/db';
import { newId, postEvents, textEvent } from './support/line';

describe('smoke', () => {
  it('stores a text message', async () => {
    const userId = newId.user();
    const ev = textEvent({ userId }, 'hello');
    const res = await postEvents([ev]);
    expect(res.status).toBe(200);
    const rows = await withDb((db) => db.select().from(lineMessages).where(eq(lineMessages.messageId, ev.message.id as string)));
    expect(rows[0]?.content).toBe('hello');
    const inbox = await withDb((db) => db.select().from(lineWebhookEvents).where(eq(lineWebhookEvents.webhookEventId, ev.webhookEventId)));
    expect(inbox[0]?.status).toBe('done');
  });
});
