// The broadcasting core: Reshape, Expand and ReduceSum, the three ops whose gradients are built from each
// other (Expand's is a ReduceSum, ReduceSum's an Expand), and the helpers every other gradient rule uses
// to undo a broadcast (sumToShape) or spread a reduced gradient back (spreadBack). It imports no other op
// module, so the ops above it import it and never each other in a circle.
import { AnyOpDef, OpDef, Shape, ShapeError, Tensor, apply1, fmtShape, isStatic, staticSize } from '../tensor.js';
import { normAxis, reducedShape, sameShape } from '../shapes.js';

// ---- Reshape ---------------------------------------------------------------------------------

const ReshapeOp: OpDef<{ shape: Shape; from: Shape }> = {
  name: 'Reshape',
  infer([x], a) {
    if (isStatic(x.shape) && isStatic(a.shape)) {
      const n = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
      if (n(x.shape) !== n(a.shape)) throw new ShapeError('Reshape', `cannot reshape ${fmtShape(x.shape)} to ${fmtShape(a.shape)}`);
    }
    return [{ dtype: x.dtype, shape: a.shape }];
  },
  emit(e, [x], o, a) {
    // A symbolic dim where the input has it at the same index is copied (0), which keeps its name in
    // shape inference (onnxruntime's fusions need to see that two tensors share a batch); one other is
    // inferred (-1); several others are copied by index, which holds where they keep their positions.
    const dims = a.shape.map((d, i) => (typeof d === 'number' ? d : a.from[i] === d ? 0 : -1));
    if (dims.filter((d) => d === -1).length > 1)
      a.shape.forEach((d, i) => {
        if (typeof d === 'string') dims[i] = 0;
      });
    e.node('Reshape', [x, e.int64(dims)], o);
  },
  grad({ inputs: [x], dOutputs: [dy] }) {
    return [reshape(dy!, x.shape)];
  },
};

export function reshape(x: Tensor, shape: Shape): Tensor {
  return apply1(ReshapeOp, [x], { shape, from: x.shape });
}

// ---- Expand ----------------------------------------------------------------------------------

const ExpandOp: OpDef<{ shape: readonly number[] }> = {
  name: 'Expand',
  infer([x], a) {
    const n = a.shape.length;
    if (x.rank > n) throw new ShapeError('Expand', `cannot expand ${fmtShape(x.shape)} to ${fmtShape(a.shape)}`);
    x.shape.forEach((d, i) => {
      const t = a.shape[i + n - x.rank];
      if (d !== 1 && d !== t) throw new ShapeError('Expand', `cannot expand ${fmtShape(x.shape)} to ${fmtShape(a.shape)}`);
    });
    return [{ dtype: x.dtype, shape: a.shape }];
  },
  emit(e, [x], o, a) {
    e.node('Expand', [x, e.int64(a.shape)], o);
  },
  grad({ inputs: [x], dOutputs: [dy] }) {
    return [sumToShape(dy!, x.shape)];
  },
};

export function expand(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  staticSize(shape, 'Expand');
  return apply1(ExpandOp, [x], { shape: shape as number[] });
}

export function zerosLike(t: Tensor): Tensor {
  return expand(t.graph.scalar(0), t.shape);
}

// ---- ReduceSum -------------------------------------------------------------------------------

export interface ReduceAttrs {
  axes: number[];
  keepdims: boolean;
}

/** Broadcast a reduced gradient (or a reduced value) back over the reduced axes of x. */
export function spreadBack(x: Tensor, dy: Tensor, a: ReduceAttrs): Tensor {
  const keep = reducedShape('spread', x.shape, a.axes, true);
  return expand(a.keepdims ? dy : reshape(dy, keep), x.shape);
}

const ReduceSumOp: OpDef<ReduceAttrs> = {
  name: 'ReduceSum',
  infer([x], a) {
    return [{ dtype: x.dtype, shape: reducedShape('ReduceSum', x.shape, a.axes, a.keepdims) }];
  },
  emit(e, [x], o, a) {
    e.node('ReduceSum', [x, e.int64(a.axes)], o, { keepdims: a.keepdims ? 1 : 0 });
  },
  grad({ inputs: [x], dOutputs: [dy], attrs }) {
    return [spreadBack(x, dy!, attrs)];
  },
};

/** Sum over axes (all by default); unlike the other reductions, a symbolic axis may be summed. */
export function reduceSum(x: Tensor, axes?: number[], keepdims = false): Tensor {
  const all = axes ?? x.shape.map((_, i) => i);
  return apply1(ReduceSumOp, [x], { axes: all.map((a) => normAxis('ReduceSum', a, x.rank)), keepdims });
}

export const sum = (x: Tensor) => reduceSum(x, undefined, false);

/** Sum a broadcast gradient back to the operand's shape (the adjoint of broadcasting). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
    else if (shape[i - lead] !== g.shape[i]) throw new ShapeError('sumToShape', `${fmtShape(g.shape)} does not broadcast from ${fmtShape(shape)}`);
  }
  const r = axes.length ? reduceSum(g, axes, true) : g;
  return sameShape(r.shape, shape) ? r : reshape(r, shape);
}

export const broadcastOps: readonly AnyOpDef[] = [ReshapeOp, ExpandOp, ReduceSumOp];
