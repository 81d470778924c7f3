/**
 * Checks a Messages API request the way Anthropic does, so the bot's tests fail where production
 * would. Wording follows Anthropic's error messages where they are known (`messages.1.content.0: …`);
 * a few rules are deliberately stricter than Anthropic (marked STRICTER): the bot must send clean,
 * alternating turns and LINE images as base64.
 *
 * Every check returns problems instead of throwing: all of them are recorded, the first is answered.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ContentBlockParam, MessageCreateParamsBase, Tool } from '@anthropic-ai/sdk/resources/messages';
import type { ErrorType } from '@anthropic-ai/sdk/resources/shared';
import { Ajv2020 } from 'ajv/dist/2020.js';

export interface Problem {
  status: number;
  /** Anthropic's `error.type`; `request_too_large` is one Anthropic uses that the SDK's union lacks. */
  type: ErrorType | 'request_too_large';
  message: string;
}

export interface Limits {
  /** Anthropic measures the 5 MB image limit on the base64 string, not on the decoded bytes. */
  maxImageBase64: number;
}
export const DEFAULT_LIMITS: Limits = { maxImageBase64: 5 * 1024 * 1024 };
export const MAX_BODY_BYTES = 32 * 1024 * 1024; // Messages API request size limit
const MAX_CACHE_BREAKPOINTS = 4;

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const TOOL_USE_ID = /^[a-zA-Z0-9_-]+$/;
const MODEL_ID = /^claude-[a-z0-9][a-z0-9.-]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

// `satisfies Record<…>` makes these lists exactly the SDK's: an SDK upgrade that adds a parameter
// or block type fails `npm run typecheck` here instead of the emulator refusing valid requests.
const PARAMS = {
  max_tokens: 1,
  messages: 1,
  model: 1,
  cache_control: 1,
  container: 1,
  diagnostics: 1,
  inference_geo: 1,
  metadata: 1,
  output_config: 1,
  service_tier: 1,
  speed: 1,
  stop_sequences: 1,
  stream: 1,
  system: 1,
  thinking: 1,
  tool_choice: 1,
  tools: 1,
  user_profile_id: 1,
  workspace_id: 1,
} satisfies Record<keyof MessageCreateParamsBase, 1>;
const BLOCK_TYPES = {
  text: 1,
  image: 1,
  document: 1,
  search_result: 1,
  thinking: 1,
  redacted_thinking: 1,
  tool_use: 1,
  tool_result: 1,
  server_tool_use: 1,
  web_search_tool_result: 1,
  web_fetch_tool_result: 1,
  code_execution_tool_result: 1,
  bash_code_execution_tool_result: 1,
  text_editor_code_execution_tool_result: 1,
  tool_search_tool_result: 1,
  container_upload: 1,
} satisfies Record<ContentBlockParam['type'], 1>;
const TOOL_KEYS = {
  input_schema: 1,
  name: 1,
  allowed_callers: 1,
  cache_control: 1,
  defer_loading: 1,
  description: 1,
  eager_input_streaming: 1,
  input_examples: 1,
  strict: 1,
  type: 1,
} satisfies Record<keyof Tool, 1>;

const ajv = new Ajv2020({ strict: false, validateFormats: false });

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const invalid = (message: string): Problem => ({ status: 400, type: 'invalid_request_error', message });

/** The API key, from `x-api-key` or `Authorization: Bearer` (the SDK 1.x sends the latter). */
function apiKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const xKey = headers['x-api-key'];
  if (typeof xKey === 'string' && xKey.trim() !== '') return xKey.trim();
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return bearer?.[1];
}

export function checkHeaders(headers: IncomingHttpHeaders, expectedKey?: string): Problem[] {
  const problems: Problem[] = [];
  const key = apiKeyOf(headers);
  if (key === undefined)
    problems.push({ status: 401, type: 'authentication_error', message: 'x-api-key header is required' });
  else if (expectedKey !== undefined && key !== expectedKey)
    problems.push({ status: 401, type: 'authentication_error', message: 'invalid x-api-key' });
  const version = headers['anthropic-version'];
  if (typeof version !== 'string' || version.trim() === '')
    problems.push(invalid('anthropic-version: header is required'));
  else if (!/^\d{4}-\d{2}-\d{2}$/.test(version.trim()))
    problems.push(invalid(`anthropic-version: invalid version ${JSON.stringify(version)}`));
  return problems;
}

