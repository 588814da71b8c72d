/** Small hand-made catalogs for unit tests (the built-in catalog is tested on its own). */
import type { Category, ContentItem, Lang } from '../../core/domain.js';

export function item(
  id: string,
  title: string,
  category: Category,
  opts: {
    summary?: string;
    source?: string;
    lang?: Lang;
    ageHours?: number;
    views?: number;
    tags?: string[];
    now?: Date;
  } = {},
): ContentItem {
  const now = opts.now ?? new Date('2026-11-26T00:00:00Z');
  const at = new Date(now.getTime() - (opts.ageHours ?? 10) * 3_600_000).toISOString();
  return {
    id,
    url: `https://example.com/${id}`,
    canonicalUrl: `https://example.com/${id}`,
    title,
    summary: opts.summary ?? title,
    category,
    source: opts.source ?? 'youtube',
    lang: opts.lang ?? (/[가-힣]/.test(title) ? 'ko' : 'en'),
    publishedAt: at,
    fetchedAt: at,
    popularity: { views: opts.views ?? 1000 },
    ...(opts.tags ? { tags: opts.tags } : {}),
  };
}

/** Four clear topics, several items each, in both languages. */
export function topicCatalog(now = new Date('2026-11-26T00:00:00Z')): ContentItem[] {
  const rows: [string, string, Category, string[]][] = [
    ['f1', 'Premier League football: late winner in the derby', 'sports', ['football', 'premier league']],
    ['f2', 'Football transfer news: striker signs for record fee', 'sports', ['football', 'transfer']],
    ['f3', 'Champions League football preview: the quarter-finals', 'sports', ['football', 'champions league']],
    ['f4', '축구 국가대표팀, 월드컵 예선에서 극적인 역전승', 'sports', ['축구', '국가대표']],
    ['f5', 'K리그 축구 하이라이트: 이번 주 최고의 골', 'sports', ['축구', 'K리그']],
    ['b1', 'Baseball playoffs: pitcher throws a no-hitter', 'sports', ['baseball', 'playoffs']],
    ['b2', '프로야구 한국시리즈 7차전 명승부', 'sports', ['야구', '한국시리즈']],
    ['r1', 'Ramen recipe: rich tonkotsu broth at home', 'food', ['ramen', 'recipe']],
    ['r2', 'Best instant ramen ranked by taste testers', 'food', ['ramen', 'instant noodles']],
    ['r3', '라면 맛있게 끓이는 법: 물 조절이 핵심', 'food', ['라면', '레시피']],
    ['r4', 'Spicy ramen challenge goes viral', 'food', ['ramen', 'spicy']],
    ['k1', 'Kimchi fermentation basics for beginners', 'food', ['kimchi', 'fermentation']],
    ['a1', 'New LLM beats benchmarks in reasoning tests', 'tech', ['llm', 'ai']],
    ['a2', 'AI chips: the race for faster GPUs', 'tech', ['ai', 'gpu', 'chips']],
    ['a3', '인공지능 언어모델, 한국어 성능 크게 향상', 'tech', ['인공지능', '언어모델']],
    ['a4', 'Open-source AI model released for coding', 'tech', ['ai', 'coding']],
    ['g1', 'League of Legends worlds final recap', 'games', ['league of legends', 'esports']],
    ['g2', '롤드컵 결승전 하이라이트와 분석', 'games', ['롤', 'e스포츠']],
    ['g4', 'League of Legends patch notes: new champion and esports meta', 'games', ['league of legends', 'patch']],
    ['g3', 'Indie game of the year: a cozy farming sim', 'games', ['indie', 'farming']],
    ['t1', 'Jeju island travel guide: hidden beaches', 'travel', ['jeju', 'beach']],
    ['t2', '제주도 여행 코스 추천: 숨은 해변', 'travel', ['제주', '해변']],
    ['t3', 'Tokyo food tour: ramen alleys and sushi bars', 'travel', ['tokyo', 'ramen']],
    ['m1', 'K-pop group announces world tour dates', 'music', ['kpop', 'tour']],
    ['m2', 'Jazz piano trio live session', 'music', ['jazz', 'piano']],
  ];
  return rows.map(([id, title, category, tags], i) =>
    item(id, title, category, { tags, now, ageHours: 5 + i, views: 1000 + i * 100 }),
  );
}
