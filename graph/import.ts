// Import of an existing ONNX model (given as bytes) as a frozen, differentiable part of a Graph: a
// feature network for perceptual losses, a segmenter for evaluation. Initializers become constants (so
// no gradient reaches them: frozen), every node maps onto the builder's own ops (so gradients flow back
// to the fed input by the ops' rules), and only the nodes the requested outputs need are mapped, so a
// VGG-19 cut at conv4_2 never decodes the weights beyond it.
import onnxProto from 'onnx-proto';
import { Graph, Tensor, fmtShape } from './tensor.js';
import { add, div, leakyRelu, mul, relu, sigmoid, sub, tanh } from './ops/elementwise.js';
import { conv2d } from './ops/conv.js';
import { gemm, matMul } from './ops/matmul.js';
import { batchNormInfer, instanceNorm } from './ops/norm.js';
import { poolWith } from './ops/pool.js';
import { reduceMean } from './ops/reduce.js';
import { concat, pad, reshape } from './ops/shape.js';

const { onnx } = onnxProto;

export interface ImportOptions {
  /** Values to stop at, by ONNX name (default: the model's graph outputs). */
  outputs?: string[];
  /** Map MaxPool to AveragePool of the same geometry (CRN's content loss averages VGG's pools). */
  maxPoolAsAverage?: boolean;
  /**
   * Graph constants for the model's initializers, by name. Imports of the same model into the same graph
   * that are given the same map share one constant per initializer (one copy of the weights for two
   * passes) instead of making their own; each import adds those it materialises first.
   */
  constants?: Map<string, Tensor>;
}

export interface Imported {
  /** The requested outputs, by name. */
  outputs: Map<string, Tensor>;
  /** Every mapped node output, by its ONNX name (feature taps). */
  tensors: Map<string, Tensor>;
}

/** A value known on the host: initializers and Constant nodes (shapes, pads and weights read from it). */
interface HostConst {
  data: Float32Array | BigInt64Array;
  dims: number[];
}
type Value = Tensor | HostConst;
type Attr = number | number[] | string | onnxProto.onnx.ITensorProto;

const isTensor = (v: Value): v is Tensor => v instanceof Tensor;

function decodeTensor(t: onnxProto.onnx.ITensorProto, what: string): HostConst {
  const T = onnx.TensorProto.DataType;
  const dims = (t.dims ?? []).map(Number);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw new Error(`importOnnx: ${what} keeps its data in an external file; save the model with its data inside`);
  // A copy: the decoded bytes may sit at an unaligned offset of a shared buffer.
  const raw = t.rawData?.length ? new Uint8Array(t.rawData).buffer : undefined;
  let data: Float32Array | BigInt64Array;
  switch (t.dataType) {
    case T.FLOAT:
      data = raw ? new Float32Array(raw) : Float32Array.from(t.floatData ?? []);
      break;
    case T.DOUBLE:
      data = Float32Array.from(raw ? new Float64Array(raw) : (t.doubleData ?? []));
      break;
    case T.INT64:
      data = raw ? new BigInt64Array(raw) : BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(String(v))));
      break;
    case T.INT32:
      data = BigInt64Array.from(raw ? new Int32Array(raw) : (t.int32Data ?? []), (v) => BigInt(v));
      break;
    default:
      throw new Error(`importOnnx: ${what} has data type ${T[t.dataType ?? 0] ?? t.dataType}; only float, double, int32 and int64 are read`);
  }
  const n = dims.reduce((p, d) => p * d, 1);
  if (data.length !== n) throw new Error(`importOnnx: ${what} holds ${data.length} values for dims [${dims}]`);
  return { data, dims };
}

function readAttr(a: onnxProto.onnx.IAttributeProto): Attr | undefined {
  const A = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case A.INT:
      return Number(a.i);
    case A.FLOAT:
      return a.f ?? 0;
    case A.INTS:
      return (a.ints ?? []).map(Number);
    case A.FLOATS:
      return a.floats ?? [];
    case A.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case A.TENSOR:
      return a.t ?? undefined;
    default:
      return undefined; // graphs and the rest: no mapped op reads them
  }
}

