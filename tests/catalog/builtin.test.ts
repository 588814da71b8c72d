import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUILTIN_CATALOG_PATH, loadBuiltinCatalog, resolveProjectPath } from '../../infra/catalog/builtin.js';
import { parseContentItem, safeParseContentItem } from '../../core/catalog/schema.js';
import { CATEGORIES, type ContentItem } from '../../core/domain.js';
import { RecoError, isRecoError } from '../../core/errors.js';
import { buildBuiltinRows } from '../../scripts/catalog/builtin/index.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const SOURCES = ['naver-news', 'google-news', 'youtube', 'twitch', 'clien', 'inven', 'instagram', 'tiktok'] as const;
const HOSTS: Record<(typeof SOURCES)[number], string> = {
  'naver-news': 'search.naver.com',
  'google-news': 'news.google.com',
  youtube: 'www.youtube.com',
  twitch: 'www.twitch.tv',
  clien: 'www.clien.net',
  inven: 'www.inven.co.kr',
  instagram: 'www.instagram.com',
  tiktok: 'www.tiktok.com',
};
/** The categories each source may use (its natural sections). */
const NATURAL: Record<(typeof SOURCES)[number], readonly string[]> = {
  'naver-news': ['news', 'tech', 'sports', 'finance', 'science'],
  'google-news': ['news', 'tech', 'sports', 'finance', 'science'],
  youtube: CATEGORIES,
  twitch: ['games', 'music', 'entertainment'],
  clien: ['tech', 'lifestyle', 'finance'],
  inven: ['games'],
  instagram: ['food', 'travel', 'fashion', 'lifestyle', 'entertainment', 'music'],
  tiktok: ['food', 'travel', 'fashion', 'lifestyle', 'entertainment', 'music'],
};

const rawRows = (): Record<string, unknown>[] =>
  JSON.parse(readFileSync(DEFAULT_BUILTIN_CATALOG_PATH, 'utf8')) as Record<string, unknown>[];

function countBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

