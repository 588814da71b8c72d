/**
 * `MatrixOps` on onnxruntime-node: the whole-catalog matrix–vector product as one ORT MatMul (MLAS SGEMV:
 * SIMD, multi-threaded), about 5–10× the JS loop on the same machine and close to memory bandwidth
 * (docs/BENCHMARKS.md). Small matrices stay in JS, where the call overhead would dominate.
 */
import * as ort from 'onnxruntime-node';
import type { MatrixOps } from '../core/ports.js';
import { matVec } from '../core/vectors.js';
import { OnnxGraphBuilder } from './onnx/builder.js';

/** Below this many multiply-adds the JS loop is as fast as a session run. */
const MIN_WORK = 200_000;

export class OrtMatrixOps implements MatrixOps {
  readonly id = 'onnxruntime MatMul (CPU)';

  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(options: { intraOpThreads?: number } = {}): Promise<OrtMatrixOps> {
    const g = new OnnxGraphBuilder('deep-reco-matvec', { opset: 17 });
    g.input('m', 'float32', ['rows', 'dim'])
      .input('v', 'float32', ['dim', 1])
      .node('MatMul', ['m', 'v'], ['out'])
      .output('out', 'float32', ['rows', 1]);
    const session = await ort.InferenceSession.create(g.toBytes(), {
      graphOptimizationLevel: 'all',
      ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    });
    return new OrtMatrixOps(session);
  }

  async matVec(m: Float32Array, dim: number, v: Float32Array): Promise<Float32Array> {
    const rows = dim === 0 ? 0 : m.length / dim;
    if (rows * dim < MIN_WORK) return matVec(m, dim, v);
    const out = await this.session.run({
      m: new ort.Tensor('float32', m, [rows, dim]),
      v: new ort.Tensor('float32', v, [dim, 1]),
    });
    return out.out!.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
