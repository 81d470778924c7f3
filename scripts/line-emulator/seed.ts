/**
 * A seed: the users, groups and rooms the emulator answers for, with names a person can type
 * (`npm run line -- text hi --user alice --group ops`). Kept in an editable JSON file.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EmulatorState } from './server.ts';

export interface SeedUser {
  /** Short name for the command line, e.g. "alice". */
  name: string;
  userId?: string;
  displayName?: string;
  pictureUrl?: string;
  statusMessage?: string;
  language?: string;
}
export interface SeedChat {
  name: string;
  /** groupId (C...) for groups, roomId (R...) for rooms. */
  id?: string;
  /** Groups only: the name LINE shows (default: `name`). */
  groupName?: string;
  pictureUrl?: string;
  /** Names of seed users in it; the member count is their number plus the bot, unless `count` says otherwise. */
  members?: string[];
  count?: number;
}
export interface EmulatorSeed {
  /** The bot's own user id: the webhook body's `destination`. */
  botUserId?: string;
  users?: SeedUser[];
  groups?: SeedChat[];
  rooms?: SeedChat[];
  /**
   * The month's push quota LINE states (`limited` with `value`, or `none`: the default) and the
   * use already counted (`totalUsage`, default 0). Over the limit, pushes are refused with 429.
   */
  quota?: { type?: 'none' | 'limited'; value?: number; totalUsage?: number };
}

export function readSeedFile(path: string): EmulatorSeed {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as EmulatorSeed;
  } catch (e) {
    throw new Error(`cannot read the emulator seed ${path}: ${(e as Error).message}`);
  }
}

/** A `--quota` option: a whole number (a limited quota) or `none`. */
export function parseQuota(text: string): number | 'none' {
  if (text === 'none') return 'none';
  const n = Number(text);
  if (!(text.trim() !== '' && Number.isInteger(n) && n >= 0))
    throw new Error(`--quota must be a whole number or none (got ${text})`);
  return n;
}

/** A stable LINE-shaped id for a name: prefix + 32 hex digits (U users, C groups, R rooms). */
export function idFor(prefix: 'U' | 'C' | 'R', name: string): string {
  return prefix + createHash('sha256').update(`${prefix}:${name}`).digest('hex').slice(0, 32);
}

export const userIdOf = (u: SeedUser) => u.userId ?? idFor('U', u.name);
export const groupIdOf = (g: SeedChat) => g.id ?? idFor('C', g.name);
export const roomIdOf = (r: SeedChat) => r.id ?? idFor('R', r.name);

/** Puts the seed's profiles, group summaries and member counts into the emulator's state. */
export function applySeed(state: EmulatorState, seed: EmulatorSeed): void {
  for (const u of seed.users ?? []) {
    state.profiles.set(userIdOf(u), {
      displayName: u.displayName ?? u.name,
      pictureUrl: u.pictureUrl,
      statusMessage: u.statusMessage,
      language: u.language,
    });
  }
  for (const g of seed.groups ?? []) {
    state.groups.set(groupIdOf(g), {
      groupName: g.groupName ?? g.name,
      pictureUrl: g.pictureUrl,
      count: g.count ?? (g.members ? g.members.length + 1 : undefined),
    });
  }
  for (const r of seed.rooms ?? []) {
    state.rooms.set(roomIdOf(r), { count: r.count ?? (r.members ? r.members.length + 1 : undefined), name: r.name });
  }
  if (seed.quota) {
    const totalUsage = seed.quota.totalUsage ?? 0;
    const limited = (seed.quota.type ?? (seed.quota.value === undefined ? 'none' : 'limited')) === 'limited';
    state.quota = limited
      ? { type: 'limited', value: seed.quota.value ?? 0, totalUsage }
      : { type: 'none', totalUsage };
  }
}
