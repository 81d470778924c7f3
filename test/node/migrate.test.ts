/**
 * Migration 0002_seed_schema_uuids upgrades a live database in place. A database migrated up to
 * 0001 is filled the way the old schema held data (integer ids, `line_files.message_id` = LINE's
 * message id, `line_groups.group_name`), then given every migration: on PostgreSQL with
 * `npm run db:migrate` (scripts/migrate.ts, as production is migrated), on PGlite (`npm run dev`'s
 * `.local/pgdata`) with drizzle's migrator. Every row keeps its LINE ids and every other value,
 * every reference lands on the row with the LINE id it named before, the ids are UUIDs, new rows
 * go in the new way, and the schema is the one a database migrated from zero gets.
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, dropDatabase, MIGRATIONS_FOLDER, migrateDatabase } from '../../scripts/lib/database.ts';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UPGRADE = '0002_seed_schema_uuids';

type Row = Record<string, unknown>;
type Query = (text: string, params?: unknown[]) => Promise<Row[]>;

const lineId = (prefix: string, n: number) => `${prefix}${n.toString(16).padStart(32, '0')}`;
const ALICE = lineId('U', 0xa11ce);
const BOB = lineId('U', 0xb0b);
const CAROL = lineId('U', 0xca801);
const OPS = lineId('C', 0x0b5);
const LUNCH = lineId('R', 0x10c);
const BOT = lineId('U', 0xb07);
const MSG = {
  text: '560000000000000001',
  image: '560000000000000002',
  file: '560000000000000003',
  video: '560000000000000004',
  unsent: '560000000000000005',
  edited: '560000000000000006',
  sticker: '560000000000000007',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** drizzle/ as it was before the upgrade: the migrations folder with a journal that stops before 0002. */
async function migrationsBeforeUpgrade(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drizzle-before-0002-'));
  await cp(MIGRATIONS_FOLDER, dir, { recursive: true });
  const path = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(path, 'utf8')) as { entries: { tag: string }[] };
  const upto = journal.entries.findIndex((e) => e.tag === UPGRADE);
  expect(upto).toBe(2);
  journal.entries = journal.entries.slice(0, upto);
  await writeFile(path, JSON.stringify(journal));
  return dir;
}

