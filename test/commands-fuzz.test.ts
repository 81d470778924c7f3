/**
 * Property: whatever text a bound or unbound user types, in a 1:1 chat or a group, the event is
 * stored and done, the bot answers at most once with a reply LINE accepts, and nothing breaks.
 */
import fc from 'fast-check';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lineMessages, lineWebhookEvents } from '../src/db/schema';
import { createAccount, createProject, issueCode } from './support/admin';
import { withDb } from './support/db';
import { lineRequests, violations } from './support/emulator';
import { newId, postEvents, textEvent, type SourceSpec } from './support/line';

const started = Date.now();

const words = fc.constantFrom(
  '/bind', '/unbind', '/help', '/說明', '/project', '/project bind', '/project unbind', 'bind', '１２３４５６', '000000',
  '@bot', ' ', '\n', '\u0000', '\ud800', '\udc00', '\u202e', '🙂', '專案', 'Alpha',
);
const texts = fc
  .array(fc.oneof(words, fc.string({ unit: 'binary', maxLength: 20 })), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join(' '))
  .filter((t) => t.length > 0);

describe('property: commands from anyone, anywhere', () => {
  it('every text is stored and done, answered at most once, and every LINE request is valid', async () => {
    const admin = await createAccount('admin', 'Fuzz Admin');
    const adminLineId = newId.user();
    const { code } = await issueCode(admin.id);
    expect((await postEvents([textEvent({ userId: adminLineId }, code)])).status).toBe(200);
    await createProject(`Alpha ${newId.event()}`);
    const groupId = newId.group();

    const senders = fc.constantFrom<SourceSpec[]>(
      [{ userId: adminLineId }],
      [{ userId: adminLineId, groupId }],
      [{ userId: newId.user() }],
      [{ userId: newId.user(), groupId }],
    );

    await fc.assert(
      fc.asyncProperty(senders, texts, async ([src], text) => {
        const ev = textEvent(src!, text);
        const res = await postEvents([ev]);
        expect(res.status).toBe(200);
        const [inbox] = await withDb((db) =>
          db.select({ status: lineWebhookEvents.status }).from(lineWebhookEvents).where(eq(lineWebhookEvents.webhookEventId, ev.webhookEventId)),
        );
        expect(inbox?.status).toBe('done');
        const stored = await withDb((db) => db.select({ id: lineMessages.id }).from(lineMessages).where(eq(lineMessages.messageId, ev.message.id)));
        expect(stored).toHaveLength(1);
        const replies = (await lineRequests('/v2/bot/message/reply')).filter((r) => (r.body as { replyToken?: string }).replyToken === ev.replyToken);
        expect(replies.length).toBeLessThanOrEqual(1);
        for (const r of replies) expect(r.status).toBe(200);
      }),
      { numRuns: 60 },
    );
    expect((await violations()).filter((v) => v.at >= started)).toEqual([]);
  }, 120_000);
});
