/**
 * Group chatter from known members is recorded and stored in one statement at intake (the message
 * handler's `intakeStatement`); everything else goes the usual way. Which way an event went is read
 * from Postgres' own clock: one statement writes `received_at` and `processed_at` with the same
 * `now()`, the usual way processes in a later transaction.
 */
import { eq, sql } from 'drizzle-orm';
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { lineFiles, lineGroups, lineMessages, lineUsers, lineWebhookEvents } from '@linebot-edge/shared/schema';
import { createLogger } from '../src/lib/log';
import { openServices } from '../src/services';
import { recordAndProcess } from '../src/webhook/ack';
import { withDb } from './support/db';
import { lineRequests, seedGroup, seedProfile } from './support/emulator';
import { event, messageEvent, newId, postEvents, textEvent, type TestEvent } from './support/line';

interface Way {
  status: string;
  atIntake: boolean;
  payload: unknown;
}

/** The event's inbox row and whether it was stored in the statement that recorded it. */
const wayOf = (ev: TestEvent) =>
  withDb(async (db) => {
    const [row] = await db
      .select({
        status: lineWebhookEvents.status,
        atIntake: sql<boolean>`${lineWebhookEvents.processedAt} = ${lineWebhookEvents.receivedAt}`,
        payload: lineWebhookEvents.payload,
      })
      .from(lineWebhookEvents)
      .where(eq(lineWebhookEvents.webhookEventId, ev.webhookEventId));
    return row as Way | undefined;
  });

const messageOf = (ev: TestEvent) =>
  withDb(
    async (db) =>
      (
        await db
          .select()
          .from(lineMessages)
          .where(eq(lineMessages.messageId, (ev.message as { id: string }).id))
      )[0],
  );

async function post(...events: TestEvent[]) {
  const res = await postEvents(events);
  expect(res.status).toBe(200);
  return (await res.json()) as { recorded: number; duplicates: number };
}

/** A member of a group, both known to the database after a first message (the usual way). */
async function knownMember() {
  const userId = newId.user();
  const groupId = newId.group();
  await seedProfile({ userId, displayName: '陳工程師' });
  await seedGroup({ groupId, groupName: '三期工地', count: 8 });
  const first = textEvent({ userId, groupId }, '第一則');
  await post(first);
  expect(await wayOf(first)).toMatchObject({ status: 'done', atIntake: false });
  return { userId, groupId };
}