/** Every problem of a parsed request body, in the order Anthropic would report them. */
export function checkBody(body: unknown, limits: Limits = DEFAULT_LIMITS): Problem[] {
  if (!isObject(body)) return [invalid('Request body must be a JSON object')];
  const out: string[] = [];
  const notFound: Problem[] = [];

  for (const key of Object.keys(body)) if (!(key in PARAMS)) out.push(`${key}: Extra inputs are not permitted`);
  if (body.stream === true)
    out.push('stream: streaming is not emulated by the local Claude emulator; omit `stream` or send false');

  if (body.model === undefined) out.push('model: Field required');
  else if (typeof body.model !== 'string') out.push('model: Input should be a valid string');
  else if (!MODEL_ID.test(body.model))
    notFound.push({ status: 404, type: 'not_found_error', message: `model: ${body.model}` });

  if (body.max_tokens === undefined) out.push('max_tokens: Field required');
  else if (!Number.isInteger(body.max_tokens)) out.push('max_tokens: Input should be a valid integer');
  else if ((body.max_tokens as number) < 0) out.push('max_tokens: Input should be greater than or equal to 0');

  checkSystem(body.system, out);
  const toolNames = checkTools(body.tools, out);
  checkToolChoice(body.tool_choice, toolNames, out);
  checkMessages(body.messages, toolNames !== undefined, limits, out);
  checkCacheControl(body, out);

  return [...out.map(invalid), ...notFound];
}

function checkSystem(system: unknown, out: string[]): void {
  if (system === undefined || typeof system === 'string') return;
  if (!Array.isArray(system)) return void out.push('system: Input should be a valid string or a list of text blocks');
  system.forEach((block, k) => {
    if (!isObject(block) || block.type !== 'text') out.push(`system.${k}.type: Input should be 'text'`);
    else if (typeof block.text !== 'string' || block.text === '')
      out.push(`system.${k}: text content blocks must be non-empty`);
  });
}

/** The names of the offered tools, or undefined when the request offers none. */
function checkTools(tools: unknown, out: string[]): Set<string> | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) return void out.push('tools: Input should be a valid list');
  const names = new Set<string>();
  tools.forEach((tool, k) => {
    if (!isObject(tool)) return void out.push(`tools.${k}: Input should be a valid dictionary`);
    const name = tool.name;
    if (typeof name !== 'string') return void out.push(`tools.${k}.name: Field required`);
    if (names.has(name)) out.push('tools: Tool names must be unique.');
    names.add(name);
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') return; // a server tool: not modelled
    const at = `tools.${k}.custom`;
    for (const key of Object.keys(tool))
      if (!(key in TOOL_KEYS)) out.push(`${at}.${key}: Extra inputs are not permitted`);
    if (!TOOL_NAME.test(name)) out.push(`${at}.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
    if (tool.description !== undefined && typeof tool.description !== 'string')
      out.push(`${at}.description: Input should be a valid string`);
    const schema = tool.input_schema;
    if (!isObject(schema)) return void out.push(`${at}.input_schema: Input should be a valid dictionary`);
    if (schema.type !== 'object') return void out.push(`${at}.input_schema.type: Input should be 'object'`);
    try {
      ajv.compile(schema);
    } catch {
      out.push(
        `${at}.input_schema: JSON schema is invalid - please consult https://json-schema.org or our documentation at https://docs.anthropic.com/en/docs/tool-use`,
      );
    }
  });
  return names;
}

