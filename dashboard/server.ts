/**
 * The experiments dashboard: a Hono app with a JSON API over the experiment registry (`infra/experiments.ts`), the
 * bot's store (read-only) and its models, plus a static client (dashboard/public, plain ES modules) that draws with
 * Observable Plot served from node_modules — no CDN, the page works offline.
 *
 * @example
 * const dash = await startDashboard({ config, store, catalog });  // the bot, when DASHBOARD_PORT is set
 * console.log(dash.url);                                            // http://127.0.0.1:8787/
 * await dash.close();
 */
import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { NS_ITEMS, type CatalogService } from '../core/catalog/catalog.js';
import type { Config } from '../core/config.js';
import { toRecoError } from '../core/errors.js';
import { silentLogger, type KeyValueStore, type Logger } from '../core/ports.js';
import { MMR_LAMBDA } from '../core/recommend.js';
import { NS_USERS } from '../core/store/namespaces.js';
import type { UserDoc } from '../core/users/doc.js';
import {
  experimentsDir,
  listExperiments,
  readArtifact,
  writeExperiment,
  type ExperimentArtifacts,
  type ExperimentEntry,
} from '../infra/experiments.js';
import { sniffImage, ThumbnailCache } from '../scrapers/thumbnails.js';
import { compareTable, distribution, popularityBuckets, runLabel } from './analysis.js';
import { buildMap, liveSource, placeQuery, poolsSource, type MapSource } from './embedding.js';
import { liveStats } from './live.js';
import { openLiveCatalog, twoTowerItemVectors } from './live-catalog.js';
import { sweepMmr } from './rerank.js';
import { accessGuard, accessPolicy, type AccessPolicy } from './security.js';
import { evaluateUpload, UploadError } from './upload.js';

export type DashboardConfig = Pick<
  Config,
  | 'DATA_DIR'
  | 'TWO_TOWER_DIR'
  | 'RECO_DEFAULT_EXPLORE'
  | 'DASHBOARD_HOST'
  | 'DASHBOARD_TOKEN'
  | 'DASHBOARD_PERSONAL_DATA'
  | 'DASHBOARD_UPLOAD_MAX_MB'
  | 'DASHBOARD_MAP_MAX_POINTS'
  | 'ORT_INTRA_OP_THREADS'
  | 'THUMB_MAX_BYTES'
  | 'THUMB_MAX_PIXELS'
  | 'SCRAPE_TIMEOUT_MS'
> &
  Partial<Config>;

export interface DashboardDeps {
  config: DashboardConfig;
  logger?: Logger;
  /** The bot's store; the dashboard never writes to it. Absent: the live pages say there is no store. */
  store?: KeyValueStore;
  /**
   * The bot's live catalog. Absent: built on first use from the store with the bot's encoders (read-only; needs the
   * full config).
   */
  catalog?: CatalogService | (() => Promise<CatalogService | undefined>);
  /** Where runs live. Default `<DATA_DIR>/experiments`. */
  experimentsDir?: string;
  /** UMAP epochs (tests pass a small number). */
  mapEpochs?: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PUBLIC = fileURLToPath(new URL('./public/', import.meta.url));
const VENDOR: Record<string, string> = {
  'd3.js': path.join(ROOT, 'node_modules/d3/dist/d3.min.js'),
  'plot.js': path.join(ROOT, 'node_modules/@observablehq/plot/dist/plot.umd.min.js'),
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

class HttpError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 500,
    message: string,
  ) {
    super(message);
  }
}

/** A tiny memo keyed by file path and modification time (artifacts can be megabytes; they do not change). */
function fileMemo<T>(size: number) {
  const memo = new Map<string, { mtime: number; value: Promise<T> }>();
  return async (file: string, load: () => Promise<T>): Promise<T> => {
    const mtime = await stat(file).then(
      (s) => s.mtimeMs,
      () => -1,
    );
    const hit = memo.get(file);
    if (hit && hit.mtime === mtime) return hit.value;
    const value = load();
    memo.set(file, { mtime, value });
    value.catch(() => memo.delete(file));
    while (memo.size > size) memo.delete(memo.keys().next().value!);
    return value;
  };
}

const num = (v: string | undefined, fallback: number, min: number, max: number): number => {
  const n = v === undefined || v === '' ? fallback : Number(v);
  if (!Number.isFinite(n)) throw new HttpError(400, `not a number: ${JSON.stringify(v)}`);
  return Math.max(min, Math.min(max, n));
};

