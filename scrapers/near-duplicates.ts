/**
 * The same story from two portals: the near-duplicate rule. Two items are the same story when
 *
 *   - their titles are near-identical (character-trigram Jaccard ≥ `titleJaccard`), or
 *   - their title+summary embeddings are close (cosine ≥ `cosine`) AND they name the same things
 *     (≥ `minSharedEntities` shared entities, covering ≥ `entityOverlap` of the smaller set) AND
 *     their numbers do not contradict each other (a 7th vs an 8th rate hold, 700 km vs 550 km,
 *     the 21st vs the 25th) when `vetoOnNumberConflict`.
 *
 * Entities are a cheap, language-aware stand-in for named-entity recognition: capitalised and
 * alphanumeric Latin tokens (Powell, WWDC, HBM4, S24) and Hangul content words with their particles
 * stripped (누리호, 기준금리, 데이터센터). Numbers carry their unit (%, km, 원/달러, 연속/consecutive,
 * 번째/차/ordinal, 일/day …), so only numbers of the same kind are compared.
 *
 * The embedding is the built-in lexical encoder of core/lexical.ts (unfitted, so its scale does
 * not drift with the catalog) over title + summary: the thresholds below were chosen on a labelled
 * set of real headline pairs (tests/fixtures/scrapers/dedupe/same-story-set.json; precision/recall
 * in docs/SCRAPERS.md), and a threshold means nothing for another encoder's similarity scale.
 */
import { LexicalEncoder } from '../core/lexical.js';
import { words } from '../core/text.js';
import { jaccard, titleKey, trigrams } from './normalize.js';

export interface StoryText {
  title: string;
  summary?: string;
  /** ISO time; two reports of one event are published within `windowHours` of each other. */
  publishedAt?: string;
}

export interface NumberMention {
  value: number;
  unit: string;
}

export interface StoryFeatures {
  /** Title trigrams (of the normalised title key). */
  grams: Set<string>;
  /** Publication time (ms), when known. */
  at?: number;
  entities: Set<string>;
  numbers: NumberMention[];
}

export interface SameStoryRule {
  /** Items published further apart than this are different stories (unknown times never rule a pair out). */
  windowHours: number;
  titleJaccard: number;
  cosine: number;
  /** The cosine needed when either publication time is unknown (no time evidence: ask for more text evidence). */
  cosineUndated: number;
  minSharedEntities: number;
  entityOverlap: number;
  vetoOnNumberConflict: boolean;
}

/**
 * Chosen on the labelled set (see the test `near-duplicates.test.ts`, which asserts this is the
 * best rule of its grid on that set by F0.5 — precision counts double: merging two different
 * stories hides one from every user, a missed duplicate only shows a story twice).
 */
export const SAME_STORY_RULE: SameStoryRule = {
  windowHours: 24,
  titleJaccard: 0.5,
  cosine: 0.225,
  cosineUndated: 0.625,
  minSharedEntities: 1,
  entityOverlap: 0,
  vetoOnNumberConflict: true,
};

const STOP_CAPS = new Set(
  `the a an in on at as after before how why what when where who this that these those it its his her their our
  and or but for from with without to of by is are was were be has have had will would can could may might
  monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
  september october november december jan feb mar apr jun jul aug sep sept oct nov dec today yesterday`.split(/\s+/),
);

/** Hangul words too generic to name anything (news verbs, time words, units). */
const STOP_HANGUL = new Set(
  `오늘 어제 이날 지난 오는 올해 지난해 내년 오전 오후 이번 현재 관련 위해 대한 통해 따르면 밝혔다 했다 한다 있다 없다 됐다
  것으로 것이다 있는 없는 하는 했다고 밝혀 나타났다 전했다 말했다 발표했다 결정했다 기자 뉴스 사진 연합뉴스 제공 업계 이후 이어
  가운데 등을 등이 대해 때문 이다 에서 까지 부터 그러나 하지만 또한 한편 모두 가장 처음 이상 이하 정도 경우 수준`.split(
    /\s+/,
  ),
);

