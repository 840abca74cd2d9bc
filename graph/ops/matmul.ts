// MatMul (batched, broadcasting batch dims) and Gemm.
import { AnyOpDef, OpDef, ShapeError, Tensor, apply1, fmtShape } from '../tensor.js';
import { broadcastShapes } from '../shapes.js';
import { mul } from './elementwise.js';
import { sumToShape } from './broadcast.js';
import { transpose } from './shape.js';

function swapLast(t: Tensor): Tensor {
  const perm = t.shape.map((_, i) => i);
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  return transpose(t, perm);
}

const MatMulOp: OpDef<{}> = {
  name: 'MatMul',
  infer([a, b]) {
    if (a.rank < 2 || b.rank < 2) throw new ShapeError('MatMul', `operands must be at least 2-D: ${fmtShape(a.shape)}, ${fmtShape(b.shape)}`);
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) throw new ShapeError('MatMul', `inner dimensions differ: ${fmtShape(a.shape)} x ${fmtShape(b.shape)}`);
    const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [{ dtype: 'float32', shape: [...batch, m, n] }];
  },
  emit(e, i, o) {
    e.node('MatMul', i, o);
  },
  grad({ inputs: [a, b], dOutputs: [dy] }) {
    return [sumToShape(matMul(dy!, swapLast(b)), a.shape), sumToShape(matMul(swapLast(a), dy!), b.shape)];
  },
};

export function matMul(a: Tensor, b: Tensor): Tensor {
  return apply1(MatMulOp, [a, b], {});
}

interface GemmAttrs {
  alpha: number;
  beta: number;
  transA: boolean;
  transB: boolean;
}

const GemmOp: OpDef<GemmAttrs> = {
  name: 'Gemm',
  infer([a, b, c], at) {
    if (a.rank !== 2 || b.rank !== 2) throw new ShapeError('Gemm', `operands must be 2-D: ${fmtShape(a.shape)}, ${fmtShape(b.shape)}`);
    const [m, k] = at.transA ? [a.shape[1], a.shape[0]] : a.shape;
    const [k2, n] = at.transB ? [b.shape[1], b.shape[0]] : b.shape;
    if (k !== k2) throw new ShapeError('Gemm', `inner dimensions differ: ${fmtShape(a.shape)} x ${fmtShape(b.shape)} (transA ${at.transA}, transB ${at.transB})`);
    if (c) broadcastShapes('Gemm', [m, n], c.shape);
    return [{ dtype: 'float32', shape: [m, n] }];
  },
  emit(e, i, o, at) {
    e.node('Gemm', i, o, { alpha: { float: at.alpha }, beta: { float: at.beta }, transA: +at.transA, transB: +at.transB });
  },
  grad({ inputs: [a, b, c], dOutputs: [dy], attrs: at }) {
    const g = (x: Tensor, y: Tensor, transA: boolean, transB: boolean) => gemm(x, y, undefined, { alpha: at.alpha, transA, transB });
    const da = at.transA ? g(b, dy!, at.transB, true) : g(dy!, b, false, !at.transB);
    const db = at.transB ? g(dy!, a, true, at.transA) : g(a, dy!, !at.transA, false);
    return [da, db, c && mul(sumToShape(dy!, c.shape), at.beta)];
  },
};

/** alpha · op(A) · op(B) + beta · C */
export function gemm(a: Tensor, b: Tensor, c?: Tensor, o: Partial<GemmAttrs> = {}): Tensor {
  const attrs: GemmAttrs = { alpha: o.alpha ?? 1, beta: o.beta ?? 1, transA: o.transA ?? false, transB: o.transB ?? false };
  return apply1(GemmOp, c ? [a, b, c] : [a, b], attrs);
}

export const matMulOps: readonly AnyOpDef[] = [MatMulOp, GemmOp];
