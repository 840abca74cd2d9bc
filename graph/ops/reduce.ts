// Reductions: ReduceMean and ReduceMax here, ReduceSum (with Expand and sumToShape, which broadcasting
// gradients need) in broadcast.ts, re-exported so that callers find every reduction in one place.
import { AnyOpDef, OpDef, ShapeError, Tensor, apply1, fmtShape } from '../tensor.js';
import { normAxis, reducedShape } from '../shapes.js';
import { ReduceAttrs, reduceSum, spreadBack } from './broadcast.js';
import { castFloat, div, equal, mul } from './elementwise.js';

export { expand, reduceSum, sum, sumToShape } from './broadcast.js';

function reduceDef(name: string, emit: OpDef<ReduceAttrs>['emit'], grad: (x: Tensor, y: Tensor, dy: Tensor, a: ReduceAttrs) => Tensor): OpDef<ReduceAttrs> {
  return {
    name,
    infer([x], a) {
      return [{ dtype: x.dtype, shape: reducedShape(name, x.shape, a.axes, a.keepdims) }];
    },
    emit,
    grad: ({ inputs: [x], outputs: [y], dOutputs: [dy], attrs }) => [grad(x, y, dy!, attrs)],
  };
}

const ReduceMeanOp = reduceDef(
  'ReduceMean',
  (e, i, o, a) => e.node('ReduceMean', i, o, { axes: a.axes, keepdims: a.keepdims ? 1 : 0 }),
  (x, _y, dy, a) => {
    const count = a.axes.reduce((n, ax) => n * (x.shape[normAxis('ReduceMean', ax, x.rank)] as number), 1);
    return spreadBack(x, div(dy, count), a);
  },
);
/** Tied maxima share the gradient equally: each of k gets dy / k (as PyTorch's amax and tinygrad). */
const ReduceMaxOp = reduceDef(
  'ReduceMax',
  (e, i, o, a) => e.node('ReduceMax', i, o, { axes: a.axes, keepdims: a.keepdims ? 1 : 0 }),
  (x, y, dy, a) => {
    const isMax = castFloat(equal(x, spreadBack(x, y, a)));
    const ties = reduceSum(isMax, a.axes, a.keepdims);
    return mul(isMax, spreadBack(x, div(dy, ties), a));
  },
);

/** Mean and max need every reduced axis static (a count to divide by, an extent to search). */
function reduceStatic(op: OpDef<ReduceAttrs>, x: Tensor, axes: number[] | undefined, keepdims: boolean): Tensor {
  const all = (axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(op.name, a, x.rank));
  for (const a of all) {
    if (typeof x.shape[a] !== 'number') throw new ShapeError(op.name, `cannot reduce the symbolic axis ${a} of ${fmtShape(x.shape)}`);
  }
  return apply1(op, [x], { axes: all, keepdims });
}

export const reduceMean = (x: Tensor, axes?: number[], keepdims = false) => reduceStatic(ReduceMeanOp, x, axes, keepdims);
export const reduceMax = (x: Tensor, axes?: number[], keepdims = false) => reduceStatic(ReduceMaxOp, x, axes, keepdims);
export const mean = (x: Tensor) => reduceMean(x, undefined, false);

export const reduceOps: readonly AnyOpDef[] = [ReduceMeanOp, ReduceMaxOp];
