/**
 * Unsent means gone: after an unsend, the message's text (a unique marker) is in no text, varchar
 * or jsonb column of the whole database (the message row, the inbox payloads of its events, the AI
 * answer to it and a later answer whose history held it, the bot's replies quoting it, the file's
 * name), the thumbnail is gone from R2, and the console previews nothing of it.
 */
import { env, introspectWorkflowInstance } from 'cloudflare:test';
import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instanceIdFor, writeStep } from '../src/ai/answers';
import { lineAiAnswers, lineFiles, lineMessages, lineWebhookEvents } from '@linebot-edge/shared/schema';
import { createAccount, issueCode, seedAiAnswer, seedLineUser, seedMessage } from './support/admin';
import { operator, send } from './support/console';
import { claudeDelay } from './support/claude';
import { columnsHolding, withDb } from './support/db';
import { lineRequests } from './support/emulator';
import {
  event,
  messageEvent,
  newId,
  postEvents,
  textEvent,
  type SourceSpec,
  type TestMessageEvent,
} from './support/line';
import { bytesOf, call, sha256, streamOf } from './support/nas';

async function boundUser() {
  const account = await createAccount('member', 'Unsend Tester');
  const { code } = await issueCode(account.id);
  const userId = newId.user();
  expect((await postEvents([textEvent({ userId }, code)])).status).toBe(200);
  return userId;
}

/** Posts a question and waits for its answer's Workflow to finish. */
async function ask(ev: TestMessageEvent) {
  await using instance = await introspectWorkflowInstance(env.AI_ANSWER, await instanceIdFor(ev.webhookEventId));
  expect((await postEvents([ev])).status).toBe(200);
  await instance.waitForStatus('complete');
  return (
    await withDb((db) => db.select().from(lineAiAnswers).where(eq(lineAiAnswers.webhookEventId, ev.webhookEventId)))
  )[0]!;
}

const unsend = (src: SourceSpec, messageId: string) => postEvents([event('unsend', src, { unsend: { messageId } })]);
const marker = () => `UNSENT${crypto.randomUUID().replace(/-/g, '')}`;
const answerRow = async (id: string) =>
  (await withDb((db) => db.select().from(lineAiAnswers).where(eq(lineAiAnswers.id, id))))[0]!;

