/**
 * The simulator's results: learning curves per person and averaged (liked share per round against the base
 * rate), a printed table, and the experiment record (kind `simulate`) the dashboard reads — one "model" per
 * catalog × policy with `liked@r<N>` metrics (mean over people, one value per seed), and the curves in `extra`.
 */
import { createHash } from 'node:crypto';
import { experimentId, summarize, type ExperimentRun } from '../../core/eval/experiment.js';
import type { SimOptions, UserCurve } from './run.js';

/** One simulated run: a catalog, a list policy, with or without onboarding, one seed. */
export interface SimRun {
  catalog: string;
  items: number;
  policy: 'bandit' | 'off';
  onboard: boolean;
  seed: number;
  curves: UserCurve[];
  seconds: number;
}

/** The curves of one catalog × policy × onboarding over every seed and person. */
export interface LearningSeries {
  catalog: string;
  policy: 'bandit' | 'off';
  onboard: boolean;
  /** Mean liked share per round (over people and seeds). */
  mean: number[];
  /** The same over the consistent people only. */
  consistentMean: number[];
  /** Mean base rate per round (the liked share of a random list). */
  baseRate: number[];
  /** Each person of each seed: liked share per round. */
  users: { user: string; seed: number; consistent: boolean; liked: number[]; poolLeft: number[] }[];
}

export const seriesKey = (r: Pick<SimRun, 'catalog' | 'policy' | 'onboard'>): string =>
  `${r.policy}${r.onboard ? '+onboard' : ''}/${r.catalog}`;

const share = (c: UserCurve, r: number) => (c.shown[r]! > 0 ? c.liked[r]! / c.shown[r]! : 0);

function meanPerRound(curves: readonly UserCurve[], rounds: number, f: (c: UserCurve, r: number) => number): number[] {
  return Array.from({ length: rounds }, (_, r) =>
    curves.length === 0 ? 0 : curves.reduce((a, c) => a + f(c, r), 0) / curves.length,
  );
}

export function learningSeries(runs: readonly SimRun[], rounds: number): LearningSeries[] {
  const groups = new Map<string, SimRun[]>();
  for (const r of runs) groups.set(seriesKey(r), [...(groups.get(seriesKey(r)) ?? []), r]);
  return [...groups.values()].map((g) => {
    const all = g.flatMap((r) => r.curves.map((c) => ({ c, seed: r.seed })));
    const curves = all.map((x) => x.c);
    return {
      catalog: g[0]!.catalog,
      policy: g[0]!.policy,
      onboard: g[0]!.onboard,
      mean: meanPerRound(curves, rounds, share),
      consistentMean: meanPerRound(
        curves.filter((c) => c.consistent),
        rounds,
        share,
      ),
      baseRate: meanPerRound(curves, rounds, (c, r) => c.baseRate[r]!),
      users: all.map(({ c, seed }) => ({
        user: c.user,
        seed,
        consistent: c.consistent,
        liked: c.liked.map((_, r) => share(c, r)),
        poolLeft: c.poolLeft,
      })),
    };
  });
}

/**
 * Whether a consistent person met the target: at least `atLeast` liked of each list from round `from` on, as long
 * as at least a list's worth of liked items was still unseen. Returns the rounds (1-based) that missed it.
 */
export function missedRounds(c: UserCurve, from = 3, atLeast = 4): number[] {
  const out: number[] = [];
  for (let r = from - 1; r < c.liked.length; r++)
    if (c.poolLeft[r]! >= c.shown[r]! && c.shown[r]! > 0 && c.liked[r]! < Math.min(atLeast, c.shown[r]!))
      out.push(r + 1);
  return out;
}

