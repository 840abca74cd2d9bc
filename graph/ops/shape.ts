// Data movement: Transpose, Concat, Split, Slice, Pad; Reshape lives in broadcast.ts (the gradients of
// broadcasting need it) and is re-exported here with the other data movement.
import { AnyOpDef, OpDef, ShapeError, Tensor, apply1, fmtShape } from '../tensor.js';
import { normAxis } from '../shapes.js';
import { expand, reshape, zerosLike } from './broadcast.js';

export { reshape, zerosLike } from './broadcast.js';

export function flatten(x: Tensor): Tensor {
  const rest = x.shape.slice(1).reduce<number>((p, d) => p * (d as number), 1);
  return reshape(x, [x.shape[0], rest]);
}

// ---- Transpose -------------------------------------------------------------------------------

const TransposeOp: OpDef<{ perm: number[] }> = {
  name: 'Transpose',
  infer([x], a) {
    if (a.perm.length !== x.rank || new Set(a.perm).size !== x.rank) throw new ShapeError('Transpose', `perm [${a.perm}] does not fit ${fmtShape(x.shape)}`);
    return [{ dtype: x.dtype, shape: a.perm.map((p) => x.shape[p]) }];
  },
  emit(e, i, o, a) {
    e.node('Transpose', i, o, { perm: a.perm });
  },
  grad({ dOutputs: [dy], attrs }) {
    const inv: number[] = [];
    attrs.perm.forEach((p, i) => (inv[p] = i));
    return [transpose(dy!, inv)];
  },
};

export function transpose(x: Tensor, perm: number[]): Tensor {
  return apply1(TransposeOp, [x], { perm });
}

// ---- Reverse ---------------------------------------------------------------------------------

/** x with the order of its elements reversed along axes: a Slice with step -1, its own adjoint. */
const ReverseOp: OpDef<{ axes: number[] }> = {
  name: 'Reverse',
  infer([x], a) {
    if (a.axes.some((ax) => typeof x.shape[ax] !== 'number')) throw new ShapeError('Reverse', `cannot reverse a symbolic axis of ${fmtShape(x.shape)}`);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  emit(e, [x], o, { axes }) {
    // from the last element down to the first: ONNX's end for a negative step is INT64_MIN (exact as a double)
    const ones = e.int64(axes.map(() => -1));
    e.node('Slice', [x, ones, e.int64(axes.map(() => -(2 ** 63))), e.int64(axes), ones], o);
  },
  grad({ dOutputs: [dy], attrs }) {
    return [reverse(dy!, attrs.axes)];
  },
};

/** x reversed along axes (those of extent 1 are left out; none left, x itself). */
export function reverse(x: Tensor, axes: number[]): Tensor {
  const kept = axes.map((a) => normAxis('Reverse', a, x.rank)).filter((ax) => x.shape[ax] !== 1);
  return kept.length ? apply1(ReverseOp, [x], { axes: kept }) : x;
}

// ---- Concat / Split --------------------------------------------------------------------------

const ConcatOp: OpDef<{ axis: number }> = {
  name: 'Concat',
  infer(xs, a) {
    const first = xs[0];
    let total = 0;
    for (const x of xs) {
      if (x.rank !== first.rank || x.dtype !== first.dtype || x.shape.some((d, i) => i !== a.axis && d !== first.shape[i]))
        throw new ShapeError('Concat', `${fmtShape(first.shape)} and ${fmtShape(x.shape)} differ off axis ${a.axis}`);
      const d = x.shape[a.axis];
      if (typeof total !== 'number' || typeof d !== 'number') throw new ShapeError('Concat', `cannot concatenate along the symbolic axis ${a.axis}`);
      total += d;
    }
    const shape = [...first.shape];
    shape[a.axis] = total;
    return [{ dtype: first.dtype, shape }];
  },
  emit(e, i, o, a) {
    e.node('Concat', i, o, { axis: a.axis });
  },
  grad({ inputs, dOutputs: [dy], attrs }) {
    return split(
      dy!,
      attrs.axis,
      inputs.map((x) => x.shape[attrs.axis] as number),
    );
  },
};

export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 1) return xs[0];
  return apply1(ConcatOp, xs, { axis: normAxis('Concat', axis, xs[0].rank) });
}

const SplitOp: OpDef<{ axis: number; sizes: number[] }> = {
  name: 'Split',
  infer([x], a) {
    const total = a.sizes.reduce((p, d) => p + d, 0);
    if (x.shape[a.axis] !== total) throw new ShapeError('Split', `sizes [${a.sizes}] do not add up to axis ${a.axis} of ${fmtShape(x.shape)}`);
    return a.sizes.map((s) => {
      const shape = [...x.shape];
      shape[a.axis] = s;
      return { dtype: x.dtype, shape };
    });
  },
  emit(e, [x], o, a) {
    e.node('Split', [x, e.int64(a.sizes)], o, { axis: a.axis });
  },
  grad({ outputs, dOutputs, attrs }) {
    const parts = outputs.map((y, i) => dOutputs[i] ?? zerosLike(y));
    return [concat(parts, attrs.axis)];
  },
};

