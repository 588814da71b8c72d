/**
 * Elicitation: which categories a list covers, decided by Thompson sampling over the categories (one Beta arm
 * each), so a new person's first lists cover the catalog instead of repeating one guess, and what was learned
 * keeps its slots once the person has shown what they like.
 *
 * The arms' state is the user document itself: its feedback (a like is a success of the item's category, a
 * dislike a failure), its shown map (an item shown and left without a reaction is a failure too), the categories
 * picked at onboarding (`ext.onboarding`: pseudo-likes) and the persona's interest terms (pseudo-likes spread over
 * the categories whose items carry them). Each category forgets by its own newer observations (half weight every
 * `halfLife` of them), so a taste that moves is followed while a category left aside keeps what it learned.
 * Nothing is written: the posteriors are recomputed from the document for each list, so an undone reaction is
 * undone here too, and a merge of two identities merges the bandit with the feedback.
 *
 * A list is planned slot by slot (batched Thompson sampling): each exploitation slot draws one sample per arm and
 * takes the best; the winner's outcome is then hallucinated — a failure for an arm without a success (the next
 * slot covers another category), its own mean for a liked arm (it keeps its slots). Exploration slots (level 1:
 * one while some category was never shown, or when the last list went badly) go to the least-known categories.
 * Each slot is filled by the best-scored item of its category: the content scorer still ranks within a category.
 *
 * @example
 * const post = posteriors(state, index, DEFAULT_BANDIT, rowsMatching);
 * const { rows, exploration } = fillSlots(score, undefined, n, categoryArms(index), post, { count: 5, random, explore: 1 }, DEFAULT_BANDIT);
 */
import { CATEGORIES, type Category, type FeedbackState, type Persona } from '../domain.js';
import type { CatalogIndex } from '../catalog/catalog.js';
import type { ShownState } from '../users/doc.js';

/** The bandit's settings (typed defaults; tuned with `npm run simulate`, see docs/EVALUATION.md). */
export interface BanditSettings {
  /** Beta prior of every arm (pseudo-successes, pseudo-failures). */
  prior: readonly [number, number];
  /** Pseudo-likes for a category picked at onboarding. */
  pickWeight: number;
  /** Pseudo-likes spread over the categories that match the persona's interest terms (and pseudo-failures for its dislikes). */
  personaWeight: number;
  /** Failure weight of a dislike. */
  dislikeWeight: number;
  /** Failure weight of an item shown and left without a reaction (per showing, at most two). */
  skipWeight: number;
  /** Newer observations of the same category after which an observation counts half. */
  halfLife: number;
  /** Weight of the outcome hallucinated (at the arm's mean) each time an arm gets a slot, for the rest of the list. */
  slotPenalty: number;
  /** A last list liked below this share makes level 1 explore even when every category was shown. */
  missBelow: number;
  /** Sharpness of the posterior per exploration level 0..3 (higher: more exploitation). */
  sharpness: readonly [number, number, number, number];
}

export const DEFAULT_BANDIT: BanditSettings = {
  prior: [0.2, 1],
  pickWeight: 3,
  personaWeight: 3,
  dislikeWeight: 1,
  skipWeight: 1,
  halfLife: 10,
  slotPenalty: 2,
  missBelow: 0.4,
  sharpness: [4, 3, 1, 0.5],
};

/** What the bandit reads of a person (a slice of the user document). */
export interface ElicitationState {
  feedback: Record<string, FeedbackState>;
  shown: Record<string, ShownState>;
  persona: Pick<Persona, 'interests' | 'dislikes'>;
  /** Categories picked at onboarding. */
  picks?: readonly Category[];
  /** When they were picked (ISO). */
  pickedAt?: string;
  /** The items of the last list shown in this chat (its liked share says whether the person's taste moved). */
  lastList?: readonly string[];
}

