/**
 * Hard filters: the matching rules (Unicode, Korean word boundaries, globs without user regular expressions),
 * parsing what people type, and the promise itself — a property test over random catalogs that a muted item is
 * never ranked, on the real scoring path (`Ranker.rankFor`: exact scoring and the ANN candidate mode, topics that
 * name the muted word, "more like this" on a muted item, group blends), while unmuted items still fill the list.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../../app/settings.js';
import { exactIndexFactory } from '../../core/catalog/ann.js';
import { CatalogService } from '../../core/catalog/catalog.js';
import { defaultConfig } from '../../core/config.js';
import { blendSubject } from '../../core/digest/blend.js';
import { CATEGORIES, type Category, type ContentItem } from '../../core/domain.js';
import { BotStats } from '../../core/feedback/stats.js';
import { compileFilters, itemMuted, parseMute, type MuteFilter } from '../../core/filters/filters.js';
import { checkWordPattern, compilePhrase, foldText, globMatch, wordsOf } from '../../core/filters/match.js';
import { setUserFilters } from '../../core/filters/settings.js';
import { LexicalEncoder } from '../../core/lexical.js';
import { silentLogger } from '../../core/ports.js';
import { Ranker, topicAsCategory, type RecommendRequest, type Subject } from '../../core/recommend/ranker.js';
import { newUserDoc } from '../../core/users/doc.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { item } from '../helpers/items.js';

const NOW = new Date('2026-11-26T00:00:00Z');

const matches = (pattern: string, text: string): boolean => {
  const checked = checkWordPattern(pattern);
  if (!checked.ok) throw new Error(`pattern ${pattern} refused: ${checked.problem}`);
  return compilePhrase(checked.folded).test(wordsOf(foldText(text)));
};

describe('filter matching', () => {
  it('GIVEN Latin words THEN whole words match (with plurals), never parts of other words', () => {
    expect(matches('cat', 'A cat video')).toBe(true);
    expect(matches('cat', 'Cats and dogs')).toBe(true);
    expect(matches('cat', 'Category theory for programmers')).toBe(false);
    expect(matches('goal', 'All the GOALS of the week')).toBe(true);
    expect(matches('football', 'Football-club news')).toBe(true);
    expect(matches('football', 'ＦＯＯＴＢＡＬＬ in full width')).toBe(true);
    expect(matches('straße', 'Die STRASSE ist lang')).toBe(true);
  });

  it('GIVEN Korean THEN a 2+ syllable word matches inside compounds and with particles; one syllable only as a word', () => {
    expect(matches('축구', '축구경기 하이라이트')).toBe(true);
    expect(matches('축구', '프로축구 개막')).toBe(true);
    expect(matches('축구', '축구를 좋아해요')).toBe(true);
    expect(matches('축구', '야구 소식')).toBe(false);
    expect(matches('골', '멋진 골을 넣었다')).toBe(true);
    expect(matches('골', '골목 맛집 탐방')).toBe(false);
    // A Latin brand glued to Hangul is its own word.
    expect(matches('LG', 'LG전자 신제품')).toBe(true);
    // Half-width and compatibility forms fold (NFKC).
    expect(matches('라면', '라면 끓이는 법'.normalize('NFD'))).toBe(true);
  });

  it('GIVEN globs and phrases THEN * and ? work inside words and phrases match words in a row', () => {
    expect(matches('foot*', 'Footage of the match')).toBe(true);
    expect(matches('foot*', 'Afoot again')).toBe(false);
    expect(matches('*ball', 'Basketball finals')).toBe(true);
    expect(matches('g?al', 'What a goal')).toBe(true);
    expect(matches('premier league', 'Premier-League: the derby')).toBe(true);
    expect(matches('premier league', 'The league premier is back')).toBe(false);
    expect(matches('축구*', '축구경기')).toBe(true);
  });

  it('GIVEN hostile patterns THEN too-broad ones are refused and the matcher stays polynomial', () => {
    expect(checkWordPattern('*').ok).toBe(false);
    expect(checkWordPattern('a*').ok).toBe(false);
    expect(checkWordPattern('??').ok).toBe(false);
    expect(checkWordPattern('x'.repeat(65)).ok).toBe(false);
    expect(checkWordPattern('a b c d e f g').ok).toBe(false);
    // The classic catastrophic case for backtracking matchers: answered (false) at once by the two-pointer glob.
    const p = Array.from('*a*a*a*a*a*a*a*a*a*a*b');
    const w = Array.from('a'.repeat(5000));
    expect(globMatch(p, w)).toBe(false);
    // Regular-expression syntax is literal text, never compiled.
    expect(matches('(ab+)+$', 'abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb!')).toBe(false);
  });

  it('GIVEN what people type THEN kinds are read from prefixes, category names and known sources', () => {
    expect(parseMute('source:YouTube')).toEqual({ ok: true, filter: { kind: 'source', pattern: 'youtube' } });
    expect(parseMute('소스: rss:*')).toEqual({ ok: true, filter: { kind: 'source', pattern: 'rss:*' } });
    expect(parseMute('스포츠')).toEqual({ ok: true, filter: { kind: 'category', pattern: 'sports' } });
    expect(parseMute('category: games')).toEqual({ ok: true, filter: { kind: 'category', pattern: 'games' } });
    expect(parseMute('category: knitting')).toEqual({ ok: false, problem: 'unknown-category' });
    expect(parseMute('word:sports')).toEqual({ ok: true, filter: { kind: 'word', pattern: 'sports' } });
    expect(parseMute('youtube', ['youtube', 'clien'])).toEqual({
      ok: true,
      filter: { kind: 'source', pattern: 'youtube' },
    });
    expect(parseMute('youtube')).toEqual({ ok: true, filter: { kind: 'word', pattern: 'youtube' } });
    expect(parseMute('"Premier League"')).toEqual({ ok: true, filter: { kind: 'word', pattern: 'premier league' } });
  });
});

// ---------------------------------------------------------------- the promise, over random catalogs

const SOURCES = ['youtube', 'naver-news', 'clien', 'inven', 'rss:guardian', 'rss:verge', 'twitch'];
const WORDS = [
  'football',
  'ramen',
  'election',
  'gpu',
  'jazz',
  'beach',
  '축구',
  '라면',
  '선거',
  '반도체',
  '여행',
  '음악',
];
const FILLER = ['news', 'today', 'report', 'update', 'story', '소식', '이야기', '최신'];

const itemArb = (i: number) =>
  fc
    .record({
      w1: fc.constantFrom(...WORDS),
      w2: fc.constantFrom(...WORDS, ...FILLER),
      f: fc.constantFrom(...FILLER),
      suffix: fc.constantFrom('', 's', '경기', '를', '-club'),
      source: fc.constantFrom(...SOURCES),
      category: fc.constantFrom(...CATEGORIES),
      age: fc.integer({ min: 1, max: 300 }),
      views: fc.integer({ min: 0, max: 100_000 }),
    })
    .map((r) =>
      item(`it${i}`, `${r.f} ${r.w1}${r.suffix} ${r.w2}`, r.category as Category, {
        source: r.source,
        ageHours: r.age,
        views: r.views,
        summary: `${r.w2} ${r.f}`,
        now: NOW,
      }),
    );

const catalogArb = fc
  .integer({ min: 30, max: 90 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => itemArb(i))));

const filterArb: fc.Arbitrary<MuteFilter> = fc.oneof(
  fc.constantFrom(...WORDS).map((w) => ({ kind: 'word' as const, pattern: foldText(w), at: NOW.toISOString() })),
  fc
    .constantFrom('foot*', '*men', 'ra?en', '축구*', '선거')
    .map((w) => ({ kind: 'word' as const, pattern: w, at: NOW.toISOString() })),
  fc.constantFrom(...SOURCES, 'rss:*').map((s) => ({ kind: 'source' as const, pattern: s, at: NOW.toISOString() })),
  fc.constantFrom(...CATEGORIES).map((c) => ({ kind: 'category' as const, pattern: c, at: NOW.toISOString() })),
);

async function rankerFor(
  items: readonly ContentItem[],
  ann: boolean,
): Promise<{ ranker: Ranker; catalog: CatalogService }> {
  const store = new MemoryStore();
  for (const it of items) await store.set('items', it.id, it);
  const catalog = new CatalogService({
    store,
    text: new LexicalEncoder({ dim: 64 }),
    logger: silentLogger,
    ...(ann ? { annFactory: exactIndexFactory, annMinItems: 10 } : {}),
  });
  await catalog.refresh();
  await catalog.idle();
  const settings = settingsFrom(defaultConfig());
  const ranker = new Ranker({
    catalog,
    settings,
    stats: new BotStats(),
    clock: { now: () => NOW },
    logger: silentLogger,
  });
  return { ranker, catalog };
}

function subjectWith(ranker: Ranker, filters: MuteFilter[]): Subject {
  const doc = newUserDoc(
    { id: 'u1', createdAt: NOW.toISOString(), lang: 'en', identities: [], explore: 1 },
    NOW.toISOString(),
  );
  doc.persona.interests = WORDS.slice(0, 4).map((term) => ({ term, weight: 1, source: 'message', updatedAt: '' }));
  setUserFilters(doc, filters);
  return ranker.subjectOf(doc, 'console');
}

describe('hard filters on the real scoring path (property)', () => {
  for (const ann of [false, true]) {
    it(`GIVEN random catalogs, filters and requests (${ann ? 'ANN candidates' : 'exact scoring'}) THEN no muted item is ever ranked, and unmuted items still fill the list`, async () => {
      await fc.assert(
        fc.asyncProperty(
          catalogArb,
          fc.array(filterArb, { minLength: 1, maxLength: 4 }),
          fc.option(fc.constantFrom(...WORDS, ...FILLER), { nil: undefined }),
          fc.integer({ min: 1, max: 10 }),
          fc.integer({ min: 0, max: 3 }),
          fc.boolean(),
          async (items, filters, topic, count, explore, moreLike) => {
            const { ranker, catalog } = await rankerFor(items, ann);
            if (ann) expect(catalog.index.ann).toBeDefined();
            const subject = { ...subjectWith(ranker, filters), explore };
            const compiled = compileFilters(filters);
            const allowed = items.filter((it) => !itemMuted(it, compiled));
            const req = {
              count,
              ...(topic ? { topic } : {}),
              // "More like this" on an item that may itself be muted now (shown before the mute).
              ...(moreLike ? { likeItemId: items[0]!.id } : {}),
            };
            const { index, ranked } = await ranker.rankFor(subject, req);
            const shown = ranked.map((r) => index.items[r.row]!);
            for (const it of shown) expect(itemMuted(it, compiled), `${it.id} ${it.title} ${it.source}`).toBe(false);
            // A topic that names a category ("news") selects that category (topicAsCategory): only its items count.
            const category = topicAsCategory<RecommendRequest>(req).category;
            const reachable = allowed.filter(
              (it) => !(moreLike && it.id === items[0]!.id) && (!category || it.category === category),
            ).length;
            expect(shown.length).toBe(Math.min(count, reachable));
          },
        ),
        { numRuns: 40, seed: ann ? 1717 : 4242 },
      );
    });
  }

  it('GIVEN a group digest blend THEN every member’s mutes apply to the group list', async () => {
    await fc.assert(
      fc.asyncProperty(catalogArb, filterArb, filterArb, async (items, f1, f2) => {
        const { ranker } = await rankerFor(items, false);
        const member = (id: string, f: MuteFilter) => {
          const d = newUserDoc({ id, createdAt: '', lang: 'en', identities: [], explore: 1 }, NOW.toISOString());
          setUserFilters(d, [f]);
          return d;
        };
        const group = newUserDoc({ id: 'g', createdAt: '', lang: 'en', identities: [], explore: 1 }, '');
        const subject = blendSubject(group, [member('a', f1), member('b', f2)], 'telegram', 'en', 'x');
        const { index, ranked } = await ranker.rankFor(subject, { count: 10 });
        const compiled = compileFilters([f1, f2]);
        for (const r of ranked) expect(itemMuted(index.items[r.row]!, compiled)).toBe(false);
      }),
      { numRuns: 15, seed: 99 },
    );
  });
});
