/**
 * Announcements: one message (a text, optionally a NAS file) from the console to several groups
 * and rooms at once, chosen by project (its active groups and rooms) or by hand.
 *
 * - **Planned before sent.** `planAnnouncement` resolves the chats from the ids (active ones only),
 *   checks the file against each chat's folder (src/access/policy.ts `operatorNasScopeFor`) and
 *   estimates the pushes LINE will count: a push into a group counts once per member, and a text
 *   and a file are a push each.
 * - **Each chat's message is a row.** Creating it writes the announcement and one `operator_sends`
 *   row per chat and part (`pending`), whose id derives from the announcement, the chat and the
 *   part: a resume, a second runner or a double submit finds the same rows, and each row sends once
 *   (src/domain/operator-sends.ts: the push's retry key comes from the row id).
 * - **Sent in chunks.** `processAnnouncement` works through the open rows, a chunk at a time: after
 *   the form (in the request's waitUntil), on "continue", and from the Cron Trigger, which resumes
 *   every one still `sending`. When no row is open any more, the announcement is `done`.
 * - **Paused when the quota runs out.** A push LINE refuses for the month's quota (429) stops the
 *   run: that row goes back to `pending` with the rest not yet tried, and the announcement is
 *   `paused`. The Cron leaves it (every push would be refused again); an operator resumes it
 *   (`resumeAnnouncement`) once the plan allows more.
 * - **Failed rows retried.** `retryFailedRows` puts the rows LINE refused back to `pending`, with
 *   their ids: a chat whose push LINE did take is answered 409 (sent) and gets nothing twice. A
 *   file row handed to the NAS is the delivery's (src/nas/deliver.ts), never retried here.
 * Whether a resume or a retry may happen is src/access/policy.ts `announcementActionFor`.
 */
