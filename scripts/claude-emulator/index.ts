/** Claude (Anthropic Messages API) emulator for local development and tests (Node only; see server.ts). */
export {
  startClaudeEmulator,
  type ClaudeEmulator,
  type RecordedRequest,
} from './server.ts';
export { lastUserText } from './answer.ts';
