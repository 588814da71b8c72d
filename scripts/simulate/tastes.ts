/**
 * Simulated people for `npm run simulate`: each has a hidden taste (categories, topic terms or embedding clusters
 * it likes and dislikes) and reacts to a shown item the way a person does: 👍 what it likes, 👎 what it dislikes,
 * nothing for the rest. Some are noisy (a share of reactions is wrong or missing), some drift (the taste changes
 * at a given round). Plain data and pure functions; the run itself is in run.ts.
 */
import type { ContentItem } from '../../core/domain.js';
import { terms as termsOf } from '../../core/text.js';
import { itemText } from '../../core/catalog/catalog.js';

export type Opinion = 'like' | 'dislike' | 'neutral';

/** One taste: which categories / terms / clusters are liked and disliked. */
export interface TasteSpec {
  kind: 'category' | 'topic' | 'cluster';
  liked: readonly string[];
  disliked: readonly string[];
}

export interface SimUserSpec {
  name: string;
  taste: TasteSpec;
  /** Share of reactions that go wrong: a like not given, a neutral item liked, a dislike not given (0 = consistent). */
  noise?: number;
  /** From this round on (1-based), the taste is `to`. */
  drift?: { atRound: number; to: TasteSpec };
  /** Whether items the person neither likes nor dislikes get a 👎 (default: ignored). */
  neutral?: 'ignore' | 'dislike';
  /** Interests the person picks in the onboarding picker (labels or category ids), when onboarded. */
  picks?: readonly string[];
}

/** What the simulator knows about an item beyond what the person sees: its embedding cluster. */
export interface ItemFacts {
  item: ContentItem;
  terms: ReadonlySet<string>;
  cluster: number;
}

export function factsOf(item: ContentItem, cluster: number): ItemFacts {
  return { item, terms: new Set(termsOf(itemText(item))), cluster };
}

function matches(spec: TasteSpec, list: readonly string[], f: ItemFacts): boolean {
  switch (spec.kind) {
    case 'category':
      return list.includes(f.item.category);
    case 'cluster':
      return list.includes(String(f.cluster));
    case 'topic':
      return list.some((t) => f.terms.has(t));
  }
}

/** Which of the person's liked categories / terms / clusters an item matches (at a round). */
export function likedKeysOf(user: SimUserSpec, f: ItemFacts, round: number): string[] {
  const spec = user.drift && round >= user.drift.atRound ? user.drift.to : user.taste;
  if (matches(spec, spec.disliked, f)) return [];
  return spec.liked.filter((k) => matches(spec, [k], f));
}

/** The person's liked categories / terms / clusters at a round. */
export function likedKeys(user: SimUserSpec, round: number): readonly string[] {
  return (user.drift && round >= user.drift.atRound ? user.drift.to : user.taste).liked;
}

/** The person's true opinion of an item at a round (no noise). */
export function opinionOf(user: SimUserSpec, f: ItemFacts, round: number): Opinion {
  const spec = user.drift && round >= user.drift.atRound ? user.drift.to : user.taste;
  if (matches(spec, spec.disliked, f)) return 'dislike';
  if (matches(spec, spec.liked, f)) return 'like';
  return 'neutral';
}

/** The reaction the person gives (with noise drawn from `random`), or none. */
export function reactionOf(
  user: SimUserSpec,
  f: ItemFacts,
  round: number,
  random: () => number,
): 'like' | 'dislike' | undefined {
  const truth = opinionOf(user, f, round);
  const noisy = (user.noise ?? 0) > 0 && random() < user.noise!;
  if (truth === 'like') return noisy ? undefined : 'like';
  if (truth === 'dislike') return noisy ? undefined : 'dislike';
  if (noisy) return 'like';
  return user.neutral === 'dislike' ? 'dislike' : undefined;
}

/** A person is consistent when their reactions follow the taste exactly and it never changes. */
export function isConsistent(user: SimUserSpec): boolean {
  return !user.noise && !user.drift;
}

/**
 * The four category-consistent people of issue 17 (built-in catalog), a topic person, a cluster person,
 * a noisy one and a drifting one.
 */
export function builtinUsers(): SimUserSpec[] {
  const cat = (liked: string[], disliked: string[]): TasteSpec => ({ kind: 'category', liked, disliked });
  return [
    { name: 'games+tech', taste: cat(['games', 'tech'], ['fashion', 'food']), picks: ['games', 'tech'] },
    {
      name: 'fashion+entertainment',
      taste: cat(['fashion', 'entertainment'], ['games', 'finance']),
      picks: ['fashion', 'entertainment'],
    },
    { name: 'food+travel', taste: cat(['food', 'travel'], ['games', 'tech']), picks: ['food', 'travel'] },
    { name: 'music+science', taste: cat(['music', 'science'], ['sports', 'news']), picks: ['music', 'science'] },
    {
      name: 'noisy sports+finance',
      taste: cat(['sports', 'finance'], ['fashion']),
      noise: 0.2,
      picks: ['sports', 'finance'],
    },
    {
      name: 'drift lifestyle→news',
      taste: cat(['lifestyle'], ['games']),
      drift: { atRound: 6, to: cat(['news', 'finance'], ['games']) },
      picks: ['lifestyle'],
    },
  ];
}

/**
 * People for the synthetic catalog (scripts/bench/catalog-gen.ts vocabulary): two category people (one on small
 * categories), two topic people (terms of one category, terms across two), two cluster people (k-means clusters of
 * the catalog's text vectors), a noisy one and a drifting one.
 */
export function syntheticUsers(): SimUserSpec[] {
  return [
    {
      name: 'games+music',
      taste: { kind: 'category', liked: ['games', 'music'], disliked: ['news'] },
      picks: ['games', 'music'],
    },
    {
      name: 'science+travel',
      taste: { kind: 'category', liked: ['science', 'travel'], disliked: ['finance'] },
      picks: ['science', 'travel'],
    },
    {
      name: 'topic football,baseball',
      taste: { kind: 'topic', liked: ['football', 'baseball', '축구', '야구'], disliked: ['election'] },
      picks: ['sports'],
    },
    {
      name: 'topic ramen,coffee,jeju',
      taste: { kind: 'topic', liked: ['ramen', 'coffee', 'jeju', '라면', '제주'], disliked: [] },
      picks: ['food', 'travel'],
    },
    { name: 'cluster 2+5', taste: { kind: 'cluster', liked: ['2', '5'], disliked: ['0'] } },
    { name: 'cluster 7', taste: { kind: 'cluster', liked: ['7'], disliked: [] } },
    {
      name: 'noisy tech',
      taste: { kind: 'category', liked: ['tech'], disliked: ['fashion'] },
      noise: 0.2,
      picks: ['tech'],
    },
    {
      name: 'drift entertainment→food',
      taste: { kind: 'category', liked: ['entertainment'], disliked: [] },
      drift: { atRound: 6, to: { kind: 'category', liked: ['food'], disliked: [] } },
      picks: ['entertainment'],
    },
  ];
}
