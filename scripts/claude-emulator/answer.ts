/**
 * What the emulated Claude says, and what it would bill. Answers are deterministic so tests can
 * assert on them: the reply names the question and how long the history was, a trigger word makes
 * it call a tool, and the answer after a tool_result quotes the result. Token figures are a
 * deterministic estimate (~3 characters a token), with Anthropic's prompt-caching arithmetic.
 */
import { createHash, randomBytes } from 'node:crypto';
import type {
  ContentBlock,
  MessageCreateParamsBase,
  StopReason,
  Tool,
  Usage,
} from '@anthropic-ai/sdk/resources/messages';
import { contentBlocks } from './validate.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A request that passed validation: shapes can be trusted. */
export type ValidRequest = MessageCreateParamsBase;

export interface Answer {
  content: ContentBlock[];
  stop_reason: StopReason;
  /** How the emulator chose it, for the records and stats. */
  kind: 'text' | 'tool_use' | 'scripted';
}

export const newId = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;
const text = (t: string): ContentBlock => ({ type: 'text', text: t, citations: null });
const toolUse = (name: string, input: unknown, id = newId('toolu_')): ContentBlock => ({
  type: 'tool_use',
  id,
  name,
  input,
  caller: { type: 'direct' },
});

const TRIGGER = /搜尋|search/i;
const TOOL_COMMAND = /\/tool\s+([A-Za-z0-9_-]+)\s*([\s\S]*)$/;
const QUOTE_CHARS = 60;

/** The text of the latest user message that has any (a tool_result-only turn is skipped): the question. */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!isObject(m) || m.role !== 'user') continue;
    const t = textOf(contentBlocks(m.content) ?? []);
    if (t !== '') return t;
  }
  return '';
}

