/**
 * Shapes shared by the AI answer's parts: who is asking where (the only source of rights a tool
 * may use: never an id the model supplied), and what the model is given.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { Queryable } from '../db/client';
import type { BotLang } from '../messages/catalog';
import type { NasConfig } from '../nas/requests';

/** The asker and the chat, read from the answer's own row (line_ai_answers), never from the model. */
export interface AskerContext {
  answerId: string;
  /** line_users.id of the asker. */
  lineUserPk: string;
  /** line_groups.id of the group or room; null in a 1:1 chat. */
  chatPk: string | null;
  chatType: 'user' | 'group' | 'room';
  /** The project the group or room is bound to, if any. */
  projectId: string | null;
  /** line_messages.id of the question. */
  questionMessagePk: string;
}

/** What one Claude request is built from (the Workflow's "load context" step returns it). */
export interface AnswerContext {
  asker: AskerContext;
  /** The asker's language, for what the bot itself says (the apology); the model answers in the question's. */
  lang: BotLang;
  model: string;
  /** System prompt blocks: the stable first block carries `cache_control`; the final one (date, asker) none. */
  system: Anthropic.TextBlockParam[];
  /** History of this chat, oldest first, alternating user/assistant, ending with the question (a user turn). */
  messages: Anthropic.MessageParam[];
  /** LINE message ids of the asker's recent images to attach to the question (at most 3). */
  imageMessageIds: string[];
}

export interface ToolDeps {
  db: Queryable;
  /** NAS sends (send_nas_file); default: NAS_SEND_MAX_BYTES' default, no public origin. */
  nas?: NasConfig;
}

/** A tool the model may call: a name, a JSON schema, and a function of the asker's context. */
export interface AiTool {
  name: string;
  description: string;
  input_schema: Anthropic.Tool.InputSchema;
  /** Returns the text given back to the model as the tool_result; throws ToolInputError for bad input. */
  run(deps: ToolDeps, asker: AskerContext, input: unknown): Promise<string>;
}

/** The model's input did not fit the tool: told back to the model as an error result, not a failure. */
export class ToolInputError extends Error {
  override readonly name = 'ToolInputError';
}