/** The printed table: one line per person (liked of N per round), then the means and the base rate. */
export function formatRuns(runs: readonly SimRun[], rounds: number): string {
  const lines: string[] = [];
  for (const s of learningSeries(runs, rounds)) {
    const n = runs.find((r) => seriesKey(r) === seriesKey(s))!.items;
    lines.push(`\n${seriesKey(s)} (${n} items)`);
    for (const r of runs.filter((x) => seriesKey(x) === seriesKey(s)))
      for (const c of r.curves) {
        const miss = c.consistent ? missedRounds(c) : [];
        const note = c.consistent ? (miss.length ? `  below 4 at rounds ${miss.join(',')}` : '  ≥4 from round 3') : '';
        lines.push(`  ${`${c.user} #${r.seed}`.padEnd(30)} ${c.liked.join(',').padEnd(2 * rounds)}${note}`);
      }
    const pct = (xs: number[]) => xs.map((x) => (x * 100).toFixed(0).padStart(3)).join(' ');
    lines.push(`  ${'mean liked %'.padEnd(30)} ${pct(s.mean)}`);
    lines.push(`  ${'  consistent people'.padEnd(30)} ${pct(s.consistentMean)}`);
    lines.push(`  ${'base rate %'.padEnd(30)} ${pct(s.baseRate)}`);
  }
  return lines.join('\n');
}

/** The experiment record: one model per series, `liked@r<N>` (and `liked@r3+`) summarised over seeds. */
export function experimentRun(runs: readonly SimRun[], o: SimOptions, argv: string[], at: Date): ExperimentRun {
  const series = learningSeries(runs, o.rounds);
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  const models = series.map((s) => {
    const perSeed = (f: (c: UserCurve) => number) =>
      summarize(
        seeds.map((seed) => {
          const cs = runs.filter((r) => seriesKey(r) === seriesKey(s) && r.seed === seed).flatMap((r) => r.curves);
          return cs.length ? cs.reduce((a, c) => a + f(c), 0) / cs.length : 0;
        }),
      );
    const metrics: ExperimentRun['models'][number]['metrics'] = {};
    for (let r = 0; r < o.rounds; r++) metrics[`liked@r${r + 1}`] = perSeed((c) => share(c, r));
    metrics['liked@r3+'] = perSeed((c) => {
      const xs = c.liked.slice(2).map((_, i) => share(c, i + 2));
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
    });
    metrics.baseRate = perSeed((c) => c.baseRate[0]!);
    const mine = runs.filter((r) => seriesKey(r) === seriesKey(s));
    return {
      name: seriesKey(s),
      family: 'simulate',
      params: { policy: s.policy, onboard: s.onboard, catalog: s.catalog, count: o.count, encoder: o.encoder },
      metrics,
      fitSeconds: summarize(
        seeds.map((seed) => mine.filter((r) => r.seed === seed).reduce((a, r) => a + r.seconds, 0)),
      ),
      users: mine.find((r) => r.seed === seeds[0])?.curves.length ?? 0,
    };
  });
  const people = new Set(runs.flatMap((r) => r.curves.map((c) => `${r.catalog}:${c.user}`)));
  const reactions = runs.reduce((a, r) => a + r.curves.reduce((b, c) => b + c.shown.reduce((x, y) => x + y, 0), 0), 0);
  const catalogs = [...new Map(runs.map((r) => [r.catalog, r.items])).entries()];
  return {
    schema: 1,
    id: experimentId('simulate', at),
    kind: 'simulate',
    label: `simulate ${catalogs.map(([c]) => c).join(', ')}`,
    createdAt: at.toISOString(),
    git: { commit: null, dirty: null },
    argv,
    node: process.version,
    dataset: {
      name: catalogs.map(([c]) => c).join('+'),
      fingerprint: createHash('sha256').update(JSON.stringify(catalogs)).digest('hex'),
      users: people.size,
      items: catalogs.reduce((a, [, n]) => a + n, 0),
      interactions: reactions,
      meta: { simulated: true },
    },
    split: {
      kind: 'simulate',
      positive: 'all',
      options: { rounds: o.rounds, count: o.count, encoder: o.encoder, clusters: o.clusters },
      train: 0,
      valid: 0,
      test: 0,
      coldUsers: people.size,
    },
    ks: [o.count],
    seeds,
    models,
    extra: { learning: { rounds: o.rounds, count: o.count, series } },
  };
}