/** Beta posteriors per category code (`CATEGORIES` order). */
export interface ArmPosteriors {
  alpha: Float64Array;
  beta: Float64Array;
  /** Discounted number of real observations per arm (priors excluded). */
  observed: Float64Array;
  /** Observations per arm, not discounted (has the person ever seen this category?). */
  seen: Float64Array;
  /** Time of the newest observation per arm (ISO; '' when never observed). */
  lastAt: string[];
  /** Liked share of the last list (undefined: none shown yet). */
  lastHit?: number;
}

/** Rows whose terms contain `term` (the scorer's keyword lookup, passed in to keep one implementation). */
export type TermRows = (index: CatalogIndex, term: string) => Int32Array[];

/** The arms' posteriors from a person's document. */
export function posteriors(
  state: ElicitationState,
  index: CatalogIndex,
  s: BanditSettings,
  termRows?: TermRows,
): ArmPosteriors {
  const k = CATEGORIES.length;
  const alpha = new Float64Array(k).fill(s.prior[0]);
  const beta = new Float64Array(k).fill(s.prior[1]);
  const observed = new Float64Array(k);
  const seen = new Float64Array(k);
  const codeOf = (id: string): number => {
    const r = index.rowOf.get(id);
    return r === undefined ? -1 : index.categoryCode[r]!;
  };
  // Observations, newest first: [time, arm, success, failure]; `prior`: a pick (decays, but is no observation).
  const obs: { at: string; arm: number; win: number; loss: number; prior?: boolean }[] = [];
  for (const f of Object.values(state.feedback)) {
    const arm = codeOf(f.itemId);
    if (arm < 0) continue;
    obs.push(
      f.signal === 'like' ? { at: f.at, arm, win: 1, loss: 0 } : { at: f.at, arm, win: 0, loss: s.dislikeWeight },
    );
  }
  for (const [id, sh] of Object.entries(state.shown)) {
    if (state.feedback[id]) continue;
    const arm = codeOf(id);
    if (arm >= 0) obs.push({ at: sh.lastAt, arm, win: 0, loss: s.skipWeight * Math.min(2, sh.count) });
  }
  // A pick counts as pseudo-likes made when it was picked, so the person's later reactions to that category
  // outweigh it in time (a picked category they then ignore fades like any other).
  for (const c of state.picks ?? []) {
    const arm = CATEGORIES.indexOf(c);
    if (arm >= 0) obs.push({ at: state.pickedAt ?? '', arm, win: s.pickWeight, loss: 0, prior: true });
  }
  obs.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  const rank = new Int32Array(k);
  const lastAt: string[] = Array.from({ length: k }, () => '');
  obs.forEach((o) => {
    // Each category forgets by its own newer observations: a taste that changes shows in its own arm, and an
    // arm left aside while another is exploited keeps what it learned.
    const w = Math.pow(0.5, rank[o.arm]! / s.halfLife);
    alpha[o.arm]! += w * o.win;
    beta[o.arm]! += w * o.loss;
    if (o.prior) return;
    rank[o.arm]!++;
    if (!lastAt[o.arm]) lastAt[o.arm] = o.at;
    observed[o.arm]! += w;
    seen[o.arm]! += 1;
  });
  if (termRows) {
    spread(alpha, state.persona.interests, s.personaWeight, index, termRows);
    spread(beta, state.persona.dislikes, s.personaWeight, index, termRows);
  }
  const last = state.lastList ?? [];
  const lastHit =
    last.length > 0 ? last.filter((id) => state.feedback[id]?.signal === 'like').length / last.length : undefined;
  return { alpha, beta, observed, seen, lastAt, ...(lastHit === undefined ? {} : { lastHit }) };
}

