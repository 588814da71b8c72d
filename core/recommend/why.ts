/**
 * "Why?" on a shown item: every fact the scoring recorded for the pick (the evidence kept with the message
 * mapping when the list was sent), in the person's language — templated from the evidence as core/explain.ts
 * does, with the one-line summary reworded by the LLM through the grounded path when one is configured
 * (`Explanations`). An item whose list kept no evidence (a digest) is scored again now, and says so.
 * Store round trips: the identity with the message (1), the user document (2); nothing is written.
 */
import type { Evidence, Lang, Platform } from '../domain.js';
import { formatAge } from '../explain.js';
import type { ControlsService } from '../filters/service.js';
import { userFilters } from '../filters/settings.js';
import { categoryName, t } from '../messages.js';
import type { Actor, UserDoc } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';
import type { Explanations } from './explanations.js';
import type { Ranker } from './ranker.js';

export type WhyResult =
  | { status: 'ok'; lang: Lang; itemId: string; text: string; recomputed: boolean }
  | { status: 'not-shown'; lang: Lang; message: string };

export interface WhyServiceOptions {
  users: UserRepository;
  controls: ControlsService;
  ranker: Ranker;
  explanations: Explanations;
}

function quote(title: string, max = 60): string {
  const chars = Array.from(title);
  return `'${chars.length <= max ? title : `${chars.slice(0, max - 1).join('')}…`}'`;
}

/** The facts of the evidence, one line each, in `lang` (no fact that is not in the evidence). */
export function whyLines(e: Evidence, lang: Lang): string[] {
  const lines: string[] = [];
  if (e.topicTerms.length) lines.push(t(lang, 'why.topicAll', { terms: e.topicTerms.join(', ') }));
  if (e.likedSimilar.length)
    lines.push(t(lang, 'why.likedAll', { titles: e.likedSimilar.map((l) => quote(l.title)).join(', ') }));
  if (e.interests.length) lines.push(t(lang, 'why.interestsAll', { terms: e.interests.join(', ') }));
  if (e.likedCategory) lines.push(t(lang, 'why.categoryLiked', { category: categoryName(e.category, lang) }));
  lines.push(t(lang, 'why.age', { age: formatAge(e.ageHours, lang) }));
  if (e.popular) lines.push(t(lang, 'why.popularNow', { source: e.source }));
  if (e.exploration) lines.push(t(lang, 'why.exploring'));
  return lines;
}

export class WhyService {
  constructor(private readonly o: WhyServiceOptions) {}

  /**
   * "Why?" for item `position` of the last list in this chat, when the adapter knows no message for it (a text
   * chat after a restart): the evidence is worked out again now.
   */
  async whyListItem(actor: Actor, chatId: string, position: number): Promise<WhyResult> {
    const { doc } = await this.o.users.open(actor);
    const lang = doc.user.lang;
    const itemId = doc.lastLists[`${actor.platform}:${chatId}`]?.itemIds[position - 1];
    if (!itemId) return { status: 'not-shown', lang, message: t(lang, 'react.unknownItem', { n: position }) };
    return this.explain(doc, actor, itemId, undefined);
  }

  /** The "why?" text for the item `pick` chooses among the message's items (it must be one of them). */
  async why(
    actor: Actor,
    message: { platform: Platform; chatId: string; messageId: string },
    pick: (itemIds: readonly string[]) => string | undefined,
  ): Promise<WhyResult> {
    const found = await this.o.controls.shownItem(actor, message, pick);
    if (!found.ok) return found.reply;
    return this.explain(found.doc, actor, found.itemId, found.evidence);
  }

  private async explain(doc: UserDoc, actor: Actor, itemId: string, kept: Evidence | undefined): Promise<WhyResult> {
    const lang = doc.user.lang;
    let evidence = kept;
    const recomputed = !evidence;
    if (!evidence) evidence = await this.o.ranker.evidenceFor(this.o.ranker.subjectOf(doc, actor.platform), itemId);
    if (!evidence) return { status: 'not-shown', lang, message: t(lang, 'error.NOT_FOUND') };
    const [lead] = await this.o.explanations.explain(doc.user.id, lang, [evidence]);
    const lines = [
      t(lang, 'why.header', { title: quote(evidence.title, 80).slice(1, -1) }),
      ...(lead ? [t(lang, 'why.lead', { line: lead })] : []),
      ...whyLines(evidence, lang).map((l) => `• ${l}`),
    ];
    if (userFilters(doc).length) lines.push(t(lang, 'why.filtersNote'));
    if (recomputed) lines.push(t(lang, 'why.recomputed'));
    return { status: 'ok', lang, itemId, text: lines.join('\n'), recomputed };
  }
}