const insert = async (q: Query, table: string, rows: Row[]): Promise<Row[]> => {
  const out: Row[] = [];
  for (const row of rows) {
    const cols = Object.keys(row);
    out.push(
      ...(await q(
        `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
        Object.values(row),
      )),
    );
  }
  return out;
};

/**
 * Data as the old schema held it. The integer ids of the four tables come from ranges of their
 * own, and files are numbered in another order than their messages, so a reference translated
 * through the wrong table or by position cannot land on a plausible row by chance.
 */
async function writeOldData(q: Query): Promise<void> {
  const [amy, ben] = await insert(q, 'users', [
    { username: 'amy', display_name: 'Amy Admin', role: 'admin' },
    { username: 'ben', role: 'member' },
  ]);
  const [tower] = await insert(q, 'projects', [{ name: 'Tower B' }]);
  await insert(q, 'line_users', [
    {
      id: 11,
      line_user_id: ALICE,
      display_name: 'Alice Chen',
      picture_url: 'https://profile.line-scdn.net/alice',
      status_message: 'Site lead',
      language: 'en',
      user_id: amy!.id,
      is_friend: true,
      followed_at: '2025-01-02T03:04:05.123456Z',
      profile_refreshed_at: '2025-06-01T08:00:00Z',
    },
    {
      id: 12,
      line_user_id: BOB,
      display_name: 'Bob Tanaka',
      language: 'ja',
      binding_prompted_at: '2025-06-02T09:00:00Z',
    },
    {
      id: 13,
      line_user_id: CAROL,
      display_name: 'Carol',
      followed_at: '2025-01-01T00:00:00Z',
      unfollowed_at: '2025-03-01T00:00:00Z',
    },
  ]);
  await insert(q, 'line_groups', [
    {
      id: 21,
      line_group_id: OPS,
      source_type: 'group',
      group_name: 'Tower B – Site Ops',
      picture_url: 'https://obs.line-scdn.net/ops',
      member_count: 3,
      project_id: tower!.id,
      allow_ai_response: true,
      joined_at: '2025-01-01T00:00:00Z',
      summary_refreshed_at: '2025-06-01T08:00:00Z',
    },
    { id: 22, line_group_id: LUNCH, source_type: 'room', is_active: false, left_at: '2025-05-01T00:00:00Z' },
  ]);
  const line = { type: 'line' };
  await insert(q, 'line_messages', [
    {
      id: 101,
      message_id: MSG.text,
      line_user_id: 11,
      line_group_id: 21,
      source_type: 'group',
      message_type: 'text',
      content: 'hello @bob',
      reply_token: 'rt-1',
      quote_token: 'qt-1',
      raw_message: { id: MSG.text, type: 'text', text: 'hello @bob', quoteToken: 'qt-1' },
      sent_at: '2025-06-01T10:00:00.123Z',
    },
    {
      id: 102,
      message_id: MSG.image,
      line_user_id: 12,
      line_group_id: 21,
      source_type: 'group',
      message_type: 'image',
      raw_message: { id: MSG.image, type: 'image', contentProvider: line },
      sent_at: '2025-06-01T10:01:00Z',
    },
    {
      id: 103,
      message_id: MSG.file,
      line_user_id: 13,
      line_group_id: 22,
      source_type: 'room',
      message_type: 'file',
      content: 'plan.pdf',
      raw_message: { id: MSG.file, type: 'file', fileName: 'plan.pdf', fileSize: 2048 },
      sent_at: '2025-06-01T10:02:00Z',
    },
    {
      id: 104,
      message_id: MSG.video,
      line_user_id: 11,
      source_type: 'user',
      message_type: 'video',
      raw_message: { id: MSG.video, type: 'video', duration: 5000, contentProvider: line },
      sent_at: '2025-06-01T10:03:00Z',
    },
    {
      id: 105,
      message_id: MSG.unsent,
      line_user_id: 12,
      line_group_id: 21,
      source_type: 'group',
      message_type: 'image',
      raw_message: { id: MSG.unsent, type: 'image', contentProvider: line },
      sent_at: '2025-06-01T10:04:00Z',
      unsent_at: '2025-06-01T10:05:00Z',
    },
    {
      id: 106,
      message_id: MSG.edited,
      line_user_id: 11,
      source_type: 'user',
      message_type: 'text',
      content: 'meet at 3pm',
      quoted_message_id: MSG.video,
      raw_message: { id: MSG.edited, type: 'text', text: 'meet at 3pm' },
      sent_at: '2025-06-01T10:06:00Z',
      edited_at: '2025-06-01T10:07:00Z',
      edit_timestamp: 1748772420000,
    },
    {
      id: 107,
      message_id: MSG.sticker,
      line_group_id: 22,
      source_type: 'room',
      message_type: 'sticker',
      content: 'happy',
      raw_message: { id: MSG.sticker, type: 'sticker', packageId: '1', stickerId: '2', keywords: ['happy'] },
      sent_at: '2025-06-01T10:08:00Z',
    },
  ]);
  // The nas-sync states: synced then unsent (removal pending), failed, pending after a failure (claimed by a running job), synced.
  await insert(q, 'line_files', [
    {
      id: 201,
      message_id: MSG.unsent,
      file_type: 'image',
      nas_path: `groups/${OPS}/images/2025-06-01/${MSG.unsent}.jpg`,
      file_size: 2048,
      mime_type: 'image/jpeg',
      sha256: 'b'.repeat(64),
      sync_status: 'synced',
      synced_at: '2025-06-01T10:04:30Z',
      remove_requested_at: '2025-06-01T10:05:00Z',
    },
    {
      id: 202,
      message_id: MSG.video,
      file_type: 'video',
      duration: 5000,
      sync_status: 'failed',
      sync_attempts: 8,
      sync_error: 'HTTP 503: Service Unavailable',
    },
    {
      id: 203,
      message_id: MSG.file,
      file_type: 'file',
      file_name: 'plan.pdf',
      sync_attempts: 1,
      sync_error: 'HTTP 500: boom',
      next_sync_at: '2030-01-01T00:00:00Z',
      sync_claimed_at: '2025-06-01T10:02:30.654321Z',
    },
    {
      id: 204,
      message_id: MSG.image,
      file_type: 'image',
      nas_path: `groups/${OPS}/images/2025-06-01/${MSG.image}.jpg`,
      file_size: 1234,
      mime_type: 'image/jpeg',
      sha256: 'a'.repeat(64),
      sync_status: 'synced',
      synced_at: '2025-06-01T10:01:30Z',
    },
  ]);
  await insert(q, 'line_binding_codes', [
    {
      code: '123456',
      user_id: amy!.id,
      expires_at: '2025-06-01T10:10:00Z',
      used_at: '2025-06-01T10:01:00Z',
      used_by_line_user_id: 11,
    },
    { code: '654321', user_id: ben!.id, expires_at: '2030-01-01T00:00:00Z' },
    { code: '000042', user_id: ben!.id, expires_at: '2025-06-01T10:10:00Z', revoked_at: '2025-06-01T10:02:00Z' },
  ]);
  await insert(q, 'line_binding_attempts', [
    { line_user_id: 11, succeeded: true, created_at: '2025-06-01T10:01:00Z' },
    { line_user_id: 12, succeeded: false, created_at: '2025-06-02T09:00:00Z' },
    { line_user_id: 12, succeeded: false, created_at: '2025-06-02T09:01:00Z' },
  ]);
  await insert(q, 'line_webhook_events', [
    {
      webhook_event_id: '01JXAMPLE0000000000000000A',
      destination: BOT,
      event_type: 'message',
      source_type: 'group',
      event_timestamp: 1748772000123,
      payload: { type: 'message', message: { id: MSG.text } },
      status: 'done',
      processed_at: '2025-06-01T10:00:01Z',
    },
    {
      webhook_event_id: `sha256:${'c'.repeat(64)}`,
      event_type: 'unsend',
      source_type: 'user',
      is_redelivery: true,
      payload: { type: 'unsend' },
      status: 'failed',
      attempts: 3,
      last_error: 'boom',
      next_attempt_at: '2025-06-01T10:09:00Z',
    },
  ]);
}

let before0002: string;
beforeAll(async () => {
  before0002 = await migrationsBeforeUpgrade();
});
afterAll(async () => {
  await rm(before0002, { recursive: true, force: true });
});

const dbMigrate = (url: string) =>
  promisify(execFile)('npm', ['run', 'db:migrate'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url } });

const keyed = (rows: Row[], key: string, drop: string[] = []): Record<string, Row> =>
  Object.fromEntries(
    rows.map((r) => [
      String(r[key]),
      Object.fromEntries(Object.entries(r).filter(([k]) => k !== key && !drop.includes(k))),
    ]),
  );

/**
 * Every row, keyed by what identifies it across the upgrade (LINE ids; the integer ids of the
 * tables that keep them), with each reference to the four tables replaced by the LINE id of the
 * row it points at. The same SQL reads both schemas, except how a file names its message.
 */
async function snapshot(q: Query, schema: 'old' | 'new') {
  const fileMessage =
    schema === 'old' ? 'f.message_id' : '(SELECT m.message_id FROM line_messages m WHERE m.id = f.message_id)';
  return {
    users: keyed(await q('SELECT * FROM users'), 'id'),
    projects: keyed(await q('SELECT * FROM projects'), 'id'),
    lineUsers: keyed(await q('SELECT * FROM line_users'), 'line_user_id', ['id']),
    groups: keyed(await q('SELECT * FROM line_groups'), 'line_group_id', ['id']),
    messages: keyed(
      await q(`SELECT m.*, u.line_user_id AS sender, g.line_group_id AS chat FROM line_messages m
                 LEFT JOIN line_users u ON u.id = m.line_user_id LEFT JOIN line_groups g ON g.id = m.line_group_id`),
      'message_id',
      ['id', 'line_user_id', 'line_group_id', 'file_id'],
    ),
    files: keyed(await q(`SELECT f.*, ${fileMessage} AS line_message_id FROM line_files f`), 'line_message_id', [
      'id',
      'message_id',
    ]),
    codes: keyed(
      await q(
        'SELECT c.*, u.line_user_id AS used_by FROM line_binding_codes c LEFT JOIN line_users u ON u.id = c.used_by_line_user_id',
      ),
      'id',
      ['used_by_line_user_id'],
    ),
    attempts: keyed(
      await q(
        'SELECT a.*, u.line_user_id AS line_user FROM line_binding_attempts a LEFT JOIN line_users u ON u.id = a.line_user_id',
      ),
      'id',
      ['line_user_id'],
    ),
    events: keyed(await q('SELECT * FROM line_webhook_events'), 'id'),
  };
}
type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** What the upgrade must make of the old rows: `group_name` is `name`; existing messages are users' and not yet seen by the AI. */
function upgraded(before: Snapshot): Snapshot {
  const after = structuredClone(before);
  for (const g of Object.values(after.groups)) {
    g.name = g.group_name;
    delete g.group_name;
    // 0003 (AI): no instructions and no /reset yet.
    Object.assign(g, { ai_instructions: null, ai_history_from: null });
  }
  for (const m of Object.values(after.messages)) Object.assign(m, { is_from_bot: false, ai_processed: false });
  for (const u of Object.values(after.lineUsers)) Object.assign(u, { ai_history_from: null, ai_limit_notice_on: null });
  // 0003 (AI) and 0004 (NAS search): no instructions, no NAS folder yet.
  for (const p of Object.values(after.projects)) Object.assign(p, { ai_instructions: null, nas_folder: null });
  // 0007: no thumbnail of a NAS copy uploaded yet.
  for (const f of Object.values(after.files)) Object.assign(f, { thumbnail_r2_key: null });
  // 0008 (access control): no member joined since, no payload purged yet.
  for (const g of Object.values(after.groups)) Object.assign(g, { member_joined_at: null });
  for (const e of Object.values(after.events)) Object.assign(e, { payload_purged_at: null });
  // 0012 (console operators): no message sent from the console yet.
  for (const m of Object.values(after.messages)) Object.assign(m, { sent_by_operator: null });
  return after;
}

/** Columns (order ignored), constraints, indexes, triggers and sequences of the public schema. */
async function schemaOf(q: Query) {
  return {
    columns:
      await q(`SELECT table_name, column_name, data_type, udt_name, character_maximum_length, is_nullable, column_default
                        FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`),
    constraints:
      await q(`SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
                            FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`),
    triggers: await q(`SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) AS definition FROM pg_trigger t
                         JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace ORDER BY 1, 2`),
    sequences: await q(
      `SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public' ORDER BY 1`,
    ),
  };
}

async function expectUpgraded(q: Query, before: Snapshot): Promise<void> {
  expect(await snapshot(q, 'new')).toEqual(upgraded(before));

  // Ids and references are UUIDs.
  const types = await q(`SELECT table_name || '.' || column_name AS col, data_type FROM information_schema.columns
                          WHERE table_schema = 'public' AND data_type = 'uuid' ORDER BY 1`);
  // Tables added after 0002 (AI answers, NAS search and send, access control) are new and uuid from the start.
  const later =
    /^(line_ai_answers|nas_files|nas_send_requests|nas_search_lists|share_links|ai_file_offers|audit_log|project_members|nas_file_previews|ai_pauses|announcements|operator_sends)\./;
  expect(types.map((t) => String(t.col)).filter((c) => !later.test(c))).toEqual([
    'line_binding_attempts.line_user_id',
    'line_binding_codes.used_by_line_user_id',
    'line_files.id',
    'line_files.message_id',
    'line_groups.id',
    'line_groups.project_id',
    'line_messages.file_id',
    'line_messages.id',
    'line_messages.line_group_id',
    'line_messages.line_user_id',
    'line_users.id',
    'projects.id',
  ]);

  // Each media message's file_id is the file that points at it; the others have none.
  const links = await q(
    `SELECT m.message_id, f.message_id = m.id AS back FROM line_messages m LEFT JOIN line_files f ON f.id = m.file_id`,
  );
  expect(Object.fromEntries(links.map((l) => [l.message_id, l.back]))).toEqual({
    [MSG.text]: null,
    [MSG.image]: true,
    [MSG.file]: true,
    [MSG.video]: true,
    [MSG.unsent]: true,
    [MSG.edited]: null,
    [MSG.sticker]: null,
  });
}

async function expectNewWrites(q: Query): Promise<void> {
  const [alice] = await q('SELECT id FROM line_users WHERE line_user_id = $1', [ALICE]);
  const [ops] = await q('SELECT id FROM line_groups WHERE line_group_id = $1', [OPS]);
  const [message] = await q(
    `INSERT INTO line_messages (message_id, line_user_id, line_group_id, source_type, message_type, sent_at)
     VALUES ('560000000000000099', $1, $2, 'group', 'image', now()) RETURNING id, is_from_bot, ai_processed`,
    [alice!.id, ops!.id],
  );
  expect(message).toMatchObject({ id: expect.stringMatching(UUID), is_from_bot: false, ai_processed: false });
  const [file] = await q(
    `INSERT INTO line_files (message_id, file_type) VALUES ($1, 'image') RETURNING id, sync_status`,
    [message!.id],
  );
  expect(file).toMatchObject({ id: expect.stringMatching(UUID), sync_status: 'pending' });
  await q('UPDATE line_messages SET file_id = $2 WHERE id = $1', [message!.id, file!.id]);

  // The article's relation holds: a file needs its message and goes with it.
  await expect(
    q(`INSERT INTO line_files (message_id, file_type) VALUES (gen_random_uuid(), 'image')`),
  ).rejects.toMatchObject({ code: '23503' });
  await q('DELETE FROM line_messages WHERE id = $1', [message!.id]);
  expect(await q('SELECT id FROM line_files WHERE id = $1', [file!.id])).toEqual([]);

  const [group] = await q(
    `INSERT INTO line_groups (line_group_id, name) VALUES ($1, 'New team') RETURNING id, member_count, joined_at`,
    [lineId('C', 0xae5)],
  );
  expect(group).toMatchObject({ id: expect.stringMatching(UUID), member_count: 0, joined_at: expect.any(Date) });
  const [user] = await q('INSERT INTO line_users (line_user_id) VALUES ($1) RETURNING id', [lineId('U', 0x2e0)]);
  expect(user!.id).toMatch(UUID);
  await expect(q(`INSERT INTO users (username) VALUES ('AMY')`)).rejects.toMatchObject({ code: '23505' });
  await q(
    `INSERT INTO line_webhook_events (webhook_event_id, destination, event_type, payload) VALUES ('new-1', $1, 'message', '{}')`,
    ['x'.repeat(100)],
  );
}

describe('PostgreSQL: npm run db:migrate on a database at 0001 holding data', () => {
  const run = `${Date.now()}_${process.pid}`;
  const oldName = `migrate_old_${run}`;
  const freshName = `migrate_fresh_${run}`;
  const clashName = `migrate_clash_${run}`;
  let client: pg.Client;
  let q: Query;
  let before: Snapshot;
  let migrateRun: { stdout: string; stderr: string };

  beforeAll(async () => {
    const url = await createDatabase(ADMIN_URL, oldName);
    await migrateDatabase(url, before0002);
    client = new pg.Client({ connectionString: url });
    await client.connect();
    q = async (text, params) => (await client.query(text, params)).rows as Row[];
    await writeOldData(q);
    before = await snapshot(q, 'old');
    migrateRun = await dbMigrate(url);
  }, 120_000);
  afterAll(async () => {
    await client?.end();
    await dropDatabase(ADMIN_URL, oldName);
    await dropDatabase(ADMIN_URL, freshName);
    await dropDatabase(ADMIN_URL, clashName);
  });

  it('the old database was really the old schema, and npm run db:migrate applied the rest', async () => {
    expect(Object.keys(before.files).sort()).toEqual([MSG.image, MSG.file, MSG.video, MSG.unsent].sort());
    expect(before.groups[OPS]).toMatchObject({ group_name: 'Tower B – Site Ops', allow_ai_response: true });
    const journal = JSON.parse(await readFile(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
      entries: unknown[];
    };
    expect(await q('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations')).toEqual([
      { n: journal.entries.length },
    ]);
    expect(migrateRun.stdout + migrateRun.stderr).toMatch(/migrations applied successfully/i);
  });

  it('keeps every row and value under its LINE ids, with UUID ids and references that follow them', async () => {
    await expectUpgraded(q, before);
  });

  it('takes new rows the new way', async () => {
    await expectNewWrites(q);
  });

  it('has the columns, constraints, indexes and triggers of a database migrated from zero', async () => {
    const url = await createDatabase(ADMIN_URL, freshName);
    await migrateDatabase(url);
    const fresh = new pg.Client({ connectionString: url });
    await fresh.connect();
    try {
      const freshSchema = await schemaOf(async (text, params) => (await fresh.query(text, params)).rows as Row[]);
      expect(freshSchema.columns.length).toBeGreaterThan(100);
      expect(await schemaOf(q)).toEqual(freshSchema);
    } finally {
      await fresh.end();
    }
  });

  it('stops, changing nothing, when two usernames differ only in case (as docs/operations.md says)', async () => {
    const url = await createDatabase(ADMIN_URL, clashName);
    await migrateDatabase(url, before0002);
    const clash = new pg.Client({ connectionString: url });
    await clash.connect();
    try {
      await clash.query(`INSERT INTO users (username) VALUES ('amy'), ('Amy')`);
      await clash.query(`INSERT INTO line_users (line_user_id) VALUES ($1)`, [ALICE]);
      // npm run db:migrate says why (drizzle-kit itself would exit 1 silently: drizzle-team/drizzle-orm#6121).
      await expect(dbMigrate(url)).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/migration failed, nothing was changed: .*users_username_lower_unique/s),
      });
      await expect(migrateDatabase(url)).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/users_username_lower_unique/) },
      });
      // Still the old schema, 0002 not recorded: the whole migration rolled back.
      expect((await clash.query('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations')).rows).toEqual([
        { n: 2 },
      ]);
      expect((await clash.query(`SELECT id FROM line_users`)).rows).toEqual([{ id: expect.any(Number) }]);
      expect(
        (
          await clash.query(
            `SELECT column_name FROM information_schema.columns WHERE table_name = 'line_groups' AND column_name IN ('name', 'group_name')`,
          )
        ).rows,
      ).toEqual([{ column_name: 'group_name' }]);
    } finally {
      await clash.end();
    }
  });
});

describe('PGlite (npm run dev): the same upgrade with drizzle’s migrator', () => {
  it('keeps every row and value, takes new rows the new way, and matches a database migrated from zero', async () => {
    const db = await PGlite.create();
    const fresh = await PGlite.create();
    try {
      const q: Query = async (text, params) => (await db.query<Row>(text, params)).rows;
      await migrate(drizzle({ client: db }), { migrationsFolder: before0002 });
      await writeOldData(q);
      const before = await snapshot(q, 'old');
      await migrate(drizzle({ client: db }), { migrationsFolder: MIGRATIONS_FOLDER });
      await expectUpgraded(q, before);

      await migrate(drizzle({ client: fresh }), { migrationsFolder: MIGRATIONS_FOLDER });
      expect(await schemaOf(q)).toEqual(
        await schemaOf(async (text, params) => (await fresh.query<Row>(text, params)).rows),
      );
      await expectNewWrites(q);
    } finally {
      await db.close();
      await fresh.close();
    }
  });
});