/** Adds `total` pseudo-counts over the categories in proportion to the (weighted) items matching the terms. */
function spread(
  into: Float64Array,
  terms: readonly { term: string; weight: number }[],
  total: number,
  index: CatalogIndex,
  termRows: TermRows,
): void {
  if (terms.length === 0 || total <= 0) return;
  const hits = new Float64Array(CATEGORIES.length);
  const maxW = Math.max(1e-9, ...terms.map((t) => t.weight));
  for (const t of terms.slice(0, 20)) {
    const lists = termRows(index, t.term);
    const n = lists.reduce((a, l) => a + l.length, 0);
    if (n === 0) continue;
    // Each term spreads its weight over its rows: a term found everywhere says little about any category.
    for (const list of lists) for (const r of list) hits[index.categoryCode[r]!]! += t.weight / maxW / n;
  }
  const sum = hits.reduce((a, b) => a + b, 0);
  if (sum <= 0) return;
  for (let c = 0; c < hits.length; c++) into[c]! += (total * hits[c]!) / sum;
}

/** A Gamma(shape, 1) draw (Marsaglia–Tsang), shape > 0. */
function gamma(shape: number, random: () => number, normal: () => number): number {
  if (shape < 1) return gamma(shape + 1, random, normal) * Math.pow(Math.max(1e-300, random()), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(Math.max(1e-300, u)) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(a, b) draw. */
export function betaSample(a: number, b: number, random: () => number): number {
  const normal = () => {
    const u = Math.max(1e-300, random());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const x = gamma(a, random, normal);
  const y = gamma(b, random, normal);
  return x + y > 0 ? x / (x + y) : 0.5;
}

export interface SlotPlanOptions {
  count: number;
  random: () => number;
  /** Exploration level 0..3 (the person's `/explore`). */
  explore: number;
}

/**
 * The arm of each slot of a list, best first. Exploitation slots: per slot one Thompson draw per arm that still
 * has `available` items; the winner's outcome is hallucinated at its mean for the rest of the list. Exploration
 * slots (the last ones, per level: 0, 1 while some category was never observed, 1, a third of the list): the
 * least-observed categories, in random order — so every category is tried early even once one is clearly liked.
 */
export function planSlots(
  post: ArmPosteriors,
  available: Int32Array,
  o: SlotPlanOptions,
  s: BanditSettings,
): { arms: number[]; explore: number[] } {
  const k = post.alpha.length;
  const a = Float64Array.from(post.alpha);
  const b = Float64Array.from(post.beta);
  const left = Int32Array.from(available);
  const level = Math.max(0, Math.min(3, Math.round(o.explore)));
  const sharp = s.sharpness[level]!;
  const byEvidence = (c: number) => post.observed[c]! + 0.01 * o.random();
  const want = level === 0 ? 0 : level === 3 ? Math.ceil(o.count / 3) : 1;
  const untried = [...Array(k).keys()].filter((c) => left[c]! > 0 && post.seen[c]! === 0);
  // Level 1 explores while some category was never shown, or when the last list went badly (a taste that moved).
  const missed = post.lastHit !== undefined && post.lastHit < s.missBelow;
  const nExplore = Math.min(
    Math.max(0, o.count - 1),
    level === 1 && !missed ? Math.min(want, untried.length) : missed ? want + 1 : want,
  );
  const arms: number[] = [];
  // Once some category had a success, never-seen categories get the exploration slots only (while nothing is
  // known yet, every slot may go to one: the first lists cover the catalog).
  const learned = level > 0 && [...Array(k).keys()].some((c) => post.alpha[c]! > s.prior[0] + 0.5);
  const exploit = (n: number, all = !learned) => {
    for (let slot = 0; slot < n; slot++) {
      let best = -1,
        bestV = -Infinity;
      for (let c = 0; c < k; c++) {
        if (left[c]! <= 0 || (!all && post.seen[c] === 0)) continue;
        const v = betaSample(a[c]! * sharp, b[c]! * sharp, o.random);
        if (v > bestV) {
          bestV = v;
          best = c;
        }
      }
      if (best < 0) {
        if (!all) exploit(n - slot, true);
        return;
      }
      arms.push(best);
      left[best]!--;
      // The slot's outcome is hallucinated: at the arm's mean once the person liked something of it (a liked arm
      // keeps its slots); at half its mean for an arm liked only a priori (the picker's picks, persona terms: the
      // next slot tends to another pick); a failure for an arm known only from the base prior (the first lists
      // cover the catalog).
      const mean = a[best]! / (a[best]! + b[best]!);
      const favoured = post.alpha[best]! > s.prior[0] + 0.5;
      const low = !favoured ? 0 : post.seen[best]! > 0 ? mean : mean / 2;
      a[best]! += s.slotPenalty * low;
      b[best]! += s.slotPenalty * (1 - low);
    }
  };
  exploit(o.count - nExplore);
  // Exploration: the categories observed least (never, at level 1) that this list does not show yet; after a
  // missed list, those whose knowledge is oldest first (never observed, then observed longest ago).
  const explore = [...Array(k).keys()]
    .filter((c) => left[c]! > 0 && !arms.includes(c) && (level !== 1 || missed || post.seen[c]! === 0))
    .map((c) => ({ c, key: byEvidence(c), at: post.lastAt[c]! }))
    .sort((x, y) => (missed && x.at !== y.at ? (x.at < y.at ? -1 : 1) : x.key - y.key))
    .slice(0, nExplore)
    .map((x) => x.c);
  for (const c of explore) left[c]!--;
  // Too few categories left to explore: the remaining slots exploit.
  exploit(o.count - arms.length - explore.length);
  return { arms, explore };
}

/** Which arm each row belongs to: the catalog's categories (the bot), or any other grouping (an eval dataset's genres). */
export interface Arms {
  count: number;
  of(row: number): number;
}

export const categoryArms = (index: CatalogIndex): Arms => ({
  count: CATEGORIES.length,
  of: (row) => index.categoryCode[row]!,
});

/** Posteriors from a prior and picked arms only (a cold person who just answered the picker). */
export function pickedPosteriors(nArms: number, picks: readonly number[], s: BanditSettings): ArmPosteriors {
  const alpha = new Float64Array(nArms).fill(s.prior[0]);
  for (const a of picks) if (a >= 0 && a < nArms) alpha[a]! += s.pickWeight;
  return {
    alpha,
    beta: new Float64Array(nArms).fill(s.prior[1]),
    observed: new Float64Array(nArms),
    seen: new Float64Array(nArms),
    lastAt: Array.from({ length: nArms }, () => ''),
  };
}

/**
 * Fills planned slots with the best-scored rows of each slot's arm (`score` −∞ = excluded), in slot order.
 * `rows`: the scored rows (all rows when absent, `n` of them). Returns the rows and those chosen to explore.
 */
export function fillSlots(
  score: Float32Array,
  rows: Int32Array | undefined,
  n: number,
  arms: Arms,
  post: ArmPosteriors,
  o: SlotPlanOptions,
  s: BanditSettings,
): { rows: number[]; exploration: Set<number> } {
  const k = arms.count;
  // Per arm, the best `count` rows by score (bounded insertion lists; one pass over the scored rows).
  const best: number[][] = Array.from({ length: k }, () => []);
  const m = rows ? rows.length : n;
  for (let j = 0; j < m; j++) {
    const r = rows ? rows[j]! : j;
    const v = score[r]!;
    if (!Number.isFinite(v)) continue;
    const list = best[arms.of(r)]!;
    if (list.length === o.count && score[list[list.length - 1]!]! >= v) continue;
    let at = list.length;
    while (at > 0 && score[list[at - 1]!]! < v) at--;
    list.splice(at, 0, r);
    if (list.length > o.count) list.pop();
  }
  const available = Int32Array.from(best, (l) => l.length);
  const plan = planSlots(post, available, o, s);
  const out: number[] = [];
  const exploration = new Set<number>();
  const next = new Int32Array(k);
  for (const arm of plan.arms) out.push(best[arm]![next[arm]!++]!);
  for (const arm of plan.explore) {
    const r = best[arm]![next[arm]!++]!;
    out.push(r);
    exploration.add(r);
  }
  return { rows: out, exploration };
}

/** Categories of a list of codes (for logs and tests). */
export function categoriesOf(codes: readonly number[]): Category[] {
  return codes.map((c) => CATEGORIES[c]!);
}