/** Hangul words that end like a verb or adjective form ("동결했다", "결정했다고", "열고"): not names. */
const PREDICATE =
  /(?:다|고|며|서|는|던|한|된|될|할|지만|면서|으나|는데|라며|도록|기로|하여|해서|했던|하는|되는|있는)$/u;

const ORDINAL_EN: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  eleventh: 11,
  twelfth: 12,
};
const COUNT_KO: Record<string, number> = {
  한: 1,
  두: 2,
  세: 3,
  네: 4,
  다섯: 5,
  여섯: 6,
  일곱: 7,
  여덟: 8,
  아홉: 9,
  열: 10,
};

/** Unit spellings → a unit kind. */
const UNITS: [RegExp, string][] = [
  [/^(?:%p|퍼센트포인트|%포인트)$/u, 'pp'],
  [/^(?:%|％|퍼센트|percent)$/iu, '%'],
  [/^(?:km|㎞|킬로미터|kilometers?)$/iu, 'km'],
  [/^(?:달러|dollars?|usd)$/iu, 'usd'],
  [/^(?:원|만\s*원|억\s*원|조\s*원)$/u, 'krw'],
  [/^(?:연속|consecutive|straight|in a row)$/iu, 'streak'],
  [/^(?:번째|차|th|st|nd|rd|회차)$/iu, 'ordinal'],
  [/^(?:일)$/u, 'day'],
  [/^(?:명|people)$/iu, 'people'],
];

function unitKind(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const u = raw.trim();
  return UNITS.find(([re]) => re.test(u))?.[1];
}

/** Numbers with a unit kind: "3.50%", "8연속", "세 차례 연속", "sixth straight", "$3,499", "700km", "25일". */
export function numberMentions(text: string): NumberMention[] {
  const out: NumberMention[] = [];
  const t = text.replace(/\u00a0/g, ' ');
  for (const m of t.matchAll(
    /(\$|US\$)?\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(%p|%포인트|%|％|퍼센트|km|㎞|달러|dollars?|억\s*원|조\s*원|만\s*원|원|연속|차례\s*연속|번째|차(?=\s|$|[ㄱ-힣])|th|st|nd|rd|일(?![ㄱ-힣])|명)?/giu,
  )) {
    const value = Number(m[2]!.replace(/,/g, ''));
    if (!Number.isFinite(value)) continue;
    const unit = m[1] ? 'usd' : unitKind(m[3]?.replace(/^차례\s*/, ''));
    if (unit) out.push({ value, unit });
  }
  for (const m of t.matchAll(
    /\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)\s+(?:straight|consecutive|time in a row)/giu,
  ))
    out.push({ value: ORDINAL_EN[m[1]!.toLowerCase()]!, unit: 'streak' });
  for (const m of t.matchAll(/(\d+)(?:st|nd|rd|th)\s+(?:straight|consecutive|time in a row)/giu))
    out.push({ value: Number(m[1]), unit: 'streak' });
  for (const m of t.matchAll(/(한|두|세|네|다섯|여섯|일곱|여덟|아홉|열)\s*(?:차례|번)\s*(?:연속|째)?/gu))
    out.push({ value: COUNT_KO[m[1]!]!, unit: 'streak' });
  return out;
}

