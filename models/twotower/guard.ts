/**
 * A two-tower model that produces NaN or infinite scores (weights damaged, or overflowing) must not serve: every
 * ranking would turn into "nothing new". This guard wraps the scorer:
 * - at load, each version is checked (weights finite, then a small probe batch of users scored over the current
 *   catalog must be finite); a bad version is set aside and the next older one is tried, newest first;
 * - at scoring, every answer is checked (finite); a non-finite answer is dropped (that request ranks on content
 *   alone), the version is set aside and the newest good one is loaded in the background;
 * - `describe()` (the `/status` line) says which version serves and which were set aside, or that none is usable.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { CatalogIndex } from '../../core/catalog/catalog.js';
import { RecoError } from '../../core/errors.js';
import type { LearnedScorer, Logger, UserFeatures } from '../../core/ports.js';
import { modelDirs, readModelConfig } from './artifacts.js';
import type { TwoTowerScorer } from './serve.js';

/** The index of the first non-finite value, or -1. */
export function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}

export interface GuardOptions {
  /** Where the versions live (TWO_TOWER_DIR). */
  modelsDir: string | undefined;
  /** The current catalog, for the probe (undefined or empty: the weights check only). */
  catalog: () => CatalogIndex | undefined;
  logger: Logger;
}

export class GuardedScorer implements LearnedScorer {
  readonly id = 'two-tower';
  /** Versions set aside, by directory, with why. */
  private readonly setAside = new Map<string, string>();
  private fallback: Promise<string | undefined> | undefined;
  private readonly log: Logger;

  constructor(
    readonly inner: TwoTowerScorer,
    private readonly o: GuardOptions,
  ) {
    this.log = o.logger.child({ component: 'two-tower' });
  }

  describe(): string {
    const base = this.inner.modelDir ? this.inner.describe() : 'two-tower: off';
    if (this.setAside.size === 0) return this.inner.describe();
    const aside = [...this.setAside].map(([dir, why]) => `${path.basename(dir)} (${why})`).join('; ');
    return this.inner.modelDir
      ? `${base} — newest good version; set aside: ${aside}`
      : `${base} — no usable model: set aside ${aside}; content scoring only. Retrain (npm run train)`;
  }

  async scoreAll(user: UserFeatures, catalogVersion: string): Promise<Float32Array | undefined> {
    const dir = this.inner.modelDir;
    const out = await this.inner.scoreAll(user, catalogVersion);
    if (!out || !dir) return out;
    const bad = firstNonFinite(out);
    if (bad < 0) return out;
    // This request ranks on content alone; the version goes aside and an older good one is loaded.
    this.reject(dir, `non-finite score (${out[bad]}) for catalog row ${bad}`);
    void this.loadGood().catch((e: unknown) => this.log.warn({ err: e }, 'two-tower fallback failed'));
    return undefined;
  }

  /**
   * Loads the newest version that passes the checks (falling back to older ones); none passing leaves the
   * learned scorer off. Resolves with the directory serving, or undefined.
   */
  loadGood(): Promise<string | undefined> {
    this.fallback ??= this.loadGoodNow().finally(() => (this.fallback = undefined));
    return this.fallback;
  }

  /** Whether a version failed the checks in this process (it is not tried again). */
  isSetAside(dir: string): boolean {
    return this.setAside.has(dir);
  }

  /** A freshly trained version: served when it passes the checks, else set aside and the newest good one loaded. */
  async adopt(dir: string): Promise<boolean> {
    const problem = await this.tryVersion(dir);
    if (problem === undefined) return true;
    this.reject(dir, problem);
    await this.loadGood();
    return false;
  }

  private async loadGoodNow(): Promise<string | undefined> {
    if (!this.o.modelsDir) return undefined;
    const dirs = await modelDirs(this.o.modelsDir);
    for (const dir of dirs) {
      if (this.setAside.has(dir)) continue;
      if (dir === this.inner.modelDir) return dir; // the one serving passed when it was loaded
      const problem = await this.tryVersion(dir);
      if (problem === undefined) return dir;
      this.reject(dir, problem);
    }
    if (this.inner.modelDir && this.setAside.has(this.inner.modelDir)) await this.inner.close();
    if (dirs.length === 0) this.log.info({ dir: this.o.modelsDir }, 'no two-tower model yet');
    return undefined;
  }

  /** Swaps `dir` in and checks it; undefined when it is good (it then serves). */
  private async tryVersion(dir: string): Promise<string | undefined> {
    const weights = await finiteWeights(dir).catch((e: unknown) => (e as Error).message);
    if (weights !== undefined) return weights;
    try {
      await this.inner.swap(dir);
    } catch (e) {
      return `cannot be loaded: ${(e as Error).message}`;
    }
    return this.probe();
  }

  /** A small batch of users (new, and with a few likes, in both languages) scored over the current catalog. */
  private async probe(): Promise<string | undefined> {
    const index = this.o.catalog();
    if (!index || index.items.length === 0) return undefined;
    const ids = index.items.slice(0, 3).map((i) => i.id);
    const users: UserFeatures[] = [
      {
        userId: 'probe-new',
        lang: 'en',
        platform: 'console',
        attributes: {},
        interests: [],
        categories: [],
        likedItemIds: [],
        dislikedItemIds: [],
      },
      {
        userId: 'probe-ko',
        lang: 'ko',
        platform: 'telegram',
        attributes: {},
        interests: ['news'],
        categories: ['news'],
        likedItemIds: ids.slice(0, 2),
        dislikedItemIds: ids.slice(2),
      },
    ];
    for (const u of users) {
      const scores = await this.inner.scoreAll(u, index.version);
      if (!scores) continue; // the catalog is not embedded by this version (encoder mismatch): describe() says so
      const bad = firstNonFinite(scores);
      if (bad >= 0) return `non-finite score (${scores[bad]}) for catalog row ${bad} in the load probe`;
    }
    return undefined;
  }

  private reject(dir: string, why: string): void {
    if (this.setAside.has(dir)) return;
    this.setAside.set(dir, why);
    const err = new RecoError('MODEL_OUTPUT_INVALID', `two-tower model ${path.basename(dir)} set aside: ${why}`, {
      details: { dir },
    });
    this.log.warn({ err, code: err.code, dir }, `${err.message}. ${err.hint}`);
  }
}

/** Every weight of a version finite (read from weights.bin); the reason when not. */
async function finiteWeights(dir: string): Promise<string | undefined> {
  const config = await readModelConfig(dir);
  const buf = await readFile(path.join(dir, config.weights.file));
  const all = new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
  const bad = firstNonFinite(all);
  if (bad < 0) return undefined;
  const param = config.weights.params.find((p) => bad >= p.offset && bad < p.offset + p.length);
  return `non-finite weight (${all[bad]}) in ${param?.name ?? `weights.bin at ${bad}`}`;
}
