/** Claude (Anthropic Messages API) emulator for local development and tests (Node only; see server.ts). */
export {
  startClaudeEmulator,
  type ClaudeEmulator,
  type ClaudeEmulatorOptions,
  type ClaudeEmulatorStats,
  type Delay,
  type Fault,
  type RecordedRequest,
  type ScriptedAnswer,
} from './server.ts';
export { defaultAnswer, lastUserText, PromptCache } from './answer.ts';
export { apiKeyOf, checkBody, checkHeaders, sniffImage, type Problem } from './validate.ts';