/** One node being mapped: its inputs as values, its attributes, and errors that name it. */
class NodeCtx {
  readonly where: string;
  private readonly attrs = new Map<string, Attr>();
  constructor(
    readonly node: onnxProto.onnx.INodeProto,
    readonly ins: (Value | undefined)[],
    readonly opts: ImportOptions,
    private readonly materialise: (v: HostConst) => Tensor,
  ) {
    this.where = `importOnnx: node '${node.name ?? ''}' (${node.opType})`;
    for (const a of node.attribute ?? []) {
      const v = readAttr(a);
      if (v !== undefined) this.attrs.set(a.name ?? '', v);
    }
  }
  fail(message: string): never {
    throw new Error(`${this.where}: ${message}`);
  }
  has(i: number): boolean {
    return this.ins[i] !== undefined;
  }
  tensor(i: number): Tensor {
    const v = this.ins[i];
    if (v === undefined) this.fail(`input ${i} is missing`);
    return isTensor(v) ? v : this.materialise(v);
  }
  optTensor(i: number): Tensor | undefined {
    return this.has(i) ? this.tensor(i) : undefined;
  }
  /** An input that must be known on the host (a shape, pads), as numbers. */
  host(i: number): number[] {
    const v = this.ins[i];
    if (v === undefined || isTensor(v)) this.fail(`input ${i} ('${this.node.input?.[i]}') must be a constant`);
    return Array.from(v.data as ArrayLike<number | bigint>, Number);
  }
  /** An INT or FLOAT attribute. */
  num(name: string, dflt: number): number {
    const v = this.attrs.get(name) ?? dflt;
    if (typeof v !== 'number') this.fail(`attribute ${name} is not a number`);
    return v;
  }
  ints(name: string, dflt?: number[]): number[] {
    const v = this.attrs.get(name) ?? dflt;
    if (!Array.isArray(v)) this.fail(`attribute ${name} is missing`);
    return v;
  }
  str(name: string, dflt: string): string {
    const v = this.attrs.get(name) ?? dflt;
    if (typeof v !== 'string') this.fail(`attribute ${name} is not a string`);
    return v;
  }
  attr(name: string): Attr | undefined {
    return this.attrs.get(name);
  }
  /** Only explicit pads are read; SAME_* would need the input size per node. */
  explicitPadsOnly(): void {
    const p = this.str('auto_pad', 'NOTSET');
    if (p !== 'NOTSET') this.fail(`auto_pad ${p} is not supported (only explicit pads)`);
  }
  /** 2-D geometry attributes of a spatial op: [h, w] pairs and [top, left, bottom, right] pads. */
  pair(name: string, dflt: number): [number, number] {
    const v = this.ints(name, [dflt, dflt]);
    if (v.length !== 2) this.fail(`${name} [${v}]: only 2-D is supported`);
    return [v[0], v[1]];
  }
  pads(): [number, number, number, number] {
    const v = this.ints('pads', [0, 0, 0, 0]);
    if (v.length !== 4) this.fail(`pads [${v}]: only 2-D is supported`);
    return [v[0], v[1], v[2], v[3]];
  }
}

function pool(c: NodeCtx, kind: 'average' | 'max'): Tensor {
  c.explicitPadsOnly();
  if (c.num('ceil_mode', 0)) c.fail('ceil_mode 1 is not supported');
  if (c.pair('dilations', 1).some((d) => d !== 1)) c.fail('dilated pooling is not supported');
  // A padded pixel never wins a max, so a MaxPool turned average counts only real pixels.
  const countIncludePad = c.node.opType === 'AveragePool' && c.num('count_include_pad', 0) === 1;
  if (!c.attr('kernel_shape')) c.fail('attribute kernel_shape is missing');
  return poolWith(kind, c.tensor(0), { kernel: c.pair('kernel_shape', 0), strides: c.pair('strides', 1), pads: c.pads(), countIncludePad });
}

