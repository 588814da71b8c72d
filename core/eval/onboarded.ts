/**
 * The "onboarded cold user" protocol: how much does answering the first-contact interest picker improve a new
 * person's first list over the most-popular list?
 *
 * Split: user cold start (`coldStartSplit`): held-out people have no training rows. Each held-out person "picks"
 * the `picks` interests (dataset categories: the bot's categories, MovieLens genres) most frequent among their own
 * held-out positives — the answer a person who knows their taste would give (an optimistic reading: real picks are
 * noisier). Their first list is then planned the way the bot plans it (core/elicitation: Thompson sampling over
 * the categories, the picks as pseudo-likes, one exploration slot) and each slot is filled with the most popular
 * training item of its category. Baseline: the most-popular list (the same lists every cold person gets without
 * onboarding). Both are scored by the harness (`evaluateRecommender`: every item ranked, RecBole metrics) on the
 * same people, so the difference is the picks' worth.
 *
 * @example
 * const r = await evaluateOnboarded(generateSynthetic(), { ks: [5, 10], seed: 42 });
 * r.lift['ndcg@10']; // relative improvement over popularity
 */
import { DEFAULT_BANDIT, pickedPosteriors, planSlots, type BanditSettings } from '../elicitation/bandit.js';
import { MostPopularRecommender, likeCounts, type FitContext, type Recommender } from './baselines.js';
import type { InteractionDataset } from './datasets.js';
import { evaluateRecommender } from './harness.js';
import { createRng } from './random.js';
import { indexByUser, itemsOf } from './ranking.js';
import { makeSplit, type Split } from './splits.js';

/** The dataset's categories, most frequent first, and each item's category indexes. */
export function datasetArms(ds: InteractionDataset): { names: string[]; ofItem: number[][] } {
  const freq = new Map<string, number>();
  for (const it of ds.items) for (const c of it.categories) freq.set(c, (freq.get(c) ?? 0) + 1);
  const names = [...freq.keys()].sort((a, b) => freq.get(b)! - freq.get(a)! || (a < b ? -1 : 1));
  const code = new Map(names.map((n, i) => [n, i]));
  return { names, ofItem: ds.items.map((it) => [...new Set(it.categories.map((c) => code.get(c)!))]) };
}

/**
 * Each held-out person's picks: the `n` categories most frequent among their held-out positives (ties: the more
 * common category first).
 */
export function picksFromHeldOut(ds: InteractionDataset, split: Split, n: number): Map<number, number[]> {
  const { ofItem } = datasetArms(ds);
  const rel = indexByUser(split.test, ds.users.length, (s) => s === 1);
  const out = new Map<number, number[]>();
  for (const u of split.coldUsers) {
    const counts = new Map<number, number>();
    for (const j of itemsOf(rel, u)) for (const a of ofItem[j]!) counts.set(a, (counts.get(a) ?? 0) + 1);
    if (counts.size === 0) continue;
    out.set(
      u,
      [...counts.entries()]
        .sort((x, y) => y[1] - x[1] || x[0] - y[0])
        .slice(0, n)
        .map(([a]) => a),
    );
  }
  return out;
}

/**
 * A cold person's first list after the picker: slots planned by the bandit from the picks alone, each filled with
 * the most popular training item of the slot's category; the rest of the catalog follows by popularity.
 */
export class OnboardedRecommender implements Recommender {
  readonly name = 'onboarded';
  private pop: Float64Array = new Float64Array(0);
  private arms: number[][] = [];
  private nArms = 0;
  /** Per arm, items by training popularity (most popular first). */
  private byArm: number[][] = [];
  private order: number[] = [];
  private seed = 0;
  private width = 10;

  constructor(
    private readonly picks: ReadonlyMap<number, readonly number[]>,
    private readonly settings: BanditSettings = DEFAULT_BANDIT,
  ) {}

