/**
 * Access control: for an incoming message, what the bot may do. One pure function, so the whole
 * policy is a table that tests can walk row by row. The one policy module: the bot's commands, the
 * NAS search and delivery, the AI's tools, the taps on buttons (an AI offer; a `/find` entry,
 * decided as `/send <n>`) and the console's resume and retry of an announcement all ask it, so it
 * imports none of them.
 *
 * | who                        | where        | commands                                   | AI reply                          |
 * |----------------------------|--------------|--------------------------------------------|-----------------------------------|
 * | unbound                    | 1:1          | bind code, /help, /unbind; other text gets | never                             |
 * |                            |              | a binding prompt at most once a day        |                                   |
 * | unbound                    | group / room | silence (nothing is answered)              | never                             |
 * | bound member               | 1:1          | all 1:1 commands, /reset, /find, /send     | every other text                  |
 * | bound member               | group / room | /help, /project, /reset, /find, /send;     | if allow_ai_response and the text |
 * |                            |              | bind|unbind are refused                    | is addressed to the bot           |
 * | bound admin                | group / room | everything, /project bind|unbind included  | as for members                    |
 *
 * Addressed to the bot (src/ai/addressing.ts): LINE's mention of it (`isSelf`), a quote of one of
 * its messages, or `@name` for a name in BOT_NAMES. Unaddressed group chatter is silence.
 * Binding codes are never checked in groups (a code posted to a group is as good as leaked).
 * An operator may pause the AI in a chat (take over, src/domain/ai-pauses.ts): what would be an AI
 * reply is then `paused` (stored, no Claude call); commands still run.
 * Every message is stored whatever the policy says; the AI daily limit is applied after it.
 *
 * NAS search scope (`/find`, `/send`, the AI's search_nas_files and send_nas_file, and the delivery of
 * a file, checked again when the NAS has uploaded it), `nasScopeFor`; membership is project_members
 * (role member or manager: both search alike), kept current by the company system's admin API:
 *
 * | who              | where        | searches                                                            |
 * |------------------|--------------|---------------------------------------------------------------------|
 * | unbound          | anywhere     | nothing (1:1: the binding prompt; group: silence, as `decide` says) |
 * | bound admin      | 1:1          | every share (every file in nas_files)                               |
 * | bound, not admin | 1:1          | the folders of every project the account is a member of (projects   |
 * |                  |              | without a valid folder ignored); none: "you are in no project"      |
 * | member of P or   | group / room | the folder of P, the chat's project (projects.nas_folder), and      |
 * | bound admin      | bound to P   | below; P without a valid folder: "ask an admin to set it"           |
 * | bound, not a     | group / room | nothing: "you are not a member of P; an administrator adds members" |
 * | member of P      | bound to P   |                                                                     |
 * | bound            | group / room | nothing: "bind a project"                                           |
 * |                  | no project   |                                                                     |
 */
import { parseNasFolder, type NasFolder } from './nas-folder.ts';

export type ChatType = 'user' | 'group' | 'room';

/** A command as src/bot/commands.ts parses it from what the user typed. */
export type Command =
  | { kind: 'bind'; code: string }
  | { kind: 'unbind' }
  | { kind: 'help' }
  /** Start the AI's history of this chat anew. */
  | { kind: 'reset' }
  | { kind: 'project'; action: 'show' }
  | { kind: 'project'; action: 'bind'; target: string }
  | { kind: 'project'; action: 'unbind' }
  /** Search the NAS: the words as typed (src/nas/search.ts parses them). */
  | { kind: 'find'; text: string }
  /** Send file `index` (1-based) of this chat's last /find list; null when no number was given. */
  | { kind: 'send'; index: number | null };

/** Where an asker may search: every share, or only under some folders (a group's project folder, or the folders of the asker's projects). */
export type NasScope = { kind: 'all' } | { kind: 'folders'; folders: NasFolder[] };

export interface PolicyInput {
  chatType: ChatType;
  /** The sender's company account, if their LINE identity is bound. */
  account: { role: 'admin' | 'member' } | null;
  command: Command | null;
  /** Group or room setting `allow_ai_response`. */
  groupAllowsAi: boolean;
  /** The message is addressed to the bot: mention, quote of a bot message, or `@name`. */
  addressedToBot: boolean;
  /** An unbound user was already prompted to bind within the last day. */
  promptedRecently: boolean;
  /** An operator has paused the AI in this chat (a pause in force now). */
  aiPaused: boolean;
}

