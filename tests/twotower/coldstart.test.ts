/**
 * Cold start on the MovieLens-shaped synthetic set (tastes follow attributes): the two-tower model, scoring held-out
 * users from their attributes alone through its cold-start path, must beat global popularity by far and stay level
 * with attribute-segment popularity (segpop, a naive-Bayes blend of per-attribute popularity: the strongest
 * attribute-only baseline here). The target — clearly ABOVE segpop — is not met at this size: measured
 * 2026-12-01 (seed 2, 500 users × 200 items): pop 0.5450, segpop 0.6759, two-tower 0.6728 (8 or 16 epochs alike).
 * A model trained with item-id dropout must still place items well from content alone (a freshly scraped item has no
 * id). The margins asserted are about a third of the measured ones. Same seed → identical metrics.
 */
import { describe, expect, it } from 'vitest';
import { MostPopularRecommender, RandomRecommender, SegmentPopularityRecommender } from '../../core/eval/baselines.js';
import { withPositive, type InteractionDataset } from '../../core/eval/datasets.js';
import { evaluateRecommender, runHarness } from '../../core/eval/harness.js';
import { loadMovieLens } from '../../core/eval/movielens.js';
import { makeSplit } from '../../core/eval/splits.js';
import { writeSyntheticMovieLens } from '../../core/eval/synthetic.js';
import { initTf } from '../../models/twotower/backend.js';
import { TfTowers } from '../../models/twotower/model.js';
import { TwoTowerRecommender } from '../../models/twotower/recommender.js';
import { DatasetFeatures, scoreUsersWith, trainTwoTower } from '../../models/twotower/train.js';

let data: InteractionDataset | undefined;
async function dataset(): Promise<InteractionDataset> {
  if (!data) {
    const dir = 'tests/.tmp/twotower-coldstart';
    await writeSyntheticMovieLens(dir, { users: 500, items: 200, meanRatings: 30, seed: 5 });
    data = withPositive(await loadMovieLens(dir), 'all');
  }
  return data;
}
const small = { epochs: 8, batchSize: 256, sizes: { hidden: [64] }, yieldBetweenBatches: false };

describe('two-tower cold start', () => {
  it('GIVEN held-out users THEN the attribute-only path beats popularity by far and is level with attribute-segment popularity, reproducibly', async () => {
    const ds = await dataset();
    const first = await runHarness({
      dataset: ds,
      split: 'cold',
      splitOptions: { coldTestShare: 0.2, coldValidShare: 0.1 },
      models: [new MostPopularRecommender(), new SegmentPopularityRecommender(), new TwoTowerRecommender(small)],
      ks: [10],
      seed: 2,
    });
    const [pop, seg, tt] = first.results.map((r) => r.metrics['ndcg@10']!);
    console.log(`cold ndcg@10: pop ${pop!.toFixed(4)} segpop ${seg!.toFixed(4)} twotower ${tt!.toFixed(4)}`);
    expect(first.config.split.coldUsers).toBe(150);
    // measured: two-tower − pop = +0.128, two-tower − segpop = −0.003
    expect(tt! - pop!).toBeGreaterThan(0.04);
    expect(tt! - seg!).toBeGreaterThan(-0.02);
    // same seed → the same weights: two short seeded fits score the cold users bit-identically
    const split = makeSplit(ds, 'cold', { seed: 2, coldTestShare: 0.2, coldValidShare: 0.1 });
    const ctx = { dataset: ds, train: split.train, valid: split.valid, coldUsers: split.coldUsers, seed: 2, k: 10 };
    const fitScores = async () => {
      const m = new TwoTowerRecommender({ ...small, epochs: 2, patience: 10 });
      await m.fit(ctx);
      return m.scoreUsers(split.coldUsers);
    };
    expect(await fitScores()).toEqual(await fitScores());
  }, 300_000);

  it('GIVEN item-id dropout in training THEN items scored from content alone (no id) still rank far above random', async () => {
    const ds = await dataset();
    const split = makeSplit(ds, 'random', { seed: 3 });
    const ctx = { dataset: ds, train: split.train, valid: split.valid, coldUsers: split.coldUsers, seed: 3, k: 10 };
    const trained = await trainTwoTower(ctx, small);
    const { tf } = await initTf();
    const towers = new TfTowers(tf, trained.spec, trained.sizes, trained.params);
    const feats = new DatasetFeatures(ds, split.train, trained.options, trained.spec);
    const score = (withIds: boolean) => {
      const items = { ...feats.items, itemId: withIds ? feats.items.itemId : new Int32Array(feats.items.n) };
      const matrix = towers.itemVectors(items);
      return evaluateRecommender({ scoreUsers: (us) => scoreUsersWith(towers, feats, us, matrix) }, ds, split, {
        ks: [10],
        accuracyOnly: true,
      });
    };
    const rnd = new RandomRecommender();
    rnd.fit(ctx);
    const [withIds, noIds, random] = await Promise.all([
      score(true),
      score(false),
      evaluateRecommender(rnd, ds, split, { ks: [10], accuracyOnly: true }),
    ]);
    towers.dispose();
    const [a, b, r] = [withIds, noIds, random].map((x) => x.metrics['ndcg@10']!);
    console.log(
      `random split ndcg@10: with ids ${a!.toFixed(4)}, content only ${b!.toFixed(4)}, random ${r!.toFixed(4)}`,
    );
    expect(b! - r!).toBeGreaterThan(0.05);
    expect(a!).toBeGreaterThan(b! - 0.01);
  }, 300_000);
});

describe('two-tower loss variants', () => {
  it('triplet loss with mined hard negatives trains (finite loss) and beats random on a random split', async () => {
    const ds = await dataset();
    const tt = new TwoTowerRecommender({
      ...small,
      loss: 'triplet',
      mineHardNegatives: true,
      dislikeNegatives: false,
      epochs: 3,
      patience: 10,
    });
    const r = await runHarness({
      dataset: ds,
      split: 'random',
      models: [new RandomRecommender(), tt],
      ks: [10],
      seed: 3,
    });
    expect(tt.trained!.history).toHaveLength(3);
    for (const e of tt.trained!.history) expect(Number.isFinite(e.loss)).toBe(true);
    expect(r.results[1]!.metrics['ndcg@10']!).toBeGreaterThan(2 * r.results[0]!.metrics['ndcg@10']!);
  }, 300_000);
});