function checkToolChoice(choice: unknown, tools: Set<string> | undefined, out: string[]): void {
  if (choice === undefined) return;
  if (!isObject(choice) || !['auto', 'any', 'tool', 'none'].includes(choice.type as string)) {
    return void out.push("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
  }
  if (choice.type === 'tool' && !tools?.has(choice.name as string)) {
    out.push(`tool_choice.name: Tool '${String(choice.name)}' not found in provided tools`);
  }
}

function checkMessages(messages: unknown, toolsOffered: boolean, limits: Limits, out: string[]): void {
  if (messages === undefined) return void out.push('messages: Field required');
  if (!Array.isArray(messages)) return void out.push('messages: Input should be a valid list');
  if (messages.length === 0) return void out.push('messages: List should have at least 1 item after validation, not 0');

  let usesTools = false;
  const seenToolUseIds = new Set<string>();
  /** tool_use ids of the previous assistant message that still need a tool_result. */
  let owed: string[] = [];
  let owedBy = -1;

  messages.forEach((message, i) => {
    if (!isObject(message)) return void out.push(`messages.${i}: Input should be a valid dictionary`);
    const role = message.role;
    if (role === 'system') {
      return void out.push(
        `messages.${i}.role: system messages are not emulated; use the top-level "system" parameter`,
      );
    }
    if (role !== 'user' && role !== 'assistant')
      return void out.push(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    // STRICTER: Anthropic merges consecutive same-role turns; the bot must build proper turns itself.
    if (i === 0 && role !== 'user') out.push('messages: first message must use the "user" role');
    const previous = messages[i - 1] as Json | undefined;
    if (i > 0 && isObject(previous) && previous.role === role) {
      out.push(
        `messages: roles must alternate between "user" and "assistant", but found multiple "${role}" roles in a row`,
      );
    }

    const blocks = contentBlocks(message.content);
    const isFinalAssistant = role === 'assistant' && i === messages.length - 1;
    if (blocks === undefined)
      return void out.push(`messages.${i}.content: Input should be a valid string or a list of content blocks`);
    if (blocks.length === 0 && !isFinalAssistant) {
      out.push(
        `messages.${i}: all messages must have non-empty content except for the optional final assistant message`,
      );
    }

    const answered = new Set<string>();
    let sawOtherBlock = false;
    blocks.forEach((block, j) => {
      const at = `messages.${i}.content.${j}`;
      if (!isObject(block) || typeof block.type !== 'string') return void out.push(`${at}.type: Field required`);
      if (!(block.type in BLOCK_TYPES)) {
        return void out.push(
          `${at}.type: Input tag '${block.type}' found using 'type' does not match any of the expected tags`,
        );
      }
      if (block.type === 'text') checkText(block, at, out);
      else if (block.type === 'image') {
        if (role !== 'user') out.push(`${at}: image blocks are only allowed in "user" messages`);
        checkImage(block, at, limits, out);
      } else if (block.type === 'tool_use') {
        usesTools = true;
        if (role !== 'assistant')
          return void out.push(`${at}: tool_use blocks are only allowed in "assistant" messages`);
        if (typeof block.id !== 'string' || !TOOL_USE_ID.test(block.id))
          out.push(`${at}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
        else if (seenToolUseIds.has(block.id)) out.push(`${at}: \`tool_use\` ids must be unique`);
        else seenToolUseIds.add(block.id);
        if (typeof block.name !== 'string') out.push(`${at}.tool_use.name: Field required`);
        if (!isObject(block.input)) out.push(`${at}.tool_use.input: Input should be a valid dictionary`);
      } else if (block.type === 'tool_result') {
        usesTools = true;
        if (role !== 'user') return void out.push(`${at}: tool_result blocks are only allowed in "user" messages`);
        if (sawOtherBlock)
          out.push(`messages.${i}.content: tool_result blocks must come first in the content, before any other blocks`);
        const id = block.tool_use_id;
        if (typeof id !== 'string' || owedBy !== i - 1 || !owed.includes(id)) {
          out.push(
            `${at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(id)}. ` +
              'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
          );
        } else answered.add(id);
        checkToolResultContent(block.content, at, limits, out);
      }
      if (block.type !== 'tool_result') sawOtherBlock = true;
    });

    // The previous assistant message's tool_use ids must all be answered here, immediately after.
    if (owedBy === i - 1 && owed.length > 0) {
      const missing = owed.filter((id) => !answered.has(id));
      if (missing.length > 0) out.push(toolUseWithoutResult(owedBy, missing));
    }
    owed =
      role === 'assistant'
        ? blocks.filter((b) => isObject(b) && b.type === 'tool_use').map((b) => String((b as Json).id))
        : [];
    owedBy = i;
  });
  // A final assistant message that calls a tool can never be answered.
  if (owed.length > 0) out.push(toolUseWithoutResult(owedBy, owed));
  if (usesTools && !toolsOffered)
    out.push('Requests which include `tool_use` or `tool_result` blocks must define tools.');
}

const toolUseWithoutResult = (i: number, ids: string[]) =>
  `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${ids.join(', ')}. ` +
  'Each `tool_use` block must have a corresponding `tool_result` block in the next message.';

/** A message's content as blocks (a string is one text block), or undefined when malformed. */
export function contentBlocks(content: unknown): unknown[] | undefined {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return Array.isArray(content) ? content : undefined;
}

function checkText(block: Json, at: string, out: string[]): void {
  if (typeof block.text !== 'string') out.push(`${at}.text: Field required`);
  else if (block.text === '') out.push(`${at}: text content blocks must be non-empty`);
}

function checkToolResultContent(content: unknown, at: string, limits: Limits, out: string[]): void {
  if (content === undefined || typeof content === 'string') return;
  if (!Array.isArray(content))
    return void out.push(`${at}.content: Input should be a valid string or a list of content blocks`);
  content.forEach((block, n) => {
    const inner = `${at}.content.${n}`;
    if (!isObject(block)) return void out.push(`${inner}: Input should be a valid dictionary`);
    if (block.type === 'text') checkText(block, inner, out);
    else if (block.type === 'image') checkImage(block, inner, limits, out);
    else if (!['search_result', 'document', 'tool_reference', 'browser_state'].includes(block.type as string)) {
      out.push(
        `${inner}.type: Input tag '${String(block.type)}' found using 'type' does not match any of the expected tags`,
      );
    }
  });
}

function checkImage(block: Json, at: string, limits: Limits, out: string[]): void {
  const source = block.source;
  if (!isObject(source)) return void out.push(`${at}.source: Field required`);
  // STRICTER: Anthropic also takes url and file sources; the bot sends LINE content as base64.
  if (source.type !== 'base64')
    return void out.push(`${at}.source.type: the Claude emulator accepts base64 image sources only`);
  const mediaType = source.media_type;
  if (typeof mediaType !== 'string' || !IMAGE_TYPES.includes(mediaType)) {
    return void out.push(
      `${at}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`,
    );
  }
  const data = source.data;
  if (typeof data !== 'string' || data.length === 0 || data.length % 4 !== 0 || !BASE64.test(data)) {
    return void out.push(`${at}.source.base64.data: Invalid base64 data`);
  }
  if (data.length > limits.maxImageBase64) {
    const mb = Math.round(limits.maxImageBase64 / 1024 / 1024);
    return void out.push(
      `${at}.source.base64: image exceeds ${mb} MB maximum: ${data.length} bytes > ${limits.maxImageBase64} bytes`,
    );
  }
  const actual = sniffImage(Buffer.from(data.slice(0, 24), 'base64'));
  if (actual === undefined)
    out.push(
      `${at}.source.base64.data: The image was specified using the ${mediaType} media type, but does not appear to be a valid image`,
    );
  else if (actual !== mediaType)
    out.push(
      `${at}.source.base64.data: The image was specified using the ${mediaType} media type, but the image appears to be a ${actual} image`,
    );
}

/** The media type the bytes' magic number says, for the four image types Anthropic takes. */
function sniffImage(head: Buffer): string | undefined {
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (/^GIF8[79]a/.test(head.subarray(0, 6).toString('latin1'))) return 'image/gif';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  return undefined;
}

/** Every cache_control marker in prompt order (tools, system, messages; the top-level one last). */
function breakpointsOf(body: Json): { path: string; value: unknown }[] {
  const found: { path: string; value: unknown }[] = [];
  const visit = (block: unknown, path: string) => {
    if (isObject(block) && block.cache_control !== undefined && block.cache_control !== null)
      found.push({ path, value: block.cache_control });
  };
  if (Array.isArray(body.tools)) body.tools.forEach((t, k) => visit(t, `tools.${k}`));
  if (Array.isArray(body.system)) body.system.forEach((b, k) => visit(b, `system.${k}`));
  if (Array.isArray(body.messages)) {
    body.messages.forEach((m, i) => {
      if (!isObject(m) || !Array.isArray(m.content)) return;
      m.content.forEach((b, j) => {
        visit(b, `messages.${i}.content.${j}`);
        if (isObject(b) && Array.isArray(b.content))
          b.content.forEach((inner, n) => visit(inner, `messages.${i}.content.${j}.content.${n}`));
      });
    });
  }
  visit(body, 'cache_control');
  return found;
}

function checkCacheControl(body: Json, out: string[]): void {
  const markers = breakpointsOf(body);
  let sawShort = false;
  for (const { path, value } of markers) {
    if (!isObject(value) || value.type !== 'ephemeral') {
      out.push(`${path}.cache_control.type: Input should be 'ephemeral'`);
      continue;
    }
    if (value.ttl !== undefined && value.ttl !== '5m' && value.ttl !== '1h')
      out.push(`${path}.cache_control.ttl: Input should be '5m' or '1h'`);
    if (value.ttl === '1h' && sawShort)
      out.push(`${path}.cache_control: a ttl='1h' cache_control block must not come after a ttl='5m' one`);
    if (value.ttl !== '1h') sawShort = true;
  }
  if (markers.length > MAX_CACHE_BREAKPOINTS) {
    out.push(
      `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${markers.length}.`,
    );
  }
}
