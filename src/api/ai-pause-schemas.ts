/**
 * The shapes of the AI pauses (an operator takes over a chat from the AI): the management API's
 * `/ai-pauses`, `PUT|DELETE /groups/{id}/ai-pause` and `/line-users/{id}/ai-pause`.
 */
import { z } from '@hono/zod-openapi';

/** The longest pause with a duration: 30 days (longer is "until resumed"). */
const MAX_PAUSE_HOURS = 720;

const timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-28T09:00:00.000Z' });

export const AiPauseSchema = z
  .object({
    chatType: z.enum(['group', 'user']).openapi({ description: '`group` (a group or room) or `user` (a 1:1 chat)' }),
    groupId: z.string().nullable().openapi({ description: 'the group or room (uuid); null for a 1:1 chat' }),
    lineUserId: z.string().nullable().openapi({ description: "the 1:1 chat's LINE user (uuid); null for a group" }),
    pausedAt: timestamp,
    pausedUntil: timestamp.nullable().openapi({ description: 'null: until resumed' }),
    pausedBy: z.string().openapi({ description: 'the console operator, or `api`' }),
    noticeSentAt: timestamp
      .nullable()
      .openapi({ description: 'when the chat was told, once per pause, that a person is handling it' }),
  })
  .openapi('AiPause');

export const SetAiPauseSchema = z
  .strictObject({
    hours: z
      .number()
      .int()
      .min(1)
      .max(MAX_PAUSE_HOURS)
      .nullable()
      .openapi({ description: `hours from now (1-${MAX_PAUSE_HOURS}); null: until resumed`, example: 4 }),
  })
  .openapi('SetAiPause');
