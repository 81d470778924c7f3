/**
 * The database schema, shared by the Worker, drizzle-kit migrations and the on-prem nas-sync job.
 *
 * `line_users`, `line_groups`, `line_messages` and `line_files` keep the seed article's table and
 * column names, its UUID ids and its relations (other systems query them): every column the article
 * lists is here with its type or a wider one; what we added is marked "added". `users` and
 * `projects` are minimal stand-ins for the company system's own tables so the project runs on its own.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  char,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

/** Accounts of the company's own system (minimal version). */
export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    username: varchar('username', { length: 100 }).notNull().unique(),
    displayName: varchar('display_name', { length: 255 }),
    role: varchar('role', { length: 20, enum: ['admin', 'member'] })
      .notNull()
      .default('member'),
    ...timestamps,
  },
  // "Alice" and "alice" are one person to the people who issue binding codes.
  (t) => [uniqueIndex('users_username_lower_unique').on(sql`lower(${t.username})`)],
);

/** Projects of the company's own system (minimal version). */
export const projects = pgTable('projects', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: varchar('name', { length: 255 }).notNull().unique(),
  /** Added: what the AI should know or do in this project's groups (set by an admin). */
  aiInstructions: text('ai_instructions'),
  /**
   * Added: the project's NAS folder, `share/relative/path` (a share named in NAS_SHARES, then a path
   * inside it, '/'-separated, no `.`/`..`): `/find` in the project's groups searches under it.
   */
  nasFolder: text('nas_folder'),
  ...timestamps,
});

/** A LINE user the bot has seen: a friend, or a member of a group or room it is in. */
export const lineUsers = pgTable(
  'line_users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    lineUserId: varchar('line_user_id', { length: 64 }).notNull().unique(),
    displayName: varchar('display_name', { length: 256 }),
    pictureUrl: text('picture_url'),
    statusMessage: text('status_message'),
    language: varchar('language', { length: 16 }),
    /** The company account this LINE identity is bound to (user binding). */
    userId: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
    isFriend: boolean('is_friend').notNull().default(false),
    followedAt: timestamp('followed_at', { withTimezone: true }),
    unfollowedAt: timestamp('unfollowed_at', { withTimezone: true }),
    /** When the profile was last fetched from LINE; drives the profile TTL. */
    profileRefreshedAt: timestamp('profile_refreshed_at', { withTimezone: true }),
    /** Last time an unbound user was told how to bind (at most once a day). */
    bindingPromptedAt: timestamp('binding_prompted_at', { withTimezone: true }),
    /** `/reset` in the 1:1 chat: the AI's history of that chat starts here. */
    aiHistoryFrom: timestamp('ai_history_from', { withTimezone: true }),
    /** The Asia/Taipei day this user was last told the daily AI limit is reached (once a day). */
    aiLimitNoticeOn: date('ai_limit_notice_on', { mode: 'string' }),
    ...timestamps,
  },
  (t) => [uniqueIndex('line_users_user_id_unique').on(t.userId)],
);

