/**
 * A MovieLens-shaped synthetic rating set, written as a real ML-100K folder (`writeMovieLens100k`) so every run
 * goes through the real loader. It stands in for the public data this environment cannot download; it is built to
 * have the structure the model families exploit, so their orderings show up on it:
 *
 * - **Popularity**: Zipf-distributed item popularity (exponent `popularitySkew`), user activity with a floor of 20
 *   ratings and a Pareto tail (as in ML-100K), ≈ 5% density by default (943 × 1682, ≈ 80k ratings).
 * - **Tastes from attributes**: users carry ML-100K attributes (age, gender, occupation with ML-100K's
 *   frequencies); a user's latent taste is the sum of per-attribute effects (plus an age × gender interaction) and
 *   an individual part. Items have 1–3 of the 19 ML genres (ML-100K frequencies); an item's latent vector is the
 *   mean of its genres' vectors plus an individual part (what only collaborative signals can learn). Titles use
 *   genre-specific words, so text carries the genre.
 * - **Sequential structure**: histories come in sessions; each session focuses on one genre drawn from the user's
 *   taste, tastes drift over a user's history, and with probability `follow` the next item is one of the previous
 *   item's fixed successors (franchise / "watch next" chains). Recent items therefore predict the next one better
 *   than the whole history does — what SASRec / GRU4Rec can learn and item-KNN cannot.
 * - **Ratings** 1–5 from affinity, user and item biases and noise (distribution close to ML-100K's
 *   6/11/27/34/21%), timestamps in 1997–98 with within-session gaps of minutes and between-session gaps of days.
 */
import { MOVIELENS_GENRES } from './datasets.js';
import { ML100K_OCCUPATIONS, writeMovieLens100k, type MovieLensWriteInput } from './movielens.js';
import { createRng, type Rng } from './random.js';

export interface MovieLensLikeOptions {
  users?: number;
  items?: number;
  /** Mean ratings per user (the floor is 20, as in ML-100K). Default 85 (≈ 5% density at 943 × 1682). */
  meanRatings?: number;
  /** Latent factors. Default 16. */
  factors?: number;
  /** Zipf exponent of item popularity. Default 1.0. */
  popularitySkew?: number;
  /** Weight of attributes in the user's taste vs the individual part. Default 1. */
  attributeStrength?: number;
  /** Probability that the next item is a successor of the previous one. Default 0.3. */
  follow?: number;
  /** Boost (log-weight) of the session's focus genre. Default 1.2. */
  sessionFocus?: number;
  seed?: number;
}

export const SYNTHETIC_GENERATOR = 'movielens-like-v1';

/** ML-100K genre counts over its 1682 items, in MOVIELENS_GENRES order (the draw weights of an item's genres). */
const GENRE_COUNTS = [2, 251, 135, 42, 122, 505, 109, 50, 725, 22, 24, 92, 56, 61, 247, 101, 251, 71, 27];
/** ML-100K occupation counts over its 943 users, in ML100K_OCCUPATIONS order. */
const OCCUPATION_COUNTS = [79, 28, 7, 95, 67, 18, 32, 16, 7, 12, 51, 26, 9, 105, 66, 14, 12, 31, 196, 27, 45];
const AGE_BANDS = [
  [7, 17],
  [18, 24],
  [25, 34],
  [35, 44],
  [45, 49],
  [50, 55],
  [56, 73],
] as const;
const AGE_WEIGHTS = [54, 280, 300, 180, 60, 40, 29];

const GENRE_WORDS: readonly (readonly string[])[] = [
  ['lost', 'film', 'reel'],
  ['fury', 'strike', 'bullet', 'force', 'blast', 'hunter'],
  ['quest', 'journey', 'island', 'treasure', 'voyage', 'legend'],
  ['toon', 'cartoon', 'pixel', 'puppet', 'doodle'],
  ['kids', 'puppy', 'family', 'school', 'little'],
  ['wedding', 'crazy', 'funny', 'party', 'roommates', 'oops'],
  ['heist', 'mob', 'gangster', 'detective', 'cop', 'alibi'],
  ['story', 'life', 'truth', 'nature', 'history'],
  ['heart', 'river', 'silence', 'home', 'winter', 'father'],
  ['dragon', 'wizard', 'kingdom', 'spell'],
  ['noir', 'shadow', 'dame', 'smoke'],
  ['blood', 'night', 'scream', 'curse', 'zombie'],
  ['song', 'dance', 'melody', 'stage'],
  ['secret', 'clue', 'riddle', 'mystery'],
  ['love', 'kiss', 'summer', 'romance', 'paris'],
  ['planet', 'robot', 'galaxy', 'star', 'alien', 'future'],
  ['fear', 'trap', 'chase', 'witness', 'deadly'],
  ['war', 'battle', 'soldier', 'front'],
  ['outlaw', 'ranch', 'saddle', 'frontier'],
];
const LATIN1_WORDS = ['Café', 'Élan', 'Señor', 'Über', 'Noël', 'Fiancée'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function weighted(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = rng.next() * total;
  for (let i = 0; i < weights.length; i++) if ((r -= weights[i]!) < 0) return i;
  return weights.length - 1;
}

const vec = (rng: Rng, f: number, scale = 1) => Float64Array.from({ length: f }, () => rng.normal() * scale);
const dotF = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
};