/** Named things: capitalised/alphanumeric Latin tokens and Hangul content words. */
export function entities(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/\b(?:[A-Z][A-Za-z0-9&'’.-]*[A-Za-z0-9]|[A-Z]{2,}|[A-Za-z]+\d+[A-Za-z0-9]*)\b/g)) {
    const w = m[0].replace(/['’]s$/, '').toLowerCase();
    if (w.length < 2 || STOP_CAPS.has(w)) continue;
    out.add(w);
  }
  for (const w of words(text)) {
    if (!/^[\uAC00-\uD7A3]{2,}$/.test(w) || STOP_HANGUL.has(w) || PREDICATE.test(w)) continue;
    out.add(w);
  }
  return out;
}

export function storyFeatures(s: StoryText): StoryFeatures {
  const text = `${s.title} ${s.summary ?? ''}`;
  const at = s.publishedAt ? Date.parse(s.publishedAt) : NaN;
  return {
    grams: trigrams(titleKey(s.title || (s.summary ?? '').slice(0, 80))),
    ...(Number.isFinite(at) && { at }),
    entities: entities(text),
    numbers: numberMentions(text),
  };
}

/** Kinds whose values differ between two reports of different events. */
const CONFLICT_UNITS = new Set(['%', 'pp', 'km', 'usd', 'krw', 'streak', 'ordinal', 'day']);

/**
 * Both name a number of the same kind, and none of one side's values is close to the other's:
 * within 1% (US$3,500 vs $3,499), or ±1 for counts ("7차례 연속 동결한 데 이어" and "8연속 동결"
 * report the same decision).
 */
export function numbersConflict(a: NumberMention[], b: NumberMention[]): boolean {
  for (const unit of CONFLICT_UNITS) {
    const close =
      unit === 'streak' || unit === 'ordinal'
        ? (x: number, y: number) => Math.abs(x - y) <= 1
        : (x: number, y: number) => Math.abs(x - y) <= 0.011 * Math.max(Math.abs(x), Math.abs(y));
    const av = a.filter((n) => n.unit === unit).map((n) => n.value);
    const bv = b.filter((n) => n.unit === unit).map((n) => n.value);
    if (!av.length || !bv.length) continue;
    if (!av.some((x) => bv.some((y) => close(x, y)))) return true;
  }
  return false;
}

export interface PairEvidence {
  /** Hours between the two publication times (undefined when either is unknown). */
  hoursApart?: number;
  titleJaccard: number;
  cosine: number;
  sharedEntities: number;
  entityOverlap: number;
  numberConflict: boolean;
}

export function pairEvidence(a: StoryFeatures, b: StoryFeatures, cosine: number): PairEvidence {
  let shared = 0;
  for (const e of a.entities) if (b.entities.has(e)) shared++;
  const smaller = Math.min(a.entities.size, b.entities.size);
  return {
    ...(a.at !== undefined && b.at !== undefined && { hoursApart: Math.abs(a.at - b.at) / 3600e3 }),
    titleJaccard: jaccard(a.grams, b.grams),
    cosine,
    sharedEntities: shared,
    entityOverlap: smaller ? shared / smaller : 0,
    numberConflict: numbersConflict(a.numbers, b.numbers),
  };
}

export function isSameStory(e: PairEvidence, rule: SameStoryRule = SAME_STORY_RULE): boolean {
  if (e.hoursApart !== undefined && e.hoursApart > rule.windowHours) return false;
  if (e.titleJaccard >= rule.titleJaccard) return true;
  if (rule.vetoOnNumberConflict && e.numberConflict) return false;
  const cosine = e.hoursApart === undefined ? rule.cosineUndated : rule.cosine;
  return e.cosine >= cosine && e.sharedEntities >= rule.minSharedEntities && e.entityOverlap >= rule.entityOverlap;
}

/** The encoder the rule was calibrated with: built-in lexical features, unfitted (a fixed scale). */
export function storyEncoder(): LexicalEncoder {
  return new LexicalEncoder({ dim: 1024 });
}

/** Text the story embedding sees. */
export function storyText(s: StoryText): string {
  return `${s.title}\n${s.summary ?? ''}`.trim();
}

export interface Scores {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number;
  recall: number;
  f05: number;
}

export function score(pairs: readonly { same: boolean; evidence: PairEvidence }[], rule: SameStoryRule): Scores {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const p of pairs) {
    const said = isSameStory(p.evidence, rule);
    if (said && p.same) tp++;
    else if (said) fp++;
    else if (p.same) fn++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 1;
  const recall = tp + fn ? tp / (tp + fn) : 1;
  const f05 = precision + recall ? (1.25 * precision * recall) / (0.25 * precision + recall) : 0;
  return { tp, fp, fn, tn, precision, recall, f05 };
}

/** The grid the rule is chosen from. */
export function* ruleGrid(): Generator<SameStoryRule> {
  for (const windowHours of [24, 48])
    for (const titleJaccard of [0.5, 0.6, 0.7])
      for (let c = 10; c <= 60; c += 2.5)
        for (const extra of [0, 5, 10, 15, 20, 30, 40])
          for (const minSharedEntities of [1, 2, 3])
            for (const entityOverlap of [0, 0.2, 0.3, 0.4, 0.5])
              for (const vetoOnNumberConflict of [true, false])
                yield {
                  windowHours,
                  titleJaccard,
                  cosine: c / 100,
                  cosineUndated: (c + extra) / 100,
                  minSharedEntities,
                  entityOverlap,
                  vetoOnNumberConflict,
                };
}

/** The best rule of the grid by F0.5 (ties: higher precision, then the stricter cosine). */
export function chooseRule(pairs: readonly { same: boolean; evidence: PairEvidence }[]): {
  rule: SameStoryRule;
  scores: Scores;
} {
  let best: { rule: SameStoryRule; scores: Scores } | undefined;
  for (const rule of ruleGrid()) {
    const s = score(pairs, rule);
    if (
      !best ||
      s.f05 > best.scores.f05 + 1e-12 ||
      (Math.abs(s.f05 - best.scores.f05) <= 1e-12 &&
        (s.precision > best.scores.precision + 1e-12 ||
          (Math.abs(s.precision - best.scores.precision) <= 1e-12 && rule.cosine > best.rule.cosine)))
    )
      best = { rule, scores: s };
  }
  return best!;
}

export interface SameStoryResult {
  /** Indices of the batch items to keep, in input order. */
  keep: number[];
  /** batch index → the batch index it repeats, or `-1 - k` for the k-th existing story. */
  duplicateOf: Map<number, number>;
  /** Why each duplicate was judged one (for logs). */
  evidence: Map<number, PairEvidence>;
}

/**
 * The same-story check over one run: each batch item (in order; the first of a group is kept)
 * against the kept batch items and the existing (recently stored) stories. Only pairs that share an
 * entity or a title trigram are compared (an inverted index), with one dot product each over the
 * contiguous vector matrix.
 */
export async function findSameStories(
  batch: readonly StoryText[],
  existing: readonly StoryText[] = [],
  rule: SameStoryRule = SAME_STORY_RULE,
): Promise<SameStoryResult> {
  const enc = storyEncoder();
  const dim = enc.dim;
  const all = [...existing, ...batch];
  const vecs = all.length ? await enc.encode(all.map(storyText)) : new Float32Array(0);
  const feats = all.map(storyFeatures);
  const offset = existing.length;
  // candidate index: entity or trigram → ids (existing: their index; batch items once kept)
  const index = new Map<string, number[]>();
  const add = (id: number) => {
    const f = feats[id]!;
    for (const key of [...[...f.entities].map((e) => `e:${e}`), ...[...f.grams].map((g) => `g:${g}`)]) {
      const list = index.get(key);
      if (list) list.push(id);
      else index.set(key, [id]);
    }
  };
  for (let k = 0; k < offset; k++) add(k);
  const keep: number[] = [];
  const duplicateOf = new Map<number, number>();
  const evidence = new Map<number, PairEvidence>();
  for (let i = 0; i < batch.length; i++) {
    const id = offset + i;
    const f = feats[id]!;
    const candidates = new Set<number>();
    for (const e of f.entities) for (const c of index.get(`e:${e}`) ?? []) candidates.add(c);
    for (const g of f.grams) for (const c of index.get(`g:${g}`) ?? []) candidates.add(c);
    let match: number | undefined;
    for (const c of [...candidates].sort((x, y) => x - y)) {
      let cos = 0;
      for (let d = 0; d < dim; d++) cos += vecs[id * dim + d]! * vecs[c * dim + d]!;
      const e = pairEvidence(f, feats[c]!, cos);
      if (isSameStory(e, rule)) {
        match = c;
        evidence.set(i, e);
        break;
      }
    }
    if (match === undefined) {
      keep.push(i);
      add(id);
    } else duplicateOf.set(i, match < offset ? -1 - match : match - offset);
  }
  return { keep, duplicateOf, evidence };
}