/** A LINE group or multi-person room the bot is (or was) in. */
export const lineGroups = pgTable(
  'line_groups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** groupId for groups, roomId for rooms. */
    lineGroupId: varchar('line_group_id', { length: 64 }).notNull().unique(),
    /** Added: rooms are kept here too. */
    sourceType: varchar('source_type', { length: 8, enum: ['group', 'room'] })
      .notNull()
      .default('group'),
    name: varchar('name', { length: 256 }),
    pictureUrl: text('picture_url'),
    memberCount: integer('member_count').default(0),
    /** The company project this group is bound to (group-project binding). */
    projectId: uuid('project_id').references(() => projects.id, { onDelete: 'set null' }),
    isActive: boolean('is_active').notNull().default(true),
    allowAiResponse: boolean('allow_ai_response').notNull().default(false),
    /** Added: what the AI should know or do in this group (set by an admin). */
    aiInstructions: text('ai_instructions'),
    /** Added: `/reset` in this chat: the AI's history starts here. */
    aiHistoryFrom: timestamp('ai_history_from', { withTimezone: true }),
    joinedAt: timestamp('joined_at', { withTimezone: true }).defaultNow(),
    leftAt: timestamp('left_at', { withTimezone: true }),
    /**
     * Added: LINE time of the latest `memberJoined` event. LINE hides earlier messages from a new
     * member, so the AI's history of this chat starts at the later of this and `joined_at`.
     */
    memberJoinedAt: timestamp('member_joined_at', { withTimezone: true }),
    /** When summary and member count were last fetched from LINE; drives the TTL. */
    summaryRefreshedAt: timestamp('summary_refreshed_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [index('line_groups_project_id_idx').on(t.projectId)],
);

/**
 * Every message of every chat, both ways: what users sent the bot and what the bot sent
 * (`is_from_bot`). A 1:1 chat is identified by its user, as LINE's `source` does: a bot message
 * in a 1:1 chat has `line_user_id` = the user it went to and no `line_group_id`.
 */
export const lineMessages = pgTable(
  'line_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** LINE's message id (unique per message); for the bot's own messages the id LINE returned in `sentMessages`. */
    messageId: varchar('message_id', { length: 64 }).notNull().unique(),
    /** The sender; for a bot message in a 1:1 chat, the user it went to. */
    lineUserId: uuid('line_user_id').references(() => lineUsers.id),
    /** The group or room; NULL for 1:1 chats. */
    lineGroupId: uuid('line_group_id').references(() => lineGroups.id),
    /** Added: user, group or room (as LINE's `source.type`). */
    sourceType: varchar('source_type', { length: 32 }).notNull(),
    messageType: varchar('message_type', { length: 32 }).notNull(),
    /** Text, file name, location title/address or sticker text/keywords; NULL once unsent. */
    content: text('content'),
    replyToken: varchar('reply_token', { length: 255 }),
    isFromBot: boolean('is_from_bot').notNull().default(false),
    /** Whether the AI has answered (or decided not to answer) this message. */
    aiProcessed: boolean('ai_processed').notNull().default(false),
    /** The message's `line_files` row, set when that row is created (no foreign key, as in the article). */
    fileId: uuid('file_id'),
    quoteToken: varchar('quote_token', { length: 255 }),
    quotedMessageId: varchar('quoted_message_id', { length: 64 }),
    /** The message object exactly as LINE sent it; text fields cleared once unsent. */
    rawMessage: jsonb('raw_message'),
    /** LINE's event timestamp. */
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
    unsentAt: timestamp('unsent_at', { withTimezone: true }),
    editedAt: timestamp('edited_at', { withTimezone: true }),
    /** Timestamp (ms) of the messageEdited event that produced the current content; newest wins. */
    editTimestamp: bigint('edit_timestamp', { mode: 'number' }),
    /** Added: for a bot message an operator sent from the console, who (Access e-mail or `token:<session>`). */
    sentByOperator: varchar('sent_by_operator', { length: 256 }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('line_messages_group_sent_idx').on(t.lineGroupId, t.sentAt.desc(), t.id.desc()),
    index('line_messages_user_sent_idx').on(t.lineUserId, t.sentAt.desc(), t.id.desc()),
    index('line_messages_sent_idx').on(t.sentAt.desc(), t.id.desc()),
  ],
);

export const fileSyncStatuses = ['pending', 'synced', 'unavailable', 'failed', 'removed'] as const;
export type FileSyncStatus = (typeof fileSyncStatuses)[number];

/** Media that LINE hosts; the on-prem nas-sync job downloads it and fills `nas_path`. */
export const lineFiles = pgTable(
  'line_files',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Our `line_messages.id` (LINE's message id is `line_messages.message_id`). */
    messageId: uuid('message_id')
      .notNull()
      .unique()
      .references(() => lineMessages.id, { onDelete: 'cascade' }),
    fileType: varchar('file_type', { length: 32 }).notNull(),
    fileName: varchar('file_name', { length: 512 }),
    fileSize: bigint('file_size', { mode: 'number' }),
    mimeType: varchar('mime_type', { length: 255 }),
    /** Milliseconds, for video and audio. */
    duration: integer('duration'),
    /** Relative to NAS_ROOT; NULL until the sync job has copied the file. */
    nasPath: text('nas_path'),
    sha256: char('sha256', { length: 64 }),
    /** Set by unsend: the sync job deletes the NAS copy (or never makes one). */
    removeRequestedAt: timestamp('remove_requested_at', { withTimezone: true }),
    /** nas-sync state: pending -> synced | unavailable (404/410) | failed (after N errors); removed after unsend. */
    syncStatus: varchar('sync_status', { length: 16, enum: fileSyncStatuses }).notNull().default('pending'),
    syncAttempts: integer('sync_attempts').notNull().default(0),
    syncError: text('sync_error'),
    /** Not before this time (202 "still preparing", backoff after 429/5xx). */
    nextSyncAt: timestamp('next_sync_at', { withTimezone: true }),
    /** A sync job's claim on the row; a stale claim (crashed job) may be taken over. */
    syncClaimedAt: timestamp('sync_claimed_at', { withTimezone: true }),
    syncedAt: timestamp('synced_at', { withTimezone: true }),
    removedAt: timestamp('removed_at', { withTimezone: true }),
    /** Added: R2 key (`thumbs/<id>`), set when the nas-sync job uploaded a thumbnail of the NAS copy. */
    thumbnailR2Key: text('thumbnail_r2_key'),
    ...timestamps,
  },
  (t) => [
    index('line_files_pending_idx')
      .on(t.nextSyncAt, t.id)
      .where(sql`${t.syncStatus} = 'pending' AND ${t.removeRequestedAt} IS NULL`),
    index('line_files_remove_idx').on(t.id).where(sql`${t.removeRequestedAt} IS NOT NULL AND ${t.removedAt} IS NULL`),
    check(
      'line_files_sync_status_check',
      sql`${t.syncStatus} IN ('pending', 'synced', 'unavailable', 'failed', 'removed')`,
    ),
    index('line_files_created_idx').on(t.createdAt.desc(), t.id.desc()),
    /** nas-sync's daily cap per sender: today's copies (nas-sync/src/daily-cap.ts). */
    index('line_files_synced_idx').on(t.syncedAt).where(sql`${t.syncedAt} IS NOT NULL`),
  ],
);

export const webhookEventStatuses = ['processing', 'done', 'failed', 'dead', 'invalid'] as const;
export type WebhookEventStatus = (typeof webhookEventStatuses)[number];

/**
 * The inbox: every accepted webhook event, written before the 200 so none is lost.
 * Rows start `processing` (the request that recorded them processes them at once);
 * the Cron Trigger retries `failed` rows when due and recovers `processing` rows whose worker died.
 * An entry of `events` that is not an event is kept as received with status `invalid`, never processed.
 */
export const lineWebhookEvents = pgTable(
  'line_webhook_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** LINE's webhookEventId, or `sha256:<hex>` of the event's bytes when it has none. */
    webhookEventId: varchar('webhook_event_id', { length: 80 }).notNull().unique(),
    /** The bot's user id as LINE sent it; text, so no odd value can block a body. */
    destination: text('destination'),
    eventType: varchar('event_type', { length: 64 }).notNull(),
    sourceType: varchar('source_type', { length: 32 }),
    eventTimestamp: bigint('event_timestamp', { mode: 'number' }),
    isRedelivery: boolean('is_redelivery').notNull().default(false),
    /**
     * The event object as received, in the form Postgres can hold (src/inbox/storable.ts: U+0000 and
     * lone surrogates become U+FFFD). NULL once purged: INBOX_RETENTION_DAYS after a done event.
     */
    payload: jsonb('payload'),
    /** When the payload was purged (retention); key, type, times and status stay. */
    payloadPurgedAt: timestamp('payload_purged_at', { withTimezone: true }),
    status: varchar('status', { length: 16, enum: webhookEventStatuses }).notNull().default('processing'),
    attempts: integer('attempts').notNull().default(1),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    lockedAt: timestamp('locked_at', { withTimezone: true }).defaultNow(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [
    index('line_webhook_events_due_idx')
      .on(t.status, t.nextAttemptAt)
      .where(sql`${t.status} IN ('processing', 'failed')`),
    index('line_webhook_events_received_idx').on(t.receivedAt.desc()),
    // Unsend finds the events that carry a message by LINE's message id.
    index('line_webhook_events_message_id_idx')
      .on(sql`(${t.payload} #>> '{message,id}')`)
      .where(sql`(${t.payload} #>> '{message,id}') IS NOT NULL`),
    // Retention walks done events with a payload, oldest first.
    index('line_webhook_events_retention_idx')
      .on(t.receivedAt)
      .where(sql`${t.status} = 'done' AND ${t.payload} IS NOT NULL`),
    check('line_webhook_events_status_check', sql`${t.status} IN ('processing', 'done', 'failed', 'dead', 'invalid')`),
  ],
);

/** One-time codes that bind a LINE user to a company account (issued by the admin API). */
export const lineBindingCodes = pgTable(
  'line_binding_codes',
  {
    id: serial('id').primaryKey(),
    /** 9 characters (CODE_LENGTH) of an alphabet without look-alikes (src/domain/binding-code.ts), stored without the dash. */
    code: varchar('code', { length: 16 }).notNull(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    usedByLineUserId: uuid('used_by_line_user_id').references(() => lineUsers.id),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A code is unique among codes that can still be used.
    uniqueIndex('line_binding_codes_live_code_unique')
      .on(t.code)
      .where(sql`${t.usedAt} IS NULL AND ${t.revokedAt} IS NULL`),
    index('line_binding_codes_user_idx').on(t.userId),
  ],
);

/** Binding attempts by LINE users: the brute-force limit counts the wrong ones in a window. */
export const lineBindingAttempts = pgTable(
  'line_binding_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    lineUserId: uuid('line_user_id')
      .notNull()
      .references(() => lineUsers.id, { onDelete: 'cascade' }),
    succeeded: boolean('succeeded').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('line_binding_attempts_user_time_idx').on(t.lineUserId, t.createdAt.desc())],
);

export const aiAnswerStatuses = ['pending', 'running', 'answered', 'failed'] as const;
export type AiAnswerStatus = (typeof aiAnswerStatuses)[number];

/**
 * One row per AI answer: the durable record the answer's Workflow works from (its steps' results
 * are kept in `steps`, so a restarted run repeats no Claude call and sends nothing twice) and the
 * log an operator reads (model, tokens, latency, tools, outcome, Anthropic's request ids).
 */
export const lineAiAnswers = pgTable(
  'line_ai_answers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The event that asked: one answer per event, however often LINE redelivers it. */
    webhookEventId: varchar('webhook_event_id', { length: 80 }).notNull().unique(),
    /** The Workflow instance's id, derived from the event. */
    instanceId: varchar('instance_id', { length: 100 }).notNull().unique(),
    questionMessageId: uuid('question_message_id')
      .notNull()
      .references(() => lineMessages.id, { onDelete: 'cascade' }),
    /** The asker. */
    lineUserId: uuid('line_user_id')
      .notNull()
      .references(() => lineUsers.id),
    /** The group or room; NULL for a 1:1 chat. */
    lineGroupId: uuid('line_group_id').references(() => lineGroups.id),
    /** The question as the model sees it (mention of the bot removed). */
    question: text('question').notNull(),
    replyToken: varchar('reply_token', { length: 255 }),
    quoteToken: varchar('quote_token', { length: 255 }),
    /** LINE's event time: the reply token is good for about a minute after it. */
    eventAt: timestamp('event_at', { withTimezone: true }).notNull(),
    status: varchar('status', { length: 16, enum: aiAnswerStatuses }).notNull().default('pending'),
    /** answered | no_answer (Claude failed) | error; NULL while running. */
    outcome: varchar('outcome', { length: 32 }),
    model: varchar('model', { length: 100 }),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cacheCreationInputTokens: integer('cache_creation_input_tokens').notNull().default(0),
    cacheReadInputTokens: integer('cache_read_input_tokens').notNull().default(0),
    /** Time spent waiting for Claude, all rounds together. */
    latencyMs: integer('latency_ms'),
    stopReason: varchar('stop_reason', { length: 32 }),
    /** [{ name, input, ok }] in call order. */
    toolCalls: jsonb('tool_calls').notNull().default(sql`'[]'::jsonb`),
    /** Anthropic's `request-id` of every Claude call. */
    requestIds: jsonb('request_ids').notNull().default(sql`'[]'::jsonb`),
    /** reply (free) or push (counted against the LINE plan). */
    sentBy: varchar('sent_by', { length: 8 }),
    /** Set just before a reply is attempted: a rerun whose reply is refused then knows it was sent. */
    replyAttemptedAt: timestamp('reply_attempted_at', { withTimezone: true }),
    error: text('error'),
    /** Results of the Workflow's finished steps by name (the memo a restarted run reads). */
    steps: jsonb('steps').notNull().default(sql`'{}'::jsonb`),
    /** Last step finished (or the answer created): the Cron Trigger restarts answers stalled past a few minutes. */
    progressAt: timestamp('progress_at', { withTimezone: true }).notNull().defaultNow(),
    /** How often the backstop started or restarted it. */
    restarts: integer('restarts').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /**
     * AI_LATE_ANSWER=button: when the reply token was spent on a "still working" message with a
     * "取得回答" button because the answer was not ready within the reply window.
     */
    lateNoticeAt: timestamp('late_notice_at', { withTimezone: true }),
    /** When a tap on that button delivered the answer by reply (claimed once: a second tap sends nothing). */
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    index('line_ai_answers_unfinished_idx').on(t.progressAt).where(sql`${t.status} IN ('pending', 'running')`),
    index('line_ai_answers_user_day_idx').on(t.lineUserId, t.createdAt.desc()),
    index('line_ai_answers_group_idx').on(t.lineGroupId, t.createdAt.desc(), t.id.desc()),
    index('line_ai_answers_created_idx').on(t.createdAt.desc(), t.id.desc()),
    check('line_ai_answers_status_check', sql`${t.status} IN ('pending', 'running', 'answered', 'failed')`),
  ],
);

/**
 * The index of the company's NAS shares (NAS_SHARES), kept by the on-prem nas-sync job: one row per
 * regular file. A walk inserts new files, updates changed ones and deletes those gone, so the table
 * always mirrors the last walk. `/find` and the AI's `search_nas_files` read it; nothing else writes it.
 */
export const nasFiles = pgTable(
  'nas_files',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The share's name from NAS_SHARES (`projects` in `projects:/mnt/nas/projects`). */
    share: varchar('share', { length: 64 }).notNull(),
    /** Path relative to the share, '/'-separated, no leading slash: `案場A/圖面/平面圖.pdf`. */
    path: text('path').notNull(),
    /** The file name (last segment of `path`). */
    name: text('name').notNull(),
    /** Lower-case extension without the dot (`pdf`); '' when the name has none. */
    extension: varchar('extension', { length: 32 }).notNull().default(''),
    size: bigint('size', { mode: 'number' }).notNull(),
    modifiedAt: timestamp('modified_at', { withTimezone: true }).notNull(),
    /**
     * What search matches against: `share/path` in NFKC, lower case (full-width and half-width
     * letters and digits alike), computed by the job when it writes the row.
     */
    searchText: text('search_text').notNull(),
    indexedAt: timestamp('indexed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('nas_files_share_path_unique').on(t.share, t.path),
    // A project's folder is a path prefix: `share = $1 AND path LIKE 'folder/%'`.
    index('nas_files_share_path_prefix_idx').on(t.share, t.path.op('text_pattern_ops')),
  ],
);

/**
 * An indexed NAS file as it was when someone asked for it (a send request, an AI offer): what the
 * file must still be when it is sent. Columns made afresh for each table.
 */
const nasFileSnapshot = () => ({
  nasFileId: uuid('nas_file_id').references(() => nasFiles.id, { onDelete: 'set null' }),
  share: varchar('share', { length: 64 }).notNull(),
  path: text('path').notNull(),
  name: text('name').notNull(),
  size: bigint('size', { mode: 'number' }).notNull(),
  modifiedAt: timestamp('modified_at', { withTimezone: true }).notNull(),
});

export const nasSendStatuses = ['pending', 'uploading', 'uploaded', 'sent', 'failed'] as const;
export type NasSendStatus = (typeof nasSendStatuses)[number];

/**
 * A request to send a NAS file into a chat (`/send n`, or the AI's `send_nas_file`). The Worker
 * inserts it; a trigger NOTIFYs `nas_send_requests_pending`; one nas-sync job claims it, checks the
 * file is still the indexed one, uploads it (and an image's preview) to the Worker, which stores it
 * in R2 and sends the LINE message: pending -> uploading -> uploaded -> sent, or failed.
 */
export const nasSendRequests = pgTable(
  'nas_send_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** What asked, for idempotency: `event:<webhookEventId>`, `ai:<answer id>:<tool_use id>`, `console:<operator_sends.id>`. */
    requestKey: varchar('request_key', { length: 200 }).notNull().unique(),
    /** The indexed file as it was when asked; the job sends only if the NAS still has exactly this. */
    ...nasFileSnapshot(),
    /**
     * The asker and the chat: the group or room, or NULL for a 1:1 chat with `line_user_id`. No
     * asker (NULL) for a file an operator sends into a group from the console (`console:` keys).
     */
    lineUserId: uuid('line_user_id').references(() => lineUsers.id),
    lineGroupId: uuid('line_group_id').references(() => lineGroups.id),
    /** The asking message's reply token and LINE time: reply while valid, else push. */
    replyToken: varchar('reply_token', { length: 255 }),
    eventAt: timestamp('event_at', { withTimezone: true }).notNull(),
    /**
     * Origin of the share link: PUBLIC_BASE_URL, else the origin LINE called the webhook on; NULL
     * (an AI answer started by the Cron Trigger knows no origin): the origin the job uploaded to.
     */
    publicBaseUrl: text('public_base_url'),
    status: varchar('status', { length: 16, enum: nasSendStatuses }).notNull().default('pending'),
    /** A job's claim; a stale claim (crashed job) may be taken over. */
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    claimedBy: varchar('claimed_by', { length: 200 }),
    attempts: integer('attempts').notNull().default(0),
    /** Why it failed, in words for the asker (file gone, changed, too large ...). */
    error: text('error'),
    /** R2 objects written by the upload endpoint. */
    r2Key: text('r2_key'),
    previewR2Key: text('preview_r2_key'),
    contentType: varchar('content_type', { length: 255 }),
    sha256: char('sha256', { length: 64 }),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }),
    /** reply (free) or push (X-Line-Retry-Key from this row's id). */
    sentBy: varchar('sent_by', { length: 8 }),
    replyAttemptedAt: timestamp('reply_attempted_at', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('nas_send_requests_open_idx').on(t.createdAt).where(sql`${t.status} IN ('pending', 'uploading', 'uploaded')`),
    index('nas_send_requests_created_idx').on(t.createdAt.desc(), t.id.desc()),
    check('nas_send_requests_status_check', sql`${t.status} IN ('pending', 'uploading', 'uploaded', 'sent', 'failed')`),
    check('nas_send_requests_chat_check', sql`num_nonnulls(${t.lineUserId}, ${t.lineGroupId}) >= 1`),
  ],
);

