/**
 * Property: whatever text a bound or unbound user types, in a 1:1 chat or a group, the event is
 * stored and done, the bot answers at most once with a reply LINE accepts, and nothing breaks
 * (NAS `/find` and `/send` included, in a group whose project has a folder with files).
 */
import fc from 'fast-check';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lineGroups, lineMessages, lineWebhookEvents, projects } from '@linebot-edge/shared/schema';
import { createAccount, createProject, issueCode } from './support/admin';
import { withDb } from './support/db';
import { lineRequests, violations } from './support/emulator';
import { newId, postEvents, textEvent, type SourceSpec } from './support/line';
import { insertNasFiles, newShare } from './support/nas-find';

const started = Date.now();

const words = fc.constantFrom(
  '/bind',
  '/unbind',
  '/help',
  '/說明',
  '/project',
  '/project bind',
  '/project unbind',
  'bind',
  '１２３４５６',
  '000000',
  // binding codes as shown and as typed
  'K7M-2QX-9PA',
  'k7m2qx9pa',
  'ｋ７ｍ－２ｑｘ－９ｐａ',
  '/bind K7M 2QX 9PA',
  'STRUCTURE',
  '-',
  '－',
  '@bot',
  ' ',
  '\n',
  '\u0000',
  '\ud800',
  '\udc00',
  '\u202e',
  '🙂',
  '專案',
  'Alpha',
  // NAS search and send
  '/find',
  '/找',
  '/搜尋',
  '／ｆｉｎｄ',
  '/send',
  '/傳',
  '/send 1',
  '/send 0',
  '/send 99999',
  'type:pdf',
  'type:',
  'ext:.PDF,docx',
  '類型:%',
  '%',
  '_',
  '\\',
  '..',
  '圖',
  'ＰＤＦ',
  '1',
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
    const alpha = await createProject(`Alpha ${newId.event()}`);
    const groupId = newId.group();
    // A group whose project has a NAS folder with files in it: /find and /send have something to find.
    const share = newShare();
    await insertNasFiles(share, [
      { path: '案場/圖 100%_a.pdf' },
      { path: '案場/ＰＤＦ/b.txt' },
      { path: '案場/big.bin', size: 2 ** 40 },
    ]);
    await withDb((db) =>
      db
        .update(projects)
        .set({ nasFolder: `${share}/案場` })
        .where(eq(projects.id, alpha.id)),
    );
    const nasGroupId = newId.group();
    expect((await postEvents([textEvent({ userId: adminLineId, groupId: nasGroupId }, 'hi')])).status).toBe(200);
    await withDb((db) =>
      db.update(lineGroups).set({ projectId: alpha.id }).where(eq(lineGroups.lineGroupId, nasGroupId)),
    );

    const senders = fc.constantFrom<SourceSpec[]>(
      [{ userId: adminLineId }],
      [{ userId: adminLineId, groupId }],
      [{ userId: newId.user() }],
      [{ userId: newId.user(), groupId }],
      [{ userId: adminLineId, groupId: nasGroupId }],
    );

    await fc.assert(
      fc.asyncProperty(senders, texts, async ([src], text) => {
        const ev = textEvent(src!, text);
        const res = await postEvents([ev]);
        expect(res.status).toBe(200);
        const [inbox] = await withDb((db) =>
          db
            .select({ status: lineWebhookEvents.status })
            .from(lineWebhookEvents)
            .where(eq(lineWebhookEvents.webhookEventId, ev.webhookEventId)),
        );
        expect(inbox?.status).toBe('done');
        const stored = await withDb((db) =>
          db.select({ id: lineMessages.id }).from(lineMessages).where(eq(lineMessages.messageId, ev.message.id)),
        );
        expect(stored).toHaveLength(1);
        const replies = (await lineRequests('/v2/bot/message/reply')).filter(
          (r) => (r.body as { replyToken?: string }).replyToken === ev.replyToken,
        );
        expect(replies.length).toBeLessThanOrEqual(1);
        for (const r of replies) expect(r.status).toBe(200);
      }),
      { numRuns: 80 },
    );
    expect((await violations()).filter((v) => v.at >= started)).toEqual([]);
  }, 120_000);
});