/** Generates the MovieLens-like rating set (deterministic per options). */
export function generateMovieLensLike(options: MovieLensLikeOptions = {}): MovieLensWriteInput {
  const nUsers = options.users ?? 943;
  const nItems = options.items ?? 1682;
  const meanRatings = options.meanRatings ?? 85;
  const F = options.factors ?? 16;
  const skew = options.popularitySkew ?? 1.0;
  const attrStrength = options.attributeStrength ?? 1;
  const follow = options.follow ?? 0.3;
  const focusBoost = options.sessionFocus ?? 1.2;
  const rng = createRng(options.seed ?? 1);
  const nG = MOVIELENS_GENRES.length;
  const scale = 1 / Math.sqrt(F);

  // ---- items: genres, latent vector, popularity, title, successors
  const genreVec = Array.from({ length: nG }, () => vec(rng, F, 1.3 * scale));
  const itemGenres: number[][] = [];
  const itemVec: Float64Array[] = [];
  const logPop = new Float64Array(nItems);
  const popRank = rng.shuffle(Array.from({ length: nItems }, (_, i) => i));
  const items: MovieLensWriteInput['items'] = [];
  const byGenre: number[][] = Array.from({ length: nG }, () => []);
  for (let i = 0; i < nItems; i++) {
    const gs = new Set<number>([weighted(rng, GENRE_COUNTS)]);
    if (rng.next() < 0.5) gs.add(weighted(rng, GENRE_COUNTS));
    if (rng.next() < 0.15) gs.add(weighted(rng, GENRE_COUNTS));
    const genres = [...gs].sort((a, b) => a - b);
    itemGenres.push(genres);
    byGenre[genres[0]!]!.push(i);
    const v = vec(rng, F, 0.8 * scale);
    for (const g of genres) for (let k = 0; k < F; k++) v[k]! += genreVec[g]![k]! / Math.sqrt(genres.length);
    itemVec.push(v);
    logPop[i] = -skew * Math.log(popRank[i]! + 1);
    const year = rng.next() < 0.7 ? 1990 + rng.int(9) : 1920 + rng.int(70);
    const words = GENRE_WORDS[genres[0]!]!;
    const extra = GENRE_WORDS[genres[genres.length - 1]!]!;
    const cap = (w: string) => w[0]!.toUpperCase() + w.slice(1);
    const title = [
      cap(words[rng.int(words.length)]!),
      rng.next() < 0.03 ? LATIN1_WORDS[rng.int(LATIN1_WORDS.length)]! : cap(extra[rng.int(extra.length)]!),
      ...(rng.next() < 0.4 ? [`${2 + rng.int(3)}`] : []),
    ].join(' ');
    items.push({
      id: i + 1,
      title: `${title} (${year})`,
      released: `${String(1 + rng.int(28)).padStart(2, '0')}-${MONTHS[rng.int(12)]}-${year}`,
      imdbUrl: `http://us.imdb.com/M/title-exact?${encodeURIComponent(title)}%20(${year})`,
      genres,
    });
  }
  // successors: 3 items of the same primary genre, drawn by popularity (franchise / "watch next")
  const successors = itemGenres.map((gs, i) => {
    const pool = byGenre[gs[0]!]!.filter((j) => j !== i);
    const out: number[] = [];
    for (let t = 0; t < 12 && out.length < 3 && pool.length; t++) {
      const j =
        pool[
          weighted(
            rng,
            pool.map((p) => Math.exp(0.5 * logPop[p]!)),
          )
        ]!;
      if (!out.includes(j)) out.push(j);
    }
    return out;
  });
  const itemBias = Float64Array.from(logPop, (lp) => 0.25 * rng.normal() + 0.04 * (lp + 3));

  // ---- users: attributes → taste
  const ageFx = AGE_BANDS.map(() => vec(rng, F, scale));
  const genderFx = [vec(rng, F, scale), vec(rng, F, scale)];
  const ageGenderFx = AGE_BANDS.map(() => [vec(rng, F, 0.5 * scale), vec(rng, F, 0.5 * scale)]);
  const occFx = ML100K_OCCUPATIONS.map(() => vec(rng, F, scale));
  const users: MovieLensWriteInput['users'] = [];
  const ratings: MovieLensWriteInput['ratings'] = [];
  const weights = new Float64Array(nItems);
  const cum = new Float64Array(nItems);
  const base = new Float64Array(nItems);
  const slope = new Float64Array(nItems);
  const hasGenre = new Uint8Array(nG * nItems);
  itemGenres.forEach((gs, i) => gs.forEach((g) => (hasGenre[g * nItems + i] = 1)));
  const affinities: number[] = [];
  const pending: { user: number; item: number; aff: number; ub: number; t: number }[] = [];
  const t0 = Date.UTC(1997, 8, 20) / 1000;
  for (let u = 0; u < nUsers; u++) {
    const band = weighted(rng, AGE_WEIGHTS);
    const [lo, hi] = AGE_BANDS[band]!;
    const age = lo + rng.int(hi - lo + 1);
    const g = rng.next() < 0.71 ? 0 : 1;
    const occ = weighted(rng, OCCUPATION_COUNTS);
    users.push({
      id: u + 1,
      age,
      gender: g === 0 ? 'M' : 'F',
      occupation: ML100K_OCCUPATIONS[occ]!,
      zip: String(10000 + rng.int(89999)),
    });
    const taste = vec(rng, F, 0.9 * scale);
    for (let k = 0; k < F; k++)
      taste[k]! +=
        attrStrength *
        (ageFx[band]![k]! + genderFx[g]![k]! + occFx[occ]![k]! + ageGenderFx[band]![g]![k]!) *
        (2 / Math.sqrt(3));
    const drift = vec(rng, F, 0.8 * scale);
    const genreAff = genreVec.map((gv) => dotF(gv, taste));
    const ub = 0.35 * rng.normal();
    // 20 + a log-normal tail (σ = 1) with mean `meanRatings − 20`, capped like ML-100K's most active user
    const n = Math.min(
      Math.floor(nItems * 0.45),
      Math.round(20 + Math.exp(Math.log(Math.max(1, meanRatings - 20)) - 0.5 + rng.normal())),
    );
    const seen = new Uint8Array(nItems);
    // affinity at history position p: taste·v + p·drift·v (the taste drifts linearly over the history)
    for (let i = 0; i < nItems; i++) {
      base[i] = dotF(taste, itemVec[i]!);
      slope[i] = dotF(drift, itemVec[i]!);
    }
    let t = t0 + rng.next() * 200 * 86400;
    let prev = -1;
    let count = 0;
    while (count < n) {
      const before = count;
      // a session: one focus genre, the taste at this point of the history
      const focus = weighted(
        rng,
        genreAff.map((a, gi) => Math.exp(2 * a) * (GENRE_COUNTS[gi]! + 1)),
      );
      const pos = count / n - 0.5;
      let total = 0;
      for (let i = 0; i < nItems; i++) {
        const boost = hasGenre[focus * nItems + i] ? focusBoost : 0;
        weights[i] = seen[i] ? 0 : Math.exp(2.2 * (base[i]! + pos * slope[i]!) + logPop[i]! + boost);
        total += weights[i]!;
        cum[i] = total;
      }
      const len = Math.min(n - count, 1 + Math.floor(-Math.log(1 - rng.next()) * 8));
      for (let s = 0; s < len; s++) {
        let item = -1;
        if (prev >= 0 && rng.next() < follow) {
          const next = successors[prev]!.filter((j) => !seen[j]);
          if (next.length) item = next[rng.int(next.length)]!;
        }
        for (let tries = 0; item < 0 && tries < 50; tries++) {
          const r = rng.next() * total;
          let a = 0;
          let b = nItems - 1;
          while (a < b) {
            const m = (a + b) >> 1;
            if (cum[m]! > r) b = m;
            else a = m + 1;
          }
          if (!seen[a]) item = a;
        }
        if (item < 0) break;
        seen[item] = 1;
        const aff = base[item]! + pos * slope[item]!;
        affinities.push(aff);
        pending.push({ user: u, item, aff, ub, t: Math.round(t) });
        t += 20 + rng.int(300);
        prev = item;
        count++;
      }
      t += 86400 * (0.5 + rng.next() * 12);
      if (count === before) break; // nothing left to draw
    }
  }
  // ratings from standardised affinity, biases and noise
  const mean = affinities.reduce((a, b) => a + b, 0) / affinities.length;
  const sd = Math.sqrt(affinities.reduce((a, b) => a + (b - mean) ** 2, 0) / affinities.length) || 1;
  for (const p of pending) {
    const z = (p.aff - mean) / sd;
    const r = Math.round(3.62 + 0.85 * z + p.ub + itemBias[p.item]! + 0.7 * rng.normal());
    ratings.push({ user: p.user + 1, item: p.item + 1, rating: Math.min(5, Math.max(1, r)), timestamp: p.t });
  }
  // GroupLens's u.data is in no particular order: shuffle the rows (seeded) so nothing depends on file order
  rng.shuffle(ratings);
  return { users, items, ratings };
}

/** Generates the set and writes it as an ML-100K folder; returns what was written. */
export async function writeSyntheticMovieLens(
  dir: string,
  options: MovieLensLikeOptions = {},
): Promise<MovieLensWriteInput> {
  const data = generateMovieLensLike(options);
  await writeMovieLens100k(dir, data);
  return data;
}