export function split(x: Tensor, axis: number, sizes: number[]): Tensor[] {
  return x.graph.apply(SplitOp, [x], { axis: normAxis('Split', axis, x.rank), sizes });
}

// ---- Slice -----------------------------------------------------------------------------------

interface SliceAttrs {
  starts: number[];
  ends: number[];
  axes: number[];
  steps: number[];
}

function sliceLen(start: number, end: number, step: number): number {
  return Math.max(0, Math.ceil((end - start) / step));
}

const SliceOp: OpDef<SliceAttrs> = {
  name: 'Slice',
  infer([x], a) {
    const shape = [...x.shape];
    a.axes.forEach((ax, k) => {
      const d = x.shape[ax];
      if (typeof d !== 'number') throw new ShapeError('Slice', `cannot slice symbolic axis ${ax}`);
      if (a.starts[k] < 0 || a.ends[k] > d || a.steps[k] < 1) throw new ShapeError('Slice', `range ${a.starts[k]}:${a.ends[k]}:${a.steps[k]} outside axis ${ax} of ${fmtShape(x.shape)}`);
      shape[ax] = sliceLen(a.starts[k], a.ends[k], a.steps[k]);
    });
    return [{ dtype: x.dtype, shape }];
  },
  emit(e, [x], o, a) {
    e.node('Slice', [x, e.int64(a.starts), e.int64(a.ends), e.int64(a.axes), e.int64(a.steps)], o);
  },
  grad({ inputs: [x], dOutputs: [dy], attrs }) {
    // Spread each strided axis by interleaving zeros, then pad back to the input's extent.
    let g = dy!;
    const pads = new Array(2 * x.rank).fill(0);
    attrs.axes.forEach((ax, k) => {
      const step = attrs.steps[k];
      const len = g.shape[ax] as number;
      if (step > 1 && len > 0) {
        const shape = [...g.shape];
        const withSlot = [...shape.slice(0, ax + 1), 1, ...shape.slice(ax + 1)];
        const col = reshape(g, withSlot);
        const zeros = expand(g.graph.scalar(0), [...shape.slice(0, ax + 1), step - 1, ...shape.slice(ax + 1)]);
        const spread = concat([col, zeros], ax + 1);
        shape[ax] = len * step;
        g = reshape(spread, shape);
      }
      const covered = g.shape[ax] as number;
      const before = attrs.starts[k];
      const after = (x.shape[ax] as number) - before - covered;
      if (after < 0) {
        g = slice(g, [ax], [0], [covered + after]);
        pads[x.rank + ax] = 0;
      } else pads[x.rank + ax] = after;
      pads[ax] = before;
    });
    return [pad(g, pads)];
  },
};

/** x[starts:ends:steps] along axes (non-negative, in range). */
export function slice(x: Tensor, axes: number[], starts: number[], ends: number[], steps?: number[]): Tensor {
  const resolved = { axes: axes.map((a) => normAxis('Slice', a, x.rank)), starts, ends, steps: steps ?? axes.map(() => 1) };
  // all of x (a 1x1 kernel's only tap, say): a Slice would only copy it
  if (resolved.axes.every((ax, k) => starts[k] === 0 && ends[k] === x.shape[ax] && resolved.steps[k] === 1)) return x;
  return apply1(SliceOp, [x], resolved);
}

// ---- Pad -------------------------------------------------------------------------------------

const PadOp: OpDef<{ pads: number[]; value: number }> = {
  name: 'Pad',
  infer([x], a) {
    if (a.pads.length !== 2 * x.rank || a.pads.some((p) => p < 0)) throw new ShapeError('Pad', `pads [${a.pads}] do not fit ${fmtShape(x.shape)} (non-negative, 2 per axis)`);
    const shape = x.shape.map((d, i) => {
      if (a.pads[i] === 0 && a.pads[i + x.rank] === 0) return d;
      if (typeof d !== 'number') throw new ShapeError('Pad', `cannot pad symbolic axis ${i}`);
      return d + a.pads[i] + a.pads[i + x.rank];
    });
    return [{ dtype: x.dtype, shape }];
  },
  emit(e, [x], o, a) {
    e.node('Pad', [x, e.int64(a.pads), e.float([a.value])], o, { mode: 'constant' });
  },
  grad({ inputs: [x], dOutputs: [dy], attrs }) {
    const axes: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    x.shape.forEach((d, i) => {
      if (attrs.pads[i] || attrs.pads[i + x.rank]) {
        axes.push(i);
        starts.push(attrs.pads[i]);
        ends.push(attrs.pads[i] + (d as number));
      }
    });
    return [slice(dy!, axes, starts, ends)];
  },
};

/** Constant padding; pads as ONNX orders them: all begins, then all ends. */
export function pad(x: Tensor, pads: number[], value = 0): Tensor {
  if (pads.every((p) => p === 0)) return x;
  return apply1(PadOp, [x], { pads, value });
}

export const shapeOps: readonly AnyOpDef[] = [TransposeOp, ReverseOp, ConcatOp, SplitOp, SliceOp, PadOp];