import { and, asc, count, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import { parseNasFolder, type NasFolder } from '../access/nas-folder';
import type { NasScope } from '../access/policy';
import type { AuditActor } from '../audit/record';
import { recordAudit } from '../audit/record';
import type { Database, Queryable } from '../db/client';
import { derivedRetryKey } from '../line/messages';
import type { OutboundDeps } from '../line/outbound';
import {
  announcements,
  lineGroups,
  type nasFiles,
  operatorSends,
  projects,
  type OperatorSendStatus,
} from '@linebot-edge/shared/schema';
import { auditFile, checkedFile, pushText, requestFile, settle, type SendOutcome } from './operator-sends';

/** Chats one announcement may reach (a page of checkboxes, a bounded run). */
const MAX_ANNOUNCEMENT_CHATS = 200;
/** Rows one run sends before it yields (the next run, a continue, or the Cron goes on). */
const ANNOUNCEMENT_CHUNK = 20;

export interface AnnouncementDraft {
  text: string | null;
  fileId: string | null;
  projectIds: string[];
  lineGroupIds: string[];
}

export interface AnnouncementChat {
  id: string;
  name: string | null;
  lineGroupId: string;
  sourceType: string;
  memberCount: number | null;
  projectName: string | null;
  nasFolder: string | null;
}

/** Where an announcement's file may be searched: the folders of the chosen chats' projects (null: none). */
export function fileSearchScope(chats: AnnouncementChat[]): NasScope | null {
  const folders: NasFolder[] = [];
  for (const chat of chats) {
    const folder = parseNasFolder(chat.nasFolder);
    if (folder && !folders.some((f) => f.share === folder.share && f.prefix === folder.prefix)) folders.push(folder);
  }
  return folders.length > 0 ? { kind: 'folders', folders } : null;
}

export interface AnnouncementPlan {
  chats: AnnouncementChat[];
  file: typeof nasFiles.$inferSelect | null;
  /** Chats the file may not be sent into (outside their project's folder, or no folder). */
  outOfScope: AnnouncementChat[];
  /** Pushes LINE will count for the chats whose member count is known. */
  pushEstimate: number;
  /** Chats whose member count is not known (not in the estimate). */
  unknownMembers: number;
  problem: 'noChats' | 'tooManyChats' | 'fileNotFound' | 'fileOutOfScope' | 'tooLarge' | null;
}

/** The active groups and rooms of the chosen projects and the chosen chats, each once, by name. */
export async function chatsOf(db: Queryable, draft: Pick<AnnouncementDraft, 'projectIds' | 'lineGroupIds'>) {
  if (draft.projectIds.length === 0 && draft.lineGroupIds.length === 0) return [];
  return db
    .select({
      id: lineGroups.id,
      name: lineGroups.name,
      lineGroupId: lineGroups.lineGroupId,
      sourceType: lineGroups.sourceType,
      memberCount: lineGroups.memberCount,
      projectName: projects.name,
      nasFolder: projects.nasFolder,
    })
    .from(lineGroups)
    .leftJoin(projects, eq(projects.id, lineGroups.projectId))
    .where(
      and(
        eq(lineGroups.isActive, true),
        or(
          draft.projectIds.length > 0 ? inArray(lineGroups.projectId, draft.projectIds) : undefined,
          draft.lineGroupIds.length > 0 ? inArray(lineGroups.id, draft.lineGroupIds) : undefined,
        ),
      ),
    )
    .orderBy(asc(lineGroups.name), asc(lineGroups.id))
    .limit(MAX_ANNOUNCEMENT_CHATS + 1);
}

/** What sending this draft would do: the chats, the file checked against each, the pushes it costs. */
export async function planAnnouncement(
  db: Queryable,
  draft: AnnouncementDraft,
  sendMaxBytes: number,
): Promise<AnnouncementPlan> {
  const chats = await chatsOf(db, draft);
  const parts = (draft.text ? 1 : 0) + (draft.fileId ? 1 : 0);
  const known = chats.filter((c) => c.memberCount !== null);
  const plan: AnnouncementPlan = {
    chats,
    file: null,
    outOfScope: [],
    pushEstimate: known.reduce((sum, c) => sum + c.memberCount! * parts, 0),
    unknownMembers: chats.length - known.length,
    problem: null,
  };
  if (chats.length === 0) return { ...plan, problem: 'noChats' };
  if (chats.length > MAX_ANNOUNCEMENT_CHATS) return { ...plan, problem: 'tooManyChats' };
  if (draft.fileId) {
    for (const chat of chats) {
      const checked = await checkedFile(db, {
        id: '',
        operator: '',
        chat: { chatPk: chat.id, lineUserPk: null },
        fileId: draft.fileId,
        sendMaxBytes,
        publicBaseUrl: null,
      });
      if (checked.ok) plan.file = checked.file;
      else if (checked.outcome.kind === 'fileNotFound') return { ...plan, problem: 'fileNotFound' };
      else if (checked.outcome.kind === 'tooLarge') return { ...plan, problem: 'tooLarge' };
      else plan.outOfScope.push(chat);
    }
    if (plan.outOfScope.length > 0) return { ...plan, problem: 'fileOutOfScope' };
  }
  return plan;
}

/** A row's id: from the announcement, the chat and the part, the same in every run. */
const rowId = (announcementId: string, chatPk: string, part: 'text' | 'file') =>
  derivedRetryKey(`announcement:${announcementId}:${chatPk}:${part}`, 0);

/**
 * Writes the announcement (id: the form's submission id) and its rows, once: a second submission
 * of the same form writes nothing (`created: false`). The plan must have no problem.
 */
export async function createAnnouncement(
  db: Database,
  input: { id: string; operator: string; draft: AnnouncementDraft; plan: AnnouncementPlan },
  actor: AuditActor,
): Promise<{ created: boolean }> {
  const { id, draft, plan } = input;
  const rows: Array<typeof operatorSends.$inferInsert> = [];
  for (const chat of plan.chats) {
    const base = { operator: input.operator, lineGroupId: chat.id, announcementId: id, status: 'pending' as const };
    if (draft.text) rows.push({ ...base, id: await rowId(id, chat.id, 'text'), text: draft.text });
    if (plan.file) rows.push({ ...base, id: await rowId(id, chat.id, 'file') });
  }
  return db.transaction(async (tx) => {
    const [made] = await tx
      .insert(announcements)
      .values({
        id,
        operator: input.operator,
        text: draft.text,
        nasFileId: plan.file?.id ?? null,
        share: plan.file?.share ?? null,
        path: plan.file?.path ?? null,
        name: plan.file?.name ?? null,
        size: plan.file?.size ?? null,
        modifiedAt: plan.file?.modifiedAt ?? null,
        selection: { projectIds: draft.projectIds, lineGroupIds: draft.lineGroupIds },
        pushEstimate: plan.pushEstimate,
      })
      .onConflictDoNothing({ target: announcements.id })
      .returning({ id: announcements.id });
    if (!made) return { created: false };
    await tx.insert(operatorSends).values(rows);
    await recordAudit(tx, {
      ...actor,
      action: 'console.announcement_sent',
      targetType: 'announcement',
      targetId: id,
      details: {
        chats: plan.chats.length,
        pushEstimate: plan.pushEstimate,
        textLength: draft.text?.length ?? null,
        ...(plan.file ? { share: plan.file.share, path: plan.file.path } : {}),
        projectIds: draft.projectIds,
        lineGroupIds: draft.lineGroupIds,
      },
    });
    return { created: true };
  });
}

export interface ProcessOptions {
  sendMaxBytes: number;
  publicBaseUrl: string | null;
  limit?: number;
}

/**
 * Sends the next open rows of an announcement (a chunk), then marks it done when none is open;
 * `processed`: the rows it settled or handed to the NAS.
 * Texts are pushed (a `sending` row again: LINE's 409 to the same retry key counts as sent);
 * files are asked of the NAS, whose delivery settles the row later. Safe to run twice at once.
 */
async function processAnnouncement(
  deps: OutboundDeps,
  announcementId: string,
  options: ProcessOptions,
): Promise<ChunkResult> {
  const { db } = deps;
  const [announcement] = await db.select().from(announcements).where(eq(announcements.id, announcementId));
  if (announcement?.status !== 'sending')
    return { processed: 0, open: 0, stopped: announcement?.status === 'paused' ? 'quota' : null };
  const actor: AuditActor = { via: 'console', operator: announcement.operator };
  // Texts pending or interrupted mid-push; files not yet asked of the NAS.
  const due = await db
    .select()
    .from(operatorSends)
    .where(
      and(
        eq(operatorSends.announcementId, announcementId),
        or(
          eq(operatorSends.status, 'pending'),
          and(
            eq(operatorSends.status, 'sending'),
            isNull(operatorSends.nasSendRequestId),
            sql`${operatorSends.text} IS NOT NULL`,
          ),
        ),
      ),
    )
    .orderBy(asc(operatorSends.createdAt), asc(operatorSends.id))
    .limit(options.limit ?? ANNOUNCEMENT_CHUNK);
  let processed = 0;
  for (const row of due) {
    const input = {
      id: row.id,
      operator: row.operator,
      chat: { chatPk: row.lineGroupId!, lineUserPk: null },
      announcementId,
    };
    try {
      if (row.text !== null) {
        await db
          .update(operatorSends)
          .set({ status: 'sending' })
          .where(and(eq(operatorSends.id, row.id), eq(operatorSends.status, 'pending')));
        const outcome = await pushText(deps, { ...input, text: row.text }, actor);
        // LINE did not answer: left `sending` for a later run, not counted (the loop above stops).
        if (outcome.kind === 'unanswered') continue;
        if (outcome.kind === 'quota') {
          await pause(db, announcementId, row.id);
          deps.log.warn('console.announcement_paused', { announcementId, operatorSendId: row.id, processed });
          return { processed, open: await countRows(db, announcementId, OPEN), stopped: 'quota' };
        }
        if (outcome.kind === 'failed' && outcome.rateLimited) {
          // LINE asks for fewer requests: the rest wait for the next Cron run rather than meet the
          // same limit one by one, each after the client's backoff.
          deps.log.warn('console.announcement_rate_limited', { announcementId, operatorSendId: row.id, processed });
          return { processed: processed + 1, open: await countRows(db, announcementId, OPEN), stopped: 'rateLimited' };
        }
      } else {
        await requestAnnouncedFile(db, { ...input, fileId: announcement.nasFileId, ...options }, actor);
      }
      processed++;
    } catch (err) {
      // Left open: the next run tries again.
      deps.log.error('console.announcement_row_failed', { operatorSendId: row.id, error: err });
    }
  }
  const open = await countRows(db, announcementId, OPEN);
  if (open === 0) {
    await db
      .update(announcements)
      .set({ status: 'done', finishedAt: sql`now()` })
      .where(and(eq(announcements.id, announcementId), eq(announcements.status, 'sending')));
  }
  return { processed, open, stopped: null };
}

interface ChunkResult {
  /** Rows settled or handed to the NAS. */
  processed: number;
  /** Rows still to send. */
  open: number;
  /**
   * Why the chunk stopped before its rows ran out: `quota`, the month's quota refused a push
   * (paused: nothing more until an operator resumes); `rateLimited`, LINE's rate limit refused one
   * (nothing more until the next run).
   */
  stopped: 'quota' | 'rateLimited' | null;
}

/** The quota refused this row's push: it waits with the rest (`pending`), the announcement for a resume. */
async function pause(db: Database, announcementId: string, rowId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(operatorSends)
      .set({ status: 'pending' })
      .where(and(eq(operatorSends.id, rowId), eq(operatorSends.status, 'sending')));
    await tx
      .update(announcements)
      .set({ status: 'paused' })
      .where(and(eq(announcements.id, announcementId), eq(announcements.status, 'sending')));
  });
}

