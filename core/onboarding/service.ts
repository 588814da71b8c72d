/**
 * Onboarding: the interest picker a new person is offered at first contact (and anyone with `/interests`). The
 * options are the catalog's categories and its current topics; what the person picks seeds the persona (topics
 * become interest terms the person stated, which automatic decay never erodes), the elicitation bandit's prior
 * (categories become pseudo-likes) and so the first list. Each step is one flow on the user document: two store
 * round trips to read (identity, document), one to write.
 *
 * @example
 * const r = await onboarding.firstContact(actor);
 * if (r.status === 'offer') showPicker(r.view);            // the adapter's keyboard / select menu / numbered list
 * const done = await onboarding.choose(actor, [1, 4, 9]);  // option numbers
 * if (done.status === 'done') await recommend.deliver(actor, {}, target, sender); // the first list, seeded
 */
import type { CatalogService } from '../catalog/catalog.js';
import { CATEGORIES, type Category, type Lang } from '../domain.js';
import { categoryName, t } from '../messages.js';
import type { Clock, Logger } from '../ports.js';
import type { Actor, UserDoc } from '../users/doc.js';
import type { UserRepository, UserSession } from '../users/repository.js';
import { ONBOARDING_EXT, onboardingOf, type OnboardingState, type PickerOption } from './state.js';
import { currentTopics } from './topics.js';

/** At most this many interests count (Discord's select menu takes the same maximum). */
export const MAX_PICKS = 5;
/** Current topics offered beside the categories (Discord's select menu holds 25 options in all). */
export const PICKER_TOPICS = 8;
/** Weight of a picked topic as a persona interest (a stated interest: decay never erodes it). */
export const PICKED_TOPIC_WEIGHT = 3;

export interface PickerEntry extends PickerOption {
  /** 1-based option number (console, callback data). */
  n: number;
  label: string;
  selected: boolean;
}

export interface PickerView {
  lang: Lang;
  options: PickerEntry[];
  maxPicks: number;
}

export type FirstContact = { status: 'offer'; view: PickerView } | { status: 'known'; lang: Lang };

export type ChooseResult =
  | { status: 'done'; lang: Lang; message: string; categories: Category[]; topics: string[] }
  | { status: 'empty'; lang: Lang; message: string }
  | { status: 'stale'; lang: Lang; message: string };

export interface OnboardingServiceOptions {
  users: UserRepository;
  catalog: CatalogService;
  clock: Clock;
  logger: Logger;
}

/** Whether the bot knows anything about a person (then first contact offers nothing). */
export function knowsSomething(doc: UserDoc): boolean {
  const o = onboardingOf(doc);
  return (
    o.offeredAt !== undefined ||
    o.doneAt !== undefined ||
    doc.persona.messageCount > 0 ||
    Object.keys(doc.feedback).length > 0 ||
    doc.impressionIds.length > 0
  );
}

export class OnboardingService {
  constructor(private readonly o: OnboardingServiceOptions) {}

  /** The options of a new picker: the catalog's categories (those it has items of), then its current topics. */
  options(): PickerOption[] {
    const index = this.o.catalog.index;
    const present = new Set(Array.from(index.categoryCode));
    const cats = CATEGORIES.filter((_, i) => present.has(i)).map((value) => ({ kind: 'category' as const, value }));
    const topics = currentTopics(index, PICKER_TOPICS).map((value) => ({ kind: 'topic' as const, value }));
    return [...cats, ...topics];
  }

