/**
 * AI answers end to end: a LINE user asks through the webhook, the answer's Workflow asks the
 * Claude emulator (tools and all) and answers through the LINE emulator, exactly once.
 */
import { env, introspectWorkflowInstance } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { instanceIdFor } from '../src/ai/answers';
import { lineAiAnswers, lineMessages } from '../src/db/schema';
import { createAccount, issueCode } from './support/admin';
import { withDb } from './support/db';
import { lineRequests } from './support/emulator';
import { newId, postEvents, textEvent, type SourceSpec } from './support/line';

async function boundUser() {
  const account = await createAccount('member', 'AI Asker');
  const { code } = await issueCode(account.id);
  const userId = newId.user();
  expect((await postEvents([textEvent({ userId }, code)])).status).toBe(200);
  return userId;
}

/** Posts a question and waits for its answer's Workflow to finish. */
async function ask(src: SourceSpec, text: string) {
  const ev = textEvent(src, text);
  await using instance = await introspectWorkflowInstance(env.AI_ANSWER, await instanceIdFor(ev.webhookEventId));
  expect((await postEvents([ev])).status).toBe(200);
  await instance.waitForStatus('complete');
  const [answer] = await withDb((db) => db.select().from(lineAiAnswers).where(eq(lineAiAnswers.webhookEventId, ev.webhookEventId)));
  return { ev, answer };
}

describe('a bound user asks in a 1:1 chat', () => {
  it('is answered by reply, quoting the question; the answer is a bot row; the question is ai_processed; tokens logged', async () => {
    const userId = await boundUser();
    const { ev, answer } = await ask({ userId }, '明天的會議幾點？');
    expect(answer).toMatchObject({ status: 'answered', outcome: 'answered', sentBy: 'reply', model: 'claude-sonnet-5-5' });
    expect(answer!.inputTokens).toBeGreaterThan(0);
    expect(answer!.outputTokens).toBeGreaterThan(0);
    expect(answer!.requestIds).toHaveLength(1);

    const reply = (await lineRequests('/v2/bot/message/reply')).find((r) => (r.body as { replyToken: string }).replyToken === ev.replyToken);
    const messages = (reply!.body as { messages: Array<{ type: string; text: string; quoteToken?: string }> }).messages;
    expect(messages[0]!.text).toContain('明天的會議幾點？');
    expect(messages[0]!.quoteToken).toBe(ev.message.quoteToken);

    const loading = (await lineRequests('/v2/bot/chat/loading/start')).filter((r) => (r.body as { chatId: string }).chatId === userId);
    expect(loading).toHaveLength(1);

    const [question] = await withDb((db) => db.select().from(lineMessages).where(eq(lineMessages.messageId, ev.message.id)));
    expect(question!.aiProcessed).toBe(true);
  });
});
