/**
 * A realistic demo run for a fresh clone (`npm run dashboard -- --demo`) and for the dashboard's tests and
 * screenshots: the synthetic dataset through today's harness with several seeds, converted to the experiment record.
 */
import { BASELINES, type Recommender } from '../core/eval/baselines.js';
import { generateSynthetic, type SyntheticOptions } from '../core/eval/datasets.js';
import { runHarness, type HarnessResult } from '../core/eval/harness.js';
import { makeSplit, type SplitKind } from '../core/eval/splits.js';
import { gitState, writeExperiment } from '../infra/experiments.js';
import { artifactsFromModels, experimentFromHarness, pairedSignificance } from './from-harness.js';

export interface DemoOptions {
  synthetic?: SyntheticOptions;
  models?: (keyof typeof BASELINES)[];
  seeds?: number[];
  ks?: number[];
  split?: SplitKind;
  label?: string;
  now?: Date;
  log?: (message: string) => void;
}

/** Runs the harness for every seed and writes one run with users/lists/pools of the first seed; returns its folder. */
export async function writeDemoExperiment(dir: string, o: DemoOptions = {}): Promise<{ folder: string; id: string }> {
  const ds = generateSynthetic({ users: 300, items: 400, perUser: 20, ...(o.synthetic ?? {}) });
  const names = o.models ?? ['random', 'pop', 'itemknn', 'content', 'content-mean'];
  const seeds = o.seeds ?? [1, 2, 3];
  const ks = o.ks ?? [10, 20];
  const split = o.split ?? 'random';
  const results: HarnessResult[] = [];
  let artifacts: Awaited<ReturnType<typeof artifactsFromModels>> | undefined;
  for (const seed of seeds) {
    const models: Recommender[] = names.map((n) => BASELINES[n]());
    o.log?.(`seed ${seed}: ${names.join(', ')}`);
    results.push(await runHarness({ dataset: ds, split, models, ks, seed }));
    if (!artifacts)
      artifacts = await artifactsFromModels({ dataset: ds, split: makeSplit(ds, split, { seed }), models, ks, seed });
  }
  const run = experimentFromHarness({
    results,
    dataset: ds,
    label: o.label ?? `synthetic demo (${split} split)`,
    argv: ['dashboard', '--demo'],
    git: gitState(),
    ...(o.now ? { now: o.now } : {}),
    significance: pairedSignificance(artifacts!.users),
  });
  const folder = await writeExperiment(dir, run, artifacts!);
  return { folder, id: run.id };
}
