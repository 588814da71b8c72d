/**
 * Turns the hand-written tables into built-in catalog rows: stable ids, real search/tag URLs on
 * each source, and deterministic (seeded by id) age and popularity numbers with a heavy tail.
 */
import type { Lang, Popularity } from '../../../core/domain.js';
import { rngFromString } from '../../../core/eval/random.js';
import type { BuiltinRow } from '../../../core/catalog/schema.js';
import { CLIEN } from './clien.js';
import { GOOGLE_NEWS } from './google-news.js';
import { INSTAGRAM } from './instagram.js';
import { INVEN } from './inven.js';
import { NAVER_NEWS } from './naver-news.js';
import { TIKTOK } from './tiktok.js';
import { TOPICS, type Row, type Topic } from './topics.js';
import { TWITCH } from './twitch.js';
import { YOUTUBE } from './youtube.js';

export const THUMB_DIR = 'core/catalog/builtin/thumbs';

type Rng = () => number;

interface SourceSpec {
  source: string;
  /** Short code used in ids: builtin-<abbr>-0001. */
  abbr: string;
  rows: readonly Row[];
  url: (q: string, lang: Lang) => string;
  ageHours: (rng: Rng) => number;
  popularity: (rng: Rng) => Popularity;
}

const enc = encodeURIComponent;

/** A deterministic PRNG per item id (FNV-1a, then mulberry32: core/eval/random.ts). */
const rngFor = (seed: string): Rng => rngFromString(seed);

/** Pareto sample (heavy tail): most values near `min`, a few very large, capped at `max`. */
function pareto(rng: Rng, min: number, alpha: number, max: number): number {
  const u = 1 - rng(); // (0, 1]
  return Math.min(max, Math.round(min / Math.pow(u, 1 / alpha)));
}

const between = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

/** Most items recent, a long tail up to `max` hours (skew > 1 pushes towards recent). */
const recentSkewed = (max: number, skew: number) => (rng: Rng) => Math.round(Math.pow(rng(), skew) * max);

function engagement(rng: Rng, views: number, likeLo: number, likeHi: number, commentLo: number, commentHi: number) {
  const likes = Math.round(views * between(rng, likeLo, likeHi));
  const comments = Math.round(likes * between(rng, commentLo, commentHi));
  return { likes, comments };
}

const SOURCES: readonly SourceSpec[] = [
  {
    source: 'naver-news',
    abbr: 'nn',
    rows: NAVER_NEWS,
    url: (q) => `https://search.naver.com/search.naver?where=news&query=${enc(q)}`,
    ageHours: recentSkewed(240, 2.2),
    popularity: (rng) => {
      const comments = pareto(rng, 8, 1.1, 40_000);
      return { comments, likes: Math.round(comments * between(rng, 0.8, 4)), rank: 1 + Math.floor(rng() * 30) };
    },
  },
  {
    source: 'google-news',
    abbr: 'gn',
    rows: GOOGLE_NEWS,
    url: (q, lang) =>
      lang === 'ko'
        ? `https://news.google.com/search?q=${enc(q)}&hl=ko&gl=KR&ceid=KR:ko`
        : `https://news.google.com/search?q=${enc(q)}&hl=en-US&gl=US&ceid=US:en`,
    ageHours: recentSkewed(240, 2.2),
    popularity: (rng) => ({ rank: 1 + Math.floor(Math.pow(rng(), 1.6) * 60) }),
  },
  {
    source: 'youtube',
    abbr: 'yt',
    rows: YOUTUBE,
    url: (q) => `https://www.youtube.com/results?search_query=${enc(q)}`,
    ageHours: recentSkewed(720, 1.3),
    popularity: (rng) => {
      const views = pareto(rng, 2_500, 0.9, 60_000_000);
      return { views, ...engagement(rng, views, 0.01, 0.06, 0.02, 0.12) };
    },
  },
  {
    source: 'twitch',
    abbr: 'tw',
    rows: TWITCH,
    url: (q) => `https://www.twitch.tv/search?term=${enc(q)}`,
    ageHours: recentSkewed(12, 1.5),
    popularity: (rng) => ({ viewers: pareto(rng, 40, 0.95, 250_000) }),
  },
  {
    source: 'clien',
    abbr: 'cl',
    rows: CLIEN,
    url: (q) => `https://www.clien.net/service/search?q=${enc(q)}&sort=recency&boardCd=&isBoard=false`,
    ageHours: recentSkewed(720, 1.6),
    popularity: (rng) => {
      const views = pareto(rng, 400, 1.2, 300_000);
      return { views, ...engagement(rng, views, 0.004, 0.03, 0.5, 3) };
    },
  },
  {
    source: 'inven',
    abbr: 'iv',
    rows: INVEN,
    url: (q) => `https://www.inven.co.kr/search/webzine/article/${enc(q)}/1`,
    ageHours: recentSkewed(720, 1.8),
    popularity: (rng) => {
      const views = pareto(rng, 900, 1.05, 800_000);
      return { views, ...engagement(rng, views, 0.002, 0.02, 0.8, 4) };
    },
  },
  {
    source: 'instagram',
    abbr: 'ig',
    rows: INSTAGRAM,
    url: (tag) => `https://www.instagram.com/explore/tags/${enc(tag)}/`,
    ageHours: recentSkewed(720, 1.4),
    popularity: (rng) => {
      const likes = pareto(rng, 120, 0.85, 6_000_000);
      return { likes, comments: Math.round(likes * between(rng, 0.005, 0.05)) };
    },
  },
  {
    source: 'tiktok',
    abbr: 'tt',
    rows: TIKTOK,
    url: (tag) => `https://www.tiktok.com/tag/${enc(tag)}`,
    ageHours: recentSkewed(720, 1.5),
    popularity: (rng) => {
      const views = pareto(rng, 1_500, 0.8, 90_000_000);
      return { views, ...engagement(rng, views, 0.03, 0.15, 0.005, 0.03) };
    },
  },
];

/** A catalog row plus what the thumbnail generator needs. */
export interface BuiltRow {
  row: BuiltinRow;
  topic: Topic;
  /** Dominant subject colour (#rrggbb). */
  color: string;
}

export function buildBuiltinRows(): BuiltRow[] {
  const out: BuiltRow[] = [];
  for (const spec of SOURCES) {
    spec.rows.forEach(([topic, lang, title, summary, tags, q, color], i) => {
      const id = `builtin-${spec.abbr}-${String(i + 1).padStart(4, '0')}`;
      const rng = rngFor(id);
      const row: BuiltinRow = {
        id,
        url: spec.url(q, lang),
        title,
        summary,
        category: TOPICS[topic].category,
        source: spec.source,
        lang,
        ageHours: spec.ageHours(rng),
        popularity: spec.popularity(rng),
        tags: tags.split('|').map((t) => t.trim()),
        thumbnail: `${THUMB_DIR}/${id}.webp`,
      };
      out.push({ row, topic, color: color ?? TOPICS[topic].color });
    });
  }
  return out;
}
