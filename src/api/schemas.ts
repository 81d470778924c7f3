/**
 * The management API's request and response shapes (zod, also the source of openapi.json), which
 * the console's forms parse with too.
 *
 * Inputs are parsed strictly so that nothing reaches Postgres it would refuse: ids within their
 * column's range, no U+0000 or unpaired surrogate in text (Postgres text cannot hold the first,
 * the driver would silently replace the second), unknown body fields refused.
 */
import { z } from '@hono/zod-openapi';
import { aiAnswerStatuses, fileSyncStatuses, webhookEventStatuses } from '@linebot-edge/shared/schema';
import { MAX_NAS_FOLDER_CHARS, nasFolderProblem } from '../access/nas-folder';
import { isDay } from './dates';
import { errorCodes, fieldLocations } from './errors';

// ---- errors and responses --------------------------------------------------------------------

const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes),
      message: z.string(),
      fields: z.array(z.object({ in: z.enum(fieldLocations), path: z.string(), message: z.string() })).optional(),
    }),
    requestId: z.string(),
  })
  .openapi('Error');

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

const errorDescriptions = {
  400: 'Invalid request: `error.fields` says which field and why',
  401: 'Missing or invalid bearer token',
  404: 'Unknown id',
  409: 'Conflicts with existing data',
  413: 'Body larger than 64 KiB',
  415: 'Body is not JSON (Content-Type)',
  429: 'Too many wrong tokens from this client or in total: `Retry-After` says when to try again, even with the right token',
  503: 'ADMIN_API_TOKEN is unset or shorter than 32 characters (`not_configured`: the API is off), or the database is unreachable (`database_unavailable`)',
} as const;
type ErrorStatus = Exclude<keyof typeof errorDescriptions, 429 | 503>;
type ErrorResponse = ReturnType<typeof json<typeof ErrorSchema>>;
const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds until the client may try again',
    schema: { type: 'integer' as const, minimum: 1 },
  },
};

/**
 * The error answers an operation can give, each with the Error envelope. Every operation behind
 * the token (401) can also be refused by the limiter (429) or answer that the token is off (503).
 */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  const all: Array<keyof typeof errorDescriptions> = statuses.includes(401 as S) ? [...statuses, 429, 503] : statuses;
  const response = (s: keyof typeof errorDescriptions) =>
    s === 429
      ? { ...json(ErrorSchema, errorDescriptions[s]), headers: RETRY_AFTER }
      : json(ErrorSchema, errorDescriptions[s]);
  return Object.fromEntries(all.map((s) => [s, response(s)])) as { [K in S]: ErrorResponse } & {
    429: ErrorResponse;
    503: ErrorResponse;
  };
}

/**
 * `schema` or null. A union rather than `.nullable()`: the generator turns a nullable reference
 * into `allOf: [$ref, {type: [object, null]}]`, which null can never satisfy.
 */
const orNull = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()]);

// ---- scalars ---------------------------------------------------------------------------------

export const Uuid = z.guid({ error: 'must be a UUID' }).openapi({ example: '0b9f2c7e-8a51-4d2e-9c3a-5f1e2d3c4b5a' });

const UNSTORABLE = /[\u0000\p{Cs}]/u;
const storable = (s: z.ZodString) =>
  s.refine((v) => !UNSTORABLE.test(v), 'must not contain U+0000 or an unpaired surrogate');
/** Free text Postgres stores as sent. */
export const Text = (max: number) => storable(z.string().max(max));

