/**
 * The tools the model may call, in one registry: each is a name, a JSON schema and a function of
 * the asker's context (AskerContext), never of ids the model supplies.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { clip } from './context';
import { eachLine } from './quote';
import { getProject } from './tools/get-project';
import { searchNasFilesTool } from './tools/nas-search';
import { sendNasFileTool } from './tools/nas-send';
import { searchChatHistory } from './tools/search-chat-history';
import { ToolInputError, type AiTool, type AskerContext, type ToolDeps } from './types';

export const aiTools: AiTool[] = [searchChatHistory, getProject, searchNasFilesTool, sendNasFileTool];

/** Every tool_result stays small: the model's context and the answer's cost are bounded. */
export const MAX_TOOL_RESULT_CHARS = 8000;

/**
 * The tools as the Messages API takes them. Tools come first in the cached prefix; the breakpoint
 * on the last one caches them all (the system prompt's own breakpoint then extends the prefix).
 */
export function toolDefinitions(tools: AiTool[] = aiTools): Anthropic.Tool[] {
  return tools.map((t, i) => ({
    name: t.name,
    description: t.description,
    input_schema: t.input_schema,
    ...(i === tools.length - 1 ? { cache_control: { type: 'ephemeral' as const } } : {}),
  }));
}

export interface ToolResult {
  content: string;
  isError: boolean;
}

/**
 * Runs one tool_use. The model's mistakes (an unknown tool, input that does not fit) come back as
 * an error result it can correct; real failures (the database is down) throw, so the step retries.
 */
export async function runTool(
  deps: ToolDeps,
  asker: AskerContext,
  name: string,
  input: unknown,
  tools: AiTool[] = aiTools,
): Promise<ToolResult> {
  const tool = tools.find((t) => t.name === name);
  if (!tool) {
    const known = tools.map((t) => t.name).join(', ');
    return { content: `Unknown tool "${clip(name, 64)}". Available tools: ${known}.`, isError: true };
  }
  try {
    // Each tool makes stored names one line; this keeps any bidi or control character out of every result.
    return { content: capToolResult(eachLine(await tool.run(deps, asker, input))), isError: false };
  } catch (err) {
    if (err instanceof ToolInputError)
      return { content: capToolResult(`Invalid input for ${name}: ${err.message}`), isError: true };
    throw err;
  }
}

const TRUNCATED = '\n…[truncated]';

/** At most MAX_TOOL_RESULT_CHARS, marked when cut (never half a surrogate pair). */
export function capToolResult(text: string): string {
  if (text.length <= MAX_TOOL_RESULT_CHARS) return text;
  return text.slice(0, MAX_TOOL_RESULT_CHARS - TRUNCATED.length).replace(/[\uD800-\uDBFF]$/, '') + TRUNCATED;
}
