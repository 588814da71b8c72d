/**
 * The two-tower model as a harness `Recommender`: `fit` trains (early-stopping on the split's validation rows),
 * `scoreUsers` runs the user tower on each user's id, training history and persona (cold users: persona only)
 * against the item matrix, computed once per fit.
 */
import type { FitContext, Recommender } from '../../core/eval/baselines.js';
import { initTf } from './backend.js';
import { TfTowers } from './model.js';
import { DatasetFeatures, scoreUsersWith, trainTwoTower, type TrainedTwoTower, type TrainOptions } from './train.js';

export class TwoTowerRecommender implements Recommender {
  readonly name = 'twotower';
  readonly family = 'hybrid';
  trained: TrainedTwoTower | undefined;
  private towers: TfTowers | undefined;
  private feats: DatasetFeatures | undefined;
  private itemMatrix: Float32Array | undefined;

  constructor(private readonly options: TrainOptions = {}) {}

  async fit(ctx: FitContext): Promise<void> {
    this.dispose();
    this.trained = await trainTwoTower(ctx, this.options);
    const { tf } = await initTf(this.options.backend);
    this.feats = new DatasetFeatures(ctx.dataset, ctx.train, this.trained.options, this.trained.spec);
    this.towers = new TfTowers(tf, this.trained.spec, this.trained.sizes, this.trained.params);
    this.itemMatrix = this.towers.itemVectors(this.feats.items);
  }

  scoreUsers(users: Int32Array): Float32Array {
    if (!this.towers || !this.feats) throw new Error('twotower: fit() first');
    return scoreUsersWith(this.towers, this.feats, users, this.itemMatrix);
  }

  describe(): Record<string, unknown> {
    if (!this.trained) return {};
    const { options, bestEpoch, bestValidNdcg, backend, secondsPerEpoch, history, stoppedBy } = this.trained;
    return { ...options, epochsRun: history.length, bestEpoch, bestValidNdcg, stoppedBy, backend, secondsPerEpoch };
  }

  dispose(): void {
    this.towers?.dispose();
    this.towers = undefined;
  }
}
