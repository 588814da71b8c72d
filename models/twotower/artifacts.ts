/**
 * The versioned model directory: `TWO_TOWER_DIR/v<timestamp>/` with
 *   config.json   — format, feature spec (vocabularies, hashing), tower sizes, training options, weight manifest
 *   weights.bin   — every parameter as little-endian float32, concatenated in manifest order
 *   metrics.json  — per-epoch history, best epoch, validation / test metrics
 *   user_tower.onnx, item_tower.onnx — the towers for onnxruntime
 * Written into a hidden temporary directory and renamed into place, so a reader never sees a half-written model.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RecoError } from '../../core/errors.js';
import { buildTowerOnnx, ONNX_FILES } from './export-onnx.js';
import type { FeatureSpec } from './features.js';
import type { ParamMap, TowerSizes } from './model.js';
import type { TrainedTwoTower } from './train.js';

export const MODEL_FORMAT = 'deep-reco-two-tower';

export interface ModelConfig {
  format: typeof MODEL_FORMAT;
  formatVersion: 1;
  name: string;
  createdAt: string;
  spec: FeatureSpec;
  sizes: TowerSizes;
  training: Record<string, unknown>;
  dataset: Record<string, unknown>;
  weights: { file: 'weights.bin'; params: { name: string; shape: number[]; offset: number; length: number }[] };
  onnx: typeof ONNX_FILES;
  backend: string;
}

/** `v20261126-101530-123` — sorts by time. */
export function versionName(at: Date): string {
  const iso = at.toISOString(); // 2026-11-26T10:15:30.123Z
  return `v${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${iso.slice(20, 23)}`;
}

export async function saveModelDir(
  baseDir: string,
  trained: TrainedTwoTower,
  extra: { dataset: Record<string, unknown>; metrics?: Record<string, unknown>; now?: Date },
): Promise<string> {
  const now = extra.now ?? new Date();
  let name = versionName(now);
  await mkdir(baseDir, { recursive: true });
  while (await exists(path.join(baseDir, name)))
    name = versionName(new Date(Date.parse(now.toISOString()) + 1 + Math.floor(Math.random() * 1000)));
  const tmp = path.join(baseDir, `.${name}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const names = Object.keys(trained.params).sort();
  let offset = 0;
  const manifest = names.map((n) => {
    const p = trained.params[n]!;
    const entry = { name: n, shape: p.shape, offset, length: p.data.length };
    offset += p.data.length;
    return entry;
  });
  const weights = new Float32Array(offset);
  for (const m of manifest) weights.set(trained.params[m.name]!.data, m.offset);
  const {
    onBatch: _b,
    onEpoch: _e,
    ...training
  } = trained.options as typeof trained.options & { onBatch?: unknown; onEpoch?: unknown };
  const config: ModelConfig = {
    format: MODEL_FORMAT,
    formatVersion: 1,
    name,
    createdAt: now.toISOString(),
    spec: trained.spec,
    sizes: trained.sizes,
    training: {
      ...training,
      bestEpoch: trained.bestEpoch,
      bestValidNdcg: trained.bestValidNdcg,
      secondsPerEpoch: trained.secondsPerEpoch,
    },
    dataset: extra.dataset,
    weights: { file: 'weights.bin', params: manifest },
    onnx: ONNX_FILES,
    backend: trained.backend,
  };
  await writeFile(path.join(tmp, 'weights.bin'), new Uint8Array(weights.buffer));
  await writeFile(path.join(tmp, ONNX_FILES.user), buildTowerOnnx('user', trained.spec, trained.sizes, trained.params));
  await writeFile(path.join(tmp, ONNX_FILES.item), buildTowerOnnx('item', trained.spec, trained.sizes, trained.params));
  await writeFile(
    path.join(tmp, 'metrics.json'),
    JSON.stringify(
      {
        history: trained.history,
        bestEpoch: trained.bestEpoch,
        bestValidNdcg: trained.bestValidNdcg,
        ...(extra.metrics ?? {}),
      },
      null,
      2,
    ),
  );
  await writeFile(path.join(tmp, 'config.json'), JSON.stringify(config, null, 2));
  const final = path.join(baseDir, name);
  await rename(tmp, final);
  return final;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export async function readModelConfig(dir: string): Promise<ModelConfig> {
  let config: ModelConfig;
  try {
    config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as ModelConfig;
  } catch (e) {
    throw new RecoError('MODEL_FILE_INVALID', `Two-tower model ${dir}: cannot read config.json`, {
      cause: e,
      details: { dir },
    });
  }
  if (config.format !== MODEL_FORMAT || config.formatVersion !== 1) {
    throw new RecoError(
      'MODEL_FILE_INVALID',
      `Two-tower model ${dir}: unknown format ${String(config.format)} v${String(config.formatVersion)}`,
      { details: { dir } },
    );
  }
  return config;
}

export async function loadParams(dir: string, config: ModelConfig): Promise<ParamMap> {
  const buf = await readFile(path.join(dir, config.weights.file));
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const out: ParamMap = {};
  for (const m of config.weights.params) {
    if (m.offset + m.length > all.length)
      throw new RecoError('MODEL_FILE_INVALID', `Two-tower model ${dir}: weights.bin is truncated`, {
        details: { dir },
      });
    out[m.name] = { shape: m.shape, data: all.slice(m.offset, m.offset + m.length) };
  }
  return out;
}

/** The newest complete `v*` model directory under `baseDir`, or undefined. */
export async function latestModelDir(baseDir: string): Promise<string | undefined> {
  return (await modelDirs(baseDir))[0];
}

/** Every complete `v*` model directory under `baseDir`, newest first (for falling back to an older good one). */
export async function modelDirs(baseDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(baseDir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names
    .filter((n) => /^v\d{8}-\d{6}-\d{3}/.test(n))
    .sort()
    .reverse()) {
    const dir = path.join(baseDir, name);
    const complete = await Promise.all(
      ['config.json', 'weights.bin', ONNX_FILES.user, ONNX_FILES.item].map((f) => exists(path.join(dir, f))),
    );
    if (complete.every(Boolean)) out.push(dir);
  }
  return out;
}
