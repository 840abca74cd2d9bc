// Reductions (ReduceSum, ReduceMean, ReduceMax), Expand, and sumToShape for broadcasting gradients.
import { Dim, OpDef, Shape, ShapeError, Tensor, apply1, fmtShape, staticSize } from '../tensor.js';
import { normAxis, sameShape } from '../shapes.js';
import { div, equal, where } from './elementwise.js';
import { reshape } from './shape.js';

interface ReduceAttrs {
  axes: number[];
  keepdims: boolean;
}

function reducedShape(op: string, shape: Shape, axes: number[], keepdims: boolean): Dim[] {
  const set = new Set(axes.map((a) => normAxis(op, a, shape.length)));
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** Broadcast a reduced gradient back over the reduced axes. */
function spreadBack(x: Tensor, dy: Tensor, a: ReduceAttrs): Tensor {
  const keep = reducedShape('spread', x.shape, a.axes, true);
  return expand(a.keepdims ? dy : reshape(dy, keep), x.shape);
}

function reduceDef(
  name: string,
  emit: OpDef<ReduceAttrs>['emit'],
  grad: (x: Tensor, y: Tensor, dy: Tensor, a: ReduceAttrs) => Tensor,
): OpDef<ReduceAttrs> {
  return {
    name,
    infer([x], a) {
      return [{ dtype: x.dtype, shape: reducedShape(name, x.shape, a.axes, a.keepdims) }];
    },
    emit,
    grad: ({ inputs: [x], outputs: [y], dOutputs: [dy], attrs }) => [grad(x, y, dy!, attrs)],
  };
}

const ReduceSumOp = reduceDef(
  'ReduceSum',
  (e, [x], o, a) => e.node('ReduceSum', [x, e.int64(a.axes)], o, { keepdims: a.keepdims ? 1 : 0 }),
  (x, _y, dy, a) => spreadBack(x, dy, a),
);
const ReduceMeanOp = reduceDef(
  'ReduceMean',
  (e, i, o, a) => e.node('ReduceMean', i, o, { axes: a.axes, keepdims: a.keepdims ? 1 : 0 }),
  (x, _y, dy, a) => {
    const count = a.axes.reduce((n, ax) => n * (x.shape[normAxis('ReduceMean', ax, x.rank)] as number), 1);
    return spreadBack(x, div(dy, count), a);
  },
);
const ReduceMaxOp = reduceDef(
  'ReduceMax',
  (e, i, o, a) => e.node('ReduceMax', i, o, { axes: a.axes, keepdims: a.keepdims ? 1 : 0 }),
  (x, y, dy, a) => {
    const yFull = spreadBack(x, y, a);
    return where(equal(x, yFull), spreadBack(x, dy, a), 0);
  },
);

function reduce(op: OpDef<ReduceAttrs>, x: Tensor, axes: number[] | undefined, keepdims: boolean): Tensor {
  const all = axes ?? x.shape.map((_, i) => i);
  if (op !== ReduceSumOp) for (const a of all) staticAxis(op.name, x, a);
  return apply1(op, [x], { axes: all.map((a) => normAxis(op.name, a, x.rank)), keepdims });
}

function staticAxis(op: string, x: Tensor, a: number): void {
  if (typeof x.shape[normAxis(op, a, x.rank)] !== 'number')
    throw new ShapeError(op, `cannot reduce the symbolic axis ${a} of ${fmtShape(x.shape)}`);
}

export const reduceSum = (x: Tensor, axes?: number[], keepdims = false) => reduce(ReduceSumOp, x, axes, keepdims);
export const reduceMean = (x: Tensor, axes?: number[], keepdims = false) => reduce(ReduceMeanOp, x, axes, keepdims);
export const reduceMax = (x: Tensor, axes?: number[], keepdims = false) => reduce(ReduceMaxOp, x, axes, keepdims);
export const mean = (x: Tensor) => reduceMean(x, undefined, false);
export const sum = (x: Tensor) => reduceSum(x, undefined, false);

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

/** Sum a broadcast gradient back to the operand's shape (the adjoint of broadcasting). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
    else if (shape[i - lead] !== g.shape[i])
      throw new ShapeError('sumToShape', `${fmtShape(g.shape)} does not broadcast from ${fmtShape(shape)}`);
  }
  const r = axes.length ? reduceSum(g, axes, true) : g;
  return sameShape(r.shape, shape) ? r : reshape(r, shape);
}