/** Chunks of one announcement until none is left to send now or `budgetMs` has passed (what a waitUntil or a Cron run can afford). */
export async function processAnnouncementFor(
  deps: OutboundDeps,
  announcementId: string,
  options: ProcessOptions & { budgetMs: number },
): Promise<{ processed: number; open: number; paused: boolean }> {
  const until = Date.now() + options.budgetMs;
  let total = 0;
  for (;;) {
    const { processed, open, stopped } = await processAnnouncement(deps, announcementId, options);
    total += processed;
    if (stopped || processed === 0 || open === 0 || Date.now() >= until)
      return { processed: total, open, paused: stopped === 'quota' };
  }
}

/**
 * A paused announcement sends again (`sending`), once: of two resumes only one moves it (false: it
 * was not paused any more). The caller sends the next chunk.
 */
export async function resumeAnnouncement(db: Database, id: string, actor: AuditActor): Promise<boolean> {
  return db.transaction(async (tx) => {
    const moved = await tx
      .update(announcements)
      .set({ status: 'sending' })
      .where(and(eq(announcements.id, id), eq(announcements.status, 'paused')))
      .returning({ id: announcements.id });
    if (moved.length === 0) return false;
    await recordAudit(tx, {
      ...actor,
      action: 'console.announcement_resumed',
      targetType: 'announcement',
      targetId: id,
      details: { pending: await countRows(tx, id, ['pending']) },
    });
    return true;
  });
}

