/** LINE Messaging API emulator for local development and tests (Node only; see server.ts). */
export {
  startLineEmulator,
  summarizeMessages,
  type EmulatorState,
  type Fault,
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
