/**
 * Fixtures for the nas-sync tests: a database of their own (migrated), the LINE emulator, a temp
 * NAS_ROOT, and helpers to seed users / groups / messages / files with the shared Drizzle schema.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { createDatabase, dropDatabase, migrateDatabase } from '../../scripts/lib/database.ts';
import { startLineEmulator, type LineEmulator } from '../../scripts/line-emulator/index.ts';
import { quietReporter, type FileEvent } from '../src/progress.ts';
import { runSync, type SyncOptions } from '../src/sync.ts';
import * as schema from '@linebot-edge/shared/schema';
import { lineFiles, lineGroups, lineMessages, lineUsers } from '@linebot-edge/shared/schema';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TOKEN = 'test-channel-access-token';

export type Chat = { group: string } | { room: string } | { user: string };

export interface SeedFile {
  /** LINE's message id. */
  messageId: string;
  fileType?: 'image' | 'video' | 'audio' | 'file';
  fileName?: string | null;
  /** The sender; for group and room chats also the member who sent it. */
  userId?: string;
  chat?: Chat;
  sentAt?: Date;
}

export interface NasSyncFixture {
  databaseUrl: string;
  pool: pg.Pool;
  db: ReturnType<typeof drizzle<typeof schema>>;
  emulator: LineEmulator;
  nasRoot: string;
  seed(file: SeedFile): Promise<void>;
  /** The `line_files` row of the message with this LINE message id. */
  file(messageId: string): Promise<typeof lineFiles.$inferSelect>;
  /** GET .../content requests the emulator saw for this message. */
  contentRequests(messageId: string): number;
  /** One `--once` run, as a library call, collecting the per-file events. */
  syncOnce(
    options?: Partial<SyncOptions>,
  ): Promise<{ events: FileEvent[]; summary: Awaited<ReturnType<typeof runSync>> }>;
  /** Every file under NAS_ROOT (relative, `/`-separated), temp files included. */
  listNas(): Promise<string[]>;
  close(): Promise<void>;
}

let counter = 0;

/** `WHERE` for the `line_files` row of the message with this LINE message id (tests speak LINE's ids). */
export const fileOf = (messageId: string): SQL =>
  sql`${lineFiles.messageId} = (SELECT ${lineMessages.id} FROM ${lineMessages} WHERE ${lineMessages.messageId} = ${messageId})`;

export async function setupNasSync(label: string): Promise<NasSyncFixture> {
  const name = `nas_sync_${label}_${Date.now()}_${process.pid}_${counter++}`;
  const databaseUrl = await createDatabase(ADMIN_URL, name);
  await migrateDatabase(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', () => {});
  const db = drizzle({ client: pool, schema });
  const emulator = await startLineEmulator({ port: 0 });
  const nasRoot = await mkdtemp(join(tmpdir(), `nas-root-${label}-`));

  const userPk = async (lineUserId: string) => {
    const [row] = await db
      .insert(lineUsers)
      .values({ lineUserId })
      .onConflictDoUpdate({ target: lineUsers.lineUserId, set: { lineUserId } })
      .returning({ id: lineUsers.id });
    return row!.id;
  };
  const groupPk = async (lineGroupId: string, sourceType: 'group' | 'room') => {
    const [row] = await db
      .insert(lineGroups)
      .values({ lineGroupId, sourceType })
      .onConflictDoUpdate({ target: lineGroups.lineGroupId, set: { sourceType } })
      .returning({ id: lineGroups.id });
    return row!.id;
  };

  const fixture: NasSyncFixture = {
    databaseUrl,
    pool,
    db,
    emulator,
    nasRoot,
    async seed(f) {
      const chat = f.chat ?? { user: f.userId ?? 'U0000000000000000000000000000000a' };
      const sender = f.userId ?? ('user' in chat ? chat.user : 'U0000000000000000000000000000000a');
      const fileType = f.fileType ?? 'image';
      // As the Worker stores media: the message, and its file pointing at it (and back, by file_id).
      const id = randomUUID();
      const fileId = randomUUID();
      await db.insert(lineMessages).values({
        id,
        messageId: f.messageId,
        fileId,
        lineUserId: await userPk(sender),
        lineGroupId:
          'group' in chat
            ? await groupPk(chat.group, 'group')
            : 'room' in chat
              ? await groupPk(chat.room, 'room')
              : null,
        sourceType: 'group' in chat ? 'group' : 'room' in chat ? 'room' : 'user',
        messageType: fileType,
        content: fileType === 'file' ? (f.fileName ?? null) : null,
        sentAt: f.sentAt ?? new Date('2025-06-01T10:00:00Z'),
      });
      await db.insert(lineFiles).values({ id: fileId, messageId: id, fileType, fileName: f.fileName ?? null });
    },
    async file(messageId) {
      const [row] = await db.select().from(lineFiles).where(fileOf(messageId));
      if (!row) throw new Error(`no line_files row for ${messageId}`);
      return row;
    },
    contentRequests: (messageId) =>
      emulator.requests().filter((r) => r.method === 'GET' && r.path === `/v2/bot/message/${messageId}/content`).length,
    async syncOnce(options = {}) {
      const events: FileEvent[] = [];
      const summary = await runSync({
        databaseUrl,
        channelAccessToken: TOKEN,
        dataApiBaseUrl: emulator.url,
        nasRoot,
        once: true,
        pollIntervalMs: 50,
        retryBaseMs: 60_000,
        reporter: quietReporter({ file: (e) => events.push(e) }),
        ...options,
      });
      return { events, summary };
    },
    listNas: () => listFiles(nasRoot),
    async close() {
      await pool.end();
      await emulator.close();
      await rm(nasRoot, { recursive: true, force: true });
      await dropDatabase(ADMIN_URL, name);
    },
  };
  return fixture;
}

export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) =>
      join(e.parentPath, e.name)
        .slice(root.length + 1)
        .split('\\')
        .join('/'),
    )
    .sort();
}

/** Runs a TypeScript file (or the CLI) in a child Node process, types stripped by Node itself (no tsx: as on the NAS host); resolves with its output. */
export function runNode(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
