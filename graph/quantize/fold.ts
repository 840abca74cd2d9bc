// Constant folding of a ModelProto's data movement on initializers (Slice, Concat, Transpose, Reshape):
// the sub-pixel rewrite (graph/ops/subpixel.ts) builds each phase weight from the parameter by these ops,
// and a quantised file needs each Conv's weight as one initializer to quantise per channel.
import onnxProto from 'onnx-proto';
import { dimsOfTensor, dropUnusedInitializers, elemTypeOf, intAttr, intsAttr, makeTensor, tensorValues } from './tensors.js';

type NodeProto = onnxProto.onnx.INodeProto;
type Data = Float32Array | BigInt64Array;

interface Constant {
  data: Data;
  dims: number[];
}

const strides = (dims: readonly number[]) => dims.map((_, i) => dims.slice(i + 1).reduce((p, d) => p * d, 1));

/** out[index] = data[map(index)] over the output's dims: the one loop each folding below is. */
function gather(src: Constant, dims: number[], sourceIndex: (idx: number[]) => number): Constant {
  const size = dims.reduce((p, d) => p * d, 1);
  const data = new (src.data.constructor as new (n: number) => Data)(size);
  const idx = new Array(dims.length).fill(0);
  for (let o = 0; o < size; o++) {
    data[o] = src.data[sourceIndex(idx)];
    for (let a = dims.length - 1; a >= 0; a--) {
      if (++idx[a] < dims[a]) break;
      idx[a] = 0;
    }
  }
  return { data, dims };
}

const ints = (c: Constant | undefined) => (c ? Array.from(c.data as BigInt64Array, Number) : undefined);

function slice(x: Constant, starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined): Constant | undefined {
  if (steps && steps.some((s) => s !== 1)) return undefined;
  const r = x.dims.length;
  const begin = new Array(r).fill(0);
  const dims = x.dims.slice();
  (axes ?? starts.map((_, i) => i)).forEach((axis, i) => {
    const a = axis < 0 ? axis + r : axis;
    const clampTo = (v: number) => Math.min(Math.max(v < 0 ? v + x.dims[a] : v, 0), x.dims[a]);
    begin[a] = clampTo(starts[i]);
    dims[a] = Math.max(0, clampTo(ends[i]) - begin[a]);
  });
  const s = strides(x.dims);
  return gather(x, dims, (idx) => idx.reduce((p, v, a) => p + (v + begin[a]) * s[a], 0));
}

function transpose(x: Constant, perm: number[] | undefined): Constant {
  const p = perm ?? x.dims.map((_, i) => x.dims.length - 1 - i);
  const s = strides(x.dims);
  return gather(
    x,
    p.map((a) => x.dims[a]),
    (idx) => idx.reduce((sum, v, i) => sum + v * s[p[i]], 0),
  );
}

function concat(xs: Constant[], axis: number): Constant {
  const a = axis < 0 ? axis + xs[0].dims.length : axis;
  const dims = xs[0].dims.slice();
  dims[a] = xs.reduce((p, x) => p + x.dims[a], 0);
  const outer = dims.slice(0, a).reduce((p, d) => p * d, 1);
  const data = new (xs[0].data.constructor as new (n: number) => Data)(dims.reduce((p, d) => p * d, 1));
  let o = 0;
  for (let i = 0; i < outer; i++)
    for (const x of xs) {
      const block = x.data.length / outer;
      for (let j = 0; j < block; j++) data[o++] = x.data[i * block + j];
    }
  return { data, dims };
}

function reshape(x: Constant, shape: number[]): Constant {
  const size = x.data.length;
  const dims = shape.map((d, i) => (d === 0 ? x.dims[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  return { data: x.data, dims: dims.map((d) => (d === -1 ? size / known : d)) };
}

function foldNode(n: NodeProto, xs: Constant[]): Constant | undefined {
  switch (n.opType) {
    case 'Slice':
      return slice(xs[0], ints(xs[1])!, ints(xs[2])!, ints(xs[3]), ints(xs[4]));
    case 'Transpose':
      return transpose(xs[0], intsAttr(n, 'perm'));
    case 'Concat':
      return concat(xs, intAttr(n, 'axis') ?? 0);
    case 'Reshape':
      return reshape(xs[0], ints(xs[1])!);
    case 'Identity':
      return xs[0];
    default:
      return undefined;
  }
}

/** Replaces each foldable node whose inputs are all initializers by an initializer of its output, in place. */
export function foldConstants(model: onnxProto.onnx.IModelProto): void {
  const g = model.graph!;
  const constants = new Map<string, Constant>();
  for (const t of g.initializer ?? []) if (t.dataType === 1 || t.dataType === 7) constants.set(t.name ?? '', { data: tensorValues(t), dims: dimsOfTensor(t) });
  const outputs = new Set((g.output ?? []).map((o) => o.name));
  const kept: NodeProto[] = [];
  for (const n of g.node ?? []) {
    const inputs = (n.input ?? []).filter((i) => i !== '');
    const xs = inputs.map((i) => constants.get(i));
    const folded = xs.every((x) => x) && n.output?.length === 1 && !outputs.has(n.output[0]) ? foldNode(n, xs as Constant[]) : undefined;
    if (!folded) {
      kept.push(n);
      continue;
    }
    const name = n.output![0];
    constants.set(name, folded);
    g.initializer!.push(makeTensor(name, folded.data, folded.dims, elemTypeOf(folded.data)));
  }
  g.node = kept;
  dropUnusedInitializers(model);
}
