/**
 * What a run tells an operator, with a fake fetcher serving recorded/reconstructed pages (no
 * network, no browser): every item found accounted for (the "38 found, 0 new, 0 dropped" bug),
 * and a source that delivered nothing named as empty, layout changed, blocked or login wall.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../infra/store/memory.js';
import { scrapeError } from '../../scrapers/browser.js';
import { formatHealth, SourceHealthStore } from '../../scrapers/health.js';
import { KeyValueIngestSink } from '../../scrapers/kv-sink.js';
import { IngestPipeline, type PageFetcher } from '../../scrapers/pipeline.js';
import { clien, naverNews, tiktok } from '../../scrapers/sources/index.js';
import type { FetchedPage, SourcePlugin } from '../../scrapers/types.js';
import { clock } from './helpers.js';

const fixture = (p: string) => readFileSync(resolve(import.meta.dirname, '../fixtures/scrapers', p), 'utf8');

/** Serves a body (or an HTTP error) per URL; anything else is a 404. */
function fakeFetcher(pages: Record<string, string | number>): PageFetcher {
  return {
    async fetchPage(req): Promise<FetchedPage> {
      const p = pages[req.url];
      if (typeof p === 'number' || p === undefined) {
        const status = p ?? 404;
        throw scrapeError(status >= 500 ? 'HTTP_5XX' : 'HTTP_4XX', `HTTP ${status} for ${req.url}`, {
          url: req.url,
          status,
        });
      }
      return { url: req.url, finalUrl: req.url, status: 200, contentType: 'text/html', body: p, mode: req.mode };
    },
  };
}

async function run(plugins: SourcePlugin[], pages: Record<string, string | number>) {
  const store = new MemoryStore();
  const health = new SourceHealthStore(store);
  const pipeline = new IngestPipeline({
    plugins,
    fetcher: fakeFetcher(pages),
    sink: new KeyValueIngestSink(store),
    health,
    clock,
  });
  const report = await pipeline.run();
  return { report, health, pipeline, store };
}

const NAVER = 'https://news.naver.com/section/105';
const CLIEN = 'https://www.clien.net/service/board/news';

describe('run report and source health', () => {
  it('GIVEN the same links twice in a run, then a second run THEN every item found is accounted for: new, same URL, already stored', async () => {
    const page = fixture('naver-news/2025-11-26-section-105.html');
    // the same section listed twice (as a portal repeats headlines in its clusters)
    const doubled = page.replace(
      '</ul></div></div><div class="section_latest">',
      `${/<li class="sa_item _SECTION_HEADLINE"[\s\S]*?<\/li>/.exec(page)![0]}</ul></div></div><div class="section_latest">`,
    );
    const { report, health, pipeline } = await run([naverNews({ sections: ['105'] })], { [NAVER]: doubled });
    expect(report.sources[0]).toMatchObject({
      found: 5,
      stored: 4,
      duplicateUrl: 1,
      known: 0,
      duplicateStory: 0,
      invalid: 0,
    });
    expect(formatHealth(await health.all(), clock.now())[0]).toMatch(/5 found: 4 new, 1 same URL/);
    const again = await pipeline.run();
    expect(again.sources[0]).toMatchObject({ found: 5, stored: 0, known: 4, duplicateUrl: 1 });
    expect(formatHealth(await health.all(), clock.now())[0]).toMatch(/5 found: 0 new, 4 already stored, 1 same URL/);
  });

  it('GIVEN a page whose markup changed THEN health says "layout changed: 0 items from a page that had N candidate nodes", not an empty success', async () => {
    const changed = fixture('naver-news/2025-11-26-section-105.html')
      .replaceAll('sa_item', 'sa_card')
      .replaceAll('sa_text_title', 'sa_card_title');
    const { report, health } = await run([naverNews({ sections: ['105'] })], { [NAVER]: changed });
    expect(report.sources[0]).toMatchObject({ status: 'failing', condition: 'layout-changed', found: 0 });
    expect(report.sources[0]!.error!.message).toMatch(
      /layout changed: 0 items from a page that had 10 candidate nodes/,
    );
    const [line] = formatHealth(await health.all(), clock.now());
    expect(line).toMatch(/failing \(LAYOUT CHANGED\).*hint: the site changed its markup: record a fresh fixture/);
  });

  it('GIVEN a board that lists nothing THEN health says empty (a different fix: check the board still exists)', async () => {
    const empty = fixture('clien/2025-11-26-board-news.html').replace(
      /<div class="list_item symph_row"[\s\S]*<\/div>\n<\/div><\/div>/,
      '</div></div>',
    );
    const { report } = await run([clien({ boards: ['news'] })], { [CLIEN]: empty });
    expect(report.sources[0]).toMatchObject({ condition: 'empty', error: { reason: 'EMPTY' } });
    expect(report.sources[0]!.hint).toMatch(/still exists/);
  });

  it('GIVEN a 403, or TikTok withholding the post list THEN health says blocked, with what to do instead', async () => {
    const forbidden = await run([clien({ boards: ['news'] })], { [CLIEN]: 403 });
    expect(forbidden.report.sources[0]).toMatchObject({
      status: 'failing',
      condition: 'blocked',
      error: { reason: 'HTTP_4XX' },
    });
    const tt = await run([tiktok({ accounts: ['nasa'] })], {
      'https://www.tiktok.com/@nasa': fixture('tiktok/2024-06-10-profile-no-post-list.html'),
    });
    expect(tt.report.sources[0]).toMatchObject({
      status: 'degraded',
      condition: 'blocked',
      error: { reason: 'BLOCKED' },
    });
    expect(tt.report.sources[0]!.hint).toMatch(/RSS bridge/);
    expect(formatHealth(await tt.health.all(), clock.now())[0]).toMatch(
      /degraded \(BLOCKED\).*TikTok served the profile of @nasa \(418 videos\) but not its post list/,
    );
  });
});