/** A decimal integer in a path or query string, within what its column holds (never cast unchecked). */
const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'must be a decimal integer')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`)
    .openapi({ type: 'integer', minimum: min, maximum: max });

/** users.id is int4. */
export const UserId = intString(1, 2_147_483_647).openapi({ example: 42 });
/** line_webhook_events.id is bigint; JSON numbers are exact up to 2^53 - 1. */
export const EventId = intString(1, Number.MAX_SAFE_INTEGER).openapi({ example: 1234 });

export const Limit = intString(1, 200).default(50).openapi({ description: 'page size (1-200)', default: 50 });
export const Cursor = z.string().max(200).optional().openapi({ description: '`nextCursor` of the previous page' });
export const BoolQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

const timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-28T09:00:00.000Z' });
/** A calendar day as `YYYY-MM-DD`, years 0001 to 9999 (./dates.ts `isDay`). */
export const CalendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine(isDay, 'no such day (years 0001-9999)')
  .openapi({ format: 'date', example: '2026-11-28' });

// ---- accounts and projects -------------------------------------------------------------------

const Role = z.enum(['admin', 'member']);
export const UserSchema = z
  .object({ id: z.number().int(), username: z.string(), displayName: z.string().nullable(), role: Role })
  .openapi('User');
export const CreateUserSchema = z
  .strictObject({
    username: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only')
      .openapi({ description: 'unique whatever its case' }),
    displayName: storable(z.string().min(1).max(255)).optional(),
    role: Role.default('member'),
  })
  .openapi('CreateUser');

/**
 * What the AI should know or do in a group or a project's groups, added to its system prompt; null
 * clears it. A blank text is stored as null (an emptied text box clears), so no prompt carries an
 * empty section.
 */
const AiInstructions = storable(z.string().max(4000))
  .nullable()
  .transform((v) => (v?.trim() ? v : null))
  .openapi({
    type: ['string', 'null'],
    maxLength: 4000,
    description: 'added to the AI system prompt; null or blank clears',
  });
const ProjectName = storable(z.string().trim().min(1).max(255)).openapi({ description: 'unique' });
/** The project's NAS folder, `share/relative/path`: `/find` in its groups searches there; null clears. */
const NasFolder = z
  .string()
  .max(MAX_NAS_FOLDER_CHARS)
  .superRefine((v, ctx) => {
    const problem = nasFolderProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .nullable()
  .transform((v) => (v === null ? null : v.replace(/\/+$/, '')))
  .openapi({
    type: ['string', 'null'],
    maxLength: MAX_NAS_FOLDER_CHARS,
    example: 'projects/案場A',
    description:
      "`share/relative/path`: a share of NAS_SHARES, then a folder in it ('/'-separated, no '.' or '..'); /find in the project's groups searches it; null clears",
  });

export const ProjectSchema = z
  .object({
    id: Uuid,
    name: z.string(),
    aiInstructions: z
      .string()
      .nullable()
      .openapi({ description: "added to the AI system prompt in the project's groups" }),
    nasFolder: z
      .string()
      .nullable()
      .openapi({ description: "NAS folder `share/relative/path` that /find searches in the project's groups" }),
  })
  .openapi('Project');
export const CreateProjectSchema = z
  .strictObject({ name: ProjectName, aiInstructions: AiInstructions.optional(), nasFolder: NasFolder.optional() })
  .openapi('CreateProject');
export const PatchProjectSchema = z
  .strictObject({
    name: ProjectName.optional(),
    aiInstructions: AiInstructions.optional(),
    nasFolder: NasFolder.optional(),
  })
  .refine(
    (v) => v.name !== undefined || v.aiInstructions !== undefined || v.nasFolder !== undefined,
    'give name, aiInstructions or nasFolder',
  )
  .openapi('PatchProject');

export const MemberRole = z
  .enum(['member', 'manager'])
  .openapi({ description: 'the role in the project; both search and send within its NAS folder' });
export const MemberSchema = z
  .object({
    userId: z.number().int(),
    username: z.string(),
    displayName: z.string().nullable(),
    accountRole: Role.openapi({ description: "the account's own role (admins search every share anyway)" }),
    role: MemberRole,
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi('ProjectMember');
export const SetMemberSchema = z.strictObject({ role: MemberRole }).openapi('SetProjectMember');

export const BindingCodeSchema = z
  .object({
    code: z
      .string()
      .regex(/^[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}$/)
      .openapi({
        description:
          'As people read it: 9 characters without look-alikes (no 0/O, 1/I/L) in groups of three; the bot takes it with or without the dashes, in any case',
        example: 'K7M-2QX-9PA',
      }),
    expiresAt: timestamp,
  })
  .openapi('BindingCode');

// ---- LINE users and groups -------------------------------------------------------------------

export const LineUserSchema = z
  .object({
    id: Uuid,
    lineUserId: z.string(),
    displayName: z.string().nullable(),
    pictureUrl: z.string().nullable(),
    language: z.string().nullable(),
    isFriend: z.boolean(),
    bound: z.boolean(),
    user: orNull(UserSchema),
    createdAt: timestamp,
  })
  .openapi('LineUser');

export const GroupSchema = z
  .object({
    id: Uuid,
    lineGroupId: z.string(),
    sourceType: z.enum(['group', 'room']),
    name: z.string().nullable(),
    pictureUrl: z.string().nullable(),
    memberCount: z.number().int().nullable(),
    isActive: z.boolean(),
    allowAiResponse: z.boolean(),
    aiInstructions: z.string().nullable().openapi({ description: 'added to the AI system prompt in this group' }),
    project: orNull(ProjectSchema),
    joinedAt: timestamp.nullable(),
    leftAt: timestamp.nullable(),
  })
  .openapi('Group');

export const PatchGroupSchema = z
  .strictObject({
    allowAiResponse: z.boolean().optional(),
    projectId: Uuid.nullable().optional(),
    aiInstructions: AiInstructions.optional(),
  })
  .refine((v) => Object.values(v).some((f) => f !== undefined), 'give allowAiResponse, projectId or aiInstructions')
  .openapi('PatchGroup');

// ---- messages, files, inbox ------------------------------------------------------------------

/** A group or a LINE user named by our UUID or by LINE's own id (C..., R..., U...), compared as text. */
export const ChatRef = Text(64).optional().openapi({
  description:
    "our UUID, or LINE's id (C..., R..., U...) compared as text: anything else matches nothing; empty means no filter",
});
/** The chat filters of a list (src/domain/chat-filters.ts `chatFilters`). */
export const ChatQuery = { groupId: ChatRef, lineUserId: ChatRef };

export const MessageSchema = z
  .object({
    id: Uuid,
    messageId: z.string().openapi({ description: "LINE's message id" }),
    messageType: z.string(),
    sourceType: z.string(),
    content: z.string().nullable(),
    isFromBot: z
      .boolean()
      .openapi({ description: 'sent by the bot; lineUserId is then the user of the 1:1 chat it went to' }),
    sentByOperator: z.string().nullable().openapi({
      description: 'a bot message a console operator sent: who (Access e-mail or `token:<session id>`)',
    }),
    aiProcessed: z.boolean(),
    fileId: Uuid.nullable().openapi({ description: "the message's file (see /files), for media messages" }),
    lineUserId: z.string().nullable(),
    senderName: z.string().nullable(),
    lineGroupId: z.string().nullable(),
    groupName: z.string().nullable(),
    sentAt: timestamp,
    unsentAt: timestamp.nullable(),
    editedAt: timestamp.nullable(),
  })
  .openapi('Message');

export const FileSchema = z
  .object({
    id: Uuid,
    messageId: Uuid.openapi({ description: 'our id of the message (Message.id)' }),
    lineMessageId: z.string().openapi({ description: "LINE's message id (Message.messageId)" }),
    fileType: z.string(),
    fileName: z.string().nullable(),
    fileSize: z.number().int().nullable(),
    mimeType: z.string().nullable(),
    duration: z.number().int().nullable(),
    nasPath: z.string().nullable(),
    syncStatus: z.enum(fileSyncStatuses),
    syncError: z.string().nullable().openapi({
      description:
        "why a pending file waits or a failed one failed (the nas-sync job's words, e.g. its sender's daily limit); null otherwise",
    }),
    lineUserId: z.string().nullable(),
    lineGroupId: z.string().nullable(),
    sentAt: timestamp,
    createdAt: timestamp,
  })
  .openapi('File');

export const EventStatus = z.enum(webhookEventStatuses);
export const InboxEventSchema = z
  .object({
    id: z.number().int(),
    webhookEventId: z.string(),
    eventType: z.string(),
    sourceType: z.string().nullable(),
    status: EventStatus,
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    nextAttemptAt: timestamp.nullable(),
    receivedAt: timestamp,
    processedAt: timestamp.nullable(),
    payload: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: 'the event as received; null once purged (INBOX_RETENTION_DAYS after a done event)' }),
    payloadPurgedAt: timestamp.nullable(),
  })
  .openapi('InboxEvent');

// ---- AI answers ------------------------------------------------------------------------------

/** How long a question the log shows: enough to recognise it, a page of 200 stays small. */
export const QUESTION_PREVIEW = 500;

export const AiLogSchema = z
  .object({
    id: Uuid,
    webhookEventId: z.string().openapi({ description: 'the event that asked (see /events)' }),
    lineGroupId: z.string().nullable().openapi({ description: "LINE's id of the group or room; null in a 1:1 chat" }),
    groupName: z.string().nullable(),
    lineUserId: z.string().openapi({ description: "LINE's id of the asker" }),
    userName: z.string().nullable(),
    question: z
      .string()
      .openapi({ description: `the question as the model saw it, its first ${QUESTION_PREVIEW} characters` }),
    status: z.enum(aiAnswerStatuses),
    outcome: z
      .string()
      .nullable()
      .openapi({ description: 'answered, no_answer (Claude failed), error...; null while running' }),
    model: z.string().nullable(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    cacheCreationInputTokens: z.number().int(),
    cacheReadInputTokens: z.number().int(),
    latencyMs: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'time spent waiting for Claude, all rounds together' }),
    stopReason: z.string().nullable(),
    toolCalls: z
      .array(z.object({ name: z.string(), ok: z.boolean() }).openapi('AiToolCall'))
      .openapi({ description: 'in call order' }),
    requestIds: z.array(z.string()).openapi({ description: "Anthropic's request id of every Claude call" }),
    sentBy: z
      .enum(['reply', 'push'])
      .nullable()
      .openapi({ description: 'reply (free) or push (counts against the LINE plan); null if nothing was sent' }),
    error: z.string().nullable(),
    restarts: z.number().int().openapi({ description: 'how often the backstop started or restarted it' }),
    createdAt: timestamp,
    finishedAt: timestamp.nullable(),
  })
  .openapi('AiLog');

const usageFigures = {
  answers: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cacheCreationInputTokens: z.number().int(),
  cacheReadInputTokens: z.number().int(),
};
export const AiUsageSchema = z
  .object({
    from: CalendarDate,
    to: CalendarDate,
    totals: z.object(usageFigures).openapi('AiUsageTotals'),
    days: z.array(z.object({ date: CalendarDate, ...usageFigures }).openapi('AiUsageDay')).openapi({
      description: 'every day from `from` to `to` (Asia/Taipei), oldest first, days without answers included',
    }),
    chats: z
      .array(
        z
          .object({
            lineGroupId: z
              .string()
              .nullable()
              .openapi({ description: "LINE's id of the group or room; null for all 1:1 chats together" }),
            groupName: z.string().nullable(),
            chatType: z.enum(['group', 'room', 'user']),
            ...usageFigures,
          })
          .openapi('AiUsageChat'),
      )
      .openapi({ description: 'chats with answers in the range, most answers first' }),
  })
  .openapi('AiUsage');

/** A page of results, newest first; pass `nextCursor` as `before` for the next page. */
export const page = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);

// ---- share links (NAS files sent into chats) ---------------------------------------------------

export const shareLinkStates = ['active', 'expired', 'revoked'] as const;
export const ShareLinkSchema = z
  .object({
    id: Uuid,
    sendRequestId: Uuid.nullable().openapi({ description: 'the NAS send request it was made for' }),
    fileName: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    state: z.enum(shareLinkStates),
    lineUserId: z.string().nullable().openapi({ description: "the asker's LINE id" }),
    lineGroupId: z.string().nullable().openapi({ description: "the group's or room's LINE id; null in a 1:1 chat" }),
    expiresAt: timestamp,
    revokedAt: timestamp.nullable(),
    downloadCount: z.number().int(),
    lastDownloadedAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .openapi('ShareLink');

// ---- bot texts (operator-edited welcome texts) ---------------------------------------------------

/** The languages the bot speaks (src/messages/catalog.ts). */
export const botTextLangs = ['zh-TW', 'en'] as const;
/** LINE's limit of one text message, in UTF-16 code units as LINE (and zod's `max`) count. */
export const MAX_BOT_TEXT_LENGTH = 5000;

export const BotTextSchema = z
  .object({
    key: z.string().openapi({ example: 'welcome.follow' }),
    lang: z.enum(botTextLangs),
    text: z.string().openapi({ description: 'what the bot says now: the override, else the default' }),
    defaultText: z.string().openapi({ description: "the message catalogue's text, said when no override is set" }),
    overridden: z.boolean(),
    updatedAt: timestamp.nullable(),
    updatedBy: z.string().nullable().openapi({ description: 'who set the override (console operator or `api`)' }),
  })
  .openapi('BotText');
export const SetBotTextSchema = z
  .strictObject({
    text: Text(MAX_BOT_TEXT_LENGTH)
      .refine((v) => v.trim() !== '', 'must not be blank')
      .openapi({ description: `at most ${MAX_BOT_TEXT_LENGTH} UTF-16 code units (one LINE text message)` }),
  })
  .openapi('SetBotText');
export const BotTextParams = z.object({
  key: z.string().max(64).openapi({ description: 'one of the keys GET /bot-texts lists', example: 'welcome.follow' }),
  lang: z.enum(botTextLangs),
});

// ---- the push quota (LINE's monthly message limit) ------------------------------------------------

export const PushQuotaSchema = z
  .object({
    month: z.string().openapi({ example: '2026-12', description: "LINE's month now (Japan time), `YYYY-MM`" }),
    type: z
      .enum(['none', 'limited'])
      .nullable()
      .openapi({ description: "LINE's `type`: `none` (no limit) or `limited`; null when unknown" }),
    value: z.number().int().nullable().openapi({ description: "LINE's `value`: the month's limit when `limited`" }),
    totalUsage: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "LINE's `totalUsage`: messages counted this month (a group push once per member)" }),
    percentUsed: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'totalUsage of value in whole percent, rounded down; null without a limit' }),
    level: z.enum(['ok', 'warning', 'exhausted']).nullable().openapi({
      description: '`warning` from 80%, `exhausted` at the limit (LINE refuses pushes); null when unknown',
    }),
    ageSeconds: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'how old the figures are (cached up to 10 minutes); null when unknown' }),
    stale: z
      .boolean()
      .openapi({ description: 'LINE did not answer just now: the figures are the cached ones, or unknown' }),
    refusedThisMonth: z.number().int().openapi({ description: 'pushes LINE refused with 429 this month' }),
  })
  .openapi('PushQuota');
