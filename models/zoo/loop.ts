/**
 * The training loop every iterative zoo model shares: epochs until the validation NDCG@K stops improving for
 * `patience` evaluations, the wall-clock budget (`--budget`) runs out, or `maxEpochs` is reached; the best
 * evaluated parameters are restored at the end. Validation is the harness's own (`validationNdcg`: full ranking,
 * training items masked, NDCG@K on the split's validation positives).
 */
import type { FitContext } from '../../core/eval/baselines.js';
import { validationNdcg } from '../../core/eval/harness.js';
import type { Recommender } from '../../core/eval/baselines.js';

export interface LoopOptions<S> {
  ctx: FitContext;
  name: string;
  maxEpochs: number;
  /** Validations without improvement before stopping. */
  patience: number;
  /** Validate every this many epochs. Default 1. */
  evalEvery?: number;
  /** Runs one epoch; `deadline` (ms, performance.now) lets a long epoch stop early. Returns the mean loss. */
  epoch: (epoch: number, deadline: number) => Promise<number> | number;
  /** The model as it scores now (for validation). */
  scorer: Pick<Recommender, 'scoreUsers'>;
  /** Validation score override (higher is better), e.g. a validation RMSE negated. Default: NDCG@K. */
  validate?: () => Promise<number> | number;
  snapshot: () => S;
  restore: (s: S) => void;
}

export interface LoopResult {
  epochs: number;
  bestEpoch: number;
  bestValid: number | null;
  stoppedBy: 'patience' | 'budget' | 'max-epochs';
  secondsPerEpoch: number;
  lastLoss: number;
}

export const hasValidation = (ctx: FitContext): boolean => ctx.valid.signal.some((s) => s === 1);

export async function trainLoop<S>(o: LoopOptions<S>): Promise<LoopResult> {
  const started = performance.now();
  const deadline = o.ctx.budgetSeconds !== undefined ? started + o.ctx.budgetSeconds * 1000 : Number.POSITIVE_INFINITY;
  const log = o.ctx.log ?? (() => {});
  const every = Math.max(1, o.evalEvery ?? 1);
  const validate = o.validate ?? (hasValidation(o.ctx) ? () => validationNdcg(o.scorer, o.ctx) : undefined);
  let best: { score: number; epoch: number; state: S } | undefined;
  let since = 0;
  let epoch = 0;
  let lastLoss = Number.NaN;
  let stoppedBy: LoopResult['stoppedBy'] = 'max-epochs';
  let trainSeconds = 0;
  while (epoch < o.maxEpochs) {
    epoch++;
    const t0 = performance.now();
    lastLoss = await o.epoch(epoch, deadline);
    trainSeconds += (performance.now() - t0) / 1000;
    if (!Number.isFinite(lastLoss))
      throw new Error(`${o.name}: training diverged at epoch ${epoch} (loss ${lastLoss})`);
    const out = performance.now() >= deadline;
    if (validate && (epoch % every === 0 || out || epoch === o.maxEpochs)) {
      const score = await validate();
      const better = !best || score > best.score;
      if (better) {
        best = { score, epoch, state: o.snapshot() };
        since = 0;
      } else since++;
      log(`${o.name} epoch ${epoch}: loss ${lastLoss.toFixed(4)} valid ${score.toFixed(4)}${better ? ' *' : ''}`);
      if (since >= o.patience) {
        stoppedBy = 'patience';
        break;
      }
    }
    if (out) {
      stoppedBy = 'budget';
      log(`${o.name}: budget of ${o.ctx.budgetSeconds} s used after epoch ${epoch}`);
      break;
    }
  }
  if (best) o.restore(best.state);
  return {
    epochs: epoch,
    bestEpoch: best?.epoch ?? epoch,
    bestValid: best?.score ?? null,
    stoppedBy,
    secondsPerEpoch: epoch ? trainSeconds / epoch : 0,
    lastLoss,
  };
}

/** What `describe()` adds about training. */
export const loopSummary = (r: LoopResult | undefined): Record<string, unknown> =>
  r
    ? {
        epochs: r.epochs,
        bestEpoch: r.bestEpoch,
        bestValidNdcg: r.bestValid,
        stoppedBy: r.stoppedBy,
        secondsPerEpoch: +r.secondsPerEpoch.toFixed(3),
      }
    : {};
