// Symbolic tensors and the graph that records the ops applied to them.
// A Graph is only a recording: emission to ONNX lives in emit.ts, gradients in autodiff.ts.

export type DType = 'float32' | 'int64' | 'bool';
/** A dimension: a number, or a name for a symbolic (batch) dimension. */
export type Dim = number | string;
export type Shape = readonly Dim[];
export type ConstData = Float32Array | BigInt64Array | Uint8Array;

/** How a parameter gets its first value (drawn on the host from a seeded PRNG, see init.ts). */
export type Init = { kind: 'normal'; std: number; mean?: number } | { kind: 'kaiming'; fanIn: number; gain?: number } | { kind: 'uniform'; bound: number } | { kind: 'zeros' } | { kind: 'ones' };

export type Source = { kind: 'input'; name: string } | { kind: 'param'; name: string; init: Init; group: string } | { kind: 'const'; data: ConstData } | { kind: 'node'; node: Node; index: number };

export class ShapeError extends Error {
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'ShapeError';
  }
}

export function fmtShape(s: Shape): string {
  return `[${s.join(',')}]`;
}

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly source: Source,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  /** Number of elements; throws for symbolic shapes. */
  get size(): number {
    return staticSize(this.shape, 'size');
  }
  toString(): string {
    return `Tensor#${this.id}${fmtShape(this.shape)}`;
  }
}

export function staticSize(shape: Shape, op: string): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') throw new ShapeError(op, `needs a static shape, got ${fmtShape(shape)}`);
    n *= d;
  }
  return n;
}

export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export interface GradArgs<A> {
  inputs: Tensor[];
  outputs: Tensor[];
  /** Gradient of the objective for each output; undefined where no gradient flows. */
  dOutputs: (Tensor | undefined)[];
  attrs: A;
  /** How the rules build their graphs, fixed per call of gradients(). */
  settings: GradientSettings;
}

/** Choices between equivalent gradient graphs (same values, different speed and memory). */
export interface GradientSettings {
  conv: ConvGradientSettings;
}

/**
 * How Conv and ConvTranspose build weight gradients: by im2col + MatMul, except by one Conv below
 * `oneConvBelowMacs` multiply-adds or where the im2col tensor would pass `im2colMaxBytes`; and from which
 * size of ConvTranspose's column buffer a stride-1 Conv's input gradient is a Conv with the flipped kernel
 * (defaults and reasons in ops/conv.ts).
 */
export interface ConvGradientSettings {
  oneConvBelowMacs: number;
  /** ... nor with a weight of more than this many elements (its gradient by one Conv needs a transpose). */
  oneConvMaxWeights: number;
  im2colMaxBytes: number;
  flippedKernelFromBytes: number;
  padInConvFromBytes: number;
}

/** Where an op writes ONNX: one call per recorded node. */
export interface Emitter {
  node(opType: string, inputs: string[], outputs: string[], attrs?: Record<string, AttrValue>): void;
  /** Name of a constant int64 tensor (shared between uses). */
  int64(values: readonly number[]): string;
  /** Name of a constant float tensor (shared between uses). */
  float(values: readonly number[], dims?: readonly number[]): string;
  fresh(hint: string): string;
}

/**
 * An ONNX attribute. Its kind is explicit: a plain number is an INT and a number array INTS (the emitter
 * rejects a fraction there), a float is marked { float } and a float list { floats }.
 */
export type AttrValue = number | string | readonly number[] | { float: number } | { floats: readonly number[] };

/** One op: its shape rule, its ONNX emission and its gradient, side by side. */
/** Any op definition, whatever its attributes' type: the registry's and the op modules' lists hold ops of many. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- attribute types differ op by op; each op checks its own
export type AnyOpDef = OpDef<any>;

export interface OpDef<A = unknown> {
  name: string;
  infer(inputs: Tensor[], attrs: A): { dtype: DType; shape: Shape }[];
  emit(e: Emitter, inputs: string[], outputs: string[], attrs: A): void;
  /** Vector-Jacobian product; absent means the op is not differentiable (no gradient flows). */
  grad?(args: GradArgs<A>): (Tensor | undefined)[];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- a node pairs an op with attributes of that op's own type, which differs from node to node */