/** Failed rows that may go out again: never a file row the NAS was asked for (its delivery settles it). */
const retryableRows = (announcementId: string) =>
  and(
    eq(operatorSends.announcementId, announcementId),
    eq(operatorSends.status, 'failed'),
    isNull(operatorSends.nasSendRequestId),
  );

/**
 * The announcement's failed rows back to `pending` (the same ids, so the same retry keys), and a
 * done announcement `sending` again; how many rows (0: none was failed any more). The caller sends
 * the next chunk.
 */
export async function retryFailedRows(db: Database, id: string, actor: AuditActor): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(operatorSends)
      .set({ status: 'pending', error: null })
      .where(retryableRows(id))
      .returning({ id: operatorSends.id });
    if (rows.length === 0) return 0;
    await tx
      .update(announcements)
      .set({ status: 'sending', finishedAt: null })
      .where(and(eq(announcements.id, id), eq(announcements.status, 'done')));
    await recordAudit(tx, {
      ...actor,
      action: 'console.announcement_retried',
      targetType: 'announcement',
      targetId: id,
      details: { rows: rows.length },
    });
    return rows.length;
  });
}

/** Rows not settled yet (a file's stays `sending` until the NAS delivered it). */
const OPEN: OperatorSendStatus[] = ['pending', 'sending'];

/** An announcement's rows in these states. */
async function countRows(db: Queryable, announcementId: string, statuses: OperatorSendStatus[]): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(operatorSends)
    .where(and(eq(operatorSends.announcementId, announcementId), inArray(operatorSends.status, statuses)));
  return row?.n ?? 0;
}