/**
 * An expiring link to a file the bot sent (`GET /s/:token`). Only the token's SHA-256 is stored:
 * the database alone cannot be turned into working links.
 */
export const shareLinks = pgTable(
  'share_links',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: char('token_hash', { length: 64 }).notNull().unique(),
    sendRequestId: uuid('send_request_id').references(() => nasSendRequests.id, { onDelete: 'set null' }),
    r2Key: text('r2_key').notNull(),
    /** An image's preview (LINE's previewImageUrl), served at `/s/:token/preview`. */
    previewR2Key: text('preview_r2_key'),
    /** The original file name (CJK kept), for Content-Disposition. */
    fileName: text('file_name').notNull(),
    contentType: varchar('content_type', { length: 255 }).notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    /** The chat it was sent into. */
    lineUserId: uuid('line_user_id').references(() => lineUsers.id),
    lineGroupId: uuid('line_group_id').references(() => lineGroups.id),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    downloadCount: integer('download_count').notNull().default(0),
    lastDownloadedAt: timestamp('last_downloaded_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('share_links_created_idx').on(t.createdAt.desc(), t.id.desc())],
);

/**
 * A chat's last `/find` list (`/send n` picks from it for 30 minutes): one row per chat, replaced by
 * the next search. `chat_key` is `group:<line_groups.id>` or `user:<line_users.id>`.
 */
export const nasSearchLists = pgTable('nas_search_lists', {
  chatKey: varchar('chat_key', { length: 80 }).primaryKey(),
  lineUserId: uuid('line_user_id')
    .notNull()
    .references(() => lineUsers.id),
  /** `nas_files.id`s in the order they were listed. */
  fileIds: jsonb('file_ids').$type<string[]>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const projectMemberRoles = ['member', 'manager'] as const;
export type ProjectMemberRole = (typeof projectMemberRoles)[number];

/**
 * Who belongs to which project. The company system is the source of truth and keeps this current
 * through the management API (`PUT/DELETE /projects/{id}/members/{userId}`); NAS scope reads it.
 */
export const projectMembers = pgTable(
  'project_members',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: varchar('role', { length: 16, enum: projectMemberRoles }).notNull().default('member'),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.userId] }),
    index('project_members_user_idx').on(t.userId),
    check('project_members_role_check', sql`${t.role} IN ('member', 'manager')`),
  ],
);

