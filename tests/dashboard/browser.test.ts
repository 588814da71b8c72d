/**
 * The dashboard in a real Chromium (Debian's, through playwright-core): every page loads without console errors,
 * the compare table sorts, charts draw the expected number of marks, an upload shows the hand-computed metrics, a
 * malformed upload names the line, the live page shows the seeded aggregates. Screenshots go to tests/.tmp/dashboard
 * (and to docs/img with UPDATE_DOCS_SCREENSHOTS=1).
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import { loadBuiltinCatalog } from '../../infra/catalog/builtin.js';
import { defaultConfig } from '../../core/config.js';
import { writeDemoExperiment } from '../../dashboard/demo.js';
import { startDashboard, type RunningDashboard } from '../../dashboard/server.js';
import { hasBinary, requireService } from '../helpers/services.js';
import { HAND_METRICS, HAND_RECS, HAND_TEST, seedLiveBot, writeHandRun } from './fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const run = requireService('chromium', hasBinary(CHROMIUM));
const SHOTS = path.resolve('tests/.tmp/dashboard');
const DOCS = process.env.UPDATE_DOCS_SCREENSHOTS === '1' ? path.resolve('docs/img') : undefined;

/** Waits until the page marks itself drawn (`document.body.dataset.ready`, set by dashboard/public/lib.js). */
const readyIs = (page: Page, name: string) =>
  page.locator(`body[data-ready="${name}"]`).waitFor({ state: 'attached', timeout: 45_000 });

