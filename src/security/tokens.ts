/**
 * The bearer secrets (`ADMIN_API_TOKEN`, `NAS_AGENT_TOKEN`) must be long enough that no budget of
 * guesses the limiter allows could find them: 32 characters at least. A shorter one is refused
 * (its routes answer 503 and the log says why, once per isolate), except the local development
 * values of `.dev.vars.example`, which only ever guard a developer's own machine.
 */
import type { Logger } from '../lib/log';

export const MIN_TOKEN_LENGTH = 32;

export type SecretName = 'ADMIN_API_TOKEN' | 'NAS_AGENT_TOKEN';

/** `.dev.vars.example`'s values, each accepted for its own name only. */
const LOCAL_DEV_VALUES: Record<SecretName, string> = {
  ADMIN_API_TOKEN: 'local-dev-admin-token',
  NAS_AGENT_TOKEN: 'local-dev-nas-agent-token',
};

export type SecretState = { ok: true; token: string } | { ok: false; reason: 'unset' | 'too_short' };

/** Pure: is this value usable as that secret? */
export function secretState(name: SecretName, value: string | undefined): SecretState {
  if (!value) return { ok: false, reason: 'unset' };
  if (value.length < MIN_TOKEN_LENGTH && value !== LOCAL_DEV_VALUES[name]) return { ok: false, reason: 'too_short' };
  return { ok: true, token: value };
}

/** Said once per isolate and secret, not on every request. */
const reported = new Set<string>();

/** The secret, or why not (logged once per isolate: its name, length and the minimum, never the value). */
export function bearerSecret(name: SecretName, value: string | undefined, log: Logger): SecretState {
  const state = secretState(name, value);
  if (!state.ok && !reported.has(`${name}:${state.reason}`)) {
    reported.add(`${name}:${state.reason}`);
    log.error('auth.secret_refused', {
      secret: name,
      reason: state.reason,
      length: value?.length ?? 0,
      minLength: MIN_TOKEN_LENGTH,
    });
  }
  return state;
}

/** What a 503 says about it. */
export const secretProblem = (name: SecretName, state: Extract<SecretState, { ok: false }>) =>
  state.reason === 'unset'
    ? `${name} is not set: this route is off until it is`
    : `${name} is shorter than ${MIN_TOKEN_LENGTH} characters: this route is off until a longer one is set`;
