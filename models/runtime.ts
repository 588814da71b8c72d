/**
 * onnxruntime-node sessions: created once per model file and reused, on the device chosen by ORT_DEVICE.
 *
 * ORT_DEVICE:
 * - `cpu`  — always the CPU execution provider.
 * - `cuda` — the CUDA execution provider; fails with a clear `ENCODER_FAILED` when onnxruntime-node's CUDA provider
 *            library is not installed or no NVIDIA GPU is visible (no silent CPU fallback when asked for CUDA).
 * - `auto` — CUDA when the provider library is installed AND a GPU is visible, else CPU; when creating a CUDA session
 *            fails anyway (driver/toolkit mismatch) it logs a warning and uses the CPU. The choice is logged.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Config } from '../core/config.js';
import { RecoError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';

export type OrtDeviceSetting = 'auto' | 'cpu' | 'cuda';
export type OrtDevice = 'cpu' | 'cuda';
export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

/** What the machine offers; injectable so tests can pretend. */
export interface DeviceProbe {
  /** Path of onnxruntime-node's CUDA provider library when installed, else undefined. */
  cudaProviderLibrary(): string | undefined;
  /** True when an NVIDIA GPU is visible to this process. */
  gpuVisible(): boolean;
}

export const CUDA_INSTALL_HINT =
  'install the CUDA provider with `npm run gpu:install` (runs `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js`; needs CUDA 12 + cuDNN 9 and internet access; see docs/MODELS.md "GPU")';

function onnxruntimeBinDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

