/**
 * Which way the Worker's imports may point (`npm run lint:deps`). Top to bottom, each layer importing
 * only layers below it:
 *   src/index.ts, app.ts, scheduled.ts            entry points: mount the surfaces, run the crons
 *   routes/, console/ > webhook/                  surfaces: parse and check, then call below
 *   services.ts                                   per-request services: database, LINE client, settings
 *   events/ > ai/ > bot/ > domain/ > nas/         the work: dispatch, AI, commands, queries, NAS
 *   inbox/, line/, messages/, security/, audit/   the inbox, LINE, the bot's texts, credentials, the trail
 *   api/ > http/, access/ > db/ > config/, lib/   contracts, the access policy, the database, settings
 *   shared/                                       @linebot-edge/shared, which the nas-sync job imports too
 * (ai/workflow.ts is the Workflow's entry point and opens services like the others.) Type-only
 * imports count: a type is a dependency a reader has to follow too.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A module must not reach itself again through its imports: break the cycle by moving the shared piece down.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'routes-only-from-the-app',
      severity: 'error',
      comment:
        'Only the app (src/app.ts) mounts src/routes/; what a route shares with others (schemas, cursors, errors) belongs in src/api/, a query in src/domain/.',
      from: { path: '^src/', pathNot: ['^src/routes/', '^src/app\\.ts$'] },
      to: { path: '^src/routes/' },
    },
    {
      name: 'console-only-from-the-app',
      severity: 'error',
      comment:
        'Only the app (src/app.ts) mounts the console; what the console shares with the bot or the share pages (the language pick) lives below it, in lib/ or messages/.',
      from: { path: '^src/', pathNot: ['^src/console/', '^src/app\\.ts$'] },
      to: { path: '^src/console/' },
    },
    {
      name: 'lower-layers-not-to-surfaces',
      severity: 'error',
      comment:
        'The domain, the database, the API contracts, the access policy and lib/ serve the surfaces (routes/, console/) and never import them.',
      from: { path: '^src/(domain|db|api|access|lib)/' },
      to: { path: '^src/(routes|console)/' },
    },
    {
      name: 'surfaces-call-the-domain',
      severity: 'error',
      comment:
        "Routes and the console parse, check and call functions of src/domain/ (or nas/, bot/); they write no query themselves. /healthz's `select 1` probe excepted.",
      from: { path: '^src/(routes|console)/', pathNot: '^src/routes/health\\.ts$' },
      to: { path: '(^|/)node_modules/drizzle-orm/' },
    },
    {
      name: 'db-at-the-bottom',
      severity: 'error',
      comment: 'src/db/ (client, schema, Postgres errors) imports none of the layers that use it.',
      from: { path: '^src/db/' },
      to: { path: '^src/(domain|routes|console|bot|nas|events|ai|api|access|webhook|inbox)/' },
    },
    {
      name: 'access-policy-is-pure',
      severity: 'error',
      comment:
        'The one access policy (src/access/) is pure decisions that bot/, nas/, ai/ and events/ all ask: it imports only itself and lib/.',
      from: { path: '^src/access/' },
      to: { path: '^src/', pathNot: '^src/(access|lib)/' },
    },
    {
      name: 'domain-below-the-chat-side',
      severity: 'error',
      comment:
        'The bot commands (src/bot/) call the domain (binding codes, group projects); the domain never calls the bot, the AI, the event dispatch or opens services (src/services.ts runs a retried event).',
      from: { path: '^src/domain/' },
      to: { path: ['^src/(bot|ai|events)/', '^src/services\\.ts$'] },
    },
    {
      name: 'nas-below-bot-and-domain',
      severity: 'error',
      comment:
        'NAS search and delivery (src/nas/) sit below the bot commands (src/bot/) and the domain (src/domain/) that use them.',
      from: { path: '^src/nas/' },
      to: { path: '^src/(bot|domain)/' },
    },
    {
      name: 'handlers-below-events',
      severity: 'error',
      comment:
        'src/events/ dispatches LINE events to the bot, the AI and the NAS delivery; they never import events/ back.',
      from: { path: '^src/(bot|ai|nas)/' },
      to: { path: '^src/events/' },
    },
    {
      name: 'webhook-on-top',
      severity: 'error',
      comment:
        "src/webhook/ (signature, durable ack) records into inbox/ and hands over to events/; LINE's body format lives in line/, below them.",
      from: { path: '^src/(inbox|events|line)/' },
      to: { path: '^src/webhook/' },
    },
    {
      name: 'lib-at-the-bottom',
      severity: 'error',
      comment:
        'src/lib/ holds small helpers every layer uses; it imports nothing else of the Worker (only the shared package below everything).',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/(lib|shared)/' },
    },
    {
      name: 'shared-package-alone',
      severity: 'error',
      comment: 'src/shared/ is the package the Worker and the nas-sync job both import: it imports neither of them.',
      from: { path: '^src/shared/' },
      to: { path: ['^src/(?!shared/)', '(^|/)nas-sync/'] },
    },
    {
      name: 'src-not-to-scripts-or-test',
      severity: 'error',
      comment: 'The Worker never imports the tools (scripts/) or the tests (test/).',
      from: { path: '^src/' },
      to: { path: '^(scripts|test)/' },
    },
    {
      name: 'worker-not-to-nas-sync',
      severity: 'error',
      comment:
        'The Worker shares code with the on-prem nas-sync job only through src/shared/ (the shared package), never by a path into the job.',
      from: { path: '^src/', pathNot: '^src/shared/' },
      to: { path: '(^|/)nas-sync/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        "An import that resolves to no file (a moved module, a typo); workerd's own cloudflare: modules excepted.",
      from: { path: '^src/' },
      to: { couldNotResolve: true, pathNot: '^cloudflare:' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
  },
};
