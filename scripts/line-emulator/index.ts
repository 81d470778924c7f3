/** LINE Messaging API emulator for local development and tests (Node only; see server.ts). */
export {
  generateContent,
  startLineEmulator,
  type LineEmulator,
} from './server.ts';
export {
  createOpenApiValidator,
  DEFAULT_SPEC_PATH,
} from './openapi-validator.ts';
export {
  groupIdOf,
  idFor,
  parseQuota,
  readSeedFile,
  roomIdOf,
  userIdOf,
  type EmulatorSeed,
  type SeedChat,
} from './seed.ts';
export { formatTranscriptEntry, type Names, type TranscriptEntry } from './transcript.ts';