export type Action =
  /** Run the command. */
  | { kind: 'command'; command: Command }
  /** Tell the user this command is not theirs to run. */
  | { kind: 'refuse'; command: Command }
  /** Tell an unbound 1:1 user how to bind. */
  | { kind: 'bindingPrompt' }
  /** Answer with Claude (src/ai/). */
  | { kind: 'ai' }
  /** Would be answered with Claude, but an operator has paused the AI here: stored, not answered. */
  | { kind: 'paused' }
  /** Store the message, say nothing. */
  | { kind: 'silence' };

export function decide(input: PolicyInput): Action {
  const { chatType, account, command } = input;
  const inGroup = chatType !== 'user';

  if (!account && inGroup) return { kind: 'silence' };

  if (command) {
    switch (command.kind) {
      case 'bind':
      case 'unbind':
        // Binding happens only in a 1:1 chat.
        return inGroup ? { kind: 'silence' } : { kind: 'command', command };
      case 'help':
        return { kind: 'command', command };
      case 'reset':
        // Only the AI's users have a history to reset; an unbound 1:1 user hears how to bind.
        if (account) return { kind: 'command', command };
        break;
      case 'find':
      case 'send':
        // For bound users; the unbound hear how to bind (1:1) or nothing (groups, above).
        if (account) return { kind: 'command', command };
        break;
      case 'project':
        if (!inGroup) return { kind: 'command', command }; // answered with "use it in a group"
        if (command.action === 'show') return { kind: 'command', command };
        return account?.role === 'admin' ? { kind: 'command', command } : { kind: 'refuse', command };
    }
  }

  if (!account) return input.promptedRecently ? { kind: 'silence' } : { kind: 'bindingPrompt' };
  const ai = { kind: input.aiPaused ? 'paused' : 'ai' } as const;
  if (!inGroup) return ai;
  return input.groupAllowsAi && input.addressedToBot ? ai : { kind: 'silence' };
}

/** What /help lists for this user in this chat: the commands `decide` would run for them. */
export function availableCommands(chatType: ChatType, account: PolicyInput['account']): string[] {
  const inGroup = chatType !== 'user';
  if (!account) return inGroup ? [] : ['bind', 'help'];
  if (!inGroup) return ['find', 'send', 'unbind', 'reset', 'help'];
  return account.role === 'admin'
    ? ['find', 'send', 'project', 'projectBind', 'projectUnbind', 'reset', 'help']
    : ['find', 'send', 'project', 'reset', 'help'];
}

export interface NasProjectFolder {
  name: string;
  nasFolder: string | null;
}

export interface NasScopeInput {
  chatType: ChatType;
  account: PolicyInput['account'];
  /**
   * The project the group or room is bound to now, and whether the asker's account is a member of
   * it (any role). Null: none; always null in a 1:1 chat.
   */
  project: (NasProjectFolder & { askerIsMember: boolean }) | null;
  /** 1:1 chat: the projects the asker's account is a member of now (ignored in groups). */
  memberOf: NasProjectFolder[];
}

export type NasScopeDecision =
  | { kind: 'scope'; scope: NasScope }
  | { kind: 'unbound' }
  /** A group or room without a project: bind one first. */
  | { kind: 'noProject' }
  /** The project has no (valid) NAS folder: an admin must set it. */
  | { kind: 'noFolder'; projectName: string }
  /** A group or room bound to a project the asker is not a member of: an administrator adds members. */
  | { kind: 'notMember'; projectName: string }
  /**
   * A 1:1 chat of an account in no project with a folder; `withoutFolder` names the projects it is
   * a member of whose folder is unset (empty: it is in no project at all).
   */
  | { kind: 'noProjects'; withoutFolder: string[] };

/** Where this asker may search and send from, in this chat. */
export function nasScopeFor(input: NasScopeInput): NasScopeDecision {
  if (!input.account) return { kind: 'unbound' };
  const admin = input.account.role === 'admin';
  if (input.chatType === 'user') {
    if (admin) return { kind: 'scope', scope: { kind: 'all' } };
    const folders: NasFolder[] = [];
    const withoutFolder: string[] = [];
    for (const p of input.memberOf) {
      // Parsed again here: a folder written around the API's validation must not widen the search.
      const folder = parseNasFolder(p.nasFolder);
      if (!folder) withoutFolder.push(p.name);
      else if (!folders.some((f) => f.share === folder.share && f.prefix === folder.prefix)) folders.push(folder);
    }
    return folders.length > 0
      ? { kind: 'scope', scope: { kind: 'folders', folders } }
      : { kind: 'noProjects', withoutFolder };
  }
  if (!input.project) return { kind: 'noProject' };
  // Before the folder: a non-member learns nothing about the project's folder.
  if (!admin && !input.project.askerIsMember) return { kind: 'notMember', projectName: input.project.name };
  const folder = parseNasFolder(input.project.nasFolder);
  if (!folder) return { kind: 'noFolder', projectName: input.project.name };
  return { kind: 'scope', scope: { kind: 'folders', folders: [folder] } };
}

