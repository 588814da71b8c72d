/**
 * Folding extractions and `/persona` corrections into a persona: `mergeExtraction` adds what the LLM found with
 * provenance (`source: 'llm'`); what the user set or removed in `/persona` (`correctPersona`, `removeInterest`)
 * always wins. Shared by every adapter.
 */
import type { Interest, Persona } from '../domain.js';
import { normalizeTerm, type PersonaExtraction } from './persona-schema.js';

/** LLM weights are 0..1; persona weights from messages grow by 1–2 per mention (see core/persona.ts). */
export const LLM_WEIGHT_SCALE = 3;
/** Weight of an interest the user added explicitly. */
export const USER_INTEREST_WEIGHT = 5;
const MAX_INTERESTS = 40;
const MAX_DISLIKES = 40;
const MAX_REMOVED = 200;

function iso(now: Date | string): string {
  return typeof now === 'string' ? now : now.toISOString();
}

function sortCap(list: Interest[], cap: number): Interest[] {
  return list.sort((a, b) => b.weight - a.weight).slice(0, cap);
}

function clonePersona(p: Persona): Persona {
  return structuredClone(p);
}

/**
 * Merges an extraction into a persona (returns a new persona; the input is not changed).
 * - Interests/dislikes the user set (`source: 'user'`) are never changed; terms in `removedTerms` are never added.
 * - An existing non-user term keeps the larger weight (LLM weight × LLM_WEIGHT_SCALE); a new one gets `source: 'llm'`.
 * - A term the user now likes moves out of (non-user) dislikes, and vice versa.
 * - Attributes: allow-listed keys, except keys in `lockedAttributes`.
 * - Preferences (languages, formats, sources): the newest non-empty lists win.
 */
export function mergeExtraction(persona: Persona, extraction: PersonaExtraction, now: Date | string): Persona {
  const at = iso(now);
  const p = clonePersona(persona);
  const removed = new Set((p.removedTerms ?? []).map(normalizeTerm));
  const isUser = (list: Interest[], term: string): boolean =>
    list.some((i) => normalizeTerm(i.term) === term && i.source === 'user');

  const apply = (target: 'interests' | 'dislikes', entries: { term: string; weight: number }[]): void => {
    const other = target === 'interests' ? 'dislikes' : 'interests';
    for (const { term, weight } of entries) {
      if (removed.has(term) || isUser(p[other], term)) continue;
      p[other] = p[other].filter((i) => normalizeTerm(i.term) !== term);
      const scaled = Math.round(weight * LLM_WEIGHT_SCALE * 1000) / 1000;
      const found = p[target].find((i) => normalizeTerm(i.term) === term);
      if (found) {
        if (found.source === 'user') continue;
        if (scaled > found.weight) found.weight = scaled;
        found.updatedAt = at;
      } else if (scaled > 0) {
        p[target].push({ term, weight: scaled, source: 'llm', updatedAt: at });
      }
    }
  };
  apply('interests', extraction.interests);
  apply('dislikes', extraction.dislikes);
  p.interests = sortCap(p.interests, MAX_INTERESTS);
  p.dislikes = sortCap(p.dislikes, MAX_DISLIKES);

  const locked = new Set(p.lockedAttributes ?? []);
  for (const [key, value] of Object.entries(extraction.attributes)) {
    if (value !== undefined && !locked.has(key)) p.attributes[key] = value;
  }
  const prev = p.preferences;
  if (extraction.languages.length + extraction.formats.length + extraction.sources.length > 0 || prev) {
    p.preferences = {
      languages: extraction.languages.length > 0 ? extraction.languages : (prev?.languages ?? []),
      formats: extraction.formats.length > 0 ? extraction.formats : (prev?.formats ?? []),
      sources: extraction.sources.length > 0 ? extraction.sources : (prev?.sources ?? []),
      updatedAt:
        extraction.languages.length + extraction.formats.length + extraction.sources.length > 0
          ? at
          : (prev?.updatedAt ?? at),
    };
  }
  p.updatedAt = at;
  return p;
}

/** A `/persona` correction, the same in every adapter. */
export interface PersonaCorrection {
  addInterests?: string[];
  removeInterests?: string[];
  addDislikes?: string[];
  removeDislikes?: string[];
  /** A string sets the attribute, `null` clears it; either way extraction leaves the key alone afterwards. */
  setAttributes?: Record<string, string | null>;
}

/**
 * Applies a user's correction (returns a new persona). Removed terms go on `removedTerms` so no
 * automatic source adds them back; added ones get `source: 'user'` and leave `removedTerms`.
 */
export function correctPersona(persona: Persona, correction: PersonaCorrection, now: Date | string): Persona {
  const at = iso(now);
  const p = clonePersona(persona);
  const removed = new Set((p.removedTerms ?? []).map(normalizeTerm));
  const drop = (key: 'interests' | 'dislikes', terms: string[] | undefined): void => {
    for (const raw of terms ?? []) {
      const term = normalizeTerm(raw);
      if (!term) continue;
      p[key] = p[key].filter((i) => normalizeTerm(i.term) !== term);
      removed.add(term);
    }
  };
  const add = (key: 'interests' | 'dislikes', terms: string[] | undefined): void => {
    const other = key === 'interests' ? 'dislikes' : 'interests';
    for (const raw of terms ?? []) {
      const term = normalizeTerm(raw);
      if (!term) continue;
      removed.delete(term);
      p[other] = p[other].filter((i) => normalizeTerm(i.term) !== term);
      const found = p[key].find((i) => normalizeTerm(i.term) === term);
      if (found) {
        found.source = 'user';
        found.weight = Math.max(found.weight, USER_INTEREST_WEIGHT);
        found.updatedAt = at;
      } else p[key].push({ term, weight: USER_INTEREST_WEIGHT, source: 'user', updatedAt: at });
    }
  };
  drop('interests', correction.removeInterests);
  drop('dislikes', correction.removeDislikes);
  add('interests', correction.addInterests);
  add('dislikes', correction.addDislikes);
  p.interests = sortCap(p.interests, MAX_INTERESTS);
  p.dislikes = sortCap(p.dislikes, MAX_DISLIKES);
  p.removedTerms = [...removed].slice(-MAX_REMOVED);
  if (p.removedTerms.length === 0) delete p.removedTerms;

  if (correction.setAttributes) {
    const locked = new Set(p.lockedAttributes ?? []);
    for (const [key, value] of Object.entries(correction.setAttributes)) {
      if (value === null) delete p.attributes[key];
      else p.attributes[key] = value;
      locked.add(key);
    }
    p.lockedAttributes = [...locked];
  }
  p.updatedAt = at;
  return p;
}

/**
 * `/persona remove <term>`: drops the interest (and a dislike of the same term) and remembers the
 * removal. `removed` says whether the persona had it.
 */
export function removeInterest(
  persona: Persona,
  term: string,
  now: Date | string,
): { persona: Persona; removed: boolean } {
  const t = normalizeTerm(term);
  const had =
    persona.interests.some((i) => normalizeTerm(i.term) === t) ||
    persona.dislikes.some((i) => normalizeTerm(i.term) === t);
  return { persona: correctPersona(persona, { removeInterests: [term], removeDislikes: [term] }, now), removed: had };
}

/** True when automatic sources (messages, feedback, the LLM) may add this term. */
export function isTermBlocked(persona: Persona, term: string): boolean {
  const t = normalizeTerm(term);
  return (persona.removedTerms ?? []).includes(t);
}
