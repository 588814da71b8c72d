/**
 * The ranker's hook into the elicitation bandit: the `select` step of `rankItems` for one person's plain list
 * (no topic, category, source or "more like this"), seeded by the person's own state so the same document
 * gives the same list.
 */
import type { CatalogIndex } from '../catalog/catalog.js';
import type { Category, FeedbackState, Persona, User } from '../domain.js';
import { createRng, fnv1a } from '../eval/random.js';
import { rowsMatching, type RankInput } from '../recommend.js';
import type { ShownState } from '../users/doc.js';
import { categoryArms, fillSlots, posteriors, type BanditSettings } from './bandit.js';

/** What a subject carries for the bandit beyond what every subject has. */
export interface ElicitationSubject {
  /** Categories picked at onboarding (a prior), and when. */
  picks?: readonly Category[];
  pickedAt?: string;
  /** Seed of this list's draws (the person and how many lists they were shown). */
  seed: number;
  /** The last list shown in this chat. */
  lastList?: readonly string[];
}

/** The draws' seed: the person's first platform identity (stable, unlike a generated id) and their list count. */
export function elicitationSeed(user: Pick<User, 'id' | 'identities'>, lists: number): number {
  const first = user.identities.map((i) => `${i.platform}:${i.externalId}`).sort()[0] ?? user.id;
  return fnv1a(`${first}:${lists}`);
}

export function elicitationSelect(
  subject: {
    feedback: Record<string, FeedbackState>;
    shown: Record<string, ShownState>;
    persona: Persona;
    explore: number;
  },
  e: ElicitationSubject,
  index: CatalogIndex,
  count: number,
  settings: BanditSettings,
): NonNullable<RankInput['select']> {
  return (score, rows) => {
    const post = posteriors(
      {
        feedback: subject.feedback,
        shown: subject.shown,
        persona: subject.persona,
        ...(e.picks ? { picks: e.picks } : {}),
        ...(e.pickedAt ? { pickedAt: e.pickedAt } : {}),
        ...(e.lastList ? { lastList: e.lastList } : {}),
      },
      index,
      settings,
      rowsMatching,
    );
    const rng = createRng(e.seed);
    return fillSlots(
      score,
      rows,
      index.items.length,
      categoryArms(index),
      post,
      { count, random: rng.next, explore: subject.explore },
      settings,
    );
  };
}
