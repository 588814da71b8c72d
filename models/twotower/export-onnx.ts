/**
 * ONNX graphs of both towers, built from the trained weights with the project's OnnxGraphBuilder (opset 17).
 * Embeddings: Gather on index inputs (lang, platform, source), MatMul on pooled bags (attrs, interests, categories);
 * Concat with the dense features and (models with ids) the Gather of `user_id` / `item_id` and the `history` input; per hidden layer MatMul → Add → LayerNormalization → Relu (dropout is a training-
 * time op and is left out); output MatMul → Add → L2 normalise (x / sqrt(max(Σx², 1e-12)), as in training).
 */
import { OnnxGraphBuilder } from '../onnx/builder.js';
import { idDimOf, itemDenseDim, userDenseDim, type FeatureSpec } from './features.js';
import { embeddingTables, INDEX_INPUTS, vectorDim, type ParamMap, type TowerName, type TowerSizes } from './model.js';

export const OPSET = 17;
export const OUTPUT_NAME = 'embedding';
export const ONNX_FILES: Record<TowerName, string> = { user: 'user_tower.onnx', item: 'item_tower.onnx' };

/** Input names and shapes of a tower graph, in order (index inputs are int64 `[batch]`). */
export function towerInputs(
  spec: FeatureSpec,
  tower: TowerName,
): { name: string; type: 'int64' | 'float32'; width: number }[] {
  const out = embeddingTables(spec, tower).map(([, vocab, key]) =>
    INDEX_INPUTS.has(key)
      ? { name: key, type: 'int64' as const, width: 1 }
      : { name: key, type: 'float32' as const, width: vocab },
  );
  out.push({ name: 'dense', type: 'float32', width: tower === 'user' ? userDenseDim(spec) : itemDenseDim(spec) });
  const idDim = idDimOf(spec);
  if (idDim) {
    if (tower === 'user') {
      out.push({ name: 'user_id', type: 'int64', width: 1 });
      out.push({ name: 'history', type: 'float32', width: idDim });
    } else out.push({ name: 'item_id', type: 'int64', width: 1 });
  }
  return out;
}

export function buildTowerOnnx(tower: TowerName, spec: FeatureSpec, sizes: TowerSizes, params: ParamMap): Uint8Array {
  const b = new OnnxGraphBuilder(`deep-reco-${tower}-tower`, {
    opset: OPSET,
    docString: `DEEP-RECO two-tower ${tower} tower`,
  });
  const param = (name: string) => {
    const p = params[name];
    if (!p) throw new Error(`missing parameter ${name}`);
    return p;
  };
  for (const i of towerInputs(spec, tower))
    b.input(i.name, i.type, i.type === 'int64' ? ['batch'] : ['batch', i.width]);
  const parts: string[] = [];
  for (const [name, , key] of embeddingTables(spec, tower)) {
    const p = param(name);
    b.initializer(name, p.data, p.shape);
    const out = `${key}_emb`;
    if (INDEX_INPUTS.has(key)) b.node('Gather', [name, key], [out], { axis: 0 });
    else b.node('MatMul', [key, name], [out]);
    parts.push(out);
  }
  parts.push('dense');
  if (idDimOf(spec)) {
    const table = `${tower}.id`;
    const p = param(table);
    b.initializer(table, p.data, p.shape);
    b.node('Gather', [table, `${tower}_id`], [`${tower}_id_emb`], { axis: 0 });
    parts.push(`${tower}_id_emb`);
    if (tower === 'user') parts.push('history');
  }
  b.node('Concat', parts, ['h_in'], { axis: 1 });
  let h = 'h_in';
  sizes.hidden.forEach((_, k) => {
    for (const suffix of [`dense${k}.W`, `dense${k}.b`, `ln${k}.gamma`, `ln${k}.beta`]) {
      const p = param(`${tower}.${suffix}`);
      b.initializer(`${tower}.${suffix}`, p.data, p.shape);
    }
    b.node('MatMul', [h, `${tower}.dense${k}.W`], [`h${k}_mm`]);
    b.node('Add', [`h${k}_mm`, `${tower}.dense${k}.b`], [`h${k}_lin`]);
    b.node('LayerNormalization', [`h${k}_lin`, `${tower}.ln${k}.gamma`, `${tower}.ln${k}.beta`], [`h${k}_ln`], {
      axis: -1,
      epsilon: sizes.layerNormEpsilon,
    });
    b.node('Relu', [`h${k}_ln`], [`h${k}`]);
    h = `h${k}`;
  });
  for (const suffix of ['out.W', 'out.b']) {
    const p = param(`${tower}.${suffix}`);
    b.initializer(`${tower}.${suffix}`, p.data, p.shape);
  }
  b.initializer('l2_axes', BigInt64Array.from([1n]), [1]);
  b.initializer('l2_eps', Float32Array.from([1e-12]), []);
  b.node('MatMul', [h, `${tower}.out.W`], ['out_mm']);
  b.node('Add', ['out_mm', `${tower}.out.b`], ['out_lin']);
  b.node('Mul', ['out_lin', 'out_lin'], ['out_sq']);
  b.node('ReduceSum', ['out_sq', 'l2_axes'], ['out_ss'], { keepdims: 1 });
  b.node('Max', ['out_ss', 'l2_eps'], ['out_ss_eps']);
  b.node('Sqrt', ['out_ss_eps'], ['out_norm']);
  if (!sizes.biasScale) {
    b.node('Div', ['out_lin', 'out_norm'], [OUTPUT_NAME]);
  } else {
    // served vectors: items [v, biasScale·b_i], users [u, 1] (model.ts `served`)
    b.node('Div', ['out_lin', 'out_norm'], ['unit']);
    b.initializer('bias_scale', Float32Array.from([sizes.biasScale]), []);
    if (tower === 'item') {
      for (const name of ['item.bias.W', 'item.bias.b']) {
        const p = param(name);
        b.initializer(name, p.data, p.shape);
      }
      b.node('MatMul', [h, 'item.bias.W'], ['bias_mm']);
      b.node('Add', ['bias_mm', 'item.bias.b'], ['bias_lin']);
      b.node('Mul', ['bias_lin', 'bias_scale'], ['extra']);
    } else {
      b.initializer('zero', Float32Array.from([0]), []);
      b.initializer('one', Float32Array.from([1]), []);
      b.node('Mul', ['out_norm', 'zero'], ['zeros']);
      b.node('Add', ['zeros', 'one'], ['extra']);
    }
    b.node('Concat', ['unit', 'extra'], [OUTPUT_NAME], { axis: 1 });
  }
  b.output(OUTPUT_NAME, 'float32', ['batch', vectorDim(sizes)]);
  return b.toBytes();
}