export const auditVias = ['chat', 'console', 'api', 'nas', 'system'] as const;
export type AuditVia = (typeof auditVias)[number];

/**
 * The audit trail, append-only (a trigger refuses UPDATE and DELETE): who did what, on what, when
 * and from where. No foreign keys: an entry outlives the account, chat or file it names.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** Dotted verb: `nas.file_sent`, `nas.search`, `binding.bound`, `project.member_set` ... */
    action: varchar('action', { length: 64 }).notNull(),
    /** Where it came from: a LINE chat, the console, the management API, the NAS agent, the Worker itself. */
    via: varchar('via', { length: 16, enum: auditVias }).notNull(),
    /** The company account that acted (a bound LINE user's account), if any. */
    actorUserId: integer('actor_user_id'),
    /** The LINE user that acted (line_users.id), if any. */
    actorLineUserId: uuid('actor_line_user_id'),
    /** The console operator (Access e-mail, or `token:<session>`), or `api` for the bearer token. */
    operator: varchar('operator', { length: 256 }),
    /** The chat it happened in or concerns (line_groups.id); NULL for a 1:1 chat or none. */
    lineGroupId: uuid('line_group_id'),
    /** What it acted on: `project`, `nas_file`, `share_link`, `user`, `line_group` ... and its id. */
    targetType: varchar('target_type', { length: 32 }),
    targetId: text('target_id'),
    /** The client address (console and API), when known. */
    client: varchar('client', { length: 64 }),
    /** Facts of the action (a file's path, keywords and a result count); never secrets or message text. */
    details: jsonb('details').notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at.desc(), t.id.desc()),
    index('audit_log_action_idx').on(t.action, t.at.desc(), t.id.desc()),
    index('audit_log_actor_idx').on(t.actorUserId, t.at.desc(), t.id.desc()),
    index('audit_log_group_idx').on(t.lineGroupId, t.at.desc(), t.id.desc()),
    // The audit screen's other filters, newest first by id: an operator exactly or by prefix
    // (`token:*`), and a LINE user (what they did, and what was done to their 1:1 chat).
    index('audit_log_operator_idx').on(t.operator.op('varchar_pattern_ops'), t.id.desc()),
    index('audit_log_line_user_idx').on(t.actorLineUserId, t.id.desc()),
    index('audit_log_target_idx').on(t.targetType, t.targetId, t.id.desc()),
    check('audit_log_via_check', sql`${t.via} IN ('chat', 'console', 'api', 'nas', 'system')`),
  ],
);