describe('one statement at intake', () => {
  it("a known member's group text is recorded and stored at once, with the sender's and the group's rows, and asks LINE nothing", async () => {
    const { userId, groupId } = await knownMember();
    const callsBefore = (await lineRequests(groupId)).length;
    const ev = textEvent({ userId, groupId }, '混凝土改到下午兩點');
    expect(await post(ev)).toMatchObject({ recorded: 1, duplicates: 0 });

    expect(await wayOf(ev)).toMatchObject({ status: 'done', atIntake: true });
    const [user] = await withDb((db) => db.select().from(lineUsers).where(eq(lineUsers.lineUserId, userId)));
    const [group] = await withDb((db) => db.select().from(lineGroups).where(eq(lineGroups.lineGroupId, groupId)));
    expect(await messageOf(ev)).toMatchObject({
      content: '混凝土改到下午兩點',
      messageType: 'text',
      sourceType: 'group',
      lineUserId: user!.id,
      lineGroupId: group!.id,
      replyToken: ev.replyToken,
      sentAt: new Date(ev.timestamp),
      rawMessage: ev.message,
      isFromBot: false,
    });
    expect((await lineRequests(groupId)).length).toBe(callsBefore);
  });

  it("a known member's image gets its line_files row in the same statement, both naming each other", async () => {
    const { userId, groupId } = await knownMember();
    const ev = messageEvent({ userId, groupId }, { type: 'image', contentProvider: { type: 'line' } });
    await post(ev);
    expect(await wayOf(ev)).toMatchObject({ status: 'done', atIntake: true });
    const message = await messageOf(ev);
    const [file] = await withDb((db) => db.select().from(lineFiles).where(eq(lineFiles.messageId, message!.id)));
    expect(file).toMatchObject({ id: message!.fileId, fileType: 'image', syncStatus: 'pending' });
  });

  it("a known friend's 1:1 file, then a group text and a group file: each shape of the statement, its values its own", async () => {
    const { userId, groupId } = await knownMember();
    // Shapes are built once per isolate and then filled in: alternate them so a value of one cannot stick to the next.
    const direct = messageEvent({ userId }, { type: 'file', fileName: '報價單.pdf', fileSize: 2048 });
    const text = textEvent({ userId, groupId }, '明天八點');
    const file = messageEvent({ userId, groupId }, { type: 'file', fileName: '施工圖.dwg', fileSize: 4096 });
    for (const ev of [direct, text, file]) await post(ev);
    for (const ev of [direct, text, file]) expect(await wayOf(ev)).toMatchObject({ status: 'done', atIntake: true });

    const [user] = await withDb((db) => db.select().from(lineUsers).where(eq(lineUsers.lineUserId, userId)));
    const [group] = await withDb((db) => db.select().from(lineGroups).where(eq(lineGroups.lineGroupId, groupId)));
    const fileOf = (id: string | null) =>
      withDb(async (db) => (await db.select().from(lineFiles).where(eq(lineFiles.id, id!)))[0]);
    const stored = await messageOf(direct);
    expect(stored).toMatchObject({
      sourceType: 'user',
      lineUserId: user!.id,
      lineGroupId: null,
      content: '報價單.pdf',
    });
    expect(await fileOf(stored!.fileId)).toMatchObject({
      fileName: '報價單.pdf',
      fileSize: 2048,
      messageId: stored!.id,
    });
    expect(await messageOf(text)).toMatchObject({ lineGroupId: group!.id, content: '明天八點', fileId: null });
    const groupFile = await messageOf(file);
    expect(groupFile).toMatchObject({ lineGroupId: group!.id, content: '施工圖.dwg' });
    expect(await fileOf(groupFile!.fileId)).toMatchObject({ fileName: '施工圖.dwg', fileSize: 4096 });
  });

  it('a redelivered body stores nothing twice', async () => {
    const { userId, groupId } = await knownMember();
    const ev = textEvent({ userId, groupId }, '收到');
    expect(await post(ev)).toMatchObject({ recorded: 1 });
    expect(await post(ev)).toMatchObject({ recorded: 0, duplicates: 1 });
    const n = await withDb((db) =>
      db.$count(lineMessages, eq(lineMessages.messageId, (ev.message as { id: string }).id)),
    );
    expect(n).toBe(1);
  });

  it('a sender whose profile is older than the TTL goes the usual way, and LINE is asked again', async () => {
    const { userId, groupId } = await knownMember();
    await withDb((db) =>
      db
        .update(lineUsers)
        .set({ profileRefreshedAt: sql`now() - interval '25 hours'` })
        .where(eq(lineUsers.lineUserId, userId)),
    );
    const ev = textEvent({ userId, groupId }, '更新一下');
    await post(ev);
    expect(await wayOf(ev)).toMatchObject({ status: 'done', atIntake: false });
    expect((await lineRequests(`/member/${userId}`)).length).toBe(2);
    expect(await messageOf(ev)).toMatchObject({ content: '更新一下' });
  });

  it('a group the database has not seen goes the usual way', async () => {
    const { userId } = await knownMember();
    const groupId = newId.group();
    await seedGroup({ groupId, groupName: '新群組', count: 3 });
    const ev = textEvent({ userId, groupId }, '大家好');
    await post(ev);
    expect(await wayOf(ev)).toMatchObject({ status: 'done', atIntake: false });
    expect((await messageOf(ev))?.lineGroupId).not.toBeNull();
  });

  it('what the bot may answer goes the usual way: a command, a text addressed to it, a 1:1 text, a quote in a group', async () => {
    const { userId, groupId } = await knownMember();
    const command = textEvent({ userId, groupId }, '/help');
    const addressed = textEvent({ userId, groupId }, '@小幫手 明天天氣如何');
    const quote = messageEvent({ userId, groupId }, { type: 'text', text: '這個', quotedMessageId: newId.message() });
    for (const ev of [command, addressed, quote]) {
      await post(ev);
      expect(await wayOf(ev), String(ev.message.text)).toMatchObject({ status: 'done', atIntake: false });
    }
    // 1:1: every text may be for the AI; a sticker is not.
    const oneToOneText = textEvent({ userId }, 'hello');
    const sticker = messageEvent({ userId }, { type: 'sticker', packageId: '446', stickerId: '1988' });
    await post(oneToOneText);
    expect(await wayOf(oneToOneText)).toMatchObject({ status: 'done', atIntake: false });
    await post(sticker);
    expect(await wayOf(sticker)).toMatchObject({ status: 'done', atIntake: true });
  });

  it('a message unsent before it arrives goes the usual way and leaves no text in its own payload', async () => {
    const { userId, groupId } = await knownMember();
    const ev = textEvent({ userId, groupId }, 'unsent-before-arrival-7d1c');
    await post(event('unsend', { userId, groupId }, { unsend: { messageId: (ev.message as { id: string }).id } }));
    await post(ev);
    const way = await wayOf(ev);
    expect(way).toMatchObject({ status: 'done', atIntake: false });
    expect(JSON.stringify(way!.payload)).not.toContain('unsent-before-arrival-7d1c');
    expect((await messageOf(ev))?.content).toBeNull();
  });

  it("goes over HTTP: a known member's group text is acknowledged without touching the request's Pool", async () => {
    const { userId, groupId } = await knownMember();
    const ev = textEvent({ userId, groupId }, '鋼筋明早進場');
    const log = createLogger({ test: 'intake-http' });
    const services = openServices(env, log);
    let poolUsed = 0;
    // Any use of the request's Pool (a query, a transaction) would go through its session.
    const db = new Proxy(services.db, {
      get(target, key, receiver) {
        poolUsed++;
        return Reflect.get(target, key, receiver);
      },
    });
    const pending: Promise<unknown>[] = [];
    const result = await recordAndProcess(
      { destination: 'Ubot', events: [ev] },
      { ...services, db },
      (p) => pending.push(p),
      log,
    );
    await Promise.all(pending);
    expect(result).toMatchObject({ status: 'recorded', recorded: 1 });
    expect(poolUsed).toBe(0);
    expect(await wayOf(ev)).toMatchObject({ status: 'done', atIntake: true });
    expect(await messageOf(ev)).toMatchObject({ content: '鋼筋明早進場' });
  });

  it('when the one statement fails, the event is recorded and processed the usual way', async () => {
    const { userId, groupId } = await knownMember();
    const marker = `fail-once-${newId.replyToken()}`;
    // Refuses the first insert of this text only: a sequence is not rolled back with the statement.
    const seq = sql.identifier(`intake_fault_${marker.slice(-8)}`);
    await withDb(async (db) => {
      await db.execute(sql`create sequence ${seq}`);
      await db.execute(
        sql.raw(`create or replace function intake_fault_${marker.slice(-8)}() returns trigger language plpgsql as $$
          begin
            if new.content = '${marker}' and nextval('intake_fault_${marker.slice(-8)}') = 1 then raise exception 'refused once'; end if;
            return new;
          end $$`),
      );
      await db.execute(
        sql.raw(
          `create trigger intake_fault_${marker.slice(-8)} before insert on line_messages for each row execute function intake_fault_${marker.slice(-8)}()`,
        ),
      );
    });
    try {
      const ev = textEvent({ userId, groupId }, marker);
      expect(await post(ev)).toMatchObject({ recorded: 1 });
      expect(await wayOf(ev)).toMatchObject({ status: 'done', atIntake: false });
      expect(await messageOf(ev)).toMatchObject({ content: marker });
    } finally {
      await withDb(async (db) => {
        await db.execute(sql.raw(`drop trigger if exists intake_fault_${marker.slice(-8)} on line_messages`));
        await db.execute(sql.raw(`drop function if exists intake_fault_${marker.slice(-8)}()`));
        await db.execute(sql`drop sequence if exists ${seq}`);
      });
    }
  });
});
