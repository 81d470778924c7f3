/** The management API's request and response shapes (zod, also the source of openapi.json). */
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.array(z.object({ in: z.string(), path: z.string(), message: z.string() })).optional(),
    }),
    requestId: z.string().optional(),
  })
  .openapi('Error');

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
export const errors = {
  400: json(ErrorSchema, 'Invalid request: `error.fields` says which field and why'),
  401: json(ErrorSchema, 'Missing or invalid bearer token'),
} as const;
export const notFoundResponse = { 404: json(ErrorSchema, 'Unknown id') } as const;
export const conflictResponse = { 409: json(ErrorSchema, 'Conflicts with existing data') } as const;
export { json };

const timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-28T09:00:00.000Z' });
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const IntId = z.coerce.number().int().positive().openapi({ example: 42 });
export const Limit = z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'page size (1-200)' });
export const Cursor = z.string().max(200).optional().openapi({ description: '`nextCursor` of the previous page' });

// ---- accounts and projects -------------------------------------------------------------------

export const Role = z.enum(['admin', 'member']);
export const UserSchema = z
  .object({ id: z.number().int(), username: z.string(), displayName: z.string().nullable(), role: Role })
  .openapi('User');
export const CreateUserSchema = z
  .object({
    username: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only'),
    displayName: z.string().min(1).max(255).optional(),
    role: Role.default('member'),
  })
  .openapi('CreateUser');

export const ProjectSchema = z.object({ id: z.string().uuid(), name: z.string() }).openapi('Project');
export const CreateProjectSchema = z.object({ name: z.string().trim().min(1).max(255) }).openapi('CreateProject');

export const BindingCodeSchema = z
  .object({ code: z.string().regex(/^\d{6}$/), expiresAt: timestamp })
  .openapi('BindingCode');

// ---- LINE users and groups -------------------------------------------------------------------

export const LineUserSchema = z
  .object({
    id: z.number().int(),
    lineUserId: z.string(),
    displayName: z.string().nullable(),
    pictureUrl: z.string().nullable(),
    language: z.string().nullable(),
    isFriend: z.boolean(),
    bound: z.boolean(),
    user: UserSchema.nullable(),
    createdAt: timestamp,
  })
  .openapi('LineUser');

export const GroupSchema = z
  .object({
    id: z.number().int(),
    lineGroupId: z.string(),
    sourceType: z.enum(['group', 'room']),
    groupName: z.string().nullable(),
    pictureUrl: z.string().nullable(),
    memberCount: z.number().int().nullable(),
    isActive: z.boolean(),
    allowAiResponse: z.boolean(),
    project: ProjectSchema.nullable(),
    joinedAt: timestamp.nullable(),
    leftAt: timestamp.nullable(),
  })
  .openapi('Group');

export const PatchGroupSchema = z
  .object({
    allowAiResponse: z.boolean().optional(),
    projectId: z.string().uuid().nullable().optional(),
  })
  .strict()
  .refine((v) => v.allowAiResponse !== undefined || v.projectId !== undefined, 'give allowAiResponse or projectId')
  .openapi('PatchGroup');

// ---- messages, files, inbox ------------------------------------------------------------------

export const MessageSchema = z
  .object({
    id: z.number().int(),
    messageId: z.string(),
    messageType: z.string(),
    sourceType: z.string(),
    content: z.string().nullable(),
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
    id: z.number().int(),
    messageId: z.string(),
    fileType: z.string(),
    fileName: z.string().nullable(),
    fileSize: z.number().int().nullable(),
    mimeType: z.string().nullable(),
    duration: z.number().int().nullable(),
    nasPath: z.string().nullable(),
    syncStatus: z.string(),
    lineUserId: z.string().nullable(),
    lineGroupId: z.string().nullable(),
    sentAt: timestamp,
    createdAt: timestamp,
  })
  .openapi('File');

export const EventStatus = z.enum(['processing', 'done', 'failed', 'dead']);
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
    payload: z.record(z.string(), z.unknown()),
  })
  .openapi('InboxEvent');

/** A page of results, newest first; pass `nextCursor` as `before` for the next page. */
export const page = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);

export { iso };
