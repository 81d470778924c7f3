/**
 * `npm run dev` end to end: the orchestrator starts (embedded PGlite in a fresh folder, random
 * ports, wrangler dev, the Claude emulator), messages sent with the sender's library land in the
 * embedded database and the emulator sees the calls they cause, a bound user's question is
 * answered by the AI Workflow with the Claude emulator's answer (in a group as a textV2 that
 * mentions the asker), the nas-sync job beside it copies LINE media onto the sample NAS, indexes
 * the sample shares (with previews of its photos for `/find`) and sends files (`/find`, `/send`
 * through the local R2 and share links), one
 * SIGINT stops everything, and the data is still there on the next start.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeedFile } from '../../scripts/line-emulator/index.ts';
import { build, deliver, Directory, lastButtons, type Target } from '../../scripts/line/index.ts';
import {
  chooseClaude,
  DEV_VARS,
  DEV_VARS_EXAMPLE,
  LOCAL_ANTHROPIC_API_KEY,
  localChannelSecret,
  readDevVars,
} from '../../scripts/local/dev-vars.ts';
import { startEmbeddedPostgres } from '../../scripts/local/embedded-postgres.ts';
import { DEFAULT_SEED_FILE, PROJECT_ROOT } from '../../scripts/local/paths.ts';
import type { StackState } from '../../scripts/local/state.ts';

const tmp = mkdtempSync(join(tmpdir(), 'linebot-dev-test-'));
const dataDir = join(tmp, 'pgdata');
const stateFile = join(tmp, 'dev-stack.json');
const nasDir = join(tmp, 'nas');
const directory = new Directory(readSeedFile(DEFAULT_SEED_FILE));

let dev: ChildProcess;
let output = '';
let state: StackState;
let target: Target;
let exited: Promise<number | null>;

beforeAll(async () => {
  dev = spawn(
    process.execPath,
    // --claude emulator: offline even where .dev.vars holds a real ANTHROPIC_API_KEY.
    [
      ...[
        '--import',
        'tsx',
        'scripts/dev.ts',
        '--port',
        '0',
        '--emulator-port',
        '0',
        '--proxy-port',
        '0',
        '--db-port',
        '0',
        '--claude-port',
        '0',
      ],
      ...['--claude', 'emulator', '--data-dir', dataDir, '--state-file', stateFile, '--nas-dir', nasDir],
    ],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '' } },
  );
  dev.stdout!.on('data', (d: Buffer) => (output += d));
  dev.stderr!.on('data', (d: Buffer) => (output += d));
  exited = new Promise((resolve) => dev.once('exit', (code) => resolve(code)));
  // Ready once it has written where it runs.
  const deadline = Date.now() + 60_000;
  while (!existsSync(stateFile)) {
    if (Date.now() > deadline || dev.exitCode !== null) throw new Error(`npm run dev did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  state = JSON.parse(readFileSync(stateFile, 'utf8')) as StackState;
  // .dev.vars is created from the example on first run: the secret the Worker checks.
  target = {
    webhookUrl: state.webhookUrl,
    channelSecret: localChannelSecret(),
    emulatorUrl: state.emulatorUrl,
    databaseUrl: state.databaseUrl,
  };
}, 90_000);

afterAll(async () => {
  if (dev.exitCode === null) dev.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const adminToken = () => readDevVars(DEV_VARS).ADMIN_API_TOKEN ?? readDevVars(DEV_VARS_EXAMPLE).ADMIN_API_TOKEN!;
const admin = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${state.workerUrl}/api/linebot/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
  return res.json() as Promise<Record<string, unknown>>;
};
type EmulatorRequest = {
  at: number;
  method: string;
  path: string;
  status: number;
  body: { messages?: Array<Record<string, string>> } | null;
};
/** The bot's replies and pushes since `since`, once one matches. */
const botMessage = async (since: number, match: (m: Record<string, string>) => boolean) => {
  let found: Record<string, string> | undefined;
  await expect
    .poll(
      async () => {
        const requests = (await (await fetch(`${state.emulatorUrl}/__emulator/requests?since=${since}`)).json()) as {
          requests: EmulatorRequest[];
        };
        found = requests.requests
          .filter((r) => /\/message\/(reply|push)$/.test(r.path))
          .flatMap((r) => r.body?.messages ?? [])
          .find(match);
        return found;
      },
      { timeout: 30_000, interval: 250 },
    )
    .toBeDefined();
  return found!;
};
type ClaudeRequest = {
  headers: Record<string, string>;
  body: { model: string; messages: unknown[] };
  status: number;
  errors: string[];
};
const claudeRequests = async (since: number) =>
  (
    (await (await fetch(`${state.claudeUrl}/__emulator/requests?since=${since}`)).json()) as {
      requests: ClaudeRequest[];
    }
  ).requests;

