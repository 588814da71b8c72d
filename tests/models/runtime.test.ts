import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRecoError } from '../../core/errors.js';
import { OrtRuntime, chooseDevice, systemDeviceProbe, type DeviceProbe } from '../../models/runtime.js';
import { recordingLogger, tinyModels } from './helpers.js';

const none: DeviceProbe = { cudaProviderLibrary: () => undefined, gpuVisible: () => false };
const libNoGpu: DeviceProbe = {
  cudaProviderLibrary: () => '/x/libonnxruntime_providers_cuda.so',
  gpuVisible: () => false,
};
const both: DeviceProbe = { cudaProviderLibrary: () => '/x/libonnxruntime_providers_cuda.so', gpuVisible: () => true };
const tiny = tinyModels('runtime');
afterAll(() => tiny.cleanup());

describe('device choice', () => {
  it('auto uses the CPU when the CUDA provider is not installed, and says why', () => {
    expect(chooseDevice('auto', none)).toEqual({
      device: 'cpu',
      reason: expect.stringContaining('CUDA provider is not installed'),
    });
    expect(chooseDevice('auto', libNoGpu)).toEqual({
      device: 'cpu',
      reason: expect.stringContaining('no GPU visible'),
    });
    expect(chooseDevice('auto', both).device).toBe('cuda');
    expect(chooseDevice('cpu', both).device).toBe('cpu');
  });

  it('cuda requested but unavailable is a clear error, not a silent CPU run', () => {
    const noLib = (() => {
      try {
        chooseDevice('cuda', none);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isRecoError(noLib, 'ENCODER_FAILED')).toBe(true);
    expect((noLib as Error).message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    expect(() => chooseDevice('cuda', libNoGpu)).toThrow(/no NVIDIA GPU is visible/);
    expect(chooseDevice('cuda', both).device).toBe('cuda');
  });

  it('the runtime logs the device it chose', () => {
    const logger = recordingLogger();
    const rt = new OrtRuntime({ device: 'auto', probe: none, logger });
    expect(rt.device).toBe('cpu');
    expect(logger.lines.some((l) => l.level === 'info' && l.msg === 'onnxruntime device: cpu')).toBe(true);
  });

  it('the system probe agrees with this machine: without the CUDA provider library, auto means CPU', () => {
    const rt = OrtRuntime.fromConfig({ ORT_DEVICE: 'auto', ORT_INTRA_OP_THREADS: 1, ORT_GRAPH_OPTIMIZATION: 'basic' });
    if (systemDeviceProbe.cudaProviderLibrary() === undefined) expect(rt.device).toBe('cpu');
    else expect(rt.deviceReason).toContain('ORT_DEVICE=auto');
  });
});

describe('sessions', () => {
  it('are created once per file and reused', async () => {
    const rt = new OrtRuntime({ device: 'cpu', probe: none, intraOpThreads: 1, graphOptimization: 'all' });
    const file = join(tiny.text.dir, 'onnx/model.onnx');
    const [a, b] = await Promise.all([rt.session(file), rt.session(file)]);
    expect(a).toBe(b);
    expect(await rt.session(file)).toBe(a);
    await rt.release();
  });

  it('auto falls back to the CPU (with a warning) when a CUDA session cannot be created', async () => {
    // Pretend CUDA is there; this machine's onnxruntime-node has no CUDA provider, so creating the session fails.
    if (systemDeviceProbe.cudaProviderLibrary() !== undefined) return; // a real GPU machine: nothing to pretend
    const logger = recordingLogger();
    const rt = new OrtRuntime({ device: 'auto', probe: both, logger });
    expect(rt.device).toBe('cuda');
    const s = await rt.session(join(tiny.text.dir, 'onnx/model.onnx'));
    expect(s.inputNames).toContain('input_ids');
    expect(rt.device).toBe('cpu');
    expect(logger.lines.some((l) => l.level === 'warn' && /CUDA session failed/.test(l.msg))).toBe(true);
    await rt.release();
  });

  it('a missing model file is MODEL_FILE_INVALID naming it', async () => {
    const rt = new OrtRuntime({ device: 'cpu', probe: none });
    const file = join(tiny.dir, 'nope/onnx/model.onnx');
    const err = await rt.session(file).catch((e: unknown) => e);
    expect(isRecoError(err, 'MODEL_FILE_INVALID')).toBe(true);
    expect((err as Error).message).toContain(file);
  });
});
