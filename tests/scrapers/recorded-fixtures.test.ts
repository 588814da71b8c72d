/**
 * Every recorded or reconstructed real-layout fixture in tests/fixtures/scrapers/<source>/ is parsed
 * by its plugin and compared with its .meta.json (what a person sees on the page: the item count,
 * the first titles, a few items field by field, the wall). Each item must also be storable (the
 * catalog schema accepts it). See docs/SCRAPERS.md for how to record a new one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourcesFromConfig } from '../../scrapers/sources/index.js';
import { toContentItem } from '../../scrapers/normalize.js';
import { validateItems } from '../../scrapers/validate.js';
import type { FetchedPage } from '../../scrapers/types.js';

const ROOT = resolve(import.meta.dirname, '../fixtures/scrapers');

interface Meta {
  source: string;
  spec: string;
  url: string;
  section?: string;
  fetchedAt: string;
  kind: string;
  provenance: string;
  licence: string;
  checkedBy: string | null;
  expected: {
    count: number;
    titles: string[];
    items: ({ index: number } & Record<string, unknown>)[];
    wall?: string;
    notes?: string[];
  };
}

function fixtures(): { name: string; body: string; meta: Meta }[] {
  const out: { name: string; body: string; meta: Meta }[] = [];
  for (const dir of readdirSync(ROOT, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(ROOT, dir.name))) {
      if (!f.endsWith('.meta.json')) continue;
      const base = f.replace(/\.meta\.json$/, '');
      const page = readdirSync(join(ROOT, dir.name)).find((x) => x.startsWith(`${base}.`) && !x.endsWith('.meta.json'));
      if (!page) throw new Error(`${dir.name}/${f}: no page file beside it`);
      out.push({
        name: `${dir.name}/${page}`,
        body: readFileSync(join(ROOT, dir.name, page), 'utf8'),
        meta: JSON.parse(readFileSync(join(ROOT, dir.name, f), 'utf8')) as Meta,
      });
    }
  }
  return out;
}

function parse(meta: Meta, body: string) {
  const plugin = sourcesFromConfig(meta.spec)[0]!;
  const page = { url: meta.url, ...(meta.section !== undefined && { section: meta.section }) };
  const fetched: FetchedPage = {
    url: meta.url,
    finalUrl: meta.url,
    status: 200,
    contentType: 'text/html',
    body,
    mode: plugin.mode,
  };
  const fetchedAt = new Date(meta.fetchedAt);
  return { plugin, page, fetchedAt, result: plugin.parse(fetched, { page, fetchedAt }) };
}

const all = fixtures();

describe('real-layout fixtures', () => {
  it('GIVEN the fixture folders THEN every source has at least one, each with its provenance', () => {
    const sources = new Set(all.map((f) => f.meta.source));
    for (const s of [
      'rss',
      'google-news',
      'youtube',
      'instagram',
      'tiktok',
      'twitch',
      'clien',
      'naver-news',
      'inven',
      'og',
    ])
      expect(sources.has(s), s).toBe(true);
    for (const f of all) {
      expect(f.meta.kind, f.name).toMatch(/^(recorded|recorded, reduced|reconstructed)$/);
      expect(f.meta.provenance.length, f.name).toBeGreaterThan(30);
      expect(f.meta.licence.length, f.name).toBeGreaterThan(2);
      expect(f.body, f.name).toMatch(/RECORDED|RECONSTRUCTED/); // the page says what it is, too
    }
  });

  it.each(all.map((f) => [f.name, f] as const))('GIVEN %s THEN it parses to what its metadata says', async (_, f) => {
    const { plugin, page, fetchedAt, result } = parse(f.meta, f.body);
    expect(result.items).toHaveLength(f.meta.expected.count);
    expect(result.items.slice(0, 3).map((i) => i.title)).toEqual(f.meta.expected.titles);
    for (const want of f.meta.expected.items) {
      const { index, ...fields } = want;
      expect(result.items[index], `item ${index}`).toMatchObject(fields);
    }
    if (f.meta.expected.wall) expect(result).toMatchObject({ walled: true, wall: { kind: f.meta.expected.wall } });
    else expect(result.walled).toBeFalsy();
    if (f.meta.expected.notes) expect(result.notes).toEqual(f.meta.expected.notes);
    // every item is storable: a link, a title, a valid date or dateUnknown, an https thumbnail
    const items = result.items.map((c) => {
      const r = toContentItem(plugin, page, c, fetchedAt, f.meta.url);
      if (!('item' in r)) throw new Error(`${f.name}: ${r.problem}`);
      return r.item;
    });
    const { invalid } = await validateItems(items);
    expect(invalid.map((x) => x.problem)).toEqual([]);
  });
});

describe('what the fixtures prove', () => {
  const get = (name: string) => {
    const f = all.find((x) => x.name.endsWith(name));
    if (!f) throw new Error(`no fixture ${name}`);
    return parse(f.meta, f.body).result;
  };

  it('GIVEN the Guardian feed (recorded) THEN the 460 px media:content is the picture, not the first 140 px one', () => {
    for (const i of get('2018-01-31-guardian-us.xml').items) expect(i.thumbnail).toMatch(/\?w=460&/);
  });

  it('GIVEN a podcast feed (recorded) THEN the episode itunes:image is the picture, never the MP3 media:content', () => {
    for (const i of get('2019-10-08-giantbomb-podcast.xml').items) {
      expect(i.thumbnail).toMatch(/cbsistatic\.com\/uploads\/original\//);
      expect(i.thumbnail).not.toMatch(/\.mp3/);
    }
  });

  it('GIVEN RSS 1.0 (RDF) THEN enc:enclosure rdf:resource is the picture and dc:date the date', () => {
    expect(get('2026-09-25-science-news-rdf.xml').items[0]).toMatchObject({
      thumbnail: 'https://www.science.org/do/10.1126/science.aaaa1111/rss/on_prima.jpg',
      publishedAt: '2026-09-25T04:30:00.000Z',
    });
  });

  it('GIVEN Medium content:encoded THEN the figure image is the picture and a lone tracking pixel is none', () => {
    const [withFigure, pixelOnly] = get('2018-05-29-medium-codeburst.xml').items;
    expect(withFigure!.thumbnail).toBe('https://cdn-images-1.medium.com/max/1024/1*kZnwcP48e4CWMHEaE2oG7A.png');
    expect(pixelOnly!.thumbnail).toBeUndefined();
  });

  it('GIVEN a watch page THEN compactVideoRenderer and endScreenVideoRenderer cards are read, mixes and playlists are not', () => {
    const r = get('2022-12-22-watch-compact.html');
    expect(r.items.some((i) => /Mix -|Programming streams/.test(i.title))).toBe(false);
    expect(r.items.find((i) => i.url.endsWith('dQw4w9WgXcQ'))!.thumbnail).toMatch(
      /^https:\/\/i\.ytimg\.com\/vi\/dQw4w9WgXcQ\/hqdefault\.jpg\?sqp=-oaymwE2CNACELwB/,
    ); // the 336×188 one
  });

  it('GIVEN a 2025 watch page THEN lockupViewModel videos and the Shorts shelf are read, playlist lockups are not', () => {
    const r = get('2025-03-01-watch-lockup.html');
    expect(r.items.filter((i) => i.url.includes('/shorts/'))).toHaveLength(3);
    expect(r.items.some((i) => i.title === 'K-pop hits 2025')).toBe(false);
  });

  it('GIVEN an Instagram post page without og:title (recorded) THEN the post comes from the embedded JSON, with its date, counts and largest image', () => {
    expect(get('2020-11-16-post-b0epbcraasx.html').items[0]).toMatchObject({
      url: 'https://www.instagram.com/p/B0EpBCrAAsx/',
      publishedAt: '2019-07-18T21:04:06.000Z',
      popularity: { likes: 542755, comments: 6702 },
      thumbnail: expect.stringMatching(/\/e35\/p1080x1080\//),
      tags: expect.arrayContaining(['@instagram']),
    });
  });

  it('GIVEN walls THEN Instagram says login wall and TikTok says blocked, each with a hint, never an empty success', () => {
    expect(get('2020-11-16-profile-login-wall.html')).toMatchObject({
      items: [],
      walled: true,
      wall: { kind: 'login', hint: expect.stringMatching(/RSS bridge|Graph API/) },
    });
    expect(get('2024-06-10-profile-no-post-list.html')).toMatchObject({
      items: [],
      walled: true,
      wall: { kind: 'blocked', hint: expect.stringMatching(/RSS bridge|API/) },
    });
  });

  it('GIVEN a Naver article with no date meta tag THEN the data-date-time span dates it (not "now")', () => {
    expect(get('2024-01-11-naver-article-bok.html').items[0]!.publishedAt).toBe('2024-01-11T00:56:31.000Z');
  });

  it('GIVEN a Clien board THEN the span.category.fixed category is a tag', () => {
    expect(get('2025-11-26-board-news.html').items.map((i) => i.tags)).toEqual([
      ['새로운소식', '새소식'],
      ['새로운소식', '새소식'],
      ['새로운소식', 'IT'],
      ['새로운소식', '게임'],
    ]);
  });
});
