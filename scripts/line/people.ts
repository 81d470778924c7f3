/**
 * Names a person types (`--user alice --group ops`) to LINE ids, from the emulator's seed file.
 * A name the seed does not know gets a stable id derived from it, and the emulator is told its
 * name so profiles, the transcript and the database show it.
 */
import { groupIdOf, idFor, roomIdOf, userIdOf, type EmulatorSeed, type SeedChat } from '../line-emulator/index.ts';
import type { Mentionable } from './events.ts';

export interface Person {
  userId: string;
  name: string;
  displayName: string;
  /** Not in the seed: the emulator must be told about it. */
  adHoc: boolean;
}
export interface Chat {
  type: 'group' | 'room';
  id: string;
  name: string;
  adHoc: boolean;
}

const DEFAULT_BOT_ID = 'U00000000000000000000000000000b07';
const looksLikeId = (s: string, prefix: string) => new RegExp(`^${prefix}[0-9a-f]{32}$`).test(s);

export class Directory {
  constructor(private readonly seed: EmulatorSeed) {}

  get botUserId(): string {
    return this.seed.botUserId ?? DEFAULT_BOT_ID;
  }

  user(nameOrId: string): Person {
    const key = nameOrId.toLowerCase();
    const u = (this.seed.users ?? []).find(
      (x) => x.name.toLowerCase() === key || x.displayName?.toLowerCase() === key || userIdOf(x) === nameOrId,
    );
    if (u) return { userId: userIdOf(u), name: u.name, displayName: u.displayName ?? u.name, adHoc: false };
    const userId = looksLikeId(nameOrId, 'U') ? nameOrId : idFor('U', nameOrId);
    return { userId, name: nameOrId, displayName: nameOrId, adHoc: true };
  }

  chat(type: 'group' | 'room', nameOrId: string): Chat {
    const list: SeedChat[] = (type === 'group' ? this.seed.groups : this.seed.rooms) ?? [];
    const idOf = type === 'group' ? groupIdOf : roomIdOf;
    const key = nameOrId.toLowerCase();
    const c = list.find(
      (x) => x.name.toLowerCase() === key || x.groupName?.toLowerCase() === key || idOf(x) === nameOrId,
    );
    if (c) return { type, id: idOf(c), name: c.groupName ?? c.name, adHoc: false };
    const prefix = type === 'group' ? 'C' : 'R';
    const id = looksLikeId(nameOrId, prefix) ? nameOrId : idFor(prefix, nameOrId);
    return { type, id, name: nameOrId, adHoc: true };
  }

  /** Who `@name` can mention: every seed user by short name and first name, and the bot as `@bot`. */
  mentionable(): Mentionable[] {
    const users = (this.seed.users ?? []).map((u) => ({
      names: [u.name, ...(u.displayName ? [u.displayName.split(/\s+/)[0]!] : [])],
      userId: userIdOf(u),
    }));
    return [...users, { names: ['bot'], userId: this.botUserId, isSelf: true }];
  }
}
