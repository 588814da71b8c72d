/** Shared bits of the scraper suites. */
import { Fetcher } from '../../scrapers/browser.js';
import type { FetcherOptions } from '../../scrapers/browser.js';
import { toContentItem } from '../../scrapers/normalize.js';
import type { ContentItem } from '../../core/domain.js';
import type { TextEncoder } from '../../core/ports.js';
import type { ItemCandidate, ParseResult, SourcePlugin } from '../../scrapers/types.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** 15:00 KST on 2025-11-26. */
export const NOW = new Date('2025-11-26T06:00:00.000Z');
export const clock = { now: () => NOW };

/** A fetcher for the fixture sites on 127.0.0.1: SCRAPE_ALLOW_PRIVATE=true, as the test config sets it. */
export function testFetcher(overrides: Partial<FetcherOptions> = {}): Fetcher {
  return new Fetcher({
    allowPrivate: true,
    chromiumPath: CHROMIUM,
    concurrency: 4,
    perDomain: 4,
    delayMs: 0,
    timeoutMs: 4000,
    retries: 1,
    retryMinTimeoutMs: 20,
    maxContexts: 2,
    ...overrides,
  });
}

/** Plugin options pointing at the fixture server, without the production politeness delays. */
export const at = (origin: string, path: string) => ({
  baseUrl: `${origin}/${path}`,
  politeness: { delayMs: 0, perDomain: 4 },
});

export interface Scraped {
  results: { url: string; result?: ParseResult; error?: unknown }[];
  candidates: ItemCandidate[];
  items: ContentItem[];
  problems: string[];
}

/** Fetches and parses every list page of a plugin, through the real fetcher. */
export async function scrape(fetcher: Fetcher, plugin: SourcePlugin): Promise<Scraped> {
  const out: Scraped = { results: [], candidates: [], items: [], problems: [] };
  for (const page of plugin.listPages()) {
    try {
      const fetched = await fetcher.fetchPage({
        url: page.url,
        mode: plugin.mode,
        ...(plugin.waitFor && { waitFor: plugin.waitFor }),
      });
      const result = plugin.parse(fetched, { page, fetchedAt: NOW });
      out.results.push({ url: page.url, result });
      for (const c of result.items) {
        out.candidates.push(c);
        const r = toContentItem(plugin, page, c, NOW, fetched.finalUrl);
        if ('item' in r) out.items.push(r.item);
        else out.problems.push(r.problem);
      }
    } catch (error) {
      out.results.push({ url: page.url, error });
    }
  }
  return out;
}

/** A deterministic fake text encoder: hashed character bigrams, L2-normalised (similar titles → similar vectors). */
export function fakeTextEncoder(dim = 64): TextEncoder & { calls: number } {
  const enc = {
    id: `fake-bigram:${dim}`,
    dim,
    label: 'fake bigram encoder',
    calls: 0,
    async encode(texts: readonly string[]): Promise<Float32Array> {
      enc.calls++;
      const out = new Float32Array(texts.length * dim);
      texts.forEach((t, row) => {
        const s = t.toLowerCase().replace(/\s+/g, ' ');
        for (let i = 0; i + 1 < s.length; i++) {
          const h = (s.charCodeAt(i) * 31 + s.charCodeAt(i + 1)) % dim;
          out[row * dim + h]! += 1;
        }
        let n = 0;
        for (let k = 0; k < dim; k++) n += out[row * dim + k]! ** 2;
        n = Math.sqrt(n) || 1;
        for (let k = 0; k < dim; k++) out[row * dim + k]! /= n;
      });
      return out;
    },
  };
  return enc;
}