/**
 * Wrong bearer tokens (management API, NAS agent, console sign-in), one row each: the limiter
 * (src/security/limiter.ts) counts them per client and in total over a window, across isolates.
 */
export const authFailures = pgTable(
  'auth_failures',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** `admin`, `nas` or `console`. */
    surface: varchar('surface', { length: 16 }).notNull(),
    client: varchar('client', { length: 64 }).notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('auth_failures_at_idx').on(t.at), index('auth_failures_client_idx').on(t.client, t.at)],
);

/**
 * A NAS file the AI offered (`send_nas_file`): the bot's message carries a postback button whose data
 * is this row's id; the file is sent only when the asker taps it, before `expires_at`, by reply with
 * the tap's token. `send_request_id` is set by the first tap, so a redelivered tap sends nothing.
 */
export const aiFileOffers = pgTable(
  'ai_file_offers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    answerId: uuid('answer_id')
      .notNull()
      .references(() => lineAiAnswers.id, { onDelete: 'cascade' }),
    /** The indexed file as it was when offered; the tap sends only if the index still has exactly this. */
    ...nasFileSnapshot(),
    /** The asker (the only one whose tap counts) and the chat. */
    lineUserId: uuid('line_user_id')
      .notNull()
      .references(() => lineUsers.id),
    lineGroupId: uuid('line_group_id').references(() => lineGroups.id),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    tappedAt: timestamp('tapped_at', { withTimezone: true }),
    sendRequestId: uuid('send_request_id').references(() => nasSendRequests.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('ai_file_offers_answer_file_unique').on(t.answerId, t.nasFileId)],
);

