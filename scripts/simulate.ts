/**
 * `npm run simulate`: simulated people with hidden tastes talk to the real bot through the console adapter and
 * react to each list with 👍/👎; prints each person's liked items per round against the catalog's base rate, and
 * writes the learning curves as an experiment (kind `simulate`) to `<DATA_DIR>/experiments` for the dashboard.
 *
 *   npm run simulate                                   # built-in + synthetic 10k catalogs, the bandit, seed 1
 *   npm run simulate -- --catalog builtin --policy both --seeds 3
 *   npm run simulate -- --catalog synthetic --items 10000 --rounds 15 --onboard
 *
 * Options: --catalog builtin|synthetic|all, --items <n> (synthetic size, default 10000), --rounds <n> (default 10),
 * --count <n> (items per list, default 5), --seeds <n> (default 1), --policy bandit|off|both (RECO_ELICITATION),
 * --onboard (people pick their interests in the first-contact picker), --users <substring>, --json <file>,
 * --no-record (do not write the experiment).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../infra/config.js';
import { experimentsDir, gitState, writeExperiment } from '../infra/experiments.js';
import { builtinCatalog, syntheticCatalog, type SimCatalog } from './simulate/catalogs.js';
import { experimentRun, formatRuns, learningSeries, type SimRun } from './simulate/report.js';
import { DEFAULT_SIM_OPTIONS, catalogFacts, simulateUser, type SimOptions } from './simulate/run.js';
import { builtinUsers, syntheticUsers, type SimUserSpec } from './simulate/tastes.js';

const { values } = parseArgs({
  options: {
    catalog: { type: 'string', default: 'all' },
    items: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: String(DEFAULT_SIM_OPTIONS.rounds) },
    count: { type: 'string', default: String(DEFAULT_SIM_OPTIONS.count) },
    seeds: { type: 'string', default: '1' },
    policy: { type: 'string', default: 'bandit' },
    onboard: { type: 'boolean', default: false },
    users: { type: 'string' },
    json: { type: 'string' },
    'no-record': { type: 'boolean', default: false },
  },
});

function positive(name: string, v: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} takes an integer from 1 to ${max}`);
  return n;
}

async function main(): Promise<void> {
  const rounds = positive('rounds', values.rounds, 100);
  const count = positive('count', values.count, 20);
  const seeds = positive('seeds', values.seeds, 50);
  const items = positive('items', values.items, 1_000_000);
  if (!['builtin', 'synthetic', 'all'].includes(values.catalog))
    throw new Error('--catalog: builtin, synthetic or all');
  if (!['bandit', 'off', 'both'].includes(values.policy)) throw new Error('--policy: bandit, off or both');
  const policies: SimOptions['policy'][] = values.policy === 'both' ? ['off', 'bandit'] : [values.policy as 'bandit'];
  const base: SimOptions = { ...DEFAULT_SIM_OPTIONS, rounds, count, onboard: values.onboard };
  const plan: { catalog: SimCatalog; users: SimUserSpec[] }[] = [];
  if (values.catalog !== 'synthetic') plan.push({ catalog: builtinCatalog(base.now), users: builtinUsers() });
  if (values.catalog !== 'builtin') plan.push({ catalog: syntheticCatalog(items, base.now), users: syntheticUsers() });
  const runs: SimRun[] = [];
  for (const { catalog, users } of plan) {
    const people = users.filter((u) => !values.users || u.name.includes(values.users));
    process.stderr.write(`${catalog.name}: ${catalog.items.length} items, ${people.length} people; clustering…\n`);
    const facts = await catalogFacts(catalog, base);
    for (const policy of policies)
      for (let seed = 1; seed <= seeds; seed++) {
        const o = { ...base, policy, seed };
        const started = Date.now();
        const curves = [];
        for (const u of people) {
          process.stderr.write(`  ${policy} seed ${seed}: ${u.name}\n`);
          curves.push(await simulateUser(catalog, facts, u, o));
        }
        runs.push({
          catalog: catalog.name,
          items: catalog.items.length,
          policy,
          onboard: values.onboard,
          seed,
          curves,
          seconds: (Date.now() - started) / 1000,
        });
      }
  }
  process.stdout.write(`${formatRuns(runs, rounds)}\n`);
  const argv = process.argv.slice(2);
  if (values.json) {
    writeFileSync(values.json, JSON.stringify({ options: base, series: learningSeries(runs, rounds), runs }, null, 2));
    process.stdout.write(`\ncurves written to ${values.json}\n`);
  }
  if (!values['no-record']) {
    const config = loadConfig();
    const run = { ...experimentRun(runs, base, argv, new Date()), git: gitState() };
    const folder = await writeExperiment(experimentsDir(config.DATA_DIR), run);
    process.stdout.write(`experiment recorded: ${folder} (npm run dashboard)\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`simulate failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