describe.runIf(run)('dashboard in Chromium', () => {
  let dir: string;
  let app: App;
  let dash: RunningDashboard;
  let context: BrowserContext;
  let handId: string;
  let demoId: string;
  const errors: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dash-browser-'));
    const experiments = path.join(dir, 'experiments');
    handId = await writeHandRun(experiments);
    demoId = (await writeDemoExperiment(experiments, { now: new Date('2026-11-30T09:00:00Z') })).id;
    app = (
      await seedLiveBot({
        items: loadBuiltinCatalog({ now: new Date('2026-11-24T00:00:00Z') }),
        twoTowerDir: path.join(dir, 'two-tower'),
      })
    ).app;
    const config = defaultConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', TWO_TOWER_DIR: path.join(dir, 'two-tower') });
    dash = await startDashboard({
      config,
      store: app.store,
      catalog: app.catalog,
      port: 0,
      experimentsDir: experiments,
      mapEpochs: 80,
    });
    await mkdir(SHOTS, { recursive: true });
    context = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
    context.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${m.text()} @ ${m.location().url}`);
    });
    context.on('weberror', (e) => errors.push(e.error().message));
  });

  afterAll(async () => {
    await context?.close();
    await dash?.close();
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(route: string, ready: string): Promise<Page> {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${dash.url}#/${route}`);
    await readyIs(page, ready);
    return page;
  }
  async function shot(page: Page, name: string) {
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (DOCS) await copyFile(file, path.join(DOCS, `dashboard-${name}.png`));
  }

  it('GIVEN each page THEN it loads without console errors', async () => {
    for (const [route, ready, name] of [
      ['experiments', 'experiments', 'experiments'],
      [`compare?runs=${demoId}`, 'compare', 'compare'],
      ['upload', 'upload', 'upload'],
      [`rerank?run=${demoId}&model=itemknn`, 'rerank', 'rerank'],
      ['embedding', 'embedding', 'embedding'],
      ['live', 'live', 'live'],
    ] as const) {
      const page = await open(route, ready);
      expect(await page.locator('.error').count(), `${route}: ${await page.locator('main').innerText()}`).toBe(0);
      await shot(page, name);
    }
    expect(errors).toEqual([]);
  });

  it('GIVEN the experiments list THEN filters narrow it and the selected runs open in compare', async () => {
    let page = await open('experiments', 'experiments');
    // No selection left from earlier visits (the page's CSP forbids string evaluation).
    await page.evaluate(() => (globalThis as unknown as { localStorage: { clear(): void } }).localStorage.clear());
    page = await open('upload', 'upload');
    page = await open('experiments', 'experiments');
    await expect.poll(() => page.locator('#runs-table tbody tr').count()).toBeGreaterThanOrEqual(2);
    await page.fill('#filter-text', 'hand-made');
    await expect.poll(() => page.locator('#runs-table tbody tr').count()).toBe(1);
    await page.check(`input[data-run="${handId}"]`);
    await page.click('#compare-selected');
    await readyIs(page, 'compare');
    expect(page.url()).toMatch(new RegExp(`runs=${handId}$`));
  });

  it('GIVEN the compare table THEN clicking a header sorts by it, the best cell and significance are marked', async () => {
    const page = await open(`compare?runs=${handId}`, 'compare');
    const order = () => page.locator('#compare-table tbody tr td:first-child').allInnerTexts();
    expect(await order()).toEqual(['ease', 'itemknn', 'pop']); // NDCG, descending
    await page.click('#compare-table th[data-key="ndcg@10"]');
    expect(await order()).toEqual(['pop', 'itemknn', 'ease']);
    await page.click('#compare-table th[data-key="gini@10"]');
    expect(await order()).toEqual(['pop', 'itemknn', 'ease']); // gini 0.5, 0.3, 0.225
    await page.click('#compare-table th[data-key="coverage@10"]');
    expect(await order()).toEqual(['pop', 'itemknn', 'ease']);
    await page.click('#compare-table th[data-key="fit"]');
    expect(await order()).toEqual(['ease', 'itemknn', 'pop']);
    // Best per column: ease on NDCG (0.41) and gini (lowest 0.225), pop on coverage.
    const best = await page.locator('#compare-table td.best').allInnerTexts();
    expect(best.map((t) => t.split(' ')[0])).toEqual(expect.arrayContaining(['0.4100', '0.2250', '0.8500']));
    expect(await page.locator('#compare-table sup[data-sig="▲"]').count()).toBe(1);
    expect(await page.locator('#compare-table .std').first().innerText()).toMatch(/± 0\.\d{4}/);
  });

  it('GIVEN a known run THEN each chart draws one mark per model (bars), per model × axis (parallel) and per bucket × model', async () => {
    const hand = await open(`compare?runs=${handId}`, 'compare');
    expect(await hand.locator('[data-chart="bar:ndcg@10"] g[aria-label="bar"] rect').count()).toBe(3);
    // Error bars: one rule per model (every std > 0); the second rule mark is the zero line.
    expect(await hand.locator('[data-chart="bar:ndcg@10"] g[aria-label="rule"]').first().locator('line').count()).toBe(
      3,
    );
    expect(await hand.locator('[data-chart="parallel"] g[aria-label="dot"] circle').count()).toBe(3 * 4);
    // Popularity buckets of the hand lists (2 models × head/mid/tail).
    expect(await hand.locator('[data-chart="pop-recall"] g[aria-label="bar"] rect').count()).toBe(6);

    const demo = await open(`compare?runs=${demoId}`, 'compare');
    expect(await demo.locator('[data-chart="bar:ndcg@10"] g[aria-label="bar"] rect').count()).toBe(5);
    expect(
      await demo.locator('[data-chart="box"] g[aria-label="boxY"], [data-chart="box"] g[aria-label="bar"]').count(),
    ).toBeGreaterThan(0);
    await demo.selectOption('#k-select', '20');
    await demo.locator('[data-chart="bar:ndcg@20"]').waitFor();
    expect(await demo.locator('[data-chart="bar:ndcg@20"] g[aria-label="bar"] rect').count()).toBe(5);

    const lab = await open(`rerank?run=${demoId}&model=itemknn`, 'rerank');
    expect(await lab.locator('[data-chart="curve:ild"] g[aria-label="dot"]').first().locator('circle').count()).toBe(
      11,
    );
    expect(await lab.locator('#bot-setting').innerText()).toMatch(/level 1 \(λ = 0\.7/);

    const map = await open('embedding', 'embedding');
    const items = await app.catalog.index.items.length;
    expect(await map.locator('[data-chart="map"] g[aria-label="dot"]').first().locator('circle').count()).toBe(items);
    await map.locator('[data-chart="map"] g[aria-label="dot"] circle').first().hover();
    await expect.poll(() => map.locator('#tooltip').isVisible()).toBe(true);
    expect((await map.locator('#tooltip strong').innerText()).length).toBeGreaterThan(3);
  });

  it('GIVEN the hand-made CSV upload THEN the page shows the hand-computed metrics and the run joins the compare view', async () => {
    const page = await open('upload', 'upload');
    await page.setInputFiles('#file-recommendations', {
      name: 'hand-recs.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(HAND_RECS),
    });
    await page.setInputFiles('#file-test', {
      name: 'hand-test.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(HAND_TEST),
    });
    await page.fill('#field-ks', '3');
    await page.fill('#field-model', 'hand-model');
    await page.click('#upload-submit');
    await readyIs(page, 'upload-done');
    for (const [key, value] of Object.entries(HAND_METRICS))
      expect(await page.locator(`#upload-metrics tr[data-metric="${key}"] td:nth-child(2)`).innerText(), key).toBe(
        value.toFixed(4),
      );
    await shot(page, 'upload-result');
    await page.click('#open-compare');
    await readyIs(page, 'compare');
    expect(await page.locator('#compare-table tbody tr td:first-child').allInnerTexts()).toEqual(['hand-model']);
  });

  it('GIVEN a malformed upload THEN the page shows an error naming the file and line, and nothing is stored', async () => {
    const page = await open('upload', 'upload');
    const before = (await (await fetch(`${dash.url}api/runs`)).json()) as { runs: unknown[] };
    await page.setInputFiles('#file-recommendations', {
      name: 'broken.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('user,item,rank\nu1,a,1\nu1,b,first\n'),
    });
    await page.setInputFiles('#file-test', {
      name: 'hand-test.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(HAND_TEST),
    });
    await page.click('#upload-submit');
    await readyIs(page, 'upload-done');
    const error = await page.locator('.error[role="alert"]').innerText();
    expect(error).toMatch(/broken\.csv, line 3: "rank" must be a positive integer/);
    await shot(page, 'upload-error');
    const after = (await (await fetch(`${dash.url}api/runs`)).json()) as { runs: unknown[] };
    expect(after.runs.length).toBe(before.runs.length);
  });

  it('GIVEN the live page THEN it shows the seeded aggregates and no user ids', async () => {
    const page = await open('live', 'live');
    const stat = (id: string) => page.locator(`[data-stat="${id}"] b`).innerText();
    expect(await stat('users')).toBe('3');
    expect(await stat('reacted-users')).toBe('2');
    expect(await stat('lists')).toBe('3');
    expect(await stat('reaction-rate')).toBe('26.7%');
    expect(await stat('like-rate')).toBe('75.0%');
    expect(await page.locator('#sources-table tr').count()).toBe(3);
    expect(await page.locator('#models-table').innerText()).toContain('0.2345');
    const text = await page.locator('main').innerText();
    for await (const id of app.store.keys('users')) expect(text).not.toContain(id);
    expect(text).not.toContain('alice');
  });
});