export interface Node {
  op: OpDef<any>;
  inputs: Tensor[];
  attrs: any;
  outputs: Tensor[];
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export class Graph {
  private nextId = 0;
  readonly nodes: Node[] = [];
  readonly params: Tensor[] = [];
  readonly inputs: Tensor[] = [];
  private readonly paramNames = new Map<string, Tensor>();
  private readonly inputNames = new Map<string, Tensor>();
  private readonly scopes: string[] = [];
  /** Parameters created now go into this group ('G', 'D', ...). */
  group = 'G';

  private make(dtype: DType, shape: Shape, source: Source): Tensor {
    return new Tensor(this, this.nextId++, dtype, shape, source);
  }

  input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
    if (this.inputNames.has(name)) throw new Error(`graph input '${name}' defined twice`);
    const t = this.make(dtype, shape, { kind: 'input', name });
    this.inputNames.set(name, t);
    this.inputs.push(t);
    return t;
  }

  /**
   * A trainable parameter; its name is prefixed by the open scopes. Asking again for a name returns the
   * same parameter (weight sharing: a network applied twice), or its substitute while one is in force.
   */
  param(name: string, shape: readonly number[], init: Init): Tensor {
    const full = [...this.scopes, name].join('.');
    const existing = this.paramNames.get(full);
    if (existing) {
      if (existing.shape.length !== shape.length || existing.shape.some((d, i) => d !== shape[i]))
        throw new ShapeError('param', `'${full}' exists with shape ${fmtShape(existing.shape)}, asked for ${fmtShape(shape)}`);
      return this.substitutes?.get(existing.id) ?? existing;
    }
    const t = this.make('float32', shape, { kind: 'param', name: full, init, group: this.group });
    this.paramNames.set(full, t);
    this.params.push(t);
    return t;
  }

  private substitutes: Map<number, Tensor> | undefined;

  /** Within body, existing parameters read as the given tensors (e.g. their values after an update). */
  withSubstitutes<T>(values: Map<number, Tensor>, body: () => T): T {
    const saved = this.substitutes;
    this.substitutes = values;
    try {
      return body();
    } finally {
      this.substitutes = saved;
    }
  }

  getParam(name: string): Tensor | undefined {
    return this.paramNames.get(name);
  }

  scope<T>(name: string, body: () => T): T {
    this.scopes.push(name);
    try {
      return body();
    } finally {
      this.scopes.pop();
    }
  }

  withGroup<T>(group: string, body: () => T): T {
    const saved = this.group;
    this.group = group;
    try {
      return body();
    } finally {
      this.group = saved;
    }
  }

  constant(data: ConstData, shape: Shape): Tensor {
    const dtype: DType = data instanceof Float32Array ? 'float32' : data instanceof BigInt64Array ? 'int64' : 'bool';
    if (staticSize(shape, 'constant') !== data.length) throw new ShapeError('constant', `${data.length} values for shape ${fmtShape(shape)}`);
    return this.make(dtype, shape, { kind: 'const', data });
  }

  scalar(v: number): Tensor {
    return this.constant(Float32Array.of(v), []);
  }

  apply<A>(op: OpDef<A>, inputs: Tensor[], attrs: A): Tensor[] {
    for (const t of inputs) {
      if (t.graph !== this) throw new Error(`${op.name}: input ${t} belongs to another graph`);
    }
    const specs = op.infer(inputs, attrs);
    const node: Node = { op, inputs, attrs, outputs: [] };
    node.outputs = specs.map((s, index) => this.make(s.dtype, s.shape, { kind: 'node', node, index }));
    this.nodes.push(node);
    return node.outputs;
  }
}

/** Apply a single-output op. */
export function apply1<A>(op: OpDef<A>, inputs: Tensor[], attrs: A): Tensor {
  return inputs[0].graph.apply(op, inputs, attrs)[0];
}

/** The group a parameter belongs to: 'G', 'D', or 'buffer' for running statistics (not trained). */
export function paramGroup(t: Tensor): string {
  if (t.source.kind !== 'param') throw new Error(`${t} is not a parameter`);
  return t.source.group;
}

export function paramName(t: Tensor): string {
  if (t.source.kind !== 'param') throw new Error(`${t} is not a parameter`);
  return t.source.name;
}
