import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder, floatAttr } from '../../models/onnx/builder.js';

describe('OnnxGraphBuilder', () => {
  it('builds a MatMul+Add+Relu graph that onnxruntime runs with the expected numbers', async () => {
    const b = new OnnxGraphBuilder('mlp', { opset: 17 });
    b.input('x', 'float32', ['batch', 2]);
    b.initializer('W', new Float32Array([1, -1, 2, 0.5, -3, 1]), [2, 3]); // rows: [1,-1,2], [0.5,-3,1]
    b.initializer('b', new Float32Array([0.5, 0, -10]), [3]);
    b.node('MatMul', ['x', 'W'], ['xw']);
    b.node('Add', ['xw', 'b'], ['pre']);
    b.node('Relu', ['pre'], ['y']);
    b.output('y', 'float32', ['batch', 3]);
    const session = await ort.InferenceSession.create(b.toBytes());
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    const x = new ort.Tensor('float32', new Float32Array([1, 2, -1, 0]), [2, 2]);
    const out = await session.run({ x });
    const y = out['y']!;
    expect(y.dims).toEqual([2, 3]);
    // [1,2]·W = [1+1, -1-6, 2+2] = [2, -7, 4] + b = [2.5, -7, -6] → relu [2.5, 0, 0]
    // [-1,0]·W = [-1, 1, -2] + b = [-0.5, 1, -12] → relu [0, 1, 0]
    expect(Array.from(y.data as Float32Array)).toEqual([2.5, 0, 0, 0, 1, 0]);
    await session.release();
  });

  it('writes int64 initializers, Gather and attributes (ints, float, FloatAttr)', async () => {
    const b = new OnnxGraphBuilder('gather');
    b.input('ids', 'int64', ['batch', 'seq']);
    b.initializer('table', new Float32Array([0, 0, 1, 2, 3, 4]), [3, 2]);
    b.initializer('axes', new BigInt64Array([2n]), [1]);
    b.node('Gather', ['table', 'ids'], ['emb'], { axis: 0 });
    b.node('ReduceSum', ['emb', 'axes'], ['s'], { keepdims: 0 });
    b.node('LeakyRelu', ['s'], ['lr'], { alpha: floatAttr(2) });
    b.node('Transpose', ['emb'], ['t'], { perm: [0, 2, 1] });
    b.output('lr', 'float32', ['batch', 'seq']);
    b.output('t', 'float32', ['batch', 2, 'seq']);
    const session = await ort.InferenceSession.create(b.toBytes());
    const ids = new ort.Tensor('int64', new BigInt64Array([1n, 2n]), [1, 2]);
    const out = await session.run({ ids });
    expect(Array.from(out['lr']!.data as Float32Array)).toEqual([3, 7]);
    expect(out['t']!.dims).toEqual([1, 2, 2]);
    expect(Array.from(out['t']!.data as Float32Array)).toEqual([1, 3, 2, 4]);
  });

  it('rejects undefined inputs, duplicates, wrong sizes and unproduced outputs', () => {
    const b = new OnnxGraphBuilder('bad');
    b.input('x', 'float32', [1]);
    expect(() => b.node('Relu', ['nope'], ['y'])).toThrow(/"nope" is not defined/);
    expect(() => b.input('x', 'float32', [1])).toThrow(/defined twice/);
    expect(() => b.initializer('w', new Float32Array(3), [2, 2])).toThrow(/expected 4/);
    b.output('z', 'float32', [1]);
    expect(() => b.toBytes()).toThrow(/"z" is never produced/);
  });
});
