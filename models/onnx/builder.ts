/**
 * A small ONNX graph builder on `onnx-proto` (the generated protobuf classes of onnx.proto).
 * Used to write tiny deterministic models for tests (`models/fixtures/make-tiny-models.ts`) and by
 * anyone who needs a small graph without Python.
 *
 * @example
 * const b = new OnnxGraphBuilder('mlp', { opset: 17 });
 * b.input('x', 'float32', ['batch', 2]);
 * b.initializer('W', new Float32Array([1, 2, 3, 4]), [2, 2]);
 * b.node('MatMul', ['x', 'W'], ['y']);
 * b.output('y', 'float32', ['batch', 2]);
 * const bytes = b.toBytes(); // → InferenceSession.create(bytes)
 */
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';

const { onnx } = onnxProto;

export type OnnxElemType = 'float32' | 'int64' | 'int32';
export type OnnxDim = number | string;

/** Forces a scalar attribute to be written as FLOAT even when it is a whole number (e.g. `alpha: floatAttr(1)`). */
export interface FloatAttr {
  readonly kind: 'float';
  readonly value: number;
}
export const floatAttr = (value: number): FloatAttr => ({ kind: 'float', value });

/** Attribute values: integer numbers → INT, non-integers → FLOAT, `number[]` → INTS, `Float32Array` → FLOATS, string → STRING. */
export type OnnxAttrValue = number | number[] | string | Float32Array | FloatAttr;

/** Attributes that are floats in the ONNX operator set even when they hold a whole number. */
const FLOAT_ATTRIBUTE_NAMES = new Set(['alpha', 'beta', 'epsilon', 'gamma', 'momentum', 'lambd', 'bias', 'ratio']);

const ELEM_TYPE: Record<OnnxElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
};

export interface OnnxGraphBuilderOptions {
  /** Default-domain opset version. Default 17 (onnxruntime-node 1.30 supports up to 22+). */
  opset?: number;
  /** IR version of the ModelProto. Default 8. */
  irVersion?: number;
  /** Extra operator-set imports, e.g. `{ 'com.microsoft': 1 }`. */
  extraOpsets?: Record<string, number>;
  producerName?: string;
  docString?: string;
}

export interface NodeOptions {
  /** Node name (default `<opType>_<n>`). */
  name?: string;
  /** Operator domain (default the ONNX default domain ''). */
  domain?: string;
}

interface ValueInfo {
  name: string;
  type: OnnxElemType;
  dims: OnnxDim[];
}

export class OnnxGraphBuilder {
  readonly name: string;
  private readonly opset: number;
  private readonly irVersion: number;
  private readonly extraOpsets: Record<string, number>;
  private readonly producerName: string;
  private readonly docString: string | undefined;
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: P.ITensorProto[] = [];
  private readonly nodes: P.INodeProto[] = [];
  /** Every tensor name defined so far (inputs, initializers, node outputs), to catch typos early. */
  private readonly defined = new Set<string>();

  constructor(name: string, options: OnnxGraphBuilderOptions = {}) {
    this.name = name;
    this.opset = options.opset ?? 17;
    this.irVersion = options.irVersion ?? 8;
    this.extraOpsets = options.extraOpsets ?? {};
    this.producerName = options.producerName ?? 'deep-reco OnnxGraphBuilder';
    this.docString = options.docString;
  }

  /** Declares a graph input. String dims are symbolic (`'batch'`, `'sequence'`). */
  input(name: string, type: OnnxElemType, dims: OnnxDim[]): this {
    this.define(name);
    this.inputs.push({ name, type, dims: [...dims] });
    return this;
  }

  /** Declares a graph output; it must be produced by a node (or be an input/initializer) by `toBytes()`. */
  output(name: string, type: OnnxElemType, dims: OnnxDim[]): this {
    this.outputs.push({ name, type, dims: [...dims] });
    return this;
  }

  /** A constant tensor (weights). `data.length` must equal the product of `dims` (`[]` = scalar). */
  initializer(name: string, data: Float32Array | BigInt64Array | Int32Array, dims: number[]): this {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new Error(
        `initializer ${name}: ${data.length} values for dims [${dims.join(', ')}] (expected ${expected})`,
      );
    }
    this.define(name);
    const dataType =
      data instanceof Float32Array
        ? onnx.TensorProto.DataType.FLOAT
        : data instanceof BigInt64Array
          ? onnx.TensorProto.DataType.INT64
          : onnx.TensorProto.DataType.INT32;
    this.initializers.push({
      name,
      dims,
      dataType,
      // raw_data is little-endian; every platform Node runs on here is little-endian, checked below.
      rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    });
    return this;
  }

  /** Appends a node. Nodes must be added in topological order (inputs defined before use; '' = omitted optional input). */
  node(
    opType: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, OnnxAttrValue> = {},
    options: NodeOptions = {},
  ): this {
    for (const i of inputs) {
      if (i !== '' && !this.defined.has(i)) {
        throw new Error(
          `node ${opType}: input "${i}" is not defined yet (add inputs, initializers and nodes in order)`,
        );
      }
    }
    for (const o of outputs) this.define(o);
    this.nodes.push({
      opType,
      name: options.name ?? `${opType}_${this.nodes.length}`,
      domain: options.domain ?? '',
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([attrName, value]) => toAttribute(attrName, value)),
    });
    return this;
  }

  /** Serialises the ModelProto. */
  toBytes(): Uint8Array {
    for (const o of this.outputs) {
      if (!this.defined.has(o.name)) throw new Error(`output "${o.name}" is never produced`);
    }
    const opsetImport: P.IOperatorSetIdProto[] = [{ domain: '', version: this.opset }];
    for (const [domain, version] of Object.entries(this.extraOpsets)) opsetImport.push({ domain, version });
    const model: P.IModelProto = {
      irVersion: this.irVersion,
      producerName: this.producerName,
      opsetImport,
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    };
    if (this.docString !== undefined) model.docString = this.docString;
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }

  private define(name: string): void {
    if (name === '') throw new Error('tensor names must not be empty');
    if (this.defined.has(name)) throw new Error(`tensor "${name}" is defined twice`);
    this.defined.add(name);
  }
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('OnnxGraphBuilder writes raw_data in host byte order and needs a little-endian host');
}

function valueInfo(v: ValueInfo): P.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[v.type],
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function toAttribute(name: string, value: OnnxAttrValue): P.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (value instanceof Float32Array) return { name, type: T.FLOATS, floats: Array.from(value) };
  if (Array.isArray(value)) {
    if (!value.every(Number.isInteger))
      throw new Error(`attribute ${name}: number[] must hold integers (use Float32Array for floats)`);
    return { name, type: T.INTS, ints: value };
  }
  if (typeof value === 'object') return { name, type: T.FLOAT, f: value.value };
  if (!Number.isInteger(value) || FLOAT_ATTRIBUTE_NAMES.has(name)) return { name, type: T.FLOAT, f: value };
  return { name, type: T.INT, i: value };
}
