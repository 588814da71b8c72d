/**
 * The merge rule of `/link` (the code's creator survives, the redeemer's document is absorbed):
 * feedback — latest `at` wins per item; history — both, sorted by time (capped); shown — counts summed,
 * latest time kept; interests/dislikes — union by term (max weight; a term liked by one side and
 * disliked by the other goes to the side updated last); persona vectors — averaged (same encoder) and
 * re-normalised; identities — union.
 */
import type { Category, Interest, Persona } from '../domain.js';
import { categoryPreferences } from '../feedback/apply.js';
import { LIMITS, identityKey, type UserDoc } from '../users/doc.js';

function maxIso(a: string, b: string): string {
  return a >= b ? a : b;
}

function cap<T>(list: T[], n: number): T[] {
  return list.length > n ? list.slice(list.length - n) : list;
}

/** Merges `b` into `a` (mutates `a`). Exported for unit tests. */
export function mergeDocs(
  a: UserDoc,
  b: UserDoc,
  encoderId: string,
  categoryOf: (itemId: string) => Category | undefined,
): void {
  // user
  const ids = new Map(a.user.identities.map((i) => [identityKey(i.platform, i.externalId), i]));
  for (const i of b.user.identities)
    if (!ids.has(identityKey(i.platform, i.externalId))) ids.set(identityKey(i.platform, i.externalId), i);
  a.user.identities = [...ids.values()];
  if (b.user.createdAt < a.user.createdAt) a.user.createdAt = b.user.createdAt;

  // feedback: the latest reaction wins
  for (const [itemId, fb] of Object.entries(b.feedback)) {
    const mine = a.feedback[itemId];
    if (!mine || fb.at > mine.at) a.feedback[itemId] = fb;
  }
  a.seenKeys = cap([...new Set([...a.seenKeys, ...b.seenKeys])], LIMITS.seenKeys);
  a.history = cap(
    [...a.history, ...b.history.map((e) => ({ ...e, userId: a.user.id }))].sort((x, y) => x.at.localeCompare(y.at)),
    LIMITS.history,
  );
  for (const [itemId, s] of Object.entries(b.shown)) {
    const mine = a.shown[itemId];
    a.shown[itemId] = mine ? { count: mine.count + s.count, lastAt: maxIso(mine.lastAt, s.lastAt) } : s;
  }
  const shownIds = Object.keys(a.shown);
  if (shownIds.length > LIMITS.shown) {
    shownIds.sort((x, y) => a.shown[x]!.lastAt.localeCompare(a.shown[y]!.lastAt));
    for (const id of shownIds.slice(0, shownIds.length - LIMITS.shown)) delete a.shown[id];
  }
  a.impressionIds = cap(
    [...a.impressionIds, ...b.impressionIds.filter((i) => !a.impressionIds.includes(i))],
    LIMITS.impressions,
  );
  a.messageKeys = cap(
    [...a.messageKeys, ...b.messageKeys.filter((k) => !a.messageKeys.includes(k))],
    LIMITS.messageRefs,
  );
  for (const [k, v] of Object.entries(b.lastLists)) if (!a.lastLists[k]) a.lastLists[k] = v;
  for (const [k, v] of Object.entries(b.ext)) {
    const mine = a.ext[k];
    if (mine === undefined) a.ext[k] = v;
    else if (isPlainObject(mine) && isPlainObject(v)) a.ext[k] = mergeExt(v, mine);
  }

  // persona
  mergePersona(a.persona, b.persona, encoderId);
  a.persona.categories = categoryPreferences(a.feedback, categoryOf);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Shallow merge of feature state: arrays are unioned, other values of `win` win. */
function mergeExt(lose: Record<string, unknown>, win: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...lose, ...win };
  for (const [k, v] of Object.entries(lose)) {
    const w = win[k];
    if (Array.isArray(v) && Array.isArray(w)) out[k] = [...new Set([...w, ...v])];
  }
  return out;
}

function mergePersona(a: Persona, b: Persona, encoderId: string): void {
  const aNewer = a.updatedAt >= b.updatedAt;
  const interests = new Map<string, Interest>();
  const dislikes = new Map<string, Interest>();
  const put = (m: Map<string, Interest>, i: Interest) => {
    const prev = m.get(i.term);
    if (!prev) m.set(i.term, { ...i });
    else
      m.set(i.term, {
        ...prev,
        weight: Math.max(prev.weight, i.weight),
        updatedAt: maxIso(prev.updatedAt, i.updatedAt),
        source: prev.source === 'user' || i.source === 'user' ? 'user' : prev.source,
      });
  };
  for (const i of [...a.interests, ...b.interests]) put(interests, i);
  for (const i of [...a.dislikes, ...b.dislikes]) put(dislikes, i);
  // A term on both lists goes to the list where it was updated last.
  for (const [term, like] of interests) {
    const dis = dislikes.get(term);
    if (!dis) continue;
    if (like.updatedAt > dis.updatedAt) dislikes.delete(term);
    else interests.delete(term);
  }
  a.interests = [...interests.values()].sort((x, y) => y.weight - x.weight).slice(0, 40);
  a.dislikes = [...dislikes.values()].sort((x, y) => y.weight - x.weight).slice(0, 40);

  // vectors: average under one encoder, re-normalised; prefer the active encoder
  const av = a.vector && a.encoderId ? { v: a.vector, e: a.encoderId } : undefined;
  const bv = b.vector && b.encoderId ? { v: b.vector, e: b.encoderId } : undefined;
  if (av && bv && av.e === bv.e && av.v.length === bv.v.length) {
    const v = av.v.map((x, i) => (x + bv.v[i]!) / 2);
    const n = Math.hypot(...v) || 1;
    a.vector = v.map((x) => x / n);
  } else if (bv && (!av || (bv.e === encoderId && av.e !== encoderId))) {
    a.vector = [...bv.v];
    a.encoderId = bv.e;
  }

  a.attributes = aNewer ? { ...b.attributes, ...a.attributes } : { ...a.attributes, ...b.attributes };
  a.recentTexts = cap(
    [...a.recentTexts, ...b.recentTexts].sort((x, y) => x.at.localeCompare(y.at)),
    LIMITS.recentTexts,
  );
  a.messageCount += b.messageCount;
  a.updatedAt = maxIso(a.updatedAt, b.updatedAt);
  if (b.removedTerms?.length) a.removedTerms = [...new Set([...(a.removedTerms ?? []), ...b.removedTerms])].slice(-200);
  if (b.lockedAttributes?.length)
    a.lockedAttributes = [...new Set([...(a.lockedAttributes ?? []), ...b.lockedAttributes])];
  if (!a.preferences && b.preferences) a.preferences = b.preferences;
}
