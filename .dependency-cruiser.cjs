/**
 * The layer rules, checked by `npm run lint` (dependency-cruiser). Dependencies point inward:
 *
 *   core  ←  infra · models · scrapers  ←  app (the composition root)  ←  bots · dashboard  ←  scripts
 *
 * - core/ imports nothing outside core/ (it defines the ports the others implement);
 * - infra/, models/ and scrapers/ implement core's ports and do not import each other;
 * - app/ wires everything and imports no adapter;
 * - bots/ (chat adapters) and dashboard/ sit side by side and do not import each other — except the process entry
 *   bots/main.ts, which starts the dashboard inside the bot when DASHBOARD_PORT is set;
 * - scripts/ (CLIs) may use everything but the adapters;
 * - no import cycles anywhere.
 */
const layer = (name, forbidden, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: `^${name.split(':')[0]}/` },
  to: { path: `^(${forbidden.join('|')})/` },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import cycle: move the shared type or function to a module both sides import. A cycle that runs through a type-only import (erased at run time) is tolerated here; the adapters have none.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-in-adapters',
      severity: 'error',
      comment: 'The adapters keep no cycle at all, type-only included (shared types live in their own files).',
      from: { path: '^(bots|app)/' },
      to: { circular: true },
    },
    layer(
      'core',
      ['app', 'bots', 'dashboard', 'infra', 'models', 'scrapers', 'scripts', 'tests'],
      'core is the inner layer: it defines ports, others implement them.',
    ),
    layer(
      'infra',
      ['app', 'bots', 'dashboard', 'models', 'scrapers', 'scripts', 'tests'],
      'infra implements core ports; it knows no sibling layer.',
    ),
    layer(
      'models',
      ['app', 'bots', 'dashboard', 'infra', 'scrapers', 'scripts', 'tests'],
      'models implements core ports; it knows no sibling layer.',
    ),
    layer(
      'scrapers',
      ['app', 'bots', 'dashboard', 'infra', 'models', 'scripts', 'tests'],
      'scrapers feed core through its ports; no sibling layer.',
    ),
    layer(
      'app',
      ['bots', 'dashboard', 'scripts', 'tests'],
      'the composition root builds everything but the adapters, which receive what it built.',
    ),
    layer('bots', ['scripts', 'tests'], 'chat adapters parse, call core services and format.'),
    {
      name: 'bots-not-dashboard',
      comment: 'chat adapters do not import the dashboard; only the process entry (bots/main.ts) starts it.',
      severity: 'error',
      from: { path: '^bots/', pathNot: '^bots/main[.]ts$' },
      to: { path: '^dashboard/' },
    },
    layer('dashboard', ['bots', 'scripts', 'tests'], 'the dashboard sits beside the chat adapters.'),
    {
      name: 'scripts',
      comment:
        'command-line tools use the composition root, never an adapter — except the user simulator, which talks to the bot through the console adapter as a person would.',
      severity: 'error',
      from: { path: '^scripts/', pathNot: '^scripts/simulate/console-chat[.]ts$' },
      to: { path: '^(bots|dashboard)/' },
    },
    {
      name: 'scripts:simulate',
      comment: 'the user simulator drives the console adapter only.',
      severity: 'error',
      from: { path: '^scripts/simulate/console-chat[.]ts$' },
      to: { path: '^(dashboard|bots/(?!console/))' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|data|dist|coverage)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.json'],
    },
  },
};