  /** First contact: the picker, once, for a person the bot knows nothing about yet; `known` otherwise. */
  async firstContact(actor: Actor): Promise<FirstContact> {
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor);
      if (knowsSomething(session.doc)) return { status: 'known', lang: session.doc.user.lang };
      return { status: 'offer', view: await this.offerNow(session) };
    });
  }

  /** The picker at any time (`/interests`): new options, toggles cleared. */
  async open(actor: Actor): Promise<PickerView> {
    return this.o.users.exclusive(actor, async () => this.offerNow(await this.o.users.open(actor)));
  }

  /** Telegram's multi-select: toggles option `n` of the picker last shown. */
  async toggle(actor: Actor, n: number): Promise<{ status: 'ok'; view: PickerView } | ChooseResult> {
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor);
      const lang = session.doc.user.lang;
      const state = onboardingOf(session.doc);
      if (!state.options?.[n - 1]) return { status: 'stale', lang, message: t(lang, 'onboard.stale') };
      const selected = await this.o.users.commit(session, (d) => {
        const s = { ...onboardingOf(d) };
        const set = new Set(s.selected ?? []);
        if (set.has(n - 1)) set.delete(n - 1);
        else if (set.size < MAX_PICKS) set.add(n - 1);
        s.selected = [...set].sort((a, b) => a - b);
        d.ext[ONBOARDING_EXT] = s;
        return s.selected;
      });
      return { status: 'ok', view: this.view(lang, state.options, selected) };
    });
  }

  /**
   * The person's answer: option numbers (console, Discord), or the toggles so far when absent (Telegram's Done).
   * Seeds the persona and the bandit's prior; the adapter then delivers the first list.
   */
  async choose(actor: Actor, numbers?: readonly number[]): Promise<ChooseResult> {
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor);
      const lang = session.doc.user.lang;
      const state = onboardingOf(session.doc);
      // Numbers refer to the picker last shown; without one, to the picker the person would see now.
      const options = state.options ?? this.options();
      const idx = numbers ? numbers.map((x) => x - 1) : (state.selected ?? []);
      if (idx.some((i) => !options[i]))
        return { status: 'stale', lang, message: t(lang, 'onboard.badNumber', { max: options.length }) };
      const chosen = [...new Set(idx)].slice(0, MAX_PICKS).map((i) => options[i]!);
      if (chosen.length === 0) return { status: 'empty', lang, message: t(lang, 'onboard.nothingPicked') };
      const categories = chosen.filter((c) => c.kind === 'category').map((c) => c.value as Category);
      const topics = chosen.filter((c) => c.kind === 'topic').map((c) => c.value);
      const now = this.o.clock.now().toISOString();
      await this.o.users.commit(session, (d) => seed(d, options, categories, topics, now));
      const labels = chosen.map((c) => labelOf(c, lang));
      return {
        status: 'done',
        lang,
        message: t(lang, 'onboard.picked', { list: labels.join(', ') }),
        categories,
        topics,
      };
    });
  }

  /** The person skipped the picker: it is not offered again at first contact. */
  async skip(actor: Actor): Promise<{ lang: Lang; message: string }> {
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor);
      const now = this.o.clock.now().toISOString();
      await this.o.users.commit(session, (d) => {
        d.ext[ONBOARDING_EXT] = { ...onboardingOf(d), offeredAt: onboardingOf(d).offeredAt ?? now, doneAt: now };
      });
      return { lang: session.doc.user.lang, message: t(session.doc.user.lang, 'onboard.skipped') };
    });
  }

  private async offerNow(session: UserSession): Promise<PickerView> {
    const options = this.options();
    const now = this.o.clock.now().toISOString();
    await this.o.users.commit(session, (d) => {
      const prev = onboardingOf(d);
      const next: OnboardingState = { ...prev, offeredAt: prev.offeredAt ?? now, options, selected: [] };
      d.ext[ONBOARDING_EXT] = next;
    });
    return this.view(session.doc.user.lang, options, []);
  }

  private view(lang: Lang, options: readonly PickerOption[], selected: readonly number[]): PickerView {
    const on = new Set(selected);
    return {
      lang,
      maxPicks: MAX_PICKS,
      options: options.map((o, i) => ({ ...o, n: i + 1, label: labelOf(o, lang), selected: on.has(i) })),
    };
  }
}

/** A picker option as the person reads it: the category's name in their language, or the topic with a `#`. */
export function labelOf(o: PickerOption, lang: Lang): string {
  return o.kind === 'category' ? categoryName(o.value as Category, lang) : `#${o.value}`;
}

/** Applies picks to a document (pure in the document: a retried commit applies it again to a fresh one). */
function seed(
  d: UserDoc,
  options: PickerOption[],
  categories: readonly Category[],
  topics: readonly string[],
  now: string,
): void {
  const prev = onboardingOf(d);
  d.ext[ONBOARDING_EXT] = {
    ...prev,
    offeredAt: prev.offeredAt ?? now,
    options,
    selected: [],
    categories: [...new Set([...(prev.categories ?? []), ...categories])],
    topics: [...new Set([...(prev.topics ?? []), ...topics])],
    doneAt: now,
  } satisfies OnboardingState;
  const p = d.persona;
  const removed = new Set(p.removedTerms ?? []);
  for (const term of topics) {
    if (removed.delete(term)) p.removedTerms = [...removed];
    p.dislikes = p.dislikes.filter((x) => x.term !== term);
    const found = p.interests.find((x) => x.term === term);
    if (found) {
      found.weight = Math.max(found.weight, PICKED_TOPIC_WEIGHT);
      found.source = 'user';
      found.updatedAt = now;
    } else p.interests.push({ term, weight: PICKED_TOPIC_WEIGHT, source: 'user', updatedAt: now });
  }
  p.interests.sort((a, b) => b.weight - a.weight);
  p.updatedAt = now;
}