export const systemDeviceProbe: DeviceProbe = {
  cudaProviderLibrary() {
    const name = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    try {
      const path = join(onnxruntimeBinDir(), name);
      return existsSync(path) ? path : undefined;
    } catch {
      return undefined;
    }
  },
  gpuVisible() {
    const visible = process.env.CUDA_VISIBLE_DEVICES;
    if (
      visible !== undefined &&
      (visible.trim() === '' || visible.trim() === '-1' || visible.trim().toLowerCase() === 'none')
    )
      return false;
    if (process.platform === 'linux' && !existsSync('/dev/nvidiactl') && !existsSync('/dev/nvidia0')) return false;
    try {
      const out = execFileSync('nvidia-smi', ['-L'], {
        encoding: 'utf8',
        timeout: 5000,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      return /GPU \d+/.test(out);
    } catch {
      // No nvidia-smi (e.g. a slim container) but device nodes exist: assume visible; session creation decides.
      return process.platform === 'linux';
    }
  },
};

export interface DeviceChoice {
  device: OrtDevice;
  reason: string;
}

/** Decides the device for a setting. Throws `ENCODER_FAILED` when `cuda` is requested but unavailable. */
export function chooseDevice(setting: OrtDeviceSetting, probe: DeviceProbe = systemDeviceProbe): DeviceChoice {
  if (setting === 'cpu') return { device: 'cpu', reason: 'ORT_DEVICE=cpu' };
  const lib = probe.cudaProviderLibrary();
  const gpu = lib !== undefined && probe.gpuVisible();
  if (setting === 'cuda') {
    if (lib === undefined) {
      throw new RecoError(
        'ENCODER_FAILED',
        `ORT_DEVICE=cuda but onnxruntime-node's CUDA provider is not installed: ${CUDA_INSTALL_HINT}; or set ORT_DEVICE=auto or cpu`,
        {
          details: { device: 'cuda' },
        },
      );
    }
    if (!gpu) {
      throw new RecoError(
        'ENCODER_FAILED',
        'ORT_DEVICE=cuda but no NVIDIA GPU is visible to this process (check nvidia-smi, CUDA_VISIBLE_DEVICES, --gpus for containers); or set ORT_DEVICE=auto or cpu',
        {
          details: { device: 'cuda' },
        },
      );
    }
    return { device: 'cuda', reason: 'ORT_DEVICE=cuda' };
  }
  if (lib === undefined)
    return { device: 'cpu', reason: "ORT_DEVICE=auto: onnxruntime-node's CUDA provider is not installed" };
  if (!gpu) return { device: 'cpu', reason: 'ORT_DEVICE=auto: CUDA provider installed but no GPU visible' };
  return { device: 'cuda', reason: 'ORT_DEVICE=auto: CUDA provider installed and a GPU is visible' };
}

export interface OrtRuntimeOptions {
  device?: OrtDeviceSetting;
  /** 0 = onnxruntime's default (one per physical core). */
  intraOpThreads?: number;
  graphOptimization?: GraphOptimization;
  logger?: Logger;
  probe?: DeviceProbe;
}

/** Creates and caches inference sessions (one per model file) on one device. */
export class OrtRuntime {
  private choice: DeviceChoice;
  private readonly intraOpThreads: number;
  private readonly graphOptimization: GraphOptimization;
  private readonly logger: Logger;
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(options: OrtRuntimeOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.choice = chooseDevice(options.device ?? 'auto', options.probe ?? systemDeviceProbe);
    this.intraOpThreads = options.intraOpThreads ?? 0;
    this.graphOptimization = options.graphOptimization ?? 'all';
    this.logger.info(
      {
        device: this.choice.device,
        reason: this.choice.reason,
        intraOpThreads: this.intraOpThreads,
        graphOptimization: this.graphOptimization,
      },
      `onnxruntime device: ${this.choice.device}`,
    );
  }

  static fromConfig(
    config: Pick<Config, 'ORT_DEVICE' | 'ORT_INTRA_OP_THREADS' | 'ORT_GRAPH_OPTIMIZATION'>,
    logger?: Logger,
    probe?: DeviceProbe,
  ): OrtRuntime {
    const options: OrtRuntimeOptions = {
      device: config.ORT_DEVICE,
      intraOpThreads: config.ORT_INTRA_OP_THREADS,
      graphOptimization: config.ORT_GRAPH_OPTIMIZATION,
    };
    if (logger) options.logger = logger;
    if (probe) options.probe = probe;
    return new OrtRuntime(options);
  }

  get device(): OrtDevice {
    return this.choice.device;
  }

  get deviceReason(): string {
    return this.choice.reason;
  }

  /** The session for a model file, created on first use and shared afterwards. */
  session(modelPath: string): Promise<ort.InferenceSession> {
    let s = this.sessions.get(modelPath);
    if (!s) {
      s = this.create(modelPath);
      this.sessions.set(modelPath, s);
      s.catch(() => this.sessions.delete(modelPath));
    }
    return s;
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(all.map(async (p) => (await p).release()));
  }

  private sessionOptions(device: OrtDevice): ort.InferenceSession.SessionOptions {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
      graphOptimizationLevel: this.graphOptimization,
      executionMode: 'sequential',
    };
    if (this.intraOpThreads > 0) options.intraOpNumThreads = this.intraOpThreads;
    return options;
  }

  private async create(modelPath: string): Promise<ort.InferenceSession> {
    assertModelFile(modelPath);
    if (this.choice.device === 'cuda') {
      try {
        return await ort.InferenceSession.create(modelPath, this.sessionOptions('cuda'));
      } catch (e) {
        if (this.choice.reason === 'ORT_DEVICE=cuda') {
          throw new RecoError(
            'ENCODER_FAILED',
            `could not create a CUDA session for ${modelPath}: ${errorMessage(e)}`,
            { cause: e, details: { file: modelPath } },
          );
        }
        this.logger.warn({ file: modelPath, err: errorMessage(e) }, 'CUDA session failed; falling back to CPU');
        this.choice = {
          device: 'cpu',
          reason: `ORT_DEVICE=auto: CUDA session failed (${errorMessage(e).slice(0, 200)})`,
        };
      }
    }
    try {
      return await ort.InferenceSession.create(modelPath, this.sessionOptions('cpu'));
    } catch (e) {
      throw invalidModelError(modelPath, e);
    }
  }
}

/** Missing or empty files, and sizes that disagree with `.pull-manifest.json`, are reported before onnxruntime tries. */
export function assertModelFile(modelPath: string): void {
  if (!existsSync(modelPath)) {
    throw new RecoError('MODEL_FILE_INVALID', `model file ${modelPath} is missing`, { details: { file: modelPath } });
  }
  const size = statSync(modelPath).size;
  if (size === 0)
    throw new RecoError('MODEL_FILE_INVALID', `model file ${modelPath} is empty`, { details: { file: modelPath } });
  const expected = manifestSize(modelPath);
  if (expected !== undefined && expected !== size) {
    throw new RecoError(
      'MODEL_FILE_INVALID',
      `model file ${modelPath} is truncated or corrupt: ${size} bytes, but ${expected} were downloaded (.pull-manifest.json)`,
      {
        details: { file: modelPath, size, expected },
      },
    );
  }
}

/** The size recorded by `models:pull` for this file, when the model folder has a manifest. */
function manifestSize(modelPath: string): number | undefined {
  // <model dir>/onnx/model.onnx → <model dir>/.pull-manifest.json
  for (const dir of [dirname(dirname(modelPath)), dirname(modelPath)]) {
    const manifest = join(dir, '.pull-manifest.json');
    if (!existsSync(manifest)) continue;
    try {
      const m = JSON.parse(readFileSync(manifest, 'utf8')) as { files?: { path: string; size: number }[] };
      const rel = modelPath
        .slice(dir.length + 1)
        .split('\\')
        .join('/');
      return m.files?.find((f) => f.path === rel)?.size;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function invalidModelError(modelPath: string, cause: unknown): RecoError {
  return new RecoError(
    'MODEL_FILE_INVALID',
    `model file ${modelPath} could not be loaded (truncated or corrupt? re-download it with \`npm run models:pull -- <name>\`): ${errorMessage(cause).slice(0, 300)}`,
    { cause, details: { file: modelPath, name: basename(modelPath) } },
  );
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