describe('unsend removes the text everywhere', () => {
  it('a question the AI answered, and a later answer whose history held it: question cleared, steps and the bot’s replies redacted', async () => {
    const userId = await boundUser();
    const secret = marker();
    const later = marker();
    const question = textEvent({ userId }, `明天的密碼是 ${secret} 請記住`);
    const first = await ask(question);
    expect(first.status).toBe('answered');
    const second = await ask(textEvent({ userId }, `剛才說什麼？ ${later}`));
    expect(second.status).toBe('answered');
    // The test can fail: before the unsend, the text is in the message, the inbox, both answers' steps and a bot reply.
    const before = await columnsHolding(secret);
    expect(before).toEqual(
      expect.arrayContaining([
        'line_messages.content',
        'line_messages.raw_message',
        'line_webhook_events.payload',
        'line_ai_answers.question',
        'line_ai_answers.steps',
      ]),
    );
    expect(JSON.stringify(second.steps)).toContain(secret);

    expect((await unsend({ userId }, question.message.id)).status).toBe(200);
    expect(await columnsHolding(secret)).toEqual([]);
    const a1 = await answerRow(first.id);
    expect(a1.question).toBe('');
    expect(Object.keys(a1.steps as object)).toEqual(Object.keys(first.steps as object));
    // The later answer keeps what was its own.
    const a2 = await answerRow(second.id);
    expect(a2.question).toContain(later);
    expect(JSON.stringify(a2.steps)).toContain(later);
    expect(JSON.stringify(a2.steps)).toContain('[已收回]');
    // The inbox keeps the event, its key and the message id; the admin API shows no text.
    const [inbox] = await withDb((db) =>
      db.select().from(lineWebhookEvents).where(eq(lineWebhookEvents.webhookEventId, question.webhookEventId)),
    );
    expect(inbox!.payload).toMatchObject({ type: 'message', message: { id: question.message.id, type: 'text' } });
    expect((inbox!.payload as { message: object }).message).not.toHaveProperty('text');
  });

  it('an edited group message: the original and the edited text both go, and so does the file name of a file message', async () => {
    const src = { userId: newId.user(), groupId: newId.group() };
    const original = marker();
    const edited = marker();
    const fileSecret = marker();
    const text = textEvent(src, `第一版 ${original}`);
    const file = messageEvent(src, { type: 'file', fileName: `${fileSecret}.pdf`, fileSize: 1234 });
    expect((await postEvents([text, file])).status).toBe(200);
    const edit = event('messageEdited', src, {
      timestamp: Date.now() + 1000,
      message: { id: text.message.id, type: 'text', text: `第二版 ${edited}`, quoteToken: 'q' },
    });
    expect((await postEvents([edit])).status).toBe(200);
    expect(await columnsHolding(original)).toContain('line_webhook_events.payload');
    expect(await columnsHolding(fileSecret)).toEqual(
      expect.arrayContaining(['line_files.file_name', 'line_messages.content']),
    );

    expect(
      (
        await postEvents([
          event('unsend', src, { unsend: { messageId: text.message.id } }),
          event('unsend', src, { unsend: { messageId: file.message.id } }),
        ])
      ).status,
    ).toBe(200);
    for (const m of [original, edited, fileSecret]) expect(await columnsHolding(m), m).toEqual([]);
    const [f] = await withDb((db) =>
      db
        .select({ f: lineFiles })
        .from(lineFiles)
        .innerJoin(lineMessages, eq(lineMessages.id, lineFiles.messageId))
        .where(eq(lineMessages.messageId, file.message.id)),
    );
    expect(f!.f).toMatchObject({ fileName: null, fileSize: 1234 });
    expect(f!.f.removeRequestedAt).toBeInstanceOf(Date);
  });

  it('a message or an edit arriving after its unsend leaves no text in its own payload', async () => {
    const src = { userId: newId.user(), groupId: newId.group() };
    // The sender and group known first, so the message takes the one-statement path.
    expect((await postEvents([textEvent(src, 'hello')])).status).toBe(200);
    const secret = marker();
    const text = textEvent(src, `太早收回 ${secret}`);
    expect((await unsend(src, text.message.id)).status).toBe(200);
    expect((await postEvents([text])).status).toBe(200);
    const editSecret = marker();
    expect(
      (
        await postEvents([
          event('messageEdited', src, {
            message: { id: text.message.id, type: 'text', text: editSecret, quoteToken: 'q' },
          }),
        ])
      ).status,
    ).toBe(200);
    // A stranger's message (the handler's transaction path) unsent before it arrives.
    const strangerSrc = { userId: newId.user(), groupId: newId.group() };
    const strangerSecret = marker();
    const stranger = textEvent(strangerSrc, strangerSecret);
    expect((await unsend(strangerSrc, stranger.message.id)).status).toBe(200);
    expect((await postEvents([stranger])).status).toBe(200);
    for (const m of [secret, editSecret, strangerSecret]) expect(await columnsHolding(m), m).toEqual([]);
    const statuses = await withDb((db) =>
      db
        .select({ status: lineWebhookEvents.status })
        .from(lineWebhookEvents)
        .where(eq(lineWebhookEvents.webhookEventId, text.webhookEventId)),
    );
    expect(statuses).toEqual([{ status: 'done' }]);
  });

  it('a step an answer finishes after the unsend is not kept (it would bring the text back)', async () => {
    const secret = marker();
    const answer = await seedAiAnswer({ question: `還在想的問題 ${secret}` });
    const [question] = await withDb((db) =>
      db.select().from(lineMessages).where(eq(lineMessages.id, answer.questionMessageId)),
    );
    await withDb((db) =>
      writeStep(db, answer.id, 'load context', { messages: [{ role: 'user', content: `還在想的問題 ${secret}` }] }),
    );
    expect(await columnsHolding(secret)).toEqual(
      expect.arrayContaining(['line_ai_answers.steps', 'line_ai_answers.question']),
    );
    expect((await unsend({ userId: newId.user() }, question!.messageId)).status).toBe(200);
    expect(await columnsHolding(secret)).toEqual([]);
    await withDb((db) =>
      writeStep(db, answer.id, 'ask Claude 1', { content: [{ type: 'text', text: `你問的是 ${secret}` }] }),
    );
    expect(await columnsHolding(secret)).toEqual([]);
    expect(Object.keys((await answerRow(answer.id)).steps as object)).toEqual(['load context']);
  });

  it('a step kept while an unsend is committing waits for it and is not kept (writeStep reads the question FOR SHARE)', async () => {
    const secret = marker();
    const answer = await seedAiAnswer({ question: '還在想的問題' });
    await withDb((db) => writeStep(db, answer.id, 'load context', { messages: [] }));
    let written: Promise<void> | undefined;
    let settled = false;
    // The unsend's order: the question marked unsent, then the answer's row redacted; the step is
    // kept meanwhile, so it must wait for the commit. A plain UPDATE would wait for the answer's
    // row only and then judge "unsent" by its snapshot from before the wait: it would keep the step.
    await withDb((db) =>
      db.transaction(async (tx) => {
        await tx
          .update(lineMessages)
          .set({ unsentAt: sql`now()` })
          .where(eq(lineMessages.id, answer.questionMessageId));
        await tx
          .update(lineAiAnswers)
          .set({ question: '', steps: sql`${lineAiAnswers.steps}` })
          .where(eq(lineAiAnswers.id, answer.id));
        written = withDb((db2) =>
          writeStep(db2, answer.id, 'ask Claude 1', { content: [{ type: 'text', text: `你問的是 ${secret}` }] }),
        ).finally(() => {
          settled = true;
        });
        await new Promise((r) => setTimeout(r, 300));
        expect(settled, 'writeStep waits for the unsend').toBe(false);
      }),
    );
    await written;
    expect(await columnsHolding(secret)).toEqual([]);
    expect(Object.keys((await answerRow(answer.id)).steps as object)).toEqual(['load context']);
  });

  it('a question unsent while Claude works is not answered, and nothing of it is kept', async () => {
    const userId = await boundUser();
    const secret = marker();
    await claudeDelay({ ms: 1500, match: secret, times: 1 });
    const ev = textEvent({ userId }, `其實不該問 ${secret}`);
    await using instance = await introspectWorkflowInstance(env.AI_ANSWER, await instanceIdFor(ev.webhookEventId));
    expect((await postEvents([ev])).status).toBe(200);
    expect((await unsend({ userId }, ev.message.id)).status).toBe(200);
    await instance.waitForStatus('complete');
    const [answer] = await withDb((db) =>
      db.select().from(lineAiAnswers).where(eq(lineAiAnswers.webhookEventId, ev.webhookEventId)),
    );
    expect(answer).toMatchObject({ question: '', sentBy: null });
    const sent = [...(await lineRequests('/v2/bot/message/reply')), ...(await lineRequests('/v2/bot/message/push'))];
    expect(
      sent.filter((r) => JSON.stringify(r.body).includes(ev.replyToken) || JSON.stringify(r.body).includes(secret)),
    ).toEqual([]);
    expect(await columnsHolding(secret)).toEqual([]);
  });

  it('an image with a thumbnail in R2: the object is deleted, the console previews nothing and never asks LINE', async () => {
    const src = { userId: newId.user(), groupId: newId.group() };
    const image = messageEvent(src, { type: 'image', contentProvider: { type: 'line' } });
    expect((await postEvents([image])).status).toBe(200);
    const [row] = await withDb((db) =>
      db
        .select({ id: lineFiles.id })
        .from(lineFiles)
        .innerJoin(lineMessages, eq(lineMessages.id, lineFiles.messageId))
        .where(eq(lineMessages.messageId, image.message.id)),
    );
    const fileId = row!.id;
    // As the nas-sync job leaves it: synced, then its thumbnail uploaded.
    await withDb((db) =>
      db
        .update(lineFiles)
        .set({ syncStatus: 'synced', nasPath: 'line/x.jpg', mimeType: 'image/jpeg' })
        .where(eq(lineFiles.id, fileId)),
    );
    const jpeg = bytesOf(2000, 7);
    jpeg.set([0xff, 0xd8, 0xff], 0);
    const put = await call('PUT', `/api/linebot/nas/files/${fileId}/thumbnail`, {
      headers: {
        'content-type': 'image/jpeg',
        'x-content-sha256': await sha256(jpeg),
        'content-length': String(jpeg.byteLength),
      },
      body: streamOf(jpeg),
    });
    expect(put.status).toBe(200);
    expect(await env.FILES.head(`thumbs/${fileId}`)).not.toBeNull();
    const { cookie } = await operator();
    expect((await send('GET', `/files/${fileId}/preview`, { cookie })).status).toBe(200);

    expect((await unsend(src, image.message.id)).status).toBe(200);
    expect(await env.FILES.head(`thumbs/${fileId}`)).toBeNull();
    const [f] = await withDb((db) => db.select().from(lineFiles).where(eq(lineFiles.id, fileId)));
    expect(f).toMatchObject({ thumbnailR2Key: null });
    expect(f!.removeRequestedAt).toBeInstanceOf(Date);
    const asked = (await lineRequests(`/v2/bot/message/${image.message.id}/content/preview`)).length;
    expect((await send('GET', `/files/${fileId}/preview`, { cookie })).status).toBe(404);
    expect((await lineRequests(`/v2/bot/message/${image.message.id}/content/preview`)).length).toBe(asked);
  });
});