function textOf(blocks: unknown[]): string {
  return blocks
    .filter((b): b is Json => isObject(b) && b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n');
}

/** The emulator's own answer to a valid request. */
export function defaultAnswer(req: ValidRequest): Answer {
  const n = req.messages.length;
  const question = lastUserText(req.messages);
  const last = req.messages[n - 1]!;
  const lastBlocks = (contentBlocks(last.content) ?? []) as Json[];
  const tail = `（對話紀錄 ${n} 則）`;

  // After a tool round: quote what each tool returned, so a test sees the output reached the model.
  const results = last.role === 'user' ? lastBlocks.filter((b) => b.type === 'tool_result') : [];
  if (results.length > 0) {
    const previous = (contentBlocks(req.messages[n - 2]?.content) ?? []) as Json[];
    const quotes = results.map((r) => {
      const name = previous.find((b) => b.type === 'tool_use' && b.id === r.tool_use_id)?.name ?? '工具';
      const output = typeof r.content === 'string' ? r.content : textOf(Array.isArray(r.content) ? r.content : []);
      return `${String(name)}${r.is_error ? ' 回報錯誤' : ' 回傳'}：「${output.slice(0, QUOTE_CHARS)}」`;
    });
    return {
      kind: 'text',
      stop_reason: 'end_turn',
      content: [text(`（模擬回覆）收到：「${question}」，${quotes.join('；')}${tail}`)],
    };
  }

  const tools = (req.tools ?? []).filter((t): t is Tool => isObject(t) && typeof (t as Tool).input_schema === 'object');
  const toolsAllowed = tools.length > 0 && req.tool_choice?.type !== 'none' && last.role === 'user';
  if (toolsAllowed) {
    const call = toolCallFor(question, tools);
    if (typeof call === 'string')
      return { kind: 'text', stop_reason: 'end_turn', content: [text(`（模擬回覆）${call}${tail}`)] };
    if (call)
      return {
        kind: 'tool_use',
        stop_reason: 'tool_use',
        content: [text('（模擬回覆）讓我查一下。'), toolUse(call.name, call.input)],
      };
  }

  const images = lastBlocks.filter((b) => b.type === 'image').length;
  const withImages = images > 0 ? `（附圖 ${images} 張）` : '';
  return {
    kind: 'text',
    stop_reason: 'end_turn',
    content: [text(`（模擬回覆）收到：「${question}」${withImages}${tail}`)],
  };
}

/**
 * The tool the question asks for: `/tool <name> <json>` calls any offered tool (tests); 搜尋 or
 * "search" calls search_chat_history with the words after it. A string is a problem to answer with.
 */
function toolCallFor(question: string, tools: Tool[]): { name: string; input: unknown } | string | undefined {
  const command = TOOL_COMMAND.exec(question);
  if (command) {
    const [, name, json] = command as unknown as [string, string, string];
    if (!tools.some((t) => t.name === name)) return `沒有名為 ${name} 的工具`;
    try {
      const input = json.trim() === '' ? {} : JSON.parse(json);
      return isObject(input) ? { name, input } : `/tool 的參數必須是 JSON 物件`;
    } catch {
      return `/tool 的參數不是有效的 JSON：${json}`;
    }
  }
  const search = tools.find((t) => t.name === 'search_chat_history');
  const trigger = TRIGGER.exec(question);
  if (!search || !trigger) return undefined;
  const trim = (s: string) => s.replace(/^[\s:：,，、。!！?？「」"'@]+|[\s:：,，、。!！?？「」"']+$/g, '');
  const keywords = trim(question.slice(trigger.index + trigger[0].length)) || trim(question.replace(TRIGGER, ' '));
  // Follow the tool's own schema: a list of words or one string.
  const schema = (search.input_schema.properties as Json | undefined)?.keywords;
  const asList = isObject(schema) && schema.type === 'array';
  return { name: search.name, input: { keywords: asList ? keywords.split(/[\s,，、]+/).filter(Boolean) : keywords } };
}

/** Fills what a scripted block may leave out (ids, citations) so it is a valid response block. */
export function completeBlock(block: Json): ContentBlock {
  if (block.type === 'text') return text(String(block.text ?? ''));
  if (block.type === 'tool_use')
    return toolUse(String(block.name), block.input ?? {}, typeof block.id === 'string' ? block.id : undefined);
  return block as unknown as ContentBlock;
}

/** Cuts a text answer at max_tokens, as the model would stop there. */
export function limitToMaxTokens(answer: Answer, maxTokens: number): Answer {
  if (outputTokens(answer.content) <= maxTokens) return answer;
  const content: ContentBlock[] = [];
  let budget = maxTokens * CHARS_PER_TOKEN;
  for (const block of answer.content) {
    if (budget <= 0) break;
    if (block.type !== 'text') continue; // a tool call cut short is dropped, not sent half-formed
    content.push(text(block.text.slice(0, budget)));
    budget -= block.text.length;
  }
  return { ...answer, content, stop_reason: 'max_tokens' };
}

// ---------------------------------------------------------------------------------------------
// Tokens and prompt caching

const CHARS_PER_TOKEN = 3;
/** Anthropic bills an image by its pixels (~1.15 MP is ~1,600 tokens); we do not decode images. */
const IMAGE_TOKENS = 1600;
/** How many blocks before a breakpoint Anthropic looks back for an earlier cache entry. */
const LOOKBACK_BLOCKS = 20;

export function outputTokens(content: ContentBlock[]): number {
  const chars = content.reduce((n, b) => n + (b.type === 'text' ? b.text.length : JSON.stringify(b).length), 0);
  return Math.max(1, Math.ceil(chars / CHARS_PER_TOKEN));
}

interface Segment {
  /** The block's content without its cache_control (moving a breakpoint keeps the prefix). */
  key: string;
  tokens: number;
  ttl?: '5m' | '1h';
}

/** The prompt as Anthropic caches it: tools, then system, then messages, block by block. */
function segmentsOf(req: ValidRequest): Segment[] {
  const out: Segment[] = [];
  const add = (block: unknown, prefix = '') => {
    const { cache_control, ...rest } = (isObject(block) ? block : { text: block }) as Json;
    const key = prefix + JSON.stringify(rest, (k, v) => (k === 'data' && typeof v === 'string' ? sha256(v) : v));
    const images = (key.match(/"type":"image"/g) ?? []).length;
    const ttl = isObject(cache_control) ? ((cache_control.ttl as '5m' | '1h' | undefined) ?? '5m') : undefined;
    out.push({ key, tokens: Math.ceil(key.length / CHARS_PER_TOKEN) + images * IMAGE_TOKENS, ttl });
  };
  for (const tool of req.tools ?? []) add(tool, 'tool:');
  if (typeof req.system === 'string') add(req.system, 'system:');
  else for (const block of req.system ?? []) add(block, 'system:');
  for (const m of req.messages) for (const block of contentBlocks(m.content) ?? []) add(block, `${m.role}:`);
  // Top-level cache_control marks the last block.
  if (isObject(req.cache_control) && out.length > 0) out[out.length - 1]!.ttl ??= req.cache_control.ttl ?? '5m';
  return out;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 };

/**
 * Anthropic's cache, per emulator: an entry per prefix ending at a breakpoint, kept for its TTL
 * and refreshed when read. A request reads the longest cached prefix it shares (looking back up to
 * 20 blocks from each breakpoint) and writes every later breakpoint.
 */
export class PromptCache {
  private entries = new Map<string, { expires: number; ttl: '5m' | '1h' }>();

  constructor(
    /** Prefixes shorter than this are not cached (Anthropic: 1024 to 4096 tokens, by model). */
    private readonly minTokens = 0,
    private readonly now: () => number = Date.now,
  ) {}

  clear(): void {
    this.entries.clear();
  }

  usage(req: ValidRequest, output: number): Usage {
    const segments = segmentsOf(req);
    const hashes: string[] = [];
    const cumulative: number[] = [];
    segments.forEach((s, i) => {
      hashes.push(sha256(`${hashes[i - 1] ?? req.model}\u0000${s.key}`));
      cumulative.push((cumulative[i - 1] ?? 0) + s.tokens);
    });
    const total = cumulative[cumulative.length - 1] ?? 0;
    const breakpoints = segments.flatMap((s, i) => (s.ttl ? [i] : []));
    const now = this.now();
    const live = (i: number) => (this.entries.get(hashes[i]!)?.expires ?? 0) > now;

    let hit = -1;
    for (const b of [...breakpoints].reverse()) {
      for (let p = b; p >= Math.max(0, b - LOOKBACK_BLOCKS + 1) && hit < 0; p--) if (live(p)) hit = p;
      if (hit >= 0) break;
    }
    if (hit >= 0) {
      const entry = this.entries.get(hashes[hit]!)!;
      entry.expires = now + TTL_MS[entry.ttl];
    }

    const created = { '5m': 0, '1h': 0 };
    let cachedTo = hit;
    for (const b of breakpoints) {
      if (b <= cachedTo || cumulative[b]! < this.minTokens) continue;
      const ttl = segments[b]!.ttl!;
      created[ttl] += cumulative[b]! - (cachedTo >= 0 ? cumulative[cachedTo]! : 0);
      this.entries.set(hashes[b]!, { expires: now + TTL_MS[ttl], ttl });
      cachedTo = b;
    }
    const read = hit >= 0 ? cumulative[hit]! : 0;
    const creation = created['5m'] + created['1h'];
    return {
      input_tokens: total - read - creation,
      output_tokens: output,
      cache_creation_input_tokens: creation,
      cache_read_input_tokens: read,
      cache_creation: { ephemeral_5m_input_tokens: created['5m'], ephemeral_1h_input_tokens: created['1h'] },
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
    };
  }
}