/** Width and height from a WebP's first chunk (VP8, VP8L or VP8X). */
function webpSize(b: Buffer): { width: number; height: number } {
  const chunk = b.toString('ascii', 12, 16);
  if (chunk === 'VP8 ') {
    expect(b.readUIntBE(23, 3)).toBe(0x9d012a); // key-frame start code
    return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  throw new Error(`unknown WebP chunk ${chunk}`);
}

describe('built-in catalog: content', () => {
  let items: ContentItem[];
  beforeAll(() => {
    items = loadBuiltinCatalog({ now: NOW });
  });

  it('has at least 300 items across at least 8 categories', () => {
    expect(items.length).toBeGreaterThanOrEqual(300);
    const cats = countBy(items, (i) => i.category);
    expect(cats.size).toBeGreaterThanOrEqual(8);
    // No category is a token presence: every one used has a cluster of items.
    for (const [cat, n] of cats) expect(n, cat).toBeGreaterThanOrEqual(10);
  });

  it('represents both languages (each 40–60 %)', () => {
    const ko = items.filter((i) => i.lang === 'ko').length;
    const en = items.filter((i) => i.lang === 'en').length;
    expect(ko + en).toBe(items.length);
    expect(ko / items.length).toBeGreaterThan(0.4);
    expect(en / items.length).toBeGreaterThan(0.4);
  });

  it('has at least 20 items per source, each in its natural categories and on its own site', () => {
    const bySource = countBy(items, (i) => i.source);
    for (const s of SOURCES) expect(bySource.get(s) ?? 0, s).toBeGreaterThanOrEqual(20);
    for (const item of items) {
      const source = item.source as (typeof SOURCES)[number];
      expect(SOURCES, item.id).toContain(source);
      expect(NATURAL[source], item.id).toContain(item.category);
      const url = new URL(item.url);
      expect(url.protocol, item.id).toBe('https:');
      expect(url.hostname, item.id).toBe(HOSTS[source]);
    }
  });

  it('has unique ids and unique urls', () => {
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    expect(new Set(items.map((i) => i.url)).size).toBe(items.length);
  });

  it('follows the writing rules (title 30–90, summary 80–220, 2–5 tags) and the ContentItem schema', () => {
    for (const item of items) {
      expect(item.title.length, item.id).toBeGreaterThanOrEqual(30);
      expect(item.title.length, item.id).toBeLessThanOrEqual(90);
      expect(item.summary.length, item.id).toBeGreaterThanOrEqual(80);
      expect(item.summary.length, item.id).toBeLessThanOrEqual(220);
      expect(item.tags?.length ?? 0, item.id).toBeGreaterThanOrEqual(2);
      expect(item.tags?.length ?? 0, item.id).toBeLessThanOrEqual(5);
      expect(item.canonicalUrl).toBe(item.url);
      expect(safeParseContentItem(item).ok, item.id).toBe(true);
    }
    // Hand-written, not templated: titles are distinct.
    expect(new Set(items.map((i) => i.title)).size).toBe(items.length);
  });

  it('has recognisable sub-topics recurring in both languages', () => {
    const text = (i: ContentItem) => `${i.title} ${i.summary} ${(i.tags ?? []).join(' ')}`;
    const clusters: Record<string, RegExp> = {
      football: /football|soccer|Premier League|축구|K리그/i,
      baseball: /baseball|MLB|야구|KBO/i,
      lol: /League of Legends|LCK|롤|리그오브레전드/i,
      starcraft: /StarCraft|스타크래프트|스타/i,
      ai: /\bAI\b|LLM|인공지능|챗GPT/i,
      chips: /semiconductor|chip|반도체|HBM/i,
      kpop: /K-pop|K팝|케이팝/i,
      jazz: /jazz|재즈/i,
      ramen: /ramen|라면|불닭/i,
      kimchi: /kimchi|김치|깍두기|김장/i,
      jeju: /Jeju|제주/i,
      tokyo: /Tokyo|도쿄/i,
      sneakers: /sneaker|운동화|스니커즈/i,
      space: /space|rocket|우주|누리호/i,
      stocks: /stock|주식|코스피/i,
      crypto: /crypto|bitcoin|비트코인|코인/i,
    };
    for (const [name, re] of Object.entries(clusters)) {
      const hits = items.filter((i) => re.test(text(i)));
      expect(hits.filter((i) => i.lang === 'ko').length, `${name} (ko)`).toBeGreaterThanOrEqual(2);
      expect(hits.filter((i) => i.lang === 'en').length, `${name} (en)`).toBeGreaterThanOrEqual(2);
    }
    const redSneakers = items.filter((i) =>
      /red sneakers|red high-tops|red retro runners|빨간 운동화|빨간운동화/i.test(text(i)),
    );
    expect(redSneakers.length).toBeGreaterThanOrEqual(3);
  });

  it('has varied, heavy-tailed popularity', () => {
    const views = items.filter((i) => i.source === 'youtube').map((i) => i.popularity.views ?? 0);
    expect(views.every((v) => v > 0)).toBe(true);
    const sorted = [...views].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    expect(sorted.at(-1)! / median).toBeGreaterThan(20);
    expect(items.filter((i) => i.source === 'twitch').every((i) => (i.popularity.viewers ?? 0) > 0)).toBe(true);
  });

  it('matches the hand-written tables (items.json is regenerated, not hand-edited)', () => {
    expect(rawRows()).toEqual(buildBuiltinRows().map((b) => b.row));
  });
});

describe('built-in catalog: thumbnails', () => {
  it('every item has a small 160x90 WebP file', () => {
    const items = loadBuiltinCatalog({ now: NOW });
    for (const item of items) {
      expect(item.thumbnail, item.id).toBe(`core/catalog/builtin/thumbs/${item.id}.webp`);
      const file = resolveProjectPath(item.thumbnail!);
      const size = statSync(file).size;
      expect(size, item.id).toBeLessThan(8 * 1024);
      const b = readFileSync(file);
      expect(b.toString('ascii', 0, 4), item.id).toBe('RIFF');
      expect(b.toString('ascii', 8, 12), item.id).toBe('WEBP');
      expect(b.readUInt32LE(4) + 8, item.id).toBe(size); // RIFF length matches the file
      expect(webpSize(b), item.id).toEqual({ width: 160, height: 90 });
    }
  });

  it('thumbnails differ between items (not one image copied)', () => {
    const items = loadBuiltinCatalog({ now: NOW });
    const hashes = new Set(items.map((i) => readFileSync(resolveProjectPath(i.thumbnail!)).toString('base64')));
    expect(hashes.size).toBe(items.length);
  });
});

describe('loadBuiltinCatalog', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'deepreco-builtin-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, content: string): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const expectCorrupt = (path: string): RecoError => {
    try {
      loadBuiltinCatalog({ path, now: NOW });
    } catch (e) {
      expect(isRecoError(e, 'CATALOG_CORRUPT'), String(e)).toBe(true);
      const err = e as RecoError;
      expect(err.message).toContain(path);
      return err;
    }
    throw new Error('expected CATALOG_CORRUPT');
  };

  it('computes publishedAt from now - ageHours, fetchedAt = now', () => {
    const raw = rawRows();
    const items = loadBuiltinCatalog({ now: NOW });
    expect(items).toHaveLength(raw.length);
    items.forEach((item, i) => {
      const ageHours = raw[i]!['ageHours'] as number;
      expect(item.id).toBe(raw[i]!['id']);
      expect(item.publishedAt).toBe(new Date(NOW.getTime() - ageHours * 3_600_000).toISOString());
      expect(item.fetchedAt).toBe(NOW.toISOString());
    });
    // A later load moves every publication time by the same amount.
    const later = loadBuiltinCatalog({ now: new Date(NOW.getTime() + 5 * 3_600_000) });
    expect(Date.parse(later[0]!.publishedAt) - Date.parse(items[0]!.publishedAt)).toBe(5 * 3_600_000);
  });

  it('reads an explicit path', () => {
    const rows = rawRows().slice(0, 3);
    const items = loadBuiltinCatalog({ path: write('small.json', JSON.stringify(rows)), now: NOW });
    expect(items.map((i) => i.id)).toEqual(rows.map((r) => r['id']));
  });

  it('corrupt JSON is CATALOG_CORRUPT naming the file', () => {
    const err = expectCorrupt(write('broken.json', '[{"id": "builtin-yt-0001", '));
    expect(err.message).toMatch(/not valid JSON/);
    expect(err.details['path']).toBe(join(dir, 'broken.json'));
  });

  it('a missing file and a non-array are CATALOG_CORRUPT; an empty array is CATALOG_EMPTY', () => {
    expectCorrupt(join(dir, 'does-not-exist.json'));
    expectCorrupt(write('object.json', '{"items": []}'));
    expect(() => loadBuiltinCatalog({ path: write('empty.json', '[]'), now: NOW })).toThrow(
      expect.objectContaining({ code: 'CATALOG_EMPTY' }),
    );
  });

  it('a bad row is CATALOG_CORRUPT naming the row index, id and field', () => {
    const rows = rawRows();
    rows[7] = { ...rows[7]!, popularity: { views: -5 } };
    const err = expectCorrupt(write('bad-row.json', JSON.stringify(rows)));
    expect(err.details['row']).toBe(7);
    expect(err.details['field']).toBe('popularity.views');
    expect(err.details['id']).toBe(rows[7]!['id']);
    expect(err.message).toContain('row 7');
    expect(err.message).toContain('popularity.views');
  });

  it('reports the FIRST bad row when several are bad', () => {
    const rows = rawRows();
    rows[40] = { ...rows[40]!, category: 'gossip' };
    rows[12] = { ...rows[12]!, ageHours: 9999 };
    const err = expectCorrupt(write('two-bad.json', JSON.stringify(rows)));
    expect(err.details['row']).toBe(12);
    expect(err.details['field']).toBe('ageHours');
  });

  it('rejects unknown fields, missing fields, non-http urls and duplicate ids/urls', () => {
    const base = rawRows();
    const cases: [string, (rows: Record<string, unknown>[]) => void, number, string][] = [
      ['typo', (r) => void (r[3] = { ...r[3]!, populartiy: {} }), 3, 'populartiy'],
      ['no-title', (r) => void delete r[0]!['title'], 0, 'title'],
      ['js-url', (r) => void (r[5] = { ...r[5]!, url: 'javascript:alert(1)' }), 5, 'url'],
      ['dup-id', (r) => void (r[9] = { ...r[9]!, id: r[2]!['id'] }), 9, 'id'],
      ['dup-url', (r) => void (r[11] = { ...r[11]!, url: r[4]!['url'] }), 11, 'url'],
      ['abs-thumb', (r) => void (r[6] = { ...r[6]!, thumbnail: '/etc/passwd' }), 6, 'thumbnail'],
    ];
    for (const [name, mutate, row, field] of cases) {
      const rows = structuredClone(base);
      mutate(rows);
      const err = expectCorrupt(write(`${name}.json`, JSON.stringify(rows)));
      expect(err.details['row'], name).toBe(row);
      expect(String(err.details['field']), name).toContain(field);
    }
  });
});

