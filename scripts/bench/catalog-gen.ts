/**
 * Generated catalogs for the large-catalog benchmarks (`bench:startup`, `bench:ann`, `bench:score`): rows in the
 * built-in catalog's file format (so they load through `CATALOG_PATH`), and synthetic item vectors with topic
 * structure (a mixture of topic centroids plus noise, L2-normalised) so 1M × 384 is feasible without a model.
 *
 * The text is made of a shared topic vocabulary (Korean and English) plus invented proper nouns, so the
 * inverted index has a realistic long tail of rare terms. Deterministic for a given seed.
 */
import { CATEGORIES, type Category } from '../../core/domain.js';
import type { BuiltinRow } from '../../core/catalog/schema.js';
import type { TextEncoder } from '../../core/ports.js';
import { fnv1a } from '../../core/text.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32: fast, good enough for synthetic data
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const TOPICS: Record<Category, string[]> = {
  news: ['election', 'policy', 'court', 'minister', '선거', '정책', '국회', '대통령', 'protest', 'economy'],
  tech: ['ai', 'chip', 'smartphone', 'startup', 'cloud', '반도체', '인공지능', '스마트폰', 'robot', 'software'],
  games: ['league', 'esports', 'patch', 'nintendo', 'steam', '게임', '리그', '패치', 'rpg', 'speedrun'],
  sports: ['football', 'baseball', 'olympics', 'transfer', '축구', '야구', '농구', 'marathon', 'tennis', 'golf'],
  entertainment: ['drama', 'idol', 'movie', 'webtoon', '드라마', '아이돌', '영화', '예능', 'netflix', 'award'],
  music: ['album', 'concert', 'jazz', 'kpop', '앨범', '콘서트', '힙합', 'indie', 'playlist', 'festival'],
  food: ['ramen', 'kimchi', 'recipe', 'bakery', '라면', '김치', '맛집', 'coffee', 'barbecue', 'vegan'],
  travel: ['jeju', 'busan', 'flight', 'hotel', '제주', '부산', '여행', 'hiking', 'camping', 'tokyo'],
  fashion: ['sneakers', 'streetwear', 'runway', 'vintage', '패션', '스니커즈', '코디', 'denim', 'luxury', 'hanbok'],
  science: ['space', 'climate', 'physics', 'genome', '우주', '기후', '과학', 'telescope', 'fossil', 'quantum'],
  finance: ['stocks', 'bitcoin', 'rates', 'kospi', '주식', '금리', '부동산', 'etf', 'inflation', 'dividend'],
  lifestyle: ['fitness', 'yoga', 'interior', 'pets', '운동', '인테리어', '반려동물', 'sleep', 'minimalism', 'garden'],
};
const FILLER = ['update', 'review', 'guide', 'analysis', 'highlights', '소식', '분석', '정리', 'report', 'interview'];
const SYL_EN = ['ka', 'lo', 'mir', 'ven', 'tor', 'si', 'ra', 'dun', 'bel', 'qua', 'zen', 'fo', 'rix', 'ma', 'nel'];
const SYL_KO = ['서', '준', '호', '민', '지', '하', '윤', '도', '현', '수', '빈', '재', '은', '태', '결'];
const SOURCES = ['youtube', 'naver-news', 'google-news', 'clien', 'inven', 'twitch', 'tiktok', 'instagram', 'rss:tech'];

function properNoun(r: () => number): string {
  const ko = r() < 0.4;
  const syl = ko ? SYL_KO : SYL_EN;
  const len = 2 + Math.floor(r() * 3);
  let s = '';
  for (let i = 0; i < len; i++) s += syl[Math.floor(r() * syl.length)];
  return s;
}

/** The two-letter source code of an id: aa, ab, … (the built-in id format allows 9,999 rows per code). */
function code(k: number): string {
  return String.fromCharCode(97 + (Math.floor(k / 26) % 26)) + String.fromCharCode(97 + (k % 26));
}

/** `n` rows in the built-in catalog format (`builtin-xx-NNNN` ids), deterministic for `seed`. */
export function generateRows(n: number, seed = 42): BuiltinRow[] {
  const r = rng(seed);
  const rows: BuiltinRow[] = [];
  for (let i = 0; i < n; i++) {
    const category = CATEGORIES[Math.floor(r() * r() * CATEGORIES.length)]!; // skewed: some categories are larger
    const vocab = TOPICS[category];
    const pick = () => vocab[Math.floor(Math.pow(r(), 1.5) * vocab.length)]!; // Zipf-like within a topic
    const name = properNoun(r);
    const title = `${name} ${pick()} ${pick()} ${FILLER[Math.floor(r() * FILLER.length)]}`;
    const summary = `${pick()} ${name} ${pick()} ${pick()} ${FILLER[Math.floor(r() * FILLER.length)]} ${properNoun(r)}`;
    const id = `builtin-${code(Math.floor(i / 9999))}-${String((i % 9999) + 1).padStart(4, '0')}`;
    const source = SOURCES[Math.floor(r() * SOURCES.length)]!;
    rows.push({
      id,
      url: `https://example.com/${source.replace(/[^a-z]/g, '')}/${id}`,
      title,
      summary,
      category,
      source,
      lang: /[가-힣]/.test(title) ? 'ko' : 'en',
      ageHours: Math.floor(r() * 700),
      popularity: { views: Math.floor(1e6 * Math.pow(r(), 3)) },
      tags: [pick()],
    });
  }
  return rows;
}

/**
 * Synthetic embeddings with topic structure: each vector is `centroid(topic) + noise`, L2-normalised, with
 * `topics` centroids drawn at random. Rows are independent of the text (a benchmark of the index, not a model).
 */
export function clusteredVectors(n: number, dim: number, seed = 7, topics = 256, noise = 0.7): Float32Array {
  const r = rng(seed);
  const gauss = () => {
    const u = Math.max(1e-12, r());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  };
  const centroids = new Float32Array(topics * dim);
  for (let i = 0; i < centroids.length; i++) centroids[i] = gauss() / Math.sqrt(dim);
  const out = new Float32Array(n * dim);
  for (let row = 0; row < n; row++) {
    const t = Math.floor(r() * topics);
    const off = row * dim;
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const v = centroids[t * dim + d]! + (noise * gauss()) / Math.sqrt(dim);
      out[off + d] = v;
      s += v * v;
    }
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dim; d++) out[off + d]! *= inv;
  }
  return out;
}

/**
 * A text encoder for benchmarks: a fixed-dimension vector per text, seeded by the text's hash, with the same
 * topic structure as {@link clusteredVectors} (the topic is picked from the hash). Cheap, deterministic, no model.
 */
export function randomVectorEncoder(dim = 384, topics = 256): TextEncoder {
  const centroids = clusteredVectors(topics, dim, 11, topics, 0);
  return {
    id: `bench-random-v1:${dim}`,
    dim,
    label: `random vectors (benchmark, ${dim}-d)`,
    async encode(texts) {
      const out = new Float32Array(texts.length * dim);
      texts.forEach((t, row) => {
        const h = fnv1a(t);
        const r = rng(h);
        const c = h % topics;
        let s = 0;
        const off = row * dim;
        for (let d = 0; d < dim; d++) {
          const v = centroids[c * dim + d]! + 0.7 * (r() - 0.5) * Math.sqrt(12 / dim);
          out[off + d] = v;
          s += v * v;
        }
        const inv = 1 / Math.sqrt(s);
        for (let d = 0; d < dim; d++) out[off + d]! *= inv;
      });
      return out;
    },
  };
}