/** Reshape's target: 0 copies the input dim, -1 takes what is left (symbolic dims must be copied). */
function reshapeTarget(c: NodeCtx, x: Tensor, spec: number[]) {
  if (c.num('allowzero', 0) && spec.includes(0)) c.fail('allowzero with a 0 in the shape is not supported');
  const dims = spec.map((d, i) => (d === 0 ? x.shape[i] : d));
  const known = (s: readonly (number | string)[]) => s.reduce<number>((p, d) => (typeof d === 'number' && d !== -1 ? p * d : p), 1);
  const syms = (s: readonly (number | string)[]) =>
    s
      .filter((d) => typeof d === 'string')
      .sort()
      .join(',');
  const free = dims.indexOf(-1);
  if (free >= 0) {
    if (syms(dims) !== syms(x.shape)) c.fail(`cannot infer -1 in [${spec}] for input ${fmtShape(x.shape)}`);
    dims[free] = known(x.shape) / known(dims);
  }
  return dims;
}

function flattenShape(c: NodeCtx, x: Tensor) {
  const a = c.num('axis', 1);
  const axis = a < 0 ? a + x.rank : a;
  const side = (s: readonly (number | string)[]) => {
    if (s.length === 1) return s[0];
    if (s.some((d) => typeof d !== 'number')) c.fail(`cannot flatten ${fmtShape(x.shape)} at axis ${axis}: symbolic dims`);
    return (s as number[]).reduce((p, d) => p * d, 1);
  };
  return [side(x.shape.slice(0, axis)), side(x.shape.slice(axis))];
}

/** The Constant node's value, from whichever attribute holds it. */
function constantValue(c: NodeCtx): HostConst {
  const t = c.attr('value');
  if (t !== undefined && typeof t === 'object' && !Array.isArray(t)) return decodeTensor(t, c.where);
  const f = c.attr('value_float') ?? c.attr('value_floats');
  if (f !== undefined) return { data: Float32Array.from([f].flat() as number[]), dims: Array.isArray(f) ? [f.length] : [] };
  const i = c.attr('value_int') ?? c.attr('value_ints');
  if (i !== undefined) return { data: BigInt64Array.from([i].flat() as number[], (v) => BigInt(v)), dims: Array.isArray(i) ? [i.length] : [] };
  return c.fail('only value, value_float(s) and value_int(s) constants are supported');
}

type Mapper = (c: NodeCtx) => (Value | undefined)[];
const unary =
  (f: (x: Tensor) => Tensor): Mapper =>
  (c) => [f(c.tensor(0))];
const binary =
  (f: (a: Tensor, b: Tensor) => Tensor): Mapper =>
  (c) => [f(c.tensor(0), c.tensor(1))];