describe('contentItemSchema', () => {
  const valid: ContentItem = {
    id: 'x1',
    url: 'https://example.com/a',
    canonicalUrl: 'https://example.com/a',
    title: 'A title',
    summary: '',
    category: 'tech',
    source: 'rss:feed',
    lang: 'en',
    publishedAt: '2025-01-01T00:00:00.000Z',
    fetchedAt: '2025-01-01T01:00:00Z',
    popularity: {},
  };

  it('accepts a valid item, drops unknown keys and keeps optional ones', () => {
    const parsed = parseContentItem({ ...valid, extra: 1, thumbnail: 'https://img.example.com/t.webp', tags: ['a'] });
    expect(parsed).toEqual({ ...valid, thumbnail: 'https://img.example.com/t.webp', tags: ['a'] });
    expect('extra' in parsed).toBe(false);
  });

  it('rejects bad fields with a RecoError naming the field', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ ...valid, url: 'ftp://example.com/a' }, 'url'],
      [{ ...valid, category: 'gossip' }, 'category'],
      [{ ...valid, lang: 'fr' }, 'lang'],
      [{ ...valid, publishedAt: 'yesterday' }, 'publishedAt'],
      [{ ...valid, popularity: { views: 1.5 } }, 'popularity.views'],
      [{ ...valid, thumbnail: '../secret.webp' }, 'thumbnail'],
      [{ ...valid, contentHash: 'abc' }, 'contentHash'],
    ];
    for (const [input, field] of bad) {
      const r = safeParseContentItem(input);
      expect(r.ok, field).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('SCRAPE_FAILED');
        expect(r.error.details['field']).toBe(field);
      }
      expect(() => parseContentItem(input, 'INPUT_INVALID')).toThrow(
        expect.objectContaining({ code: 'INPUT_INVALID' }),
      );
    }
  });
});
