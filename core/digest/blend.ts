/** Group digests: one scoring subject blended from the members who gave feedback in the group. */
import type { FeedbackState, Interest, Lang, Persona, Platform } from '../domain.js';
import { userFilters } from '../filters/settings.js';
import type { Subject } from '../recommend/ranker.js';
import { emptyPersona, type UserDoc } from '../users/doc.js';

/**
 * The scoring subject of a group digest. Rule: the members who gave feedback in the group are blended
 * with equal weight — persona vectors averaged (same encoder) and re-normalised; interest weights
 * averaged over members; a dislike of ANY member is kept (nobody gets what they said they hate);
 * category preferences averaged; feedback unioned (latest reaction wins per item; reacted items are
 * excluded as for one user). "Shown" and the exploration level are the group's own (what was shown in
 * that chat). With no such members, the group's own (empty) persona is used: fresh and popular items.
 * Hard filters (core/filters): every member's mutes apply, like dislikes (nobody is shown what they muted).
 */
export function blendSubject(
  group: UserDoc,
  members: readonly UserDoc[],
  platform: Platform,
  lang: Lang,
  encoderId: string,
): Subject {
  const base: Subject = {
    userId: group.user.id,
    lang,
    platform,
    persona: group.persona,
    feedback: group.feedback,
    shown: group.shown,
    explore: group.user.explore,
  };
  const filters = [...userFilters(group), ...members.flatMap(userFilters)];
  if (filters.length) base.filters = filters;
  if (members.length === 0) return base;
  const n = members.length;
  const persona: Persona = emptyPersona(group.user.id, group.persona.updatedAt);
  const vecs = members.map((m) => m.persona).filter((p) => p.vector && p.encoderId === encoderId);
  const dim = vecs[0]?.vector?.length ?? 0;
  if (dim > 0) {
    const v = new Float64Array(dim);
    let used = 0;
    for (const p of vecs) {
      if (p.vector!.length !== dim) continue;
      for (let i = 0; i < dim; i++) v[i]! += p.vector![i]!;
      used++;
    }
    const norm = Math.hypot(...v) || 1;
    if (used > 0) {
      persona.vector = Array.from(v, (x) => x / norm);
      persona.encoderId = encoderId;
    }
  }
  const interests = new Map<string, Interest>();
  const dislikes = new Map<string, Interest>();
  const cats = new Map<string, number>();
  const feedback: Record<string, FeedbackState> = {};
  for (const m of members) {
    for (const i of m.persona.interests) {
      const prev = interests.get(i.term);
      interests.set(i.term, { ...(prev ?? i), weight: (prev?.weight ?? 0) + i.weight / n });
    }
    for (const d of m.persona.dislikes) {
      const prev = dislikes.get(d.term);
      dislikes.set(d.term, prev && prev.weight >= d.weight ? prev : d);
    }
    for (const [c, v] of Object.entries(m.persona.categories)) cats.set(c, (cats.get(c) ?? 0) + (v ?? 0) / n);
    for (const [id, f] of Object.entries(m.feedback)) if (!feedback[id] || f.at > feedback[id]!.at) feedback[id] = f;
  }
  for (const term of dislikes.keys()) interests.delete(term);
  persona.interests = [...interests.values()].sort((a, b) => b.weight - a.weight).slice(0, 40);
  persona.dislikes = [...dislikes.values()];
  persona.categories = Object.fromEntries(cats) as Persona['categories'];
  return { ...base, persona, feedback };
}