const emulatorRequests = async (since: number) =>
  (
    (await (await fetch(`${state.emulatorUrl}/__emulator/requests?since=${since}`)).json()) as {
      requests: Array<{ method: string; path: string; status: number }>;
    }
  ).requests;

describe('npm run dev', () => {
  it('prints where everything is', () => {
    expect(output).toMatch(/linebot-edge is up in/);
    expect(output).toMatch(/Worker {9}http:\/\/localhost:\d+/);
    expect(output).toMatch(/embedded PGlite \(new data in /);
    expect(state.databaseUrl).toMatch(/^postgres:\/\/.*@127\.0\.0\.1:\d+\/postgres$/);
    expect(state.claudeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(output).toContain(`Claude         emulator ${state.claudeUrl}   (--claude emulator;`);
    expect(output).not.toContain(LOCAL_ANTHROPIC_API_KEY); // the key is never printed
  });

  it('stores a text message sent with the sender, and looks the group up on the emulator', async () => {
    const alice = directory.user('alice');
    const ops = directory.chat('group', 'ops');
    const body = build.webhookBody(directory.botUserId, [
      build.text(build.inGroup(ops.id, alice.userId), 'hello @bob', directory.mentionable()),
    ]);
    const since = Date.now();
    const { delivery, report } = await deliver(target, body);

    expect(delivery.status).toBe(200);
    expect(delivery.response).toMatchObject({ ok: true, recorded: 1 });
    expect(report?.events[0]?.inbox?.status).toBe('done');
    expect(report?.events[0]?.stored[0]).toMatchObject({
      message_type: 'text',
      content: 'hello @bob',
      from: 'Alice Chen',
      in: 'Tower B – Site Ops',
    });

    // Straight from the embedded database, too.
    const db = new pg.Client({ connectionString: state.databaseUrl });
    await db.connect();
    try {
      const id = (body.events[0]!.message as { id: string }).id;
      const { rows } = await db.query('select content, raw_message from line_messages where message_id = $1', [id]);
      expect(rows[0]?.content).toBe('hello @bob');
      expect(rows[0]?.raw_message.mention.mentionees[0]).toMatchObject({
        index: 6,
        length: 4,
        type: 'user',
        userId: directory.user('bob').userId,
      });
    } finally {
      await db.end();
    }

    const calls = await emulatorRequests(since);
    expect(calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      `GET /v2/bot/group/${ops.id}/member/${alice.userId} 200`,
      `GET /v2/bot/group/${ops.id}/summary 200`,
      `GET /v2/bot/group/${ops.id}/members/count 200`,
    ]);
    expect(
      ((await (await fetch(`${state.emulatorUrl}/__emulator/violations`)).json()) as { violations: unknown[] })
        .violations,
    ).toEqual([]);
  });

  it('serves media bytes a sender attached, and records the file for the NAS sync', async () => {
    const bob = directory.user('bob');
    const event = build.media(build.inUser(bob.userId), 'image');
    const id = (event.message as { id: string }).id;
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const { report } = await deliver(target, build.webhookBody(directory.botUserId, [event]), {
      attachments: [{ messageId: id, bytes, contentType: 'image/png' }],
    });
    expect(report?.events[0]?.stored[0]).toMatchObject({ message_type: 'image', file_type: 'image' });
    const content = await fetch(`${state.emulatorUrl}/v2/bot/message/${id}/content`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(content.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(bytes);

    // The nas-sync job beside the Worker copies it into the sample NAS's media folder.
    const db = new pg.Client({ connectionString: state.databaseUrl });
    await db.connect();
    try {
      const synced = async () =>
        (
          await db.query(
            `select f.sync_status, f.nas_path from line_files f join line_messages m on m.id = f.message_id where m.message_id = $1`,
            [id],
          )
        ).rows[0];
      await expect.poll(synced, { timeout: 30_000, interval: 250 }).toMatchObject({ sync_status: 'synced' });
      expect(new Uint8Array(readFileSync(join(nasDir, 'line-media', (await synced()).nas_path)))).toEqual(bytes);
    } finally {
      await db.end();
    }
  });

  it('finds files on the sample NAS and sends them: a PDF as a link, a photo as an image, both opening from the local R2', async () => {
    // The demo data: alice bound as an admin, ops bound to a project whose folder is in the sample.
    expect(output).toMatch(/Demo data {6}alice \(admin\) bound to LINE user alice; ops → Tower B 大樓/);
    const alice = directory.user('alice');
    const ops = directory.chat('group', 'ops');
    const say = (text: string) =>
      deliver(target, build.webhookBody(directory.botUserId, [build.text(build.inGroup(ops.id, alice.userId), text)]));

    // The job indexes the sample at start; the list names the two floor plans.
    let since = Date.now();
    await expect
      .poll(
        async () => {
          // Each try reads its own answer.
          since = Date.now();
          await say('/find 平面圖 type:pdf');
          // The list is a Flex message whose text version (altText) is the numbered list; until the
          // job has indexed the sample, a text says nothing was found.
          const shown = (m: Record<string, string>) => (m.type === 'flex' ? m.altText : m.text) ?? '';
          return shown(await botMessage(since, (m) => shown(m).includes('平面圖')));
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toMatch(/1\. 平面圖-1F\.pdf[\s\S]*2\. 平面圖-2F\.pdf/);
    since = Date.now();
    await say('/send 1');
    const pdf = await botMessage(since, (m) => m.type === 'text' && m.text!.includes('/s/'));
    expect(pdf.text).toContain('平面圖-1F.pdf');
    const link = /(http:\/\/\S+\/s\/[A-Za-z0-9_-]{22})/.exec(pdf.text!)![1]!;
    const file = await fetch(link);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(file.headers.get('content-disposition')).toContain(
      `filename*=UTF-8''${encodeURIComponent('平面圖-1F.pdf')}`,
    );
    expect(new TextDecoder().decode((await file.arrayBuffer()).slice(0, 5))).toBe('%PDF-');

    // After its walk the job makes previews of the sample's photos: the list shows the photo's
    // beside its name, a JPEG of at most 240 px from the Worker's /p/.
    let imageUrl: string | undefined;
    await expect
      .poll(
        async () => {
          since = Date.now();
          await say('/find 鋼筋 type:jpg');
          const list = await botMessage(since, (m) => m.type === 'flex' && m.altText!.includes('鋼筋檢查'));
          imageUrl = /"type":"image","url":"([^"]+)"/.exec(JSON.stringify(list))?.[1];
          return imageUrl;
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toMatch(/^http:\/\/\S+\/p\/[A-Za-z0-9_-]{82}\.[A-Za-z0-9_-]{43}$/);
    const thumb = await fetch(imageUrl!);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect((await thumb.arrayBuffer()).byteLength).toBeLessThanOrEqual(1024 * 1024);

    // The photo by a tap on its 傳送 button, as `npm run line -- tap 1` does it.
    since = Date.now();
    const find = build.webhookBody(directory.botUserId, [
      build.text(build.inGroup(ops.id, alice.userId), '/find 鋼筋 type:jpg'),
    ]);
    await deliver(target, find);
    await botMessage(since, (m) => m.type === 'flex' && m.altText!.includes('鋼筋檢查'));
    const [first] = await lastButtons(state.emulatorUrl, build.inGroup(ops.id), [{ at: '', url: '', body: find }]);
    expect(first!.data).toMatch(/^find:[0-9a-f-]{36}:1$/);
    since = Date.now();
    const tap = build.postback(build.inGroup(ops.id, alice.userId), first!.data);
    await deliver(target, build.webhookBody(directory.botUserId, [tap]));
    const image = await botMessage(since, (m) => m.type === 'image');
    // By reply with the tap's own token.
    const replies = (await (await fetch(`${state.emulatorUrl}/__emulator/requests?since=${since}`)).json()) as {
      requests: Array<{ path: string; body: { replyToken?: string } }>;
    };
    expect(replies.requests.filter((r) => r.path === '/v2/bot/message/reply').map((r) => r.body.replyToken)).toEqual([
      tap.replyToken,
    ]);
    const original = await fetch(image.originalContentUrl!);
    expect(original.headers.get('content-type')).toBe('image/jpeg');
    expect((await original.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    const preview = await fetch(image.previewImageUrl!);
    expect(preview.headers.get('content-type')).toBe('image/jpeg');
    expect((await preview.arrayBuffer()).byteLength).toBeLessThanOrEqual(1024 * 1024);
    expect(
      ((await (await fetch(`${state.emulatorUrl}/__emulator/violations`)).json()) as { violations: unknown[] })
        .violations,
    ).toEqual([]);
  });

  it('takes a redelivery as a duplicate', async () => {
    const body = build.webhookBody(directory.botUserId, [build.sticker(build.inUser(directory.user('carol').userId))]);
    expect((await deliver(target, body)).delivery.response).toMatchObject({ recorded: 1, duplicates: 0 });
    const again = await deliver(target, build.redelivery(body));
    expect(again.delivery.response).toMatchObject({ recorded: 0, duplicates: 1 });
  });

  it('answers a bound user with Claude (the emulator) through the AI Workflow, 1:1 and in a group', async () => {
    const dave = directory.user('dave');
    const design = directory.chat('group', 'design');
    const since = Date.now();
    // Independent, so side by side: binding dave (an account and its code from the admin API, the
    // code sent in a 1:1 chat) and turning AI on in a group dave speaks in.
    const binding = (async () => {
      const account = await admin('POST', '/users', { username: 'dave', displayName: 'Dave', role: 'member' });
      const { code } = (await admin('POST', `/users/${String(account.id)}/binding-code`)) as { code: string };
      const bound = await deliver(
        target,
        build.webhookBody(directory.botUserId, [build.text(build.inUser(dave.userId), code)]),
      );
      expect(bound.report?.sent.map((s) => s.path)).toEqual(['/v2/bot/message/reply']);
      expect(bound.report?.events[0]?.answer).toBeUndefined(); // a binding code is a command, not a question
    })();
    const groupWithAi = (async () => {
      await deliver(
        target,
        build.webhookBody(directory.botUserId, [build.text(build.inGroup(design.id, dave.userId), 'morning all')]),
      );
      const { items } = (await admin('GET', '/groups')) as { items: Array<{ id: string; lineGroupId: string }> };
      await admin('PATCH', `/groups/${items.find((g) => g.lineGroupId === design.id)!.id}`, { allowAiResponse: true });
    })();
    await Promise.all([binding, groupWithAi]);

    // Then a question in each chat, side by side too.
    const oneToOne = (async () => {
      // Answered by reply with the emulator's deterministic answer.
      const asked = await deliver(
        target,
        build.webhookBody(directory.botUserId, [build.text(build.inUser(dave.userId), '明天幾點開工？')]),
      );
      const answer = asked.report?.events[0]?.answer;
      expect(answer).toMatchObject({
        status: 'answered',
        outcome: 'answered',
        sent_by: 'reply',
        model: 'claude-sonnet-5-5',
        error: null,
      });
      expect(answer!.output_tokens).toBeGreaterThan(0);
      const replies = asked.report!.sent.filter(
        (s) => s.path === '/v2/bot/message/reply' && JSON.stringify(s.body).includes('明天幾點開工？'),
      );
      expect(replies).toHaveLength(1);
      expect((replies[0]!.body as { messages: Array<{ type: string; text: string }> }).messages[0]).toMatchObject({
        type: 'text',
        text: expect.stringMatching(/^（模擬回覆）收到：「.*明天幾點開工？」/),
      });
    })();
    // In the group, asked with @bot through `npm run line` itself: a textV2 mentioning the asker.
    const inGroup = (async () => {
      const cli = await promisify(execFile)(
        process.execPath,
        [
          ...['--import', 'tsx', 'scripts/line.ts', 'text', '@bot 進度如何？', '--group', 'design', '--user', 'dave'],
          ...['--url', state.webhookUrl, '--emulator', state.emulatorUrl, '--database-url', state.databaseUrl!],
        ],
        { cwd: PROJECT_ROOT },
      );
      expect(cli.stdout).toMatch(
        /AI answer: answered by reply [\d.]+ m?s after the question \(Claude [\d.]+ m?s, claude-sonnet-5-5, \d+ in \/ \d+ out tokens/,
      );
      expect(cli.stdout).toMatch(/reply 200: \[textV2\] @Dave Wu （模擬回覆）收到：「[^\n]*進度如何？」/);
    })();
    await Promise.all([oneToOne, inGroup]);

    // One Claude call per question, accepted: the emulator takes only the local key npm run dev gave the Worker (else 401).
    const calls = await claudeRequests(since);
    expect(calls.map((c) => ({ status: c.status, errors: c.errors, model: c.body.model }))).toEqual(
      Array(2).fill({ status: 200, errors: [], model: 'claude-sonnet-5-5' }),
    );
    expect(calls.filter((c) => JSON.stringify(c.body.messages).includes('明天幾點開工？'))).toHaveLength(1);
    expect(calls.filter((c) => JSON.stringify(c.body.messages).includes('進度如何？'))).toHaveLength(1);
    // The dev console: each Claude call, and the answers in the chat transcript.
    await expect
      .poll(() => output)
      .toMatch(
        /\d\d:\d\d:\d\d {2}claude「[^\n]*明天幾點開工？[^\n]*」\(\d+ msgs\) -> （模擬回覆）[^\n]*\[in \d+, out \d+/,
      );
    await expect
      .poll(() => output)
      .toMatch(/\[1:1 Dave Wu\] bot \(reply\): \[text\] （模擬回覆）收到：「[^\n]*明天幾點開工？」/);
    await expect.poll(() => output).toMatch(/\[Design Review\] bot \(reply\): \[textV2\] @Dave Wu （模擬回覆）/);
    expect(
      ((await (await fetch(`${state.emulatorUrl}/__emulator/violations`)).json()) as { violations: unknown[] })
        .violations,
    ).toEqual([]);
  });

  it('stops everything on one SIGINT, and keeps the data for the next start', async () => {
    const live = new pg.Client({ connectionString: state.databaseUrl });
    await live.connect();
    const stored = (await live.query(`select count(*)::int as n from line_messages`)).rows[0]?.n as number;
    await live.end();
    expect(stored).toBeGreaterThanOrEqual(3 + 7); // the three messages above; the AI chats' both sides
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped\./);
    expect(existsSync(stateFile)).toBe(false);
    await expect(fetch(`${state.workerUrl}/healthz`)).rejects.toThrow(); // wrangler and workerd are gone
    await expect(fetch(`${state.emulatorUrl}/__emulator/health`)).rejects.toThrow();
    await expect(fetch(`${state.claudeUrl}/__emulator/health`)).rejects.toThrow();

    const again = await startEmbeddedPostgres({ dataDir });
    try {
      expect(again.created).toBe(false);
      const db = new pg.Client({ connectionString: again.url });
      await db.connect();
      const { rows } = await db.query(`select count(*)::int as n from line_messages`);
      await db.end();
      expect(rows[0]?.n).toBe(stored);
    } finally {
      await again.close();
    }
  });
});

describe('which Claude npm run dev uses', () => {
  it('the emulator unless .dev.vars holds a real key; --claude decides instead', () => {
    expect(chooseClaude({})).toEqual({ use: 'emulator', reason: 'no ANTHROPIC_API_KEY in .dev.vars' });
    expect(chooseClaude({ ANTHROPIC_API_KEY: '' }).use).toBe('emulator');
    expect(chooseClaude({ ANTHROPIC_API_KEY: LOCAL_ANTHROPIC_API_KEY })).toEqual({
      use: 'emulator',
      reason: 'the placeholder ANTHROPIC_API_KEY in .dev.vars',
    });
    expect(chooseClaude({ ANTHROPIC_API_KEY: 'sk-ant-real' })).toEqual({
      use: 'anthropic',
      reason: 'ANTHROPIC_API_KEY from .dev.vars',
      baseUrl: undefined,
    });
    expect(
      chooseClaude({ ANTHROPIC_API_KEY: 'sk-ant-real', ANTHROPIC_BASE_URL: 'https://gateway.example/v1' }),
    ).toMatchObject({ baseUrl: 'https://gateway.example/v1' });
    expect(chooseClaude({ ANTHROPIC_API_KEY: 'sk-ant-real' }, 'emulator').use).toBe('emulator');
    expect(() => chooseClaude({ ANTHROPIC_API_KEY: LOCAL_ANTHROPIC_API_KEY }, 'anthropic')).toThrow(
      /needs a real ANTHROPIC_API_KEY/,
    );
    // The reasons are printed: they never carry the key.
    expect(JSON.stringify(chooseClaude({ ANTHROPIC_API_KEY: 'sk-ant-real' }))).not.toContain('sk-ant-real');
  });

  it('.dev.vars.example holds the placeholder, so a fresh checkout is offline', () => {
    expect(readDevVars(DEV_VARS_EXAMPLE).ANTHROPIC_API_KEY).toBe(LOCAL_ANTHROPIC_API_KEY);
    expect(chooseClaude(readDevVars(DEV_VARS_EXAMPLE)).use).toBe('emulator');
  });
});