  fit(ctx: FitContext): void {
    const ds = ctx.dataset;
    const { names, ofItem } = datasetArms(ds);
    this.nArms = names.length;
    this.arms = ofItem;
    this.pop = likeCounts(ctx.train, ds.items.length);
    this.order = [...ds.items.keys()].sort((a, b) => this.pop[b]! - this.pop[a]! || a - b);
    this.byArm = Array.from({ length: this.nArms }, () => []);
    for (const j of this.order) for (const a of ofItem[j]!) this.byArm[a]!.push(j);
    this.seed = ctx.seed;
    this.width = Math.max(ctx.k, 10);
  }

  scoreUsers(users: Int32Array): Float32Array {
    const n = this.arms.length;
    const out = new Float32Array(users.length * n);
    users.forEach((u, r) => {
      const row = out.subarray(r * n, (r + 1) * n);
      // Everything by popularity (below the planned list), then the planned list on top.
      this.order.forEach((j, rank) => (row[j] = -rank / n));
      const picks = this.picks.get(u);
      if (!picks) return;
      const post = pickedPosteriors(this.nArms, picks, this.settings);
      const available = Int32Array.from(this.byArm, (l) => Math.min(l.length, this.width));
      const rng = createRng(this.seed * 1_000_003 + u);
      const plan = planSlots(post, available, { count: this.width, random: rng.next, explore: 1 }, this.settings);
      const next = new Int32Array(this.nArms);
      const chosen = new Set<number>();
      for (const arm of [...plan.arms, ...plan.explore]) {
        const list = this.byArm[arm]!;
        while (next[arm]! < list.length && chosen.has(list[next[arm]!]!)) next[arm]!++;
        const j = list[next[arm]!++];
        if (j === undefined) continue;
        chosen.add(j);
        row[j] = 1 + (this.width - chosen.size);
      }
    });
    return out;
  }

  describe(): Record<string, unknown> {
    return { protocol: 'onboarded-cold', bandit: this.settings, withinCategory: 'training popularity' };
  }
}

export interface OnboardedResult {
  /** Held-out people evaluated (with a positive and picks). */
  users: number;
  picks: number;
  popularity: Record<string, number>;
  onboarded: Record<string, number>;
  /** Relative change over popularity per metric ((onboarded − pop) / pop; Infinity when pop is 0). */
  lift: Record<string, number>;
}

/** Runs the protocol: cold split, picks from held-out positives, popularity vs onboarded first lists. */
export async function evaluateOnboarded(
  ds: InteractionDataset,
  o: { ks: readonly number[]; seed?: number; picks?: number; coldTestShare?: number },
): Promise<OnboardedResult> {
  const seed = o.seed ?? 42;
  const nPicks = o.picks ?? 3;
  const split = makeSplit(ds, 'cold', { seed, ...(o.coldTestShare ? { coldTestShare: o.coldTestShare } : {}) });
  const picks = picksFromHeldOut(ds, split, nPicks);
  const ks = [...o.ks].sort((a, b) => a - b);
  const ctx: FitContext = {
    dataset: ds,
    train: split.train,
    valid: split.valid,
    coldUsers: split.coldUsers,
    seed,
    k: ks[ks.length - 1]!,
  };
  const pop = new MostPopularRecommender();
  pop.fit(ctx);
  const onboarded = new OnboardedRecommender(picks);
  onboarded.fit(ctx);
  const a = await evaluateRecommender(pop, ds, split, { ks, accuracyOnly: true });
  const b = await evaluateRecommender(onboarded, ds, split, { ks, accuracyOnly: true });
  const lift: Record<string, number> = {};
  for (const [key, v] of Object.entries(a.metrics))
    lift[key] = v > 0 ? (b.metrics[key]! - v) / v : b.metrics[key]! > 0 ? Infinity : 0;
  return { users: b.users, picks: nPicks, popularity: a.metrics, onboarded: b.metrics, lift };
}