const MAPPERS: Record<string, Mapper> = {
  Conv(c) {
    c.explicitPadsOnly();
    const [x, w] = [c.tensor(0), c.tensor(1)];
    if (x.rank !== 4 || w.rank !== 4) c.fail(`only 2-D convolution is supported, got input ${fmtShape(x.shape)}`);
    const k = c.attr('kernel_shape');
    if (Array.isArray(k) && (k[0] !== w.shape[2] || k[1] !== w.shape[3])) c.fail(`kernel_shape [${k}] disagrees with weight ${fmtShape(w.shape)}`);
    return [conv2d(x, w, c.optTensor(2), { stride: c.pair('strides', 1), pad: c.pads(), dilation: c.pair('dilations', 1), group: c.num('group', 1) })];
  },
  Relu: unary(relu),
  LeakyRelu: (c) => [leakyRelu(c.tensor(0), c.num('alpha', 0.01))],
  Sigmoid: unary(sigmoid),
  Tanh: unary(tanh),
  // an Indices output is fine while nothing reads it (the loop over outputs reports it otherwise)
  MaxPool: (c) => [pool(c, c.opts.maxPoolAsAverage ? 'average' : 'max')],
  AveragePool: (c) => [pool(c, 'average')],
  GlobalAveragePool: (c) => {
    const x = c.tensor(0);
    return [
      reduceMean(
        x,
        x.shape.slice(2).map((_, i) => i + 2),
        true,
      ),
    ];
  },
  Add: binary(add),
  Sub: binary(sub),
  Mul: binary(mul),
  Div: binary(div),
  Gemm: (c) => [
    gemm(c.tensor(0), c.tensor(1), c.optTensor(2), {
      alpha: c.num('alpha', 1),
      beta: c.num('beta', 1),
      transA: c.num('transA', 0) === 1,
      transB: c.num('transB', 0) === 1,
    }),
  ],
  MatMul: binary(matMul),
  Flatten: (c) => [reshape(c.tensor(0), flattenShape(c, c.tensor(0)))],
  // Opset 1-4 Reshape carried the shape as an attribute, later ones as an input.
  Reshape: (c) => [reshape(c.tensor(0), reshapeTarget(c, c.tensor(0), c.has(1) ? c.host(1) : c.ints('shape')))],
  Concat: (c) => [
    concat(
      c.ins.map((_, i) => c.tensor(i)),
      c.num('axis', 0),
    ),
  ],
  // Identity passes host constants through unchanged, so a constant stays readable as a shape.
  Identity: (c) => [c.ins[0]],
  Dropout: (c) => {
    if (c.node.output?.[1]) c.fail('the mask output is not supported (inference only)');
    if (c.has(2) && c.host(2)[0]) c.fail('training_mode is on; only inference is supported');
    return [c.ins[0]];
  },
  Constant: (c) => [constantValue(c)],
  InstanceNormalization: (c) => [instanceNorm(c.tensor(0), c.tensor(1), c.tensor(2), c.num('epsilon', 1e-5))],
  BatchNormalization: (c) => {
    if (c.num('training_mode', 0) || (c.node.output ?? []).slice(1).some(Boolean)) c.fail('only inference mode (running statistics) is supported');
    const [x, scale, bias, m, v] = [0, 1, 2, 3, 4].map((i) => c.tensor(i));
    return [batchNormInfer(x, scale, bias, m, v, c.num('epsilon', 1e-5))];
  },
  Pad: (c) => {
    if (c.str('mode', 'constant') !== 'constant') c.fail(`mode ${c.str('mode', '')} is not supported (constant only)`);
    if (c.has(3)) c.fail('the axes input is not supported');
    // Opset < 11 Pad carried pads and value as attributes.
    const pads = c.has(1) ? c.host(1) : c.ints('pads');
    if (pads.some((p) => p < 0)) c.fail(`negative pads [${pads}] are not supported`);
    return [pad(c.tensor(0), pads, c.has(2) ? c.host(2)[0] : c.num('value', 0))];
  },
};

/** Names every value the requested outputs depend on (nodes are topologically sorted in ONNX). */
function neededNames(nodes: onnxProto.onnx.INodeProto[], outputs: string[]): Set<string> {
  const needed = new Set(outputs);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if ((nodes[i].output ?? []).some((o) => needed.has(o))) for (const n of nodes[i].input ?? []) if (n) needed.add(n);
  }
  return needed;
}

/** The model's first non-initializer input must accept `input`: same rank, same fixed dims. */
function checkInput(info: onnxProto.onnx.IValueInfoProto, input: Tensor): void {
  const dims = info.type?.tensorType?.shape?.dim;
  const elem = info.type?.tensorType?.elemType;
  if (elem !== undefined && elem !== null && elem !== (onnx.TensorProto.DataType.FLOAT as number))
    throw new Error(`importOnnx: model input '${info.name}' has element type ${elem}; only float is fed`);
  if (input.dtype !== 'float32') throw new Error(`importOnnx: the fed input ${input} is ${input.dtype}, not float32`);
  if (!dims) return;
  const fixed = dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : undefined));
  if (fixed.length !== input.rank || fixed.some((d, i) => d !== undefined && d !== input.shape[i]))
    throw new Error(`importOnnx: model input '${info.name}' has shape [${fixed.map((d) => d ?? '?')}], fed ${fmtShape(input.shape)}`);
}

