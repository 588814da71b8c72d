/**
 * `npm run scrape [-- --source <id> …] [--fixtures] [--memory] [--no-thumbnails]`
 *
 * Runs the ingestion pipeline once into the app's store (namespace `items`, keyed by item id) and
 * prints per-source health. `--fixtures` serves the bundled fixture sites (tests/fixtures/sites) on
 * 127.0.0.1 and points every source at them: the whole pipeline, offline.
 */
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../infra/config.js';
import { isRecoError } from '../core/errors.js';
import { createApp } from '../app/compose.js';
import { createLogger, secretValues } from '../infra/logger.js';
import { createScraping, formatHealth, sourcesFromConfig } from '../scrapers/index.js';
import type { ProgressEvent } from '../scrapers/pipeline.js';
import type { SourcePlugin } from '../scrapers/types.js';

const { values } = parseArgs({
  options: {
    source: { type: 'string', multiple: true },
    fixtures: { type: 'boolean', default: false },
    memory: { type: 'boolean', default: false },
    'no-thumbnails': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('usage: npm run scrape [-- --source <id> …] [--fixtures] [--memory] [--no-thumbnails]');
  process.exit(0);
}

async function main(): Promise<number> {
  const config = loadConfig();
  let stopFixtures: (() => Promise<void>) | undefined;
  let plugins: SourcePlugin[] | undefined;
  let thumbnailCa: string | undefined;
  if (values.fixtures) {
    const { startSiteServer, FIXTURE_CA } = await import('../tests/helpers/site-server.js');
    const site = await startSiteServer();
    stopFixtures = site.close;
    thumbnailCa = FIXTURE_CA;
    const o = site.origin;
    const spec = [
      'naver-news:105+101',
      'google-news:TECHNOLOGY+locale=ko-KR+locale=en-US',
      'youtube:trending+search=lofi+channel=@newjeans_official',
      'twitch',
      'clien',
      'inven',
      'instagram:natgeo+private_acct',
      'tiktok:nasa+walled+#space',
      `rss:blog=${o}/rss/feed.xml|tech|en`,
      `rss:food=${o}/rss/atom.xml|food|ko`,
      `og:${o}/og/article.html|travel`,
    ].join(',');
    // one local host serves every site: no production politeness delays against it
    plugins = sourcesFromConfig(spec, { baseUrlFor: (id) => `${o}/${id}` }).map((p) => ({
      ...p,
      politeness: { delayMs: 0, perDomain: 4 },
    }));
    console.log(`fixture sites on ${o}`);
  }
  // The same app the bot runs (store, encoders, catalog): scraped items are embedded, indexed and, once
  // they outnumber it, replace the built-in catalog — exactly as the in-bot schedule does.
  const logger = createLogger({
    level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
    format: config.LOG_FORMAT,
    secrets: secretValues(config),
  });
  const app = await createApp({ config, logger, ...(values.memory ? { memory: true } : {}) });
  const store = app.store;
  const sink = app.ingest;
  // fixture mode: one local host serves every site, so no spacing between requests
  const scraping = createScraping(values.fixtures ? { ...config, SCRAPE_DELAY_MS: 0 } : config, {
    store,
    sink,
    textEncoder: app.catalog.textEncoder,
    ...(app.catalog.imageEncoder ? { imageEncoder: app.catalog.imageEncoder } : {}),
    ...(plugins && { plugins }),
    ...(thumbnailCa !== undefined && { thumbnailCa, allowPrivate: ['loopback'] }),
  });
  const bar = new SingleBar(
    { format: ' {bar} {value}/{total} pages | {stage}', hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  let started = false;
  const onProgress = (e: ProgressEvent) => {
    if (e.type === 'plan') {
      bar.start(e.pages, 0, { stage: `${e.sources} sources` });
      started = true;
    } else if (e.type === 'page') bar.increment(1, { stage: `${e.source}${e.ok ? '' : ` ✗ ${e.reason}`}` });
    else if (e.type === 'stage') bar.update({ stage: `${e.stage} (${e.count})` });
  };
  try {
    const pipeline = values['no-thumbnails']
      ? new (await import('../scrapers/pipeline.js')).IngestPipeline({
          plugins: scraping.plugins,
          fetcher: scraping.fetcher,
          sink,
          textEncoder: app.catalog.textEncoder,
          health: scraping.health,
        })
      : scraping.pipeline;
    const report = await pipeline.run({ ...(values.source && { sources: values.source }), onProgress });
    if (started) bar.stop();
    const sum = (k: 'found' | 'known' | 'duplicateUrl' | 'duplicateStory' | 'invalid') =>
      report.sources.reduce((n, s) => n + s[k], 0);
    console.log(
      `\nstored ${report.stored.length} new items in ${store.description} (catalog now ${app.catalog.size} items) (${(report.durationMs / 1000).toFixed(1)}s); ` +
        `${sum('found')} found: ${sum('known')} already stored, ${sum('duplicateUrl')} same URL, ${sum('duplicateStory')} same story, ${sum('invalid')} invalid; ` +
        `thumbnails ${report.thumbnails.ok} cached, ${report.thumbnails.refused} refused, ${report.thumbnails.failed} failed`,
    );
    const ran = new Set(report.sources.map((s) => s.source));
    const health = (await scraping.health.all()).filter((h) => ran.has(h.source));
    for (const line of formatHealth(health)) console.log(`  ${line}`);
    return report.sources.length > 0 && report.sources.every((s) => s.status === 'failing') ? 1 : 0;
  } finally {
    if (started) bar.stop();
    await scraping.close();
    await app.close();
    await stopFixtures?.();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(isRecoError(e) ? `${e.message}\n${e.hint}` : e);
    process.exit(1);
  },
);
