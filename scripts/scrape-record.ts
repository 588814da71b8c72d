/**
 * `npm run scrape:record -- <source> <url> [--name <slug>] [--section <s>] [--count <n>] [--title "<first title>"]…`
 *
 * Saves the page as the source's fetcher sees it (Chromium sources: the rendered DOM) into
 * tests/fixtures/scrapers/<source>/<date>-<name>.html (.xml for feeds) with a .meta.json beside it.
 * Give --count and --title with what YOU see on the live page: the metadata then records that, and
 * tests/scrapers/recorded-fixtures.test.ts fails until the parser agrees. See docs/SCRAPERS.md.
 *
 * @example npm run scrape:record -- naver-news https://news.naver.com/section/105 --count 46 --title "…"
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../infra/config.js';
import { isRecoError } from '../core/errors.js';
import { Fetcher } from '../scrapers/browser.js';
import { recordFixture } from '../scrapers/record.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    section: { type: 'string' },
    count: { type: 'string' },
    title: { type: 'string', multiple: true },
    root: { type: 'string', default: resolve(import.meta.dirname, '../tests/fixtures/scrapers') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const usage =
  'usage: npm run scrape:record -- <source> <url> [--name <slug>] [--section <s>] [--count <n>] [--title "<title>"]…\n' +
  '  <source>: naver-news, google-news, youtube, twitch, clien, inven, instagram, tiktok, rss, og';

async function main(): Promise<number> {
  const [source, url] = positionals;
  if (values.help || !source || !url) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  const fetcher = new Fetcher({
    chromiumPath: config.CHROMIUM_PATH,
    concurrency: 1,
    perDomain: 1,
    delayMs: 0,
    timeoutMs: config.SCRAPE_TIMEOUT_MS,
    allowPrivate: config.SCRAPE_ALLOW_PRIVATE,
  });
  try {
    const r = await recordFixture({
      source,
      url,
      fetcher,
      root: values.root!,
      ...(values.name !== undefined && { name: values.name }),
      ...(values.section !== undefined && { section: values.section }),
      ...(values.count !== undefined && { expectCount: Number(values.count) }),
      ...(values.title?.length && { expectTitles: values.title }),
    });
    console.log(`saved ${r.pagePath}\nsaved ${r.metaPath}`);
    console.log(
      `the parser read ${r.parsed.items.length} items${r.parsed.wall ? ` (wall: ${r.parsed.wall.kind})` : ''}:`,
    );
    for (const i of r.parsed.items.slice(0, 5)) console.log(`  - ${i.title}`);
    for (const n of r.parsed.notes ?? []) console.log(`  note: ${n}`);
    if (r.mismatches.length) {
      console.log('\nThe parser disagrees with what you saw (the fixture test will fail until it is fixed):');
      for (const m of r.mismatches) console.log(`  ${m}`);
      return 1;
    }
    if (values.count === undefined)
      console.log('\nCheck the count and titles in the .meta.json against the live page, then drop "needsReview".');
    return 0;
  } finally {
    await fetcher.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(isRecoError(e) ? `${e.message}\n${e.hint}` : e);
    process.exit(1);
  },
);