/**
 * Maps the ONNX model onto g: `input` feeds the model's first non-initializer input, initializers
 * become constants, and the nodes needed for `opts.outputs` (default: the model's outputs) become ops
 * of g, differentiable with respect to `input`.
 */
export function importOnnx(g: Graph, bytes: Uint8Array, input: Tensor, opts: ImportOptions = {}): Imported {
  const graph = onnx.ModelProto.decode(bytes).graph;
  if (!graph) throw new Error('importOnnx: the model has no graph');
  const nodes = graph.node ?? [];
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const first = (graph.input ?? []).find((i) => !inits.has(i.name ?? ''));
  if (!first?.name) throw new Error('importOnnx: the model has no input to feed');
  checkInput(first, input);

  const wanted = opts.outputs ?? (graph.output ?? []).map((o) => o.name ?? '');
  const produced = new Set([first.name, ...nodes.flatMap((n) => n.output ?? []), ...inits.keys()]);
  for (const name of wanted) if (!produced.has(name)) throw new Error(`importOnnx: no value named '${name}' in the model`);
  const needed = neededNames(nodes, wanted);

  const values = new Map<string, Value>([[first.name, input]]);
  const constants = new Map<HostConst, Tensor>(); // one graph constant per host value, however often used
  const initNames = new Map<HostConst, string>();
  const shared = opts.constants;
  const materialise = (v: HostConst) => {
    let t = constants.get(v);
    if (t) return t;
    const name = initNames.get(v);
    t = name === undefined ? undefined : shared?.get(name);
    if (t && (t.graph !== g || t.shape.length !== v.dims.length || t.shape.some((d, i) => d !== v.dims[i])))
      throw new Error(`importOnnx: the shared constant for initializer '${name}' is ${t} of another graph or shape; share constants only between imports of one model into one graph`);
    if (!t) {
      t = g.constant(v.data, v.dims);
      if (name !== undefined) shared?.set(name, t);
    }
    constants.set(v, t);
    return t;
  };
  const valueOf = (name: string, where: string): Value | undefined => {
    if (!name) return undefined; // an omitted optional input
    let v = values.get(name);
    if (v === undefined && inits.has(name)) {
      values.set(name, (v = decodeTensor(inits.get(name)!, `initializer '${name}'`)));
      initNames.set(v, name);
    }
    if (v === undefined) throw new Error(`${where}: input '${name}' has no value (importOnnx feeds only the model's first input, '${first.name}')`);
    return v;
  };

  const tensors = new Map<string, Tensor>();
  for (const node of nodes) {
    const outs = node.output ?? [];
    if (!outs.some((o) => needed.has(o))) continue;
    const where = `importOnnx: node '${node.name ?? ''}' (${node.opType})`;
    const mapper = MAPPERS[node.opType ?? ''];
    if (!mapper || (node.domain && node.domain !== 'ai.onnx'))
      throw new Error(`${where}: unsupported op '${node.opType}'${node.domain ? ` of domain '${node.domain}'` : ''}; supported: ${Object.keys(MAPPERS).join(', ')}`);
    const c = new NodeCtx(
      node,
      (node.input ?? []).map((n) => valueOf(n, where)),
      opts,
      materialise,
    );
    let results: (Value | undefined)[];
    try {
      results = mapper(c);
    } catch (e) {
      const msg = (e as Error).message;
      throw msg.startsWith('importOnnx') ? e : new Error(`${where}: ${msg}`, { cause: e });
    }
    outs.forEach((name, i) => {
      const v = results[i];
      if (!name) return;
      if (v === undefined) {
        if (needed.has(name)) throw new Error(`${where}: output ${i} ('${name}') is not supported`);
        return;
      }
      values.set(name, v);
      if (isTensor(v)) tensors.set(name, v);
    });
  }

  const outputs = new Map<string, Tensor>();
  for (const name of wanted) {
    const v = valueOf(name, 'importOnnx');
    outputs.set(name, isTensor(v!) ? v : materialise(v!));
  }
  return { outputs, tensors };
}
