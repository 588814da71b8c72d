/** `/persona` (what the bot knows, and removing a term) and `/explore` (how adventurous lists are). */
import type { Category, Lang, Persona } from '../domain.js';
import type { Clock } from '../ports.js';
import { RecoError } from '../errors.js';
import { dislikedIds, likedIds } from '../feedback/apply.js';
import { describeFilter } from '../filters/filters.js';
import { userFilters } from '../filters/settings.js';
import { categoryName, exploreName, t } from '../messages.js';
import { removeInterest as removePersonaTerm } from '../llm/persona-extract.js';
import { termsWithOrigin } from '../llm/persona-view.js';
import { isPersonaTerm, topInterests } from '../persona.js';
import { sanitizeText } from '../text.js';
import type { Actor, UserDoc } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';

export class PersonaService {
  constructor(
    private readonly users: UserRepository,
    private readonly clock: Clock,
  ) {}

  async persona(actor: Actor): Promise<{ lang: Lang; text: string; persona: Persona }> {
    const doc = await this.users.resolve(actor);
    return { lang: doc.user.lang, text: describePersona(doc), persona: doc.persona };
  }

  /** The actor's own interest and dislike terms (autocomplete); never creates a user. */
  async terms(actor: Actor, max = 40): Promise<string[]> {
    const s = await this.users.open(actor);
    if (s.isNew) return [];
    const p = s.doc.persona;
    return [...new Set([...topInterests(p, max), ...p.dislikes.map((x) => x.term)])];
  }

  /** Removes an interest (or dislike) term the user asks to drop; it will not come back from the LLM either. */
  async removeInterest(actor: Actor, term: string): Promise<{ lang: Lang; removed: boolean; message: string }> {
    const clean = sanitizeText(term, 100).toLowerCase();
    return this.users.exclusive(actor, async () => {
      const session = await this.users.open(actor);
      // The same normalisation (NFKC, case, spaces) as /persona edits and the LLM's blocked terms.
      const removed = await this.users.commit(session, (d) => {
        const result = removePersonaTerm(d.persona, clean, this.clock.now());
        d.persona = result.persona;
        return result.removed;
      });
      const lang = session.doc.user.lang;
      return { lang, removed, message: t(lang, removed ? 'persona.removed' : 'persona.notFound', { term: clean }) };
    });
  }

  async explore(actor: Actor, level?: number): Promise<{ lang: Lang; level: number; message: string }> {
    if (level !== undefined && (!Number.isInteger(level) || level < 0 || level > 3))
      throw new RecoError('INPUT_INVALID', `explore level must be 0-3, got ${level}`);
    return this.users.exclusive(actor, async () => {
      const session = await this.users.open(actor);
      const lang = session.doc.user.lang;
      if (level === undefined) {
        if (session.isNew) await this.users.commit(session, () => undefined);
        const cur = session.doc.user.explore;
        return { lang, level: cur, message: t(lang, 'explore.current', { level: cur, name: exploreName(cur, lang) }) };
      }
      await this.users.commit(session, (d) => {
        d.user.explore = level;
      });
      return { lang, level, message: t(lang, 'explore.set', { level, name: exploreName(level, lang) }) };
    });
  }
}

/** The persona in words, in the user's language. */
export function describePersona(doc: UserDoc): string {
  const lang = doc.user.lang;
  const p = doc.persona;
  const lines: string[] = [];
  const interests = topInterests(p, 10);
  const likes = likedIds(doc).length;
  const dislikes = dislikedIds(doc).length;
  if (
    interests.length === 0 &&
    p.dislikes.length === 0 &&
    likes + dislikes === 0 &&
    Object.keys(p.attributes).length === 0
  ) {
    lines.push(t(lang, 'persona.empty'));
  } else {
    // Terms over the length cap (kept by older versions) are not shown; the next message drops them.
    const shownInterests = p.interests.filter((i) => isPersonaTerm(i.term));
    const shownDislikes = p.dislikes.filter((i) => isPersonaTerm(i.term));
    if (shownInterests.length)
      lines.push(t(lang, 'persona.interests', { list: termsWithOrigin(shownInterests, lang, 10) }));
    if (shownDislikes.length)
      lines.push(t(lang, 'persona.dislikes', { list: termsWithOrigin(shownDislikes, lang, 10) }));
    const cats = Object.entries(p.categories) as [Category, number][];
    const liked = cats
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([c]) => categoryName(c, lang));
    const avoided = cats
      .filter(([, v]) => v < 0)
      .sort((a, b) => a[1] - b[1])
      .map(([c]) => categoryName(c, lang));
    if (liked.length) lines.push(t(lang, 'persona.categories', { list: liked.join(', ') }));
    if (avoided.length) lines.push(t(lang, 'persona.avoidCategories', { list: avoided.join(', ') }));
    const pr = p.preferences;
    if (pr && pr.formats.length + pr.sources.length + pr.languages.length > 0) {
      lines.push(t(lang, 'persona.preferences', { list: [...pr.formats, ...pr.sources, ...pr.languages].join(', ') }));
    }
    const attrs = Object.entries(p.attributes);
    if (attrs.length)
      lines.push(t(lang, 'persona.attributes', { list: attrs.map(([k, v]) => `${k}: ${v}`).join(', ') }));
    lines.push(t(lang, 'persona.feedback', { likes, dislikes }));
  }
  // What was muted, beside what was learned: filters are kept apart from learning and listed apart.
  const muted = userFilters(doc);
  if (muted.length)
    lines.push(t(lang, 'persona.muted', { list: muted.map((f) => describeFilter(f, lang)).join(', ') }));
  lines.push(t(lang, 'persona.explore', { level: doc.user.explore, name: exploreName(doc.user.explore, lang) }));
  return lines.join('\n');
}
