import { eq } from 'drizzle-orm';
import { describe, expect, inject, it, vi } from 'vitest';
import { lineMessages, lineWebhookEvents } from '@linebot-edge/shared/schema';
import { withDb } from './support/db';
import { newId, postEvents, textEvent } from './support/line';

describe('smoke', () => {
  it('stores a text message', async () => {
    const userId = newId.user();
    const ev = textEvent({ userId }, 'hello');
    const res = await postEvents([ev]);
    expect(res.status).toBe(200);
    const rows = await withDb((db) =>
      db
        .select()
        .from(lineMessages)
        .where(eq(lineMessages.messageId, ev.message.id as string)),
    );
    expect(rows[0]?.content).toBe('hello');
    const inbox = await withDb((db) =>
      db.select().from(lineWebhookEvents).where(eq(lineWebhookEvents.webhookEventId, ev.webhookEventId)),
    );
    expect(inbox[0]?.status).toBe('done');
  });
});

describe('logs', () => {
  it('describe a non-Error value without serialising it (it may hold a connection string)', async () => {
    const { createLogger } = await import('../src/lib/log');
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'warn').mockImplementation((l: unknown) => void lines.push(String(l)));
    try {
      createLogger().warn('db.pool_error', { error: { client: { connectionString: 'postgres://u:hunter2@host/db' } } });
      createLogger().warn('x', { error: { message: 'socket closed', secret: 'hunter2' } });
    } finally {
      spy.mockRestore();
    }
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(JSON.parse(lines[1]!).error).toEqual({ message: 'socket closed' });
  });
});

describe("a request's pool", () => {
  it('warns of a dropped socket while in use, and only notes one once it is closing', async () => {
    const { env } = await import('cloudflare:test');
    const { createLogger } = await import('../src/lib/log');
    const { openDb } = await import('../src/db/client');
    const lines: { level: string; msg: string }[] = [];
    const spies = (['log', 'warn'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((l: unknown) => void lines.push(JSON.parse(String(l)))),
    );
    try {
      const handle = openDb(env, createLogger());
      handle.pool.emit('error', new Error('Network connection lost.'));
      await handle.close();
      handle.pool.emit('error', new Error('Network connection lost.'));
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(lines.filter((l) => l.msg.startsWith('db.pool_error')).map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'db.pool_error'],
      ['info', 'db.pool_error_while_closing'],
    ]);
  });
});

describe('the database path under test', () => {
  it('is the production one when PgBouncer runs: a password role through transaction pooling, login pipelined', async () => {
    const { env } = await import('cloudflare:test');
    const { neonConfig } = await import('@neondatabase/serverless');
    const { sql } = await import('drizzle-orm');
    const path = inject('databasePath');
    const url = new URL(env.DATABASE_URL);
    const [row] = await withDb(
      async (db) => (await db.execute<{ user: string }>(sql`select current_user as "user"`)).rows,
    );
    if (path === 'pooled') {
      expect(url.password).not.toBe('');
      expect(url.port).not.toBe('5432');
      expect(row?.user).toBe('linebot_app');
      expect(neonConfig.pipelineConnect).toBe('password');
    } else {
      expect(url.password).toBe('');
      expect(neonConfig.pipelineConnect).toBe(false);
    }
  });
});
