/**
 * Train / validation / test splits. Rows are (user, item) pairs (deduplicated by the dataset), so a split that
 * assigns rows can never put one pair on both sides. Every split is seeded and reproducible.
 */
import { selectRows, type InteractionDataset, type Interactions } from './datasets.js';
import { createRng } from './random.js';

export type SplitKind = 'random' | 'loo' | 'cold';
export const SPLIT_KINDS = ['random', 'loo', 'cold'] as const satisfies readonly SplitKind[];

export interface Split {
  kind: SplitKind;
  options: Record<string, unknown>;
  train: Interactions;
  valid: Interactions;
  test: Interactions;
  /** Users with no training rows at all (the cold split's held-out users); scored from attributes only. */
  coldUsers: Int32Array;
}

export interface SplitOptions {
  seed?: number;
  /** random: train/valid/test ratios. Default [0.8, 0.1, 0.1]. */
  ratios?: [number, number, number];
  /** cold: share of users held out for test and for validation. Default 0.1 each. */
  coldTestShare?: number;
  coldValidShare?: number;
}

function rowsByUser(ds: InteractionDataset): number[][] {
  const by: number[][] = Array.from({ length: ds.users.length }, () => []);
  const { user } = ds.interactions;
  for (let r = 0; r < user.length; r++) by[user[r]!]!.push(r);
  return by;
}

/**
 * Per-user counts for ratios, RecBole's `_calcu_split_ids`: valid/test get ⌊ratio·n⌋, the rest goes to train,
 * then each empty valid/test part takes one row from train while train keeps more than one.
 */
export function splitCounts(n: number, ratios: readonly number[]): number[] {
  const cnt = ratios.map((r) => Math.floor(r * n));
  cnt[0] = n - cnt.slice(1).reduce((a, b) => a + b, 0);
  for (let i = 1; i < cnt.length; i++) {
    if (cnt[0]! <= 1) break;
    const j = cnt.length - i;
    if (cnt[j] === 0) {
      cnt[j] = 1;
      cnt[0]!--;
    }
  }
  return cnt;
}

function finish(
  ds: InteractionDataset,
  kind: SplitKind,
  options: Record<string, unknown>,
  parts: [number[], number[], number[]],
  cold: number[] = [],
): Split {
  const sort = (a: number[]) => Int32Array.from(a).sort();
  return {
    kind,
    options,
    train: selectRows(ds.interactions, sort(parts[0])),
    valid: selectRows(ds.interactions, sort(parts[1])),
    test: selectRows(ds.interactions, sort(parts[2])),
    coldUsers: Int32Array.from(cold).sort(),
  };
}

/** Random per-user split (default 8:1:1), seeded. */
export function randomSplit(ds: InteractionDataset, options: SplitOptions = {}): Split {
  const seed = options.seed ?? 42;
  const ratios = options.ratios ?? [0.8, 0.1, 0.1];
  const rng = createRng(seed);
  const parts: [number[], number[], number[]] = [[], [], []];
  for (const rows of rowsByUser(ds)) {
    rng.shuffle(rows);
    const [nTrain, nValid] = splitCounts(rows.length, ratios) as [number, number, number];
    parts[0].push(...rows.slice(0, nTrain));
    parts[1].push(...rows.slice(nTrain, nTrain + nValid));
    parts[2].push(...rows.slice(nTrain + nValid));
  }
  return finish(ds, 'random', { seed, ratios }, parts);
}

/**
 * Temporal leave-one-out: per user (rows by time), the last like is the test target, the like before it the
 * validation target; rows after a target go with it (never into training), so training only sees the past.
 * Users with fewer than 3 likes stay entirely in training.
 */
export function leaveOneOutSplit(ds: InteractionDataset, options: SplitOptions = {}): Split {
  const { time, signal } = ds.interactions;
  const parts: [number[], number[], number[]] = [[], [], []];
  for (const rows of rowsByUser(ds)) {
    rows.sort((a, b) => time[a]! - time[b]! || a - b);
    const likes = rows.map((r, k) => (signal[r] === 1 ? k : -1)).filter((k) => k >= 0);
    if (likes.length < 3) {
      parts[0].push(...rows);
      continue;
    }
    const t = likes[likes.length - 1]!;
    const v = likes[likes.length - 2]!;
    parts[0].push(...rows.slice(0, v));
    parts[1].push(...rows.slice(v, t));
    parts[2].push(...rows.slice(t));
  }
  return finish(ds, 'loo', { seed: options.seed ?? 42 }, parts);
}

/** User cold start: a share of users (seeded) is held out entirely — their rows go to test (or validation). */
export function coldStartSplit(ds: InteractionDataset, options: SplitOptions = {}): Split {
  const seed = options.seed ?? 42;
  const testShare = options.coldTestShare ?? 0.1;
  const validShare = options.coldValidShare ?? 0.1;
  const rng = createRng(seed);
  const order = rng.shuffle(Array.from({ length: ds.users.length }, (_, u) => u));
  const nTest = Math.round(testShare * order.length);
  const nValid = Math.round(validShare * order.length);
  const role = new Int8Array(ds.users.length); // 0 train, 1 valid, 2 test
  order.slice(0, nTest).forEach((u) => (role[u] = 2));
  order.slice(nTest, nTest + nValid).forEach((u) => (role[u] = 1));
  const parts: [number[], number[], number[]] = [[], [], []];
  const { user } = ds.interactions;
  for (let r = 0; r < user.length; r++) parts[role[user[r]!]! as 0 | 1 | 2].push(r);
  return finish(
    ds,
    'cold',
    { seed, coldTestShare: testShare, coldValidShare: validShare },
    parts,
    order.slice(0, nTest + nValid),
  );
}

export function makeSplit(ds: InteractionDataset, kind: SplitKind, options: SplitOptions = {}): Split {
  if (kind === 'random') return randomSplit(ds, options);
  if (kind === 'loo') return leaveOneOutSplit(ds, options);
  return coldStartSplit(ds, options);
}