/** Builds the app (no socket): tests can call `app.request(...)`. */
export function createDashboard(deps: DashboardDeps): { app: Hono; policy: AccessPolicy } {
  const { config } = deps;
  const log = (deps.logger ?? silentLogger).child({ module: 'dashboard' });
  const policy = accessPolicy(config.DASHBOARD_HOST, config.DASHBOARD_TOKEN);
  const dir = deps.experimentsDir ?? experimentsDir(config.DATA_DIR);
  const personal = config.DASHBOARD_PERSONAL_DATA;
  const artifactMemo = fileMemo<unknown>(16);
  const app = new Hono();

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Plot styles its figures with inline style attributes and a <style> element.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    }),
  );
  app.use('*', accessGuard(policy));
  app.onError((e, c) => {
    if (e instanceof HttpError) return c.json({ error: e.message }, e.status);
    const err = toRecoError(e);
    log.error({ err, code: err.code, path: c.req.path }, `dashboard request failed: ${err.hint}`);
    return c.json({ error: `${err.code}: ${err.message}` }, 500);
  });
  app.notFound((c) => c.json({ error: `not found: ${c.req.path}` }, 404));

  // ------------------------------------------------------------------ static client
  const sendFile = async (c: Context, file: string, cache = 'no-cache') => {
    const body = await readFile(file).catch(() => undefined);
    if (!body) return c.json({ error: `not found: ${c.req.path}` }, 404);
    return c.body(new Uint8Array(body), 200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': cache,
    });
  };
  app.get('/', (c) => sendFile(c, path.join(PUBLIC, 'index.html')));
  app.get('/vendor/:file', (c) => {
    const file = VENDOR[c.req.param('file')];
    return file ? sendFile(c, file, 'max-age=86400') : c.json({ error: 'not found' }, 404);
  });
  app.get('/static/*', (c) => {
    const rel = c.req.path.slice('/static/'.length);
    const file = path.resolve(PUBLIC, rel);
    if (!file.startsWith(PUBLIC) || !/^[\w./-]+$/.test(rel)) return c.json({ error: 'not found' }, 404);
    return sendFile(c, file);
  });

  // ------------------------------------------------------------------ experiments
  const runs = async () => listExperiments(dir);
  const entry = async (id: string): Promise<ExperimentEntry> => {
    const found = (await runs()).runs.find((r) => r.run.id === id);
    if (!found) throw new HttpError(404, `no run "${id}" in ${dir}`);
    return found;
  };
  const artifact = async <K extends keyof ExperimentArtifacts>(
    e: ExperimentEntry,
    key: K,
  ): Promise<ExperimentArtifacts[K] | undefined> =>
    artifactMemo(path.join(e.folder, `${key}.json`), () => readArtifact(e.folder, key)) as Promise<
      ExperimentArtifacts[K] | undefined
    >;
  const has = async (e: ExperimentEntry, key: keyof ExperimentArtifacts) =>
    stat(path.join(e.folder, `${key}.json`)).then(
      () => true,
      () => false,
    );

  /** Whether there is a live catalog to map (an empty store, e.g. before the bot's first start, has none). */
  const hasLiveItems = async (): Promise<boolean> => {
    const given = deps.catalog;
    if (given && typeof given !== 'function') return given.size > 0;
    if (!deps.store) return false;
    for await (const _ of deps.store.keys(NS_ITEMS)) return true;
    return false;
  };

  app.get('/api/meta', async (c) =>
    c.json({
      personal,
      store: deps.store ? deps.store.description : null,
      liveCatalog: await hasLiveItems(),
      experimentsDir: dir,
      currentLevel: config.RECO_DEFAULT_EXPLORE,
      mmrLambda: MMR_LAMBDA,
      uploadMaxMb: config.DASHBOARD_UPLOAD_MAX_MB,
      mapMaxPoints: config.DASHBOARD_MAP_MAX_POINTS,
    }),
  );

  app.get('/api/runs', async (c) => {
    const { runs: list, problems } = await runs();
    const out = await Promise.all(
      list.map(async (e) => {
        const r = e.run;
        const k = r.ks[0];
        const key = `ndcg@${k}`;
        const best = r.models
          .filter((m) => m.metrics[key])
          .sort((a, b) => b.metrics[key]!.mean - a.metrics[key]!.mean)[0];
        return {
          id: r.id,
          kind: r.kind,
          label: runLabel(r),
          createdAt: r.createdAt,
          dataset: r.dataset,
          split: { kind: r.split.kind, positive: r.split.positive },
          seeds: r.seeds,
          ks: r.ks,
          models: r.models.map((m) => m.name),
          best: best ? { metric: key, model: best.name, value: best.metrics[key]!.mean } : null,
          git: r.git,
          artifacts: { users: await has(e, 'users'), lists: await has(e, 'lists'), pools: await has(e, 'pools') },
        };
      }),
    );
    return c.json({
      runs: out,
      problems: problems.map((p) => ({ folder: path.basename(p.folder), message: p.message })),
    });
  });

  app.get('/api/runs/:id', async (c) => c.json((await entry(c.req.param('id'))).run));

  app.get('/api/compare', async (c) => {
    const ids = (c.req.query('runs') ?? '').split(',').filter(Boolean);
    if (ids.length === 0) throw new HttpError(400, 'pick one or more runs (?runs=<id>,<id>)');
    const entries = await Promise.all(ids.map(entry));
    const table = compareTable(entries.map((e) => e.run));
    const artifacts = await Promise.all(
      entries.map(async (e) => ({
        id: e.run.id,
        users: await has(e, 'users'),
        lists: await has(e, 'lists'),
        pools: await has(e, 'pools'),
      })),
    );
    return c.json({ ...table, artifacts });
  });

  app.get('/api/runs/:id/distribution', async (c) => {
    const e = await entry(c.req.param('id'));
    const users = await artifact(e, 'users');
    if (!users) throw new HttpError(404, `run ${e.run.id} has no users.json (per-user metrics)`);
    return c.json(distribution(users, c.req.query('metric')));
  });

  app.get('/api/runs/:id/popularity', async (c) => {
    const e = await entry(c.req.param('id'));
    const lists = await artifact(e, 'lists');
    if (!lists) throw new HttpError(404, `run ${e.run.id} has no lists.json (top-K lists)`);
    const k = num(c.req.query('k'), e.run.ks[0] ?? lists.k, 1, lists.k);
    return c.json(popularityBuckets(lists, k, num(c.req.query('buckets'), 3, 2, 10)));
  });

  app.get('/api/runs/:id/pools', async (c) => {
    const e = await entry(c.req.param('id'));
    const pools = await artifact(e, 'pools');
    if (!pools) throw new HttpError(404, `run ${e.run.id} has no pools.json (candidate pools)`);
    return c.json({ models: Object.keys(pools.models), pool: pools.pool, users: pools.users.length, ks: e.run.ks });
  });

  app.get('/api/rerank', async (c) => {
    const e = await entry(c.req.query('run') ?? '');
    const pools = await artifact(e, 'pools');
    if (!pools) throw new HttpError(404, `run ${e.run.id} has no pools.json (candidate pools)`);
    const model = c.req.query('model') ?? Object.keys(pools.models)[0] ?? '';
    if (!pools.models[model]) throw new HttpError(404, `run ${e.run.id} has no pool for model "${model}"`);
    const k = num(c.req.query('k'), e.run.ks[0] ?? 10, 1, pools.pool);
    const pool = c.req.query('pool') ? num(c.req.query('pool'), pools.pool, k, pools.pool) : undefined;
    return c.json(sweepMmr(pools, model, { k, ...(pool ? { pool } : {}), currentLevel: config.RECO_DEFAULT_EXPLORE }));
  });

  // ------------------------------------------------------------------ upload
  const maxBytes = Math.round(config.DASHBOARD_UPLOAD_MAX_MB * 1024 * 1024);
  app.post(
    '/api/upload',
    bodyLimit({
      maxSize: maxBytes,
      onError: (c) =>
        c.json(
          {
            error: `The upload is larger than ${config.DASHBOARD_UPLOAD_MAX_MB} MB (DASHBOARD_UPLOAD_MAX_MB); nothing was stored.`,
          },
          413,
        ),
    }),
    async (c) => {
      let form: Record<string, string | File | (string | File)[]>;
      try {
        form = await c.req.parseBody({ all: false });
      } catch (e) {
        throw new HttpError(400, `could not read the form: ${(e as Error).message}`);
      }
      const file = async (name: string, required: boolean) => {
        const f = form[name];
        if (f instanceof File && f.size > 0) return { name: f.name || name, text: await f.text() };
        if (required) throw new UploadError(name, undefined, 'no file chosen');
        return undefined;
      };
      const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');
      try {
        const recommendations = (await file('recommendations', true))!;
        const test = (await file('test', true))!;
        const train = await file('train', false);
        const positiveText = field('positive');
        const positive = positiveText === '' || positiveText === 'all' ? 'all' : Number(positiveText);
        if (positive !== 'all' && !Number.isFinite(positive))
          throw new UploadError(
            'settings',
            undefined,
            `relevance threshold must be "all" or a number, got "${positiveText}"`,
          );
        let reference: Parameters<typeof evaluateUpload>[0]['reference'];
        if (field('reference')) {
          const e = await entry(field('reference'));
          const [lists, pools] = await Promise.all([artifact(e, 'lists'), artifact(e, 'pools')]);
          reference = { run: e.run, ...(lists ? { lists } : {}), ...(pools ? { pools } : {}) };
        }
        const result = evaluateUpload({
          recommendations,
          test,
          ...(train ? { train } : {}),
          model: field('model') || recommendations.name.replace(/\.[a-z]+$/i, ''),
          label: field('label'),
          ks: (field('ks') || (reference?.run.ks.join(',') ?? '10'))
            .split(/[\s,]+/)
            .filter(Boolean)
            .map(Number),
          positive,
          ...(reference ? { reference } : {}),
          argv: ['dashboard upload'],
        });
        await writeExperiment(dir, result.run, { users: result.users, lists: result.lists });
        log.info({ run: result.run.id, users: result.run.models[0]!.users }, 'upload evaluated and stored');
        return c.json({ run: result.run, notes: result.notes });
      } catch (e) {
        if (e instanceof UploadError) return c.json({ error: e.message, file: e.file, line: e.line ?? null }, 400);
        throw e;
      }
    },
  );

  // ------------------------------------------------------------------ live catalog, embedding map
  let catalogPromise: { at: number; value: Promise<CatalogService | undefined> } | undefined;
  const liveCatalog = (): Promise<CatalogService | undefined> => {
    const given = deps.catalog;
    if (given && typeof given !== 'function') return Promise.resolve(given);
    if (given) return given();
    if (!deps.store) return Promise.resolve(undefined);
    if (!catalogPromise || Date.now() - catalogPromise.at > 5 * 60_000) {
      const full = config as Config;
      const value = openLiveCatalog(full, deps.store, log);
      catalogPromise = { at: Date.now(), value };
      value.catch(() => (catalogPromise = undefined));
    }
    return catalogPromise.value;
  };
  const twoTower = new Map<string, Promise<Awaited<ReturnType<typeof twoTowerItemVectors>>>>();
  const mapSource = async (source: string): Promise<MapSource> => {
    if (source === 'live') {
      const catalog = await liveCatalog();
      if (!catalog || catalog.size === 0) throw new HttpError(404, 'no live catalog: the dashboard has no bot store');
      const index = catalog.index;
      let tt = twoTower.get(index.version);
      if (!tt) {
        tt = twoTowerItemVectors(config.TWO_TOWER_DIR, index, config.ORT_INTRA_OP_THREADS).catch((e: unknown) => {
          log.warn({ err: e }, 'two-tower item vectors unavailable for the map');
          return undefined;
        });
        twoTower.clear();
        twoTower.set(index.version, tt);
      }
      return liveSource(index, await tt);
    }
    const e = await entry(source);
    const pools = await artifact(e, 'pools');
    if (!pools) throw new HttpError(404, `run ${e.run.id} has no pools.json (item vectors)`);
    return poolsSource(e.run.id, pools);
  };
  const mapOptions = (c: Context) => ({
    space: c.req.query('space') ?? 'text',
    maxPoints: num(c.req.query('max'), config.DASHBOARD_MAP_MAX_POINTS, 10, config.DASHBOARD_MAP_MAX_POINTS),
    clusters: num(c.req.query('clusters'), 8, 0, 30),
    ...(deps.mapEpochs ? { epochs: deps.mapEpochs } : {}),
  });

  app.get('/api/embedding', async (c) => {
    const src = await mapSource(c.req.query('source') ?? 'live');
    return c.json(await buildMap(src, mapOptions(c)));
  });

  /** People to overlay: the bot's users only with DASHBOARD_PERSONAL_DATA; an eval run's dataset users otherwise. */
  app.get('/api/embedding/users', async (c) => {
    const source = c.req.query('source') ?? 'live';
    if (source === 'live') {
      if (!personal || !deps.store) return c.json({ users: [], personal });
      const ids: string[] = [];
      for await (const k of deps.store.keys(NS_USERS)) ids.push(k);
      return c.json({ users: ids.sort().slice(0, 500), personal });
    }
    const e = await entry(source);
    const lists = await artifact(e, 'lists');
    const botData = e.run.dataset.name.startsWith('bot');
    if (!lists || (botData && !personal)) return c.json({ users: [], personal, models: [] });
    return c.json({ users: lists.users.slice(0, 500), personal, models: Object.keys(lists.models) });
  });

  app.get('/api/embedding/overlay', async (c) => {
    const source = c.req.query('source') ?? 'live';
    const user = c.req.query('user') ?? '';
    const src = await mapSource(source);
    const map = await buildMap(src, mapOptions(c));
    if (source === 'live') {
      if (!personal) throw new HttpError(404, 'per-user overlays need DASHBOARD_PERSONAL_DATA=true');
      const doc = await deps.store?.get<UserDoc>(NS_USERS, user);
      if (!doc) throw new HttpError(404, 'no such user');
      const states = Object.values(doc.feedback);
      const v = doc.persona.vector;
      const encoderId = (await liveCatalog())?.index.textEncoderId;
      // The persona vector lives in the text encoder's space: placed only on a text map of the same encoder.
      const persona =
        v && map.space === 'text' && doc.persona.encoderId === encoderId
          ? placeQuery(map, src, Float32Array.from(v))
          : undefined;
      return c.json({
        liked: states.filter((s) => s.signal === 'like').map((s) => s.itemId),
        disliked: states.filter((s) => s.signal === 'dislike').map((s) => s.itemId),
        recommended: [],
        persona: persona ?? null,
      });
    }
    const e = await entry(source);
    const lists = await artifact(e, 'lists');
    if (!lists || (e.run.dataset.name.startsWith('bot') && !personal))
      throw new HttpError(404, 'no per-user lists in this run');
    const u = lists.users.indexOf(user);
    if (u < 0) throw new HttpError(404, 'no such user in this run');
    const model = c.req.query('model') ?? Object.keys(lists.models)[0] ?? '';
    return c.json({
      liked: lists.targets[u] ?? [],
      disliked: [],
      recommended: lists.models[model]?.[u] ?? [],
      persona: null,
    });
  });

  const thumbs = new ThumbnailCache({
    dataDir: config.DATA_DIR,
    maxBytes: config.THUMB_MAX_BYTES,
    maxPixels: config.THUMB_MAX_PIXELS,
    timeoutMs: config.SCRAPE_TIMEOUT_MS,
    ...(deps.store ? { store: deps.store } : {}),
  });
  app.get('/api/thumb/:id', async (c) => {
    const catalog = await liveCatalog();
    const index = catalog && catalog.size > 0 ? catalog.index : undefined;
    const row = index?.rowOf.get(c.req.param('id'));
    const item = row === undefined ? undefined : index!.items[row];
    const t = item?.thumbnail;
    let bytes: Uint8Array | undefined;
    if (t && /^https?:/i.test(t))
      bytes = await thumbs.read(t); // the scrapers' cache only: never downloads here
    else if (t) {
      const file = path.resolve(ROOT, t);
      if (file.startsWith(ROOT))
        bytes = await readFile(file).then(
          (b) => new Uint8Array(b),
          () => undefined,
        );
    }
    const type = bytes ? sniffImage(bytes) : undefined;
    if (!bytes || !type) return c.json({ error: 'no cached thumbnail' }, 404);
    return c.body(new Uint8Array(bytes), 200, { 'content-type': type, 'cache-control': 'max-age=3600' });
  });

  // ------------------------------------------------------------------ live bot
  app.get('/api/live', async (c) => {
    if (!deps.store) throw new HttpError(404, 'no bot store: start the dashboard with the bot configuration');
    const catalog = deps.catalog && typeof deps.catalog !== 'function' ? deps.catalog : undefined;
    return c.json(
      await liveStats({
        store: deps.store,
        twoTowerDir: config.TWO_TOWER_DIR,
        personal,
        ...(catalog && catalog.size > 0 ? { items: catalog.index.items } : {}),
      }),
    );
  });

  return { app, policy };
}

export interface RunningDashboard {
  url: string;
  host: string;
  port: number;
  policy: AccessPolicy;
  close(): Promise<void>;
}

/**
 * Starts the dashboard on `port` (0 = any free port) and `DASHBOARD_HOST`.
 * @throws RecoError CONFIG_INVALID when the host is not loopback and there is no DASHBOARD_TOKEN.
 */
export async function startDashboard(deps: DashboardDeps & { port?: number }): Promise<RunningDashboard> {
  const { app, policy } = createDashboard(deps);
  const host = deps.config.DASHBOARD_HOST;
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: deps.port ?? deps.config.DASHBOARD_PORT ?? 8787 }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  (deps.logger ?? silentLogger).info({ host, port, token: policy.token !== undefined }, 'dashboard listening');
  return {
    url: `http://${shown}:${port}/`,
    host,
    port,
    policy,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
