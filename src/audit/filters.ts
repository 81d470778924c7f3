/**
 * The audit trail's filters as a query string gives them, one definition for `GET /audit` and the
 * console's audit screen: the action (one action, or a family by its dotted prefix), the operator
 * (exact, or a prefix ending with `*`), the account, the chat (a group or room, or a LINE user).
 */
import { z } from '@hono/zod-openapi';
import { ChatRef, Cursor, Text, UserId } from '../api/schemas';
import { auditActions } from './record';

/** A family of actions: dotted words ending with the dot (`nas.`, `console.`). */
const ACTION_PREFIX = /^[a-z][a-z_]*\.(?:[a-z][a-z_]*\.)*$/;

const AuditActionFilter = z
  .string()
  .max(64)
  .refine(
    (v) => (auditActions as readonly string[]).includes(v) || ACTION_PREFIX.test(v),
    'must be a known action, or a prefix ending with a dot (nas.)',
  )
  .openapi({
    description: `one action (${auditActions.join(', ')}), or every action of a family by its dotted prefix (\`nas.\`, \`binding.\`)`,
    example: 'nas.',
  });

const OperatorFilter = Text(256).openapi({
  description:
    'the console operator (Access e-mail, `token:<session>`) or `api`, exactly; ending with `*`, every operator starting with the rest (`token:*`)',
  example: 'alice@example.com',
});

/** The filters (without the page size, which the API takes and the console fixes). */
export const auditFilterQuery = {
  action: AuditActionFilter.optional(),
  operator: OperatorFilter.optional(),
  userId: UserId.optional().openapi({ description: 'the company account that acted' }),
  groupId: ChatRef,
  lineUserId: ChatRef.openapi({
    description:
      "a LINE user (our UUID or LINE's U... id): what they did, in any chat, and what was done to their 1:1 chat",
  }),
  before: Cursor,
};