/**
 * Whether a file (its share and its path inside the share) lies in the scope: the same rule as
 * src/nas/search.ts `scopeCondition` (under a prefix means below `prefix/`), for a file already
 * chosen, when it is delivered.
 */
export function fileWithinScope(scope: NasScope, file: { share: string; path: string }): boolean {
  if (scope.kind === 'all') return true;
  return scope.folders.some((f) => f.share === file.share && (f.prefix === '' || file.path.startsWith(`${f.prefix}/`)));
}

/**
 * A tap on an AI file offer's button (a postback `offer:<id>`), `offerTapFor`: the file is sent
 * only for the asker, in the chat it was offered in, once, within 30 minutes; the asker's NAS
 * scope is checked again after this (`nasScopeFor`, the file still indexed unchanged).
 *
 * | tap                                          | outcome                                            |
 * |----------------------------------------------|----------------------------------------------------|
 * | no such offer, or offered in another chat    | `unknown`: silence (forged or edited data)         |
 * | by someone other than the asker, bound       | `notAsker`: nothing changes, one short reply       |
 * | by someone other than the asker, unbound     | `ignore`: silence (groups never answer the unbound)|
 * | by the asker, already sent                   | `alreadySent`: nothing sent again                  |
 * | by the asker, after expires_at               | `expired`: nothing sent, search again              |
 * | by the asker, in time                        | `send`, if the scope check that follows allows it  |
 */
export interface OfferTapInput {
  /** The tapper's line_users.id (null: never seen) and whether they are bound to an account now. */
  tapper: { lineUserPk: string | null; bound: boolean };
  /** line_groups.id of the chat the tap came from; null for a 1:1 chat. */
  chatPk: string | null;
  /** The offer the data names, as stored; `expired` by Postgres' clock. */
  offer: { lineUserPk: string; chatPk: string | null; expired: boolean; tapped: boolean } | null;
}

export type OfferTapDecision = { kind: 'unknown' | 'notAsker' | 'ignore' | 'alreadySent' | 'expired' | 'send' };

export function offerTapFor(input: OfferTapInput): OfferTapDecision {
  const { tapper, offer } = input;
  if (!offer || offer.chatPk !== input.chatPk) return { kind: 'unknown' };
  if (tapper.lineUserPk === null || tapper.lineUserPk !== offer.lineUserPk)
    return { kind: tapper.bound ? 'notAsker' : 'ignore' };
  if (offer.tapped) return { kind: 'alreadySent' };
  if (offer.expired) return { kind: 'expired' };
  return { kind: 'send' };
}

/**
 * A tap on a late answer's 取得回答 button (a postback `answer:<id>`, src/ai/late.ts), `answerTapFor`:
 * only the asker's tap, in the answer's chat, delivers it. The answer was made with the asker's
 * rights (their history, their project's files, file offers only they may tap) and mentions them;
 * in a group it would reach the others all the same, but whether and when it is shown is the
 * asker's call, as it would have been had they asked in a 1:1 chat.
 *
 * | tap                                                   | outcome                                      |
 * |-------------------------------------------------------|----------------------------------------------|
 * | no such answer, another chat's (a 1:1 answer's chat   | `unknown`: silence (forged or edited data)   |
 * | is the asker's own), or no notice was sent            |                                              |
 * | by someone other than the asker, bound                | `notAsker`: nothing changes, one short reply |
 * | by someone other than the asker, unbound              | `ignore`: silence                            |
 * | by the asker, the question unsent since               | `withdrawn`: nothing to deliver              |
 * | by the asker, already delivered                       | `alreadyDelivered`                           |
 * | by the asker, Claude still working                    | `notReady`: the button again                 |
 * | by the asker, the answer waiting                      | `deliver`, by reply with the tap's token     |
 */
