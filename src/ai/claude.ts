/**
 * One Claude request through the official SDK: the answer's context, the transcript so far and
 * the tools; what comes back is only what the Workflow needs to keep (small, serialisable).
 *
 * Retries: the SDK retries 408/409/429/5xx/529 and network errors itself, honouring
 * `retry-after`; what it gives up on is retried by the Workflow step. Other 4xx are final.
 */
import Anthropic from '@anthropic-ai/sdk';
import { config, type ConfigEnv } from '../config';
import type { AnswerContext } from './types';

/** Tokens Claude may write per round: LINE answers are short (5 messages of 5000 characters at most). */
const MAX_OUTPUT_TOKENS = 2048;

export interface ClaudeRound {
  content: Anthropic.ContentBlock[];
  stopReason: string | null;
  usage: { inputTokens: number; outputTokens: number; cacheCreationInputTokens: number; cacheReadInputTokens: number };
  requestId: string | null;
  latencyMs: number;
}

export function createClaude(env: ConfigEnv): Anthropic {
  const c = config(env);
  return new Anthropic({
    apiKey: c.secrets.anthropicApiKey,
    baseURL: c.anthropicBaseUrl ?? undefined,
    maxRetries: 3,
    timeout: 120_000,
  });
}

export async function askClaude(
  client: Anthropic,
  context: Pick<AnswerContext, 'model' | 'system'>,
  messages: Anthropic.MessageParam[],
  tools: Anthropic.Tool[],
  options: { allowTools: boolean },
): Promise<ClaudeRound> {
  const started = Date.now();
  const { data, response } = await client.messages
    .create({
      model: context.model,
      max_tokens: MAX_OUTPUT_TOKENS,
      system: context.system,
      messages,
      ...(tools.length > 0
        ? { tools, tool_choice: options.allowTools ? { type: 'auto' as const } : { type: 'none' as const } }
        : {}),
    })
    .withResponse();
  return {
    content: data.content,
    stopReason: data.stop_reason,
    usage: {
      inputTokens: data.usage.input_tokens,
      outputTokens: data.usage.output_tokens,
      cacheCreationInputTokens: data.usage.cache_creation_input_tokens ?? 0,
      cacheReadInputTokens: data.usage.cache_read_input_tokens ?? 0,
    },
    requestId: response.headers.get('request-id'),
    latencyMs: Date.now() - started,
  };
}

/** Errors no retry can fix: a request Anthropic refuses (4xx other than 408/409/429). */
export function isFinalClaudeError(err: unknown): boolean {
  if (!(err instanceof Anthropic.APIError) || err instanceof Anthropic.APIConnectionError) return false;
  const status = err.status ?? 0;
  return status >= 400 && status < 500 && ![408, 409, 429].includes(status);
}

export const textOf = (content: Anthropic.ContentBlock[]): string =>
  content
    .filter((b): b is Anthropic.TextBlock => b.type === 'text')
    .map((b) => b.text)
    .join('\n')
    .trim();

export const toolUsesOf = (content: Anthropic.ContentBlock[]): Anthropic.ToolUseBlock[] =>
  content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