/** A file row: asked of the NAS once (`sending`), or failed with why it may not go into this chat now. */
async function requestAnnouncedFile(
  db: Database,
  input: Omit<Parameters<typeof requestFile>[1], 'fileId'> & { fileId: string | null },
  actor: AuditActor,
): Promise<void> {
  const checked: { ok: true; file: typeof nasFiles.$inferSelect } | { ok: false; outcome: SendOutcome } =
    input.fileId === null
      ? { ok: false, outcome: { kind: 'fileNotFound' } }
      : await checkedFile(db, { ...input, fileId: input.fileId });
  if (!checked.ok) {
    await settle(db, input.id, { status: 'failed', error: checked.outcome.kind });
    return;
  }
  await db.transaction(async (tx) => {
    const request = await requestFile(tx, { ...input, fileId: checked.file.id }, checked.file);
    if (!request) return;
    const moved = await tx
      .update(operatorSends)
      .set({ status: 'sending', nasSendRequestId: request })
      .where(and(eq(operatorSends.id, input.id), eq(operatorSends.status, 'pending')))
      .returning({ id: operatorSends.id });
    if (moved.length === 1) await auditFile(tx, actor, input, checked.file);
  });
}

/** Unfinished announcements, oldest first: what the Cron Trigger resumes. */
export async function unfinishedAnnouncements(db: Queryable, limit = 5): Promise<string[]> {
  const rows = await db
    .select({ id: announcements.id })
    .from(announcements)
    .where(eq(announcements.status, 'sending'))
    .orderBy(asc(announcements.createdAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

export type AnnouncementRow = typeof announcements.$inferSelect;

export interface AnnouncementProgress {
  announcement: AnnouncementRow;
  counts: Record<OperatorSendStatus, number>;
  /** Chats with a row not yet sent (`pending`): what a paused announcement has left. */
  chatsLeft: number;
  /** Failed rows a retry would send again (`retryFailedRows`). */
  retryable: number;
  chats: Array<{
    lineGroupId: string;
    name: string | null;
    rows: Array<{ id: string; part: 'text' | 'file'; status: OperatorSendStatus; error: string | null }>;
  }>;
}

/** An announcement with each chat's outcome and the counts per status. */
export async function announcementProgress(db: Queryable, id: string): Promise<AnnouncementProgress | null> {
  const [announcement] = await db.select().from(announcements).where(eq(announcements.id, id));
  if (!announcement) return null;
  const rows = await db
    .select({
      id: operatorSends.id,
      lineGroupId: operatorSends.lineGroupId,
      name: lineGroups.name,
      text: operatorSends.text,
      status: operatorSends.status,
      error: operatorSends.error,
      nasSendRequestId: operatorSends.nasSendRequestId,
    })
    .from(operatorSends)
    .innerJoin(lineGroups, eq(lineGroups.id, operatorSends.lineGroupId))
    .where(eq(operatorSends.announcementId, id))
    .orderBy(asc(lineGroups.name), asc(lineGroups.id), desc(operatorSends.text));
  const counts: Record<OperatorSendStatus, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
  const chats = new Map<string, AnnouncementProgress['chats'][number]>();
  const left = new Set<string>();
  let retryable = 0;
  for (const r of rows) {
    counts[r.status]++;
    if (r.status === 'pending') left.add(r.lineGroupId!);
    if (r.status === 'failed' && r.nasSendRequestId === null) retryable++;
    const chat = chats.get(r.lineGroupId!) ?? { lineGroupId: r.lineGroupId!, name: r.name, rows: [] };
    chat.rows.push({ id: r.id, part: r.text === null ? 'file' : 'text', status: r.status, error: r.error });
    chats.set(r.lineGroupId!, chat);
  }
  return { announcement, counts, chatsLeft: left.size, retryable, chats: [...chats.values()] };
}

/** The latest announcements with their counts of sent and failed rows. */
export async function listAnnouncements(db: Queryable, limit = 50) {
  const sent = sql<number>`(SELECT count(*)::int FROM ${operatorSends} s WHERE s.announcement_id = ${announcements}.id AND s.status = 'sent')`;
  const failed = sql<number>`(SELECT count(*)::int FROM ${operatorSends} s WHERE s.announcement_id = ${announcements}.id AND s.status = 'failed')`;
  const total = sql<number>`(SELECT count(*)::int FROM ${operatorSends} s WHERE s.announcement_id = ${announcements}.id)`;
  return db
    .select({
      id: announcements.id,
      operator: announcements.operator,
      text: announcements.text,
      name: announcements.name,
      status: announcements.status,
      pushEstimate: announcements.pushEstimate,
      createdAt: announcements.createdAt,
      finishedAt: announcements.finishedAt,
      sent: sent.mapWith(Number),
      failed: failed.mapWith(Number),
      total: total.mapWith(Number),
    })
    .from(announcements)
    .orderBy(desc(announcements.createdAt), desc(announcements.id))
    .limit(limit);
}
