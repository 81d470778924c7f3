/** LINE Messaging API emulator for local development and tests (Node only; see server.ts). */
export {
  generateContent,
  startLineEmulator,
  summarizeMessages,
  type EmulatorState,
  type Fault,
  type GeneratedContent,
  type LineEmulator,
  type LineEmulatorOptions,
  type RecordedRequest,
  type SeededContent,
  type SeededGroup,
  type SeededProfile,
  type SeededRoom,
} from './server.ts';
export {
  createOpenApiValidator,
  DEFAULT_SPEC_PATH,
  type OpenApiValidator,
  type OperationMatch,
  type ValidationDetail,
  type ValidationResult,
} from './openapi-validator.ts';
export {
  applySeed,
  groupIdOf,
  idFor,
  readSeedFile,
  roomIdOf,
  userIdOf,
  type EmulatorSeed,
  type SeedChat,
  type SeedUser,
} from './seed.ts';
export { describeEvent, formatTranscriptEntry, type Names, type TranscriptEntry } from './transcript.ts';
