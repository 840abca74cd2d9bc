// Shape arithmetic shared by the ops: broadcasting, reduction, axis normalisation.
import { Dim, Shape, ShapeError, fmtShape } from './tensor.js';

/** numpy/ONNX multidirectional broadcasting; a symbolic dim matches itself or 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new ShapeError(op, `cannot broadcast ${fmtShape(a)} with ${fmtShape(b)}`);
  }
  return out;
}

export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(op, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** The shape left after reducing axes: dropped, or kept as 1. */
export function reducedShape(op: string, shape: Shape, axes: number[], keepdims: boolean): Dim[] {
  const set = new Set(axes.map((a) => normAxis(op, a, shape.length)));
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function num(op: string, d: Dim): number {
  if (typeof d !== 'number') throw new ShapeError(op, `needs a static dimension, got '${d}'`);
  return d;
}
