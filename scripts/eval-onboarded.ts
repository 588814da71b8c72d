/**
 * `npm run eval:onboarded`: the "onboarded cold user" protocol (core/eval/onboarded.ts) — how much a cold person's
 * first list gains from picking 3 interests consistent with their held-out positives, against the most-popular list.
 *
 *   npm run eval:onboarded                                  # synthetic data
 *   npm run eval:onboarded -- --dataset movielens-100k --k 5,10,20 --picks 3
 *
 * Options: --dataset (as `npm run eval`), --k (comma list), --picks <n>, --seed, --items <file> (bot:<file> datasets).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../infra/config.js';
import { isRecoError } from '../core/errors.js';
import { resolveDataset } from '../core/eval/load.js';
import { evaluateOnboarded } from '../core/eval/onboarded.js';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'synthetic' },
    items: { type: 'string' },
    k: { type: 'string', default: '5,10' },
    picks: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
  },
});

async function main(): Promise<void> {
  const config = loadConfig();
  const ks = values.k.split(',').map(Number);
  if (ks.some((k) => !Number.isInteger(k) || k < 1)) throw new Error('--k takes positive integers, e.g. 10 or 5,10');
  const picks = Number(values.picks);
  if (!Number.isInteger(picks) || picks < 1 || picks > 20) throw new Error('--picks takes an integer from 1 to 20');
  const ds = await resolveDataset(values.dataset, {
    dataDir: config.DATA_DIR,
    ...(values.items ? { itemsFile: values.items } : {}),
  });
  const r = await evaluateOnboarded(ds, { ks, seed: Number(values.seed), picks });
  const keys = Object.keys(r.popularity).filter((k) => /^(ndcg|recall|precision|hit|mrr)@/.test(k));
  const lines = [
    `${ds.name}: ${r.users} cold users, ${r.picks} picked interests each (from their held-out positives)`,
    `${'metric'.padEnd(14)}${'popularity'.padStart(12)}${'onboarded'.padStart(12)}${'lift'.padStart(10)}`,
    ...keys.map(
      (k) =>
        `${k.padEnd(14)}${r.popularity[k]!.toFixed(4).padStart(12)}${r.onboarded[k]!.toFixed(4).padStart(12)}${`${(100 * r.lift[k]!).toFixed(0)}%`.padStart(10)}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`eval:onboarded failed: ${isRecoError(e) ? `${e.code}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