/**
 * Bot texts an operator changed (welcome on follow and join, ...): one row per key and language;
 * a key without a row uses the message catalogue's default (src/messages/catalog.ts).
 */
export const botTexts = pgTable(
  'bot_texts',
  {
    key: varchar('key', { length: 64 }).notNull(),
    /** `zh-TW` or `en`, as the catalogue's languages. */
    lang: varchar('lang', { length: 8 }).notNull(),
    text: text('text').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** Who changed it (console operator or `api`). */
    updatedBy: varchar('updated_by', { length: 100 }),
  },
  (t) => [primaryKey({ columns: [t.key, t.lang] })],
);

/**
 * The LINE channel's push quota as LINE last reported it (`GET /v2/bot/message/quota` and
 * `/quota/consumption`): one row, refreshed at most every 10 minutes when the console asks.
 */
export const linePushQuota = pgTable('line_push_quota', {
  id: smallint('id').primaryKey().default(1),
  /** `none` (no limit) or `limited`, as LINE says. */
  quotaType: varchar('quota_type', { length: 16 }).notNull(),
  /** The month's limit; NULL when `none`. */
  quotaValue: bigint('quota_value', { mode: 'number' }),
  /** Messages counted this month so far. */
  totalUsage: bigint('total_usage', { mode: 'number' }).notNull(),
  fetchedAt: timestamp('fetched_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A push LINE refused for the monthly limit (429, `line.quota_exceeded`): counted per month in the console. */
export const linePushRefusals = pgTable(
  'line_push_refusals',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    refusedAt: timestamp('refused_at', { withTimezone: true }).notNull().defaultNow(),
    /** The push's retry key source (what was being answered); never message content. */
    pushKey: varchar('push_key', { length: 200 }),
    /** `user`, `group` or `room`. */
    chatType: varchar('chat_type', { length: 8 }),
  },
  (t) => [index('line_push_refusals_at_idx').on(t.refusedAt)],
);

/**
 * A preview of an indexed NAS image (the job makes it with sharp and uploads it to R2), shown in
 * `/find`'s Flex entries. Valid while the file's `modified_at` is still the one it was made from.
 */
export const nasFilePreviews = pgTable('nas_file_previews', {
  nasFileId: uuid('nas_file_id')
    .primaryKey()
    .references(() => nasFiles.id, { onDelete: 'cascade' }),
  /** The file's `modified_at` when the preview was made; a changed file needs a new one. */
  modifiedAt: timestamp('modified_at', { withTimezone: true }).notNull(),
  /** The R2 object key of the preview (JPEG). */
  r2Key: text('r2_key').notNull(),
  bytes: integer('bytes').notNull(),
  width: integer('width').notNull(),
  height: integer('height').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The AI paused in one chat by an operator (take over): a group or room, or a 1:1 chat by its user.
 * Paused while `paused_until` is NULL (until resumed) or in the future; resuming deletes the row.
 */
export const aiPauses = pgTable(
  'ai_pauses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    lineGroupId: uuid('line_group_id').references(() => lineGroups.id, { onDelete: 'cascade' }),
    lineUserId: uuid('line_user_id').references(() => lineUsers.id, { onDelete: 'cascade' }),
    pausedAt: timestamp('paused_at', { withTimezone: true }).notNull().defaultNow(),
    /** NULL: until an operator resumes it. */
    pausedUntil: timestamp('paused_until', { withTimezone: true }),
    /** The console operator who paused it. */
    pausedBy: varchar('paused_by', { length: 256 }).notNull(),
    /** When the one "a person is handling this chat" notice of this pause was sent, if it was. */
    noticeSentAt: timestamp('notice_sent_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('ai_pauses_group_unique').on(t.lineGroupId),
    uniqueIndex('ai_pauses_user_unique').on(t.lineUserId),
    check('ai_pauses_one_chat_check', sql`num_nonnulls(${t.lineGroupId}, ${t.lineUserId}) = 1`),
  ],
);

/** `paused`: a push was refused for the month's quota; the rows not yet sent wait for an operator's resume. */
export const announcementStatuses = ['sending', 'paused', 'done'] as const;
export type AnnouncementStatus = (typeof announcementStatuses)[number];

/** One message an operator sent to several groups and rooms at once; each chat is an `operator_sends` row. */
export const announcements = pgTable(
  'announcements',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    operator: varchar('operator', { length: 256 }).notNull(),
    text: text('text'),
    /** The NAS file sent with it, as it was when chosen (NULL columns when text only). */
    nasFileId: uuid('nas_file_id').references(() => nasFiles.id, { onDelete: 'set null' }),
    share: varchar('share', { length: 64 }),
    path: text('path'),
    name: text('name'),
    size: bigint('size', { mode: 'number' }),
    modifiedAt: timestamp('modified_at', { withTimezone: true }),
    /** How the chats were chosen: `{ projectIds: [...], lineGroupIds: [...] }`. */
    selection: jsonb('selection').notNull().default(sql`'{}'::jsonb`),
    /** Push messages LINE will count (a group push once per member), estimated before sending. */
    pushEstimate: integer('push_estimate').notNull().default(0),
    status: varchar('status', { length: 16, enum: announcementStatuses }).notNull().default('sending'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('announcements_created_idx').on(t.createdAt.desc(), t.id.desc())],
);

export const operatorSendStatuses = ['pending', 'sending', 'sent', 'failed'] as const;
export type OperatorSendStatus = (typeof operatorSendStatuses)[number];

/**
 * A message an operator sends as the bot into one chat (from its console page, or as one chat of an
 * announcement). `id` is the form submission's id: a double submit or a retried request finds the
 * row and sends nothing twice; the push's retry key derives from it.
 */
export const operatorSends = pgTable(
  'operator_sends',
  {
    id: uuid('id').primaryKey(),
    operator: varchar('operator', { length: 256 }).notNull(),
    /** The chat: a group or room, or a 1:1 chat by its user. */
    lineGroupId: uuid('line_group_id').references(() => lineGroups.id),
    lineUserId: uuid('line_user_id').references(() => lineUsers.id),
    announcementId: uuid('announcement_id').references(() => announcements.id, { onDelete: 'cascade' }),
    text: text('text'),
    /** The file's send request (the nas-sync job uploads it; the Worker pushes it). */
    nasSendRequestId: uuid('nas_send_request_id').references(() => nasSendRequests.id, { onDelete: 'set null' }),
    status: varchar('status', { length: 16, enum: operatorSendStatuses }).notNull().default('pending'),
    /** Why it failed (a LINE error code or a reason); never message content. */
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    check('operator_sends_one_chat_check', sql`num_nonnulls(${t.lineGroupId}, ${t.lineUserId}) = 1`),
    index('operator_sends_announcement_idx').on(t.announcementId),
    index('operator_sends_group_idx').on(t.lineGroupId, t.createdAt.desc()),
    index('operator_sends_user_idx').on(t.lineUserId, t.createdAt.desc()),
  ],
);