export interface AnswerTapInput {
  tapper: { lineUserPk: string | null; bound: boolean };
  chatPk: string | null;
  /** The answer the data names, as stored. */
  answer: {
    lineUserPk: string;
    chatPk: string | null;
    noticeSent: boolean;
    unsent: boolean;
    delivered: boolean;
    ready: boolean;
  } | null;
}

export type AnswerTapDecision = {
  kind: 'unknown' | 'notAsker' | 'ignore' | 'withdrawn' | 'alreadyDelivered' | 'notReady' | 'deliver';
};

export function answerTapFor(input: AnswerTapInput): AnswerTapDecision {
  const { tapper, answer } = input;
  if (!answer || answer.chatPk !== input.chatPk || !answer.noticeSent) return { kind: 'unknown' };
  // In a 1:1 chat the chat is the asker's: anyone else's tap came from another chat.
  if (answer.chatPk === null && tapper.lineUserPk !== answer.lineUserPk) return { kind: 'unknown' };
  if (tapper.lineUserPk === null || tapper.lineUserPk !== answer.lineUserPk)
    return { kind: tapper.bound ? 'notAsker' : 'ignore' };
  if (answer.unsent) return { kind: 'withdrawn' };
  if (answer.delivered) return { kind: 'alreadyDelivered' };
  if (!answer.ready) return { kind: 'notReady' };
  return { kind: 'deliver' };
}

/**
 * The NAS files a console operator may send into a chat as the bot, `operatorNasScopeFor`: what
 * the chat's own people may get there, never more. The console's operators run the bot, so no
 * membership is asked of them; the chat decides.
 *
 * | chat                        | the operator may send                                                 |
 * |-----------------------------|-----------------------------------------------------------------------|
 * | group / room bound to P     | the folder of P (none while P has no valid folder)                    |
 * | group / room, no project    | nothing: "bind a project"                                             |
 * | 1:1 chat                    | what the user may get there (`nasScopeFor`): nothing while unbound,   |
 * |                             | the folders of their projects, every share for an admin account       |
 */
export interface OperatorNasScopeInput {
  chatType: ChatType;
  /** Group or room: the project it is bound to now. */
  project: NasProjectFolder | null;
  /** 1:1 chat: the user's account and projects, as `nasScopeFor` takes them. */
  recipient: Pick<NasScopeInput, 'account' | 'memberOf'>;
}

export function operatorNasScopeFor(input: OperatorNasScopeInput): NasScopeDecision {
  if (input.chatType === 'user') return nasScopeFor({ chatType: 'user', project: null, ...input.recipient });
  return nasScopeFor({
    chatType: input.chatType,
    // As an admin of the chat would: the project's folder, no membership asked.
    account: { role: 'admin' },
    project: input.project && { ...input.project, askerIsMember: true },
    memberOf: [],
  });
}

/**
 * A console operator's resume or retry of an announcement (src/domain/announcements.ts),
 * `announcementActionFor`. The console's operators run the bot, so no right is asked of them: the
 * announcement as it is now decides, never what the form carried. Every row goes out again with
 * its own id (the same retry key: a chat LINE already got a message in is not sent it twice), and
 * a file row is checked against the chat's folder again (`operatorNasScopeFor`) when it is sent.
 *
 * | action | the announcement                                               | outcome                         |
 * |--------|----------------------------------------------------------------|---------------------------------|
 * | resume | `paused` (a push refused for the month's quota)                | `allow`: the rest goes out      |
 * | resume | `sending` or `done` (resumed already, or never paused)         | `notPaused`                     |
 * | retry  | `paused`                                                       | `paused`: send the rest first   |
 * | retry  | `sending` or `done`, with rows LINE refused (a file row: only  | `allow`: those rows go out once |
 * |        | one never handed to the NAS; the NAS's delivery is its own)    | more                            |
 * | retry  | `sending` or `done`, no such row                               | `nothingToRetry`                |
 */
export interface AnnouncementActionInput {
  action: 'resume' | 'retry';
  status: 'sending' | 'paused' | 'done';
  /** Its failed rows that may be sent again. */
  retryable: number;
}

export type AnnouncementActionDecision = { kind: 'allow' | 'notPaused' | 'paused' | 'nothingToRetry' };

export function announcementActionFor(input: AnnouncementActionInput): AnnouncementActionDecision {
  if (input.action === 'resume') return { kind: input.status === 'paused' ? 'allow' : 'notPaused' };
  if (input.status === 'paused') return { kind: 'paused' };
  return { kind: input.retryable > 0 ? 'allow' : 'nothingToRetry' };
}