/** Text Postgres can hold (no NUL, no lone surrogate), with what JSON escapes: quotes, backslashes, control characters. */
const storableText = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('"', '\\', '\n', '\t', '\u0001', '\u001f', '/', '{', '}', '<', '&', '\u2028'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    ),
    minLength: 3,
    maxLength: 30,
  })
  .filter(
    (t) =>
      !t.includes('\u0000') &&
      t.trim().length >= 3 &&
      !/[\uD800-\uDFFF]/u.test(t.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')),
  );

describe('whatever the text', () => {
  it('an unsent text is found and replaced in a later answer’s kept steps, however JSON escapes it', async () => {
    await fc.assert(
      fc.asyncProperty(storableText, async (text) => {
        const unique = `${text}${marker()}`;
        const user = await seedLineUser();
        const question = await seedMessage({
          lineUserId: user.id,
          content: unique,
          rawMessage: { id: 'x', type: 'text', text: unique },
        });
        const later = await seedAiAnswer({ lineUserId: user.id, question: 'and now?' });
        await withDb((db) =>
          db
            .update(lineAiAnswers)
            .set({ steps: { 'load context': { messages: [{ role: 'user', content: `Alice: ${unique}\nand now?` }] } } })
            .where(eq(lineAiAnswers.id, later.id)),
        );
        expect((await unsend({ userId: user.lineUserId }, question.messageId)).status).toBe(200);
        const steps = (await answerRow(later.id)).steps as { 'load context': { messages: Array<{ content: string }> } };
        expect(steps['load context'].messages[0]!.content).toBe('Alice: [已收回]\nand now?');
      }),
      { numRuns: 15 },
    );
  });
});
