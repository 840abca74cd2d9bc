// Emission of a recorded Graph as ONNX bytes (opset 17, standard domain only).
import onnxProto from 'onnx-proto';
import { AttrValue, ConstData, Emitter, Graph, Shape, Tensor } from './tensor.js';

const { onnx } = onnxProto;
export const OPSET = 17;
export const IR_VERSION = 8;

const DTYPE_CODE = { float32: 1, int64: 7, bool: 9 } as const;

export interface EmitOptions {
  /** Graph outputs by name, in order. */
  outputs: [string, Tensor][];
  /** Parameters become graph inputs (training programs) or initializers (inference, weights baked in). */
  params: 'inputs' | 'initializers';
  /** ONNX name of a parameter (default: its own name). */
  paramName?: (name: string, group: string) => string;
  /** Values of parameters that become initializers, by parameter name. */
  paramValues?: ReadonlyMap<string, Float32Array>;
  /** Declare these tensors (inputs or params) as graph inputs even if no output needs them, in this order. */
  inputs?: Tensor[];
  metadata?: Record<string, string>;
  graphName?: string;
}

function valueInfo(name: string, dtype: keyof typeof DTYPE_CODE, shape: Shape) {
  return {
    name,
    type: {
      tensorType: {
        elemType: DTYPE_CODE[dtype],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function tensorProto(name: string, data: ConstData, dims: readonly number[]) {
  const dataType = data instanceof Float32Array ? 1 : data instanceof BigInt64Array ? 7 : 9;
  return { name, dims: dims.slice(), dataType, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** A plain number or number array is an integer attribute: a fraction there is a bug, never rounded. */
function checkInteger(opType: string, name: string, v: number): number {
  if (!Number.isInteger(v)) throw new Error(`${opType}: attribute '${name}' is an integer attribute, got ${v} (a float attribute is written { float: ${v} })`);
  return v;
}

function attribute(opType: string, name: string, v: AttrValue) {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: A.INT, i: checkInteger(opType, name, v) };
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (isNumberList(v)) return { name, type: A.INTS, ints: v.map((x) => checkInteger(opType, name, x)) };
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  return { name, type: A.FLOATS, floats: v.floats.slice() };
}

// Array.isArray does not narrow a readonly array out of a union.
function isNumberList(v: AttrValue): v is readonly number[] {
  return Array.isArray(v);
}

/** Nodes needed for the outputs, in recording (topological) order. */
function liveNodes(graph: Graph, outputs: Tensor[]) {
  const needed = new Set(outputs.map((t) => t.id));
  const keep: boolean[] = new Array(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    if (!n.outputs.some((o) => needed.has(o.id))) continue;
    keep[i] = true;
    for (const t of n.inputs) needed.add(t.id);
  }
  return { nodes: graph.nodes.filter((_, i) => keep[i]), needed };
}

export function emitModel(graph: Graph, opts: EmitOptions): Uint8Array {
  const outTensors = opts.outputs.map(([, t]) => t);
  const { nodes, needed } = liveNodes(graph, outTensors);
  const names = new Map<number, string>();
  const nodeProtos: object[] = [];
  const initializers: object[] = [];
  const constCache = new Map<string, string>();
  let counter = 0;
  const fresh = (hint: string) => `${hint}_${counter++}`;
  const paramName = opts.paramName ?? ((n: string) => n);

  const constant = (data: ConstData, dims: readonly number[]): string => {
    const small = data.length <= 16;
    const key = small ? `${data.constructor.name}:${dims.join('x')}:${Array.from(data as ArrayLike<number | bigint>).join(',')}` : '';
    if (small && constCache.has(key)) return constCache.get(key)!;
    const name = fresh('const');
    initializers.push(tensorProto(name, data, dims));
    if (small) constCache.set(key, name);
    return name;
  };

  const emitter: Emitter = {
    node(opType, inputs, outputs, attrs = {}) {
      nodeProtos.push({
        opType,
        input: inputs,
        output: outputs,
        name: fresh(opType),
        attribute: Object.entries(attrs).map(([k, v]) => attribute(opType, k, v)),
      });
    },
    int64: (values) => constant(BigInt64Array.from(values.map((v) => BigInt(v))), [values.length]),
    float: (values, dims) => constant(Float32Array.from(values), dims ?? [values.length]),
    fresh,
  };

  const graphInputs: object[] = [];
  const declared = new Set<number>();
  const declare = (t: Tensor) => {
    if (declared.has(t.id)) return;
    declared.add(t.id);
    const s = t.source;
    if (s.kind === 'input') {
      names.set(t.id, s.name);
      graphInputs.push(valueInfo(s.name, t.dtype, t.shape));
    } else if (s.kind === 'param') {
      const name = paramName(s.name, s.group);
      names.set(t.id, name);
      if (opts.params === 'inputs') graphInputs.push(valueInfo(name, t.dtype, t.shape));
      else {
        const value = opts.paramValues?.get(s.name);
        if (!value) throw new Error(`no value for parameter '${s.name}'`);
        if (value.length !== t.size) throw new Error(`parameter '${s.name}' has ${value.length} values, shape needs ${t.size}`);
        initializers.push(tensorProto(name, value, t.shape as number[]));
      }
    } else if (s.kind === 'const') {
      names.set(t.id, constant(s.data, t.shape as number[]));
    } else throw new Error(`cannot declare ${t} as a graph input`);
  };
  for (const t of opts.inputs ?? []) declare(t);
  const leaves = [...graph.inputs, ...graph.params];
  for (const t of leaves) if (needed.has(t.id)) declare(t);

  // Requested outputs produced by a node take the output's name directly.
  const outputNames = new Set<string>();
  for (const [name, t] of opts.outputs) {
    if (outputNames.has(name)) throw new Error(`output '${name}' requested twice`);
    outputNames.add(name);
    if (t.source.kind === 'node' && !names.has(t.id)) names.set(t.id, name);
  }
  const nameOf = (t: Tensor): string => {
    let n = names.get(t.id);
    if (n === undefined) {
      if (t.source.kind === 'const') declare(t);
      else if (t.source.kind !== 'node') throw new Error(`${t} (${t.source.kind} '${(t.source as { name: string }).name}') is not available`);
      else names.set(t.id, `t${t.id}`);
      n = names.get(t.id)!;
    }
    return n;
  };

  for (const n of nodes) {
    n.op.emit(emitter, n.inputs.map(nameOf), n.outputs.map(nameOf), n.attrs);
  }
  const graphOutputs = opts.outputs.map(([name, t]) => {
    const have = nameOf(t);
    if (have !== name) emitter.node('Identity', [have], [name]);
    return valueInfo(name, t.dtype, t.shape);
  });

  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'divsyn',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name: opts.graphName ?? 'divsyn', node: nodeProtos, initializer: initializers, input: graphInputs, output: graphOutputs },
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}
