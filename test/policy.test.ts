/** The access policy and command parsing, row by row (pure functions, no I/O). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/bot/commands';
import { addressing } from '../src/ai/addressing';
import {
  announcementActionFor,
  type AnnouncementActionDecision,
  type AnnouncementActionInput,
  availableCommands,
  decide,
  fileWithinScope,
  nasScopeFor,
  offerTapFor,
  operatorNasScopeFor,
  type OperatorNasScopeInput,
  answerTapFor,
  type AnswerTapDecision,
  type AnswerTapInput,
  type Action,
  type Command,
  type ChatType,
  type NasScopeDecision,
  type NasScope,
  type NasScopeInput,
  type OfferTapDecision,
  type OfferTapInput,
  type PolicyInput,
} from '../src/access/policy';

const admin = { role: 'admin' as const };
const member = { role: 'member' as const };
const none = null;

const bind: Command = { kind: 'bind', code: 'K7M2QX9PA' };
const unbind: Command = { kind: 'unbind' };
const help: Command = { kind: 'help' };
const show: Command = { kind: 'project', action: 'show' };
const projectBind: Command = { kind: 'project', action: 'bind', target: 'Alpha' };
const projectUnbind: Command = { kind: 'project', action: 'unbind' };
const reset: Command = { kind: 'reset' };
const find: Command = { kind: 'find', text: '報價單' };
const send: Command = { kind: 'send', index: 1 };

type Row = [
  who: string,
  chat: ChatType,
  account: PolicyInput['account'],
  command: Command | null,
  extra: Partial<PolicyInput>,
  expected: Action['kind'],
];

// Every row of the policy: who, where, what they sent -> what the bot does.
const table: Row[] = [
  // unbound users, 1:1
  ['unbound', 'user', none, bind, {}, 'command'],
  ['unbound', 'user', none, unbind, {}, 'command'],
  ['unbound', 'user', none, help, {}, 'command'],
  ['unbound', 'user', none, show, {}, 'command'],
  ['unbound', 'user', none, null, {}, 'bindingPrompt'],
  ['unbound, prompted today', 'user', none, null, { promptedRecently: true }, 'silence'],
  ['unbound: /reset is not theirs, they hear how to bind', 'user', none, reset, {}, 'bindingPrompt'],
  ['unbound, addressed', 'user', none, null, { addressedToBot: true }, 'bindingPrompt'],
  // unbound users in groups and rooms: silence, whatever they send
  ['unbound', 'group', none, bind, {}, 'silence'],
  ['unbound', 'group', none, help, {}, 'silence'],
  ['unbound', 'group', none, show, {}, 'silence'],
  ['unbound', 'group', none, projectBind, {}, 'silence'],
  ['unbound', 'group', none, null, { groupAllowsAi: true, addressedToBot: true }, 'silence'],
  ['unbound', 'room', none, help, {}, 'silence'],
  ['unbound', 'room', none, null, {}, 'silence'],
  ['unbound', 'group', none, reset, {}, 'silence'],
  // bound members, 1:1
  ['member', 'user', member, bind, {}, 'command'],
  ['member', 'user', member, unbind, {}, 'command'],
  ['member', 'user', member, help, {}, 'command'],
  ['member', 'user', member, null, {}, 'ai'],
  ['member, 1:1 needs no address', 'user', member, null, { addressedToBot: false, groupAllowsAi: false }, 'ai'],
  ['member', 'user', member, reset, {}, 'command'],
  // bound members in groups
  ['member', 'group', member, bind, {}, 'silence'],
  ['member', 'group', member, unbind, {}, 'silence'],
  ['member', 'group', member, help, {}, 'command'],
  ['member', 'group', member, show, {}, 'command'],
  ['member', 'group', member, projectBind, {}, 'refuse'],
  ['member', 'group', member, projectUnbind, {}, 'refuse'],
  ['member', 'group', member, null, {}, 'silence'],
  ['member', 'group', member, reset, {}, 'command'],
  ['member, AI on, /reset addressed', 'group', member, reset, { groupAllowsAi: true, addressedToBot: true }, 'command'],
  ['member, mention, AI off', 'group', member, null, { addressedToBot: true }, 'silence'],
  ['member, AI on, no mention', 'group', member, null, { groupAllowsAi: true }, 'silence'],
  ['member, AI on, mention', 'group', member, null, { groupAllowsAi: true, addressedToBot: true }, 'ai'],
  ['member, AI on, mention', 'room', member, null, { groupAllowsAi: true, addressedToBot: true }, 'ai'],
  ['member, AI off, mention', 'room', member, null, { groupAllowsAi: false, addressedToBot: true }, 'silence'],
  ['member, AI on, no address', 'room', member, null, { groupAllowsAi: true }, 'silence'],
  // bound admins in groups
  ['admin', 'group', admin, show, {}, 'command'],
  ['admin', 'group', admin, projectBind, {}, 'command'],
  ['admin', 'group', admin, projectUnbind, {}, 'command'],
  ['admin', 'room', admin, projectBind, {}, 'command'],
  ['admin', 'group', admin, bind, {}, 'silence'],
  ['admin', 'group', admin, null, {}, 'silence'],
  ['admin, AI on, mention', 'group', admin, null, { groupAllowsAi: true, addressedToBot: true }, 'ai'],
  ['admin', 'user', admin, projectBind, {}, 'command'],
  // NAS: /find and /send are for bound users anywhere (the scope rule below says where they search)
  ['unbound: /find, they hear how to bind', 'user', none, find, {}, 'bindingPrompt'],
  ['unbound: /send, they hear how to bind', 'user', none, send, {}, 'bindingPrompt'],
  ['unbound, prompted today: /find', 'user', none, find, { promptedRecently: true }, 'silence'],
  ['unbound', 'group', none, find, {}, 'silence'],
  ['unbound', 'room', none, send, {}, 'silence'],
  ['member', 'user', member, find, {}, 'command'],
  ['member', 'user', member, send, {}, 'command'],
  ['member', 'group', member, find, {}, 'command'],
  ['member', 'group', member, send, {}, 'command'],
  ['member', 'room', member, find, {}, 'command'],
  ['admin', 'group', admin, send, {}, 'command'],
  // the AI paused by an operator: what would be an AI reply is `paused`; commands and silence stay
  ['member, paused', 'user', member, null, { aiPaused: true }, 'paused'],
  ['member, paused: commands still run', 'user', member, find, { aiPaused: true }, 'command'],
  [
    'member, paused, AI on, mention',
    'group',
    member,
    null,
    { aiPaused: true, groupAllowsAi: true, addressedToBot: true },
    'paused',
  ],
  ['member, paused, AI off, mention', 'group', member, null, { aiPaused: true, addressedToBot: true }, 'silence'],
  ['member, paused, AI on, no address', 'room', member, null, { aiPaused: true, groupAllowsAi: true }, 'silence'],
  ['unbound, paused', 'user', none, null, { aiPaused: true }, 'bindingPrompt'],
  [
    'unbound, paused, AI on, mention',
    'group',
    none,
    null,
    { aiPaused: true, groupAllowsAi: true, addressedToBot: true },
    'silence',
  ],
];

describe('decide', () => {
  it.each(table)('%s in a %s chat sending %o (%o) -> %s', (_who, chatType, account, command, extra, expected) => {
    const action = decide({
      chatType,
      account,
      command,
      groupAllowsAi: false,
      addressedToBot: false,
      promptedRecently: false,
      aiPaused: false,
      ...extra,
    });
    expect(action.kind).toBe(expected);
    if (action.kind === 'command' || action.kind === 'refuse') expect(action.command).toBe(command);
  });
});

describe('availableCommands (what /help lists)', () => {
  it.each([
    ['user', none, ['bind', 'help']],
    ['group', none, []],
    ['user', member, ['find', 'send', 'unbind', 'reset', 'help']],
    ['group', member, ['find', 'send', 'project', 'reset', 'help']],
    ['room', member, ['find', 'send', 'project', 'reset', 'help']],
    ['group', admin, ['find', 'send', 'project', 'projectBind', 'projectUnbind', 'reset', 'help']],
  ] as const)('%s chat, %o', (chatType, account, expected) => {
    expect(availableCommands(chatType, account)).toEqual(expected);
  });
});

describe('parseCommand', () => {
  it.each([
    ['K7M-2QX-9PA', bind],
    ['  k7m2qx9pa ', bind],
    ['/bind K7M-2QX-9PA', bind],
    ['/BIND   K7M 2QX 9PA', bind],
    ['ｋ７ｍ－２ｑｘ－９ｐａ', bind], // full-width forms from a CJK keyboard
    ['123456', null], // the old six-digit codes
    ['K7M-2QX-9PAA', null],
    ['my code is K7M-2QX-9PA', null],
    ['/bind', help], // the rich menu's 綁定 button: help says how to bind
    ['/綁定', help],
    ['/unbind', unbind],
    ['/help', help],
    ['/說明', help],
    ['／help', help],
    ['/project', show],
    ['/project bind Alpha', projectBind],
    ['/project bind   Alpha  ', projectBind],
    ['/project unbind', projectUnbind],
    ['/projects', null],
    ['/reset', { kind: 'reset' }],
    ['新對話', { kind: 'reset' }],
    ['/新對話', { kind: 'reset' }],
    ['／ＲＥＳＥＴ', { kind: 'reset' }],
    ['reset', null],
    ['hello', null],
    ['/find 報價單', find],
    ['/find   報價單  ', find],
    ['/FIND 報價單', find],
    ['／ｆｉｎｄ　報價單', find], // full-width slash, letters and space
    ['/找 報價單', find],
    ['/找報價單', find],
    ['/搜尋 報價單', find],
    ['/find', { kind: 'find', text: '' }],
    ['/find 平面圖 type:pdf', { kind: 'find', text: '平面圖 type:pdf' }],
    ['/finder x', null],
    ['find 報價單', null],
    ['/send 1', send],
    ['/send1', send],
    ['/SEND  1 ', send],
    ['／ｓｅｎｄ　１', send],
    ['/傳 1', send],
    ['/傳送 1', send],
    ['/send #1', send],
    ['/send 10', { kind: 'send', index: 10 }],
    ['/send', { kind: 'send', index: null }],
    ['/send one', { kind: 'send', index: null }],
    ['/send -1', { kind: 'send', index: null }],
    ['/send 1.5', { kind: 'send', index: null }],
    ['/sender', null],
  ] as const)('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });
});

describe('property: any text a LINE user can type', () => {
  // Unicode with the characters that break naive parsers: NUL, lone surrogates, full-width forms,
  // RTL marks, combining marks, and the command words themselves.
  const pieces = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '/bind',
      '/unbind',
      '/help',
      '/說明',
      '/project',
      '/find',
      '/找',
      '/send',
      '/傳',
      'type:pdf',
      'bind',
      'unbind',
      '／',
      '１２３４５６',
      '123456',
      ' ',
      '\n',
      '\u0000',
      '\ud800',
      '\udfff',
      '\u202e',
      'e\u0301',
    ),
  );
  const texts = fc.array(pieces, { maxLength: 6 }).map((parts) => parts.join(''));

  it('parseCommand never throws and returns a well-formed command or null', () => {
    fc.assert(
      fc.property(texts, (text) => {
        const command = parseCommand(text);
        if (command === null) return;
        expect(['bind', 'unbind', 'help', 'project', 'reset', 'find', 'send']).toContain(command.kind);
        if (command.kind === 'send' && command.index !== null)
          expect(Number.isInteger(command.index) && command.index >= 0).toBe(true);
        // A code in its stored form, or '' for what came after /bind and cannot be one.
        if (command.kind === 'bind') expect(command.code).toMatch(/^([2-9A-HJKMNP-Z]{9})?$/);
        if (command.kind === 'project' && command.action === 'bind') expect(command.target.trim()).not.toBe('');
      }),
      { numRuns: 2000 },
    );
  });

  it('decide is total, never binds in a group, and never lets an unbound user speak in a group', () => {
    const inputs = fc.record({
      chatType: fc.constantFrom<ChatType>('user', 'group', 'room'),
      account: fc.constantFrom(admin, member, none),
      text: texts,
      groupAllowsAi: fc.boolean(),
      addressedToBot: fc.boolean(),
      promptedRecently: fc.boolean(),
      aiPaused: fc.boolean(),
    });
    fc.assert(
      fc.property(inputs, ({ text, ...rest }) => {
        const action = decide({ ...rest, command: parseCommand(text) });
        expect(['command', 'refuse', 'bindingPrompt', 'ai', 'paused', 'silence']).toContain(action.kind);
        // A paused chat never reaches Claude; a chat that is not paused is never told it is.
        if (rest.aiPaused) expect(action.kind).not.toBe('ai');
        else expect(action.kind).not.toBe('paused');
        const inGroup = rest.chatType !== 'user';
        if (inGroup && action.kind === 'command') expect(['bind', 'unbind']).not.toContain(action.command.kind);
        if (inGroup && !rest.account) expect(action.kind).toBe('silence');
        if (action.kind === 'bindingPrompt') expect(inGroup || rest.account !== null).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('addressing (is a group message meant for the bot?)', () => {
  // BOT_NAMES '小幫手, @Helper ,' as src/config reads it (test/settings.test.ts).
  const names = ['小幫手', 'Helper'];
  it.each([
    [
      'LINE mention of the bot',
      '@小幫手 明天開會嗎',
      { mentionees: [{ index: 0, length: 4, isSelf: true, type: 'user' }] },
      false,
      true,
      '明天開會嗎',
    ],
    [
      'a mention of someone else only',
      '@阿明 明天開會嗎',
      { mentionees: [{ index: 0, length: 3, type: 'user', userId: 'U1' }] },
      false,
      false,
      '@阿明 明天開會嗎',
    ],
    ['typed @name without metadata', '@小幫手 報價單在哪', null, false, true, '報價單在哪'],
    ['typed @name, other case, mid-text', '請問 @helper, where is it?', null, false, true, '請問 , where is it?'],
    ['a name inside another word is not an address', 'email me @helperbot', null, false, false, 'email me @helperbot'],
    ['a quote of a bot message', '那明天呢', null, true, true, '那明天呢'],
    ['plain chatter', '午餐吃什麼', null, false, false, '午餐吃什麼'],
    [
      'isSelf with an index out of range still addresses, text kept',
      'hi',
      { mentionees: [{ index: 5, length: 9, isSelf: true }] },
      false,
      true,
      'hi',
    ],
    [
      'two mentions of the bot',
      '@小幫手 @小幫手 hi',
      {
        mentionees: [
          { index: 0, length: 4, isSelf: true },
          { index: 5, length: 4, isSelf: true },
        ],
      },
      false,
      true,
      'hi',
    ],
  ] as const)('%s', (_what, text, mention, quotesBot, addressed, question) => {
    expect(addressing(text, mention, names, quotesBot)).toEqual({ addressed, question });
  });

  it('property: never throws, the question is never longer than the text, regex characters in names are literal', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
        fc.boolean(),
        (text, botNames, quotes) => {
          const r = addressing(
            text,
            { mentionees: [{ index: 0, length: 2, isSelf: true }] },
            botNames.filter(Boolean),
            quotes,
          );
          expect(r.question.length).toBeLessThanOrEqual(text.length);
          expect(r.addressed).toBe(true);
        },
      ),
    );
    expect(addressing('@a.b hi', null, ['a.b'], false).addressed).toBe(true);
    expect(addressing('@axb hi', null, ['a.b'], false).addressed).toBe(false);
  });
});

describe('nasScopeFor (where /find, /send, the NAS tools and a delivery may look)', () => {
  // The chat's project, and whether the asker is one of its members.
  const p = (nasFolder: string | null, askerIsMember = true) => ({ name: '大安案', nasFolder, askerIsMember });
  const mine = (name: string, nasFolder: string | null) => ({ name, nasFolder });
  type ScopeRow = [
    who: string,
    chat: ChatType,
    account: NasScopeInput['account'],
    project: NasScopeInput['project'],
    memberOf: NasScopeInput['memberOf'],
    expected: NasScopeDecision,
  ];
  const all: NasScopeDecision = { kind: 'scope', scope: { kind: 'all' } };
  const folders = (...fs: Array<[string, string]>): NasScopeDecision => ({
    kind: 'scope',
    scope: { kind: 'folders', folders: fs.map(([share, prefix]) => ({ share, prefix })) },
  });
  const folder = (share: string, prefix: string) => folders([share, prefix]);
  const notMember: NasScopeDecision = { kind: 'notMember', projectName: '大安案' };
  const rows: ScopeRow[] = [
    ['unbound, 1:1', 'user', none, null, [], { kind: 'unbound' }],
    [
      'unbound, 1:1, memberships left over from an account',
      'user',
      none,
      null,
      [mine('A', 'projects/A')],
      { kind: 'unbound' },
    ],
    ['unbound, group with a folder', 'group', none, p('projects/案場A'), [], { kind: 'unbound' }],
    ['unbound, room', 'room', none, p('projects/案場A'), [], { kind: 'unbound' }],
    // 1:1: the union of the account's projects' folders; admins every share.
    ['admin, 1:1: every share', 'user', admin, null, [], all],
    ['admin, 1:1, member of one project: still every share', 'user', admin, null, [mine('A', 'projects/A')], all],
    ['member of no project, 1:1', 'user', member, null, [], { kind: 'noProjects', withoutFolder: [] }],
    [
      'member of one project, 1:1: its folder',
      'user',
      member,
      null,
      [mine('A', 'projects/A')],
      folder('projects', 'A'),
    ],
    [
      'member of two projects, 1:1: both folders',
      'user',
      member,
      null,
      [mine('A', 'projects/A'), mine('B', 'nas_2/B/docs')],
      folders(['projects', 'A'], ['nas_2', 'B/docs']),
    ],
    [
      'two projects sharing a folder: once',
      'user',
      member,
      null,
      [mine('A', 'projects/A'), mine('A2', 'projects/A/')],
      folder('projects', 'A'),
    ],
    [
      'a project without a folder is ignored',
      'user',
      member,
      null,
      [mine('A', null), mine('B', 'projects/B')],
      folder('projects', 'B'),
    ],
    [
      'a project with a bad folder is ignored',
      'user',
      member,
      null,
      [mine('A', 'projects/../hr'), mine('B', 'projects/B')],
      folder('projects', 'B'),
    ],
    [
      'only projects without a folder, 1:1',
      'user',
      member,
      null,
      [mine('A', null), mine('B', '/etc')],
      { kind: 'noProjects', withoutFolder: ['A', 'B'] },
    ],
    [
      'the group project argument is ignored in 1:1',
      'user',
      member,
      p('projects/X'),
      [],
      { kind: 'noProjects', withoutFolder: [] },
    ],
    // Groups and rooms: the project's folder, for its members and admins.
    ['member, group without a project', 'group', member, null, [], { kind: 'noProject' }],
    ['admin, room without a project', 'room', admin, null, [], { kind: 'noProject' }],
    ['member, project without a folder', 'group', member, p(null), [], { kind: 'noFolder', projectName: '大安案' }],
    ['member, project folder', 'group', member, p('projects/案場A'), [], folder('projects', '案場A')],
    [
      'member, project folder with a trailing slash',
      'group',
      member,
      p('projects/案場A/'),
      [],
      folder('projects', '案場A'),
    ],
    ['member, project folder is a whole share', 'room', member, p('projects'), [], folder('projects', '')],
    ['admin, deep folder', 'group', admin, p('nas_1/a/b/c'), [], folder('nas_1', 'a/b/c')],
    [
      'admin who is no member of the project: its folder',
      'group',
      admin,
      p('nas_1/a', false),
      [],
      folder('nas_1', 'a'),
    ],
    ['bound non-member, group', 'group', member, p('projects/案場A', false), [], notMember],
    ['bound non-member, room', 'room', member, p('projects/案場A', false), [], notMember],
    // A non-member learns nothing of the folder, set or not.
    ['bound non-member, project without a folder', 'group', member, p(null, false), [], notMember],
    [
      'non-member whose other projects have that folder: the chat decides',
      'group',
      member,
      p('projects/A', false),
      [mine('A', 'projects/A')],
      notMember,
    ],
    // A folder written around the API's validation never widens the search: it counts as unset.
    ['.. in the stored folder', 'group', member, p('projects/../hr'), [], { kind: 'noFolder', projectName: '大安案' }],
    ['a leading slash', 'group', member, p('/etc'), [], { kind: 'noFolder', projectName: '大安案' }],
    ['a backslash', 'group', member, p('projects\\a'), [], { kind: 'noFolder', projectName: '大安案' }],
    ['an empty folder', 'group', member, p(''), [], { kind: 'noFolder', projectName: '大安案' }],
    ['a bad share name', 'group', member, p('pro jects/a'), [], { kind: 'noFolder', projectName: '大安案' }],
    ['a NUL', 'group', member, p('projects/a\u0000'), [], { kind: 'noFolder', projectName: '大安案' }],
  ];
  it.each(rows)('%s', (_who, chatType, account, project, memberOf, expected) => {
    expect(nasScopeFor({ chatType, account, project, memberOf })).toEqual(expected);
  });
});

describe('operatorNasScopeFor (what a console operator may send into a chat)', () => {
  const folder = (share: string, prefix: string): NasScopeDecision => ({
    kind: 'scope',
    scope: { kind: 'folders', folders: [{ share, prefix }] },
  });
  const nobody = { account: null, memberOf: [] };
  type Row = [what: string, input: OperatorNasScopeInput, expected: NasScopeDecision];
  const rows: Row[] = [
    [
      "a group bound to P: P's folder, no membership asked",
      { chatType: 'group', project: { name: 'P', nasFolder: 'projects/A' }, recipient: nobody },
      folder('projects', 'A'),
    ],
    [
      "a room bound to P: P's folder",
      { chatType: 'room', project: { name: 'P', nasFolder: 'projects/A/B' }, recipient: nobody },
      folder('projects', 'A/B'),
    ],
    ['a group without a project', { chatType: 'group', project: null, recipient: nobody }, { kind: 'noProject' }],
    [
      "a group whose project's folder is unset",
      { chatType: 'group', project: { name: 'P', nasFolder: null }, recipient: nobody },
      { kind: 'noFolder', projectName: 'P' },
    ],
    [
      'a group: a stored folder with .. counts as unset',
      { chatType: 'group', project: { name: 'P', nasFolder: 'projects/../hr' }, recipient: nobody },
      { kind: 'noFolder', projectName: 'P' },
    ],
    ['a 1:1 chat of an unbound user', { chatType: 'user', project: null, recipient: nobody }, { kind: 'unbound' }],
    [
      "a 1:1 chat of a member: their projects' folders",
      {
        chatType: 'user',
        project: null,
        recipient: { account: { role: 'member' }, memberOf: [{ name: 'P', nasFolder: 'projects/A' }] },
      },
      folder('projects', 'A'),
    ],
    [
      'a 1:1 chat of a member of no project with a folder',
      { chatType: 'user', project: null, recipient: { account: { role: 'member' }, memberOf: [] } },
      { kind: 'noProjects', withoutFolder: [] },
    ],
    [
      'a 1:1 chat of an admin account: every share, as the admin gets there',
      { chatType: 'user', project: null, recipient: { account: { role: 'admin' }, memberOf: [] } },
      { kind: 'scope', scope: { kind: 'all' } },
    ],
    [
      "a 1:1 chat: a group's project is never the user's scope",
      {
        chatType: 'user',
        project: { name: 'P', nasFolder: 'projects/A' },
        recipient: { account: { role: 'member' }, memberOf: [] },
      },
      { kind: 'noProjects', withoutFolder: [] },
    ],
  ];
  it.each(rows)('%s', (_what, input, expected) => {
    expect(operatorNasScopeFor(input)).toEqual(expected);
  });
});

describe('fileWithinScope (a delivery checks the file again)', () => {
  const scope = (...fs: Array<[string, string]>): NasScope => ({
    kind: 'folders',
    folders: fs.map(([share, prefix]) => ({ share, prefix })),
  });
  type Row = [what: string, scope: NasScope, share: string, path: string, expected: boolean];
  const rows: Row[] = [
    ['every share', { kind: 'all' }, 'hr', 'salaries.xlsx', true],
    ['no folders', scope(), 'projects', 'A/x.pdf', false],
    ['under the folder', scope(['projects', 'A']), 'projects', 'A/x.pdf', true],
    ['deeper under the folder', scope(['projects', 'A']), 'projects', 'A/b/c/x.pdf', true],
    ['a sibling folder sharing the prefix', scope(['projects', 'A']), 'projects', 'AB/x.pdf', false],
    ['the folder name as a file', scope(['projects', 'A']), 'projects', 'A', false],
    ['another share, same path', scope(['projects', 'A']), 'nas_2', 'A/x.pdf', false],
    ['a whole share', scope(['projects', '']), 'projects', 'x.pdf', true],
    ['one of two folders', scope(['projects', 'A'], ['nas_2', 'B']), 'nas_2', 'B/y.docx', true],
    ['case differs', scope(['projects', 'A']), 'projects', 'a/x.pdf', false],
  ];
  it.each(rows)('%s', (_what, s, share, path, expected) => {
    expect(fileWithinScope(s, { share, path })).toBe(expected);
  });
});

describe('offerTapFor: a tap on an AI file offer', () => {
  const asker = 'asker-pk';
  const chat = 'chat-pk';
  const offer = { lineUserPk: asker, chatPk: chat, expired: false, tapped: false };
  type TapRow = [who: string, input: OfferTapInput, expected: OfferTapDecision['kind']];
  const table: TapRow[] = [
    [
      'the asker, in time, in the offer’s chat',
      { tapper: { lineUserPk: asker, bound: true }, chatPk: chat, offer },
      'send',
    ],
    [
      'the asker, in a 1:1 offer',
      { tapper: { lineUserPk: asker, bound: true }, chatPk: null, offer: { ...offer, chatPk: null } },
      'send',
    ],
    [
      'the asker, now unbound: the scope check refuses later',
      { tapper: { lineUserPk: asker, bound: false }, chatPk: chat, offer },
      'send',
    ],
    [
      'the asker, expired',
      { tapper: { lineUserPk: asker, bound: true }, chatPk: chat, offer: { ...offer, expired: true } },
      'expired',
    ],
    [
      'the asker, already tapped',
      { tapper: { lineUserPk: asker, bound: true }, chatPk: chat, offer: { ...offer, tapped: true } },
      'alreadySent',
    ],
    [
      'the asker, tapped and expired',
      { tapper: { lineUserPk: asker, bound: true }, chatPk: chat, offer: { ...offer, tapped: true, expired: true } },
      'alreadySent',
    ],
    ['a bound colleague', { tapper: { lineUserPk: 'other', bound: true }, chatPk: chat, offer }, 'notAsker'],
    [
      'a bound colleague, expired offer',
      { tapper: { lineUserPk: 'other', bound: true }, chatPk: chat, offer: { ...offer, expired: true } },
      'notAsker',
    ],
    ['an unbound member', { tapper: { lineUserPk: 'other', bound: false }, chatPk: chat, offer }, 'ignore'],
    ['someone never seen', { tapper: { lineUserPk: null, bound: false }, chatPk: chat, offer }, 'ignore'],
    [
      'the asker, from another chat',
      { tapper: { lineUserPk: asker, bound: true }, chatPk: 'elsewhere', offer },
      'unknown',
    ],
    ['the asker, from their 1:1 chat', { tapper: { lineUserPk: asker, bound: true }, chatPk: null, offer }, 'unknown'],
    ['no such offer', { tapper: { lineUserPk: asker, bound: true }, chatPk: chat, offer: null }, 'unknown'],
  ];
  it.each(table)('%s', (_who, input, expected) => {
    expect(offerTapFor(input).kind).toBe(expected);
  });
});

describe('answerTapFor: a tap on a late answer’s 取得回答 button', () => {
  const asker = 'asker-pk';
  const chat = 'chat-pk';
  const answer = { lineUserPk: asker, chatPk: chat, noticeSent: true, unsent: false, delivered: false, ready: true };
  const by = (lineUserPk: string | null, bound = true) => ({ lineUserPk, bound });
  type TapRow = [who: string, input: AnswerTapInput, expected: AnswerTapDecision['kind']];
  const table: TapRow[] = [
    ['the asker, the answer waiting', { tapper: by(asker), chatPk: chat, answer }, 'deliver'],
    [
      'the asker, in their 1:1 chat',
      { tapper: by(asker), chatPk: null, answer: { ...answer, chatPk: null } },
      'deliver',
    ],
    [
      'the asker, Claude still working',
      { tapper: by(asker), chatPk: chat, answer: { ...answer, ready: false } },
      'notReady',
    ],
    [
      'the asker, delivered already',
      { tapper: by(asker), chatPk: chat, answer: { ...answer, delivered: true } },
      'alreadyDelivered',
    ],
    [
      'the asker, the question unsent',
      { tapper: by(asker), chatPk: chat, answer: { ...answer, unsent: true, delivered: true } },
      'withdrawn',
    ],
    ['a bound colleague in the group', { tapper: by('other'), chatPk: chat, answer }, 'notAsker'],
    ['an unbound member', { tapper: by('other', false), chatPk: chat, answer }, 'ignore'],
    ['someone never seen', { tapper: by(null, false), chatPk: chat, answer }, 'ignore'],
    [
      'someone else, in their own 1:1 chat, with a 1:1 answer’s id',
      { tapper: by('other'), chatPk: null, answer: { ...answer, chatPk: null } },
      'unknown',
    ],
    ['the asker, from another chat', { tapper: by(asker), chatPk: 'elsewhere', answer }, 'unknown'],
    [
      'no notice was sent for it',
      { tapper: by(asker), chatPk: chat, answer: { ...answer, noticeSent: false } },
      'unknown',
    ],
    ['no such answer', { tapper: by(asker), chatPk: chat, answer: null }, 'unknown'],
  ];
  it.each(table)('%s', (_who, input, expected) => {
    expect(answerTapFor(input).kind).toBe(expected);
  });
});

describe('announcementActionFor: resume and retry of an announcement', () => {
  type Row = [what: string, input: AnnouncementActionInput, expected: AnnouncementActionDecision['kind']];
  const table: Row[] = [
    ['resume a paused one', { action: 'resume', status: 'paused', retryable: 0 }, 'allow'],
    ['resume a paused one with failed rows', { action: 'resume', status: 'paused', retryable: 2 }, 'allow'],
    ['resume one sending (resumed already)', { action: 'resume', status: 'sending', retryable: 0 }, 'notPaused'],
    ['resume a done one', { action: 'resume', status: 'done', retryable: 1 }, 'notPaused'],
    ['retry a done one with failed rows', { action: 'retry', status: 'done', retryable: 1 }, 'allow'],
    ['retry one still sending with failed rows', { action: 'retry', status: 'sending', retryable: 3 }, 'allow'],
    ['retry a done one, nothing failed', { action: 'retry', status: 'done', retryable: 0 }, 'nothingToRetry'],
    ['retry one sending, nothing failed', { action: 'retry', status: 'sending', retryable: 0 }, 'nothingToRetry'],
    ['retry a paused one', { action: 'retry', status: 'paused', retryable: 2 }, 'paused'],
  ];
  it.each(table)('%s', (_what, input, expected) => {
    expect(announcementActionFor(input).kind).toBe(expected);
  });
});
