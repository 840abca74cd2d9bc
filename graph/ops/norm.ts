// Normalisation: InstanceNormalization and LayerNormalization as ONNX ops with analytic gradients,
// normalisation over chosen axes without an affine (CRN's layer norm) as one op with its own gradient, and
// batch normalisation built from ReduceMean/Sub/Mul (onnxruntime's CUDA EP rejects training-mode
// BatchNormalization), whose gradient autodiff derives.
import { Emitter, AnyOpDef, OpDef, ShapeError, Tensor, apply1, fmtShape } from '../tensor.js';
import { add, div, mul, sqrt, sub } from './elementwise.js';
import { reduceSum, reshape, sumToShape } from './broadcast.js';
import { reduceMean } from './reduce.js';

const NormalizeOverOp: OpDef<{ axes: number[]; eps: number; batchInvariant?: number }> = {
  name: 'NormalizeOver',
  infer([x], a) {
    if (a.axes.some((ax, i) => !Number.isInteger(ax) || ax < 0 || ax >= x.rank || a.axes.indexOf(ax) !== i)) throw new ShapeError('NormalizeOver', `axes [${a.axes}] for input ${fmtShape(x.shape)}`);
    return [
      { dtype: 'float32', shape: x.shape },
      { dtype: 'float32', shape: x.shape.map((d, i) => (a.axes.includes(i) ? 1 : d)) },
    ];
  },
  // (x − μ)·(1/σ) and 1/σ, the means taken in two stages (see meanOver)
  emit(e, [x], [y, invStd], a) {
    const mean = e.fresh('mean');
    const centred = e.fresh('centred');
    const squared = e.fresh('squared');
    const variance = e.fresh('variance');
    const varEps = e.fresh('var_eps');
    const std = e.fresh('std');
    emitMeanOver(e, x, mean, a.axes, a.batchInvariant);
    e.node('Sub', [x, mean], [centred]);
    e.node('Mul', [centred, centred], [squared]);
    emitMeanOver(e, squared, variance, a.axes, a.batchInvariant);
    e.node('Add', [variance, e.float([a.eps])], [varEps]);
    e.node('Sqrt', [varEps], [std]);
    e.node('Reciprocal', [std], [invStd]);
    e.node('Mul', [centred, invStd], [y]);
  },
  grad({ outputs: [y, invStd], dOutputs: [dy, dInvStd], attrs: { axes } }) {
    if (dInvStd) throw new Error('NormalizeOver: its 1/σ output is for the gradient only; no gradient flows from it');
    // the layer-norm VJP from the output and 1/σ alone: x itself is not kept for the backward pass
    const inner = sub(sub(dy!, meanOver(dy!, axes)), mul(y, meanOver(mul(dy!, y), axes)));
    return [mul(invStd, inner)];
  },
};

/**
 * The mean over axes (kept), in two stages where there are several: over all but the first, then over
 * the first. One float32 pass over a large CRN layer loses precision in onnxruntime; per channel first,
 * then over channels, keeps it (docs/design.md#numerics).
 */
function meanOver(t: Tensor, axes: number[]): Tensor {
  return axes.length < 2 ? reduceMean(t, axes, true) : reduceMean(reduceMean(t, axes.slice(1), true), axes.slice(0, 1), true);
}

/**
 * batchInvariant (the extent of the first axis, of axes [1, ..., rank - 1]): the second stage as a MatMul
 * with ones and a Div. onnxruntime's ReduceMean sums a single output (a batch of one) in another order
 * than several, so a sample's last bits would depend on its batch; its MatMul sums each row alike at any
 * number of rows (test/batch-invariance.test.ts).
 */
function emitMeanOver(e: Emitter, input: string, output: string, axes: number[], batchInvariant?: number): void {
  if (axes.length < 2) return e.node('ReduceMean', [input], [output], { axes, keepdims: 1 });
  const partial = e.fresh('partial_mean');
  e.node('ReduceMean', [input], [partial], { axes: axes.slice(1), keepdims: 1 });
  if (!batchInvariant) return e.node('ReduceMean', [partial], [output], { axes: axes.slice(0, 1), keepdims: 1 });
  const rows = e.fresh('partial_rows');
  const sums = e.fresh('sums');
  const means = e.fresh('means');
  e.node('Reshape', [partial, e.int64([0, -1])], [rows]);
  e.node('MatMul', [rows, e.float(new Array<number>(batchInvariant).fill(1), [batchInvariant, 1])], [sums]);
  e.node('Div', [sums, e.float([batchInvariant])], [means]);
  e.node('Reshape', [means, e.int64([0, ...axes.map(() => 1)])], [output]);
}

/**
 * x normalised over axes to zero mean and unit variance: layer norm without the elementwise affine, whose
 * [C, H, W]-sized scale and shift constants a network with its own per-channel affine would otherwise
 * carry. One op whose gradient needs only its output and the per-sample 1/σ, so the backward pass keeps
 * one full-size tensor (the output, which a following affine keeps anyway) where the same built from
 * primitives keeps the centred input too. batchInvariant (over all axes but the batch's): each sample's
 * values the same bits whatever its batch (emitMeanOver), as inference graphs need.
 */
export function normalizeOver(x: Tensor, axes: number[], eps = 1e-5, o: { batchInvariant?: boolean } = {}): Tensor {
  const norm = [...new Set(axes.map((ax) => (ax < 0 ? ax + x.rank : ax)))].sort((p, q) => p - q);
  const invariant = o.batchInvariant && norm.length >= 2 && norm[0] === 1 && norm.every((ax, i) => ax === i + 1) && norm.length === x.rank - 1;
  return x.graph.apply(NormalizeOverOp, [x], { axes: norm, eps, ...(invariant ? { batchInvariant: x.shape[1] as number } : {}) })[0];
}

/** x normalised over axes: its centred values and 1/σ, kept broadcastable. */
function standardise(x: Tensor, axes: number[], eps: number) {
  const centred = sub(x, reduceMean(x, axes, true));
  const invStd = div(1, sqrt(add(reduceMean(mul(centred, centred), axes, true), eps)));
  return { xhat: mul(centred, invStd), invStd };
}

/** dL/dx for xhat = standardise(x) given dL/dxhat. */
function standardiseGrad(x: Tensor, dxhat: Tensor, axes: number[], eps: number): { dx: Tensor; xhat: Tensor } {
  const { xhat, invStd } = standardise(x, axes, eps);
  const inner = sub(sub(dxhat, reduceMean(dxhat, axes, true)), mul(xhat, reduceMean(mul(dxhat, xhat), axes, true)));
  return { dx: mul(invStd, inner), xhat };
}

const InstanceNormOp: OpDef<{ eps: number }> = {
  name: 'InstanceNormalization',
  infer([x, scale, bias]) {
    const c = x.shape[1];
    if (x.rank < 3 || scale.rank !== 1 || bias.rank !== 1 || scale.shape[0] !== c || bias.shape[0] !== c)
      throw new ShapeError('InstanceNormalization', `input ${fmtShape(x.shape)}, scale ${fmtShape(scale.shape)} and bias ${fmtShape(bias.shape)} disagree on channels`);
    return [{ dtype: 'float32', shape: x.shape }];
  },
  emit(e, i, o, a) {
    e.node('InstanceNormalization', i, o, { epsilon: { float: a.eps } });
  },
  grad({ inputs: [x, scale], dOutputs: [dy], attrs }) {
    const axes = x.shape.slice(2).map((_, i) => i + 2);
    const perChannel = [1, x.shape[1], ...axes.map(() => 1)];
    const { dx, xhat } = standardiseGrad(x, mul(dy!, reshape(scale, perChannel)), axes, attrs.eps);
    const all = [0, ...axes];
    return [dx, reduceSum(mul(dy!, xhat), all), reduceSum(dy!, all)];
  },
};

/** Affine instance normalisation (per sample and channel, over space). */
export function instanceNorm(x: Tensor, scale: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  return apply1(InstanceNormOp, [x, scale, bias], { eps });
}

const LayerNormOp: OpDef<{ axis: number; eps: number }> = {
  name: 'LayerNormalization',
  infer([x, scale, bias], a) {
    const tail = x.shape.slice(a.axis);
    const fits = (t: Tensor) => t.rank === tail.length && t.shape.every((d, i) => d === tail[i]);
    if (!fits(scale) || !fits(bias))
      throw new ShapeError('LayerNormalization', `scale ${fmtShape(scale.shape)} and bias ${fmtShape(bias.shape)} must be ${fmtShape(tail)} for input ${fmtShape(x.shape)}`);
    return [{ dtype: 'float32', shape: x.shape }];
  },
  emit(e, i, o, a) {
    e.node('LayerNormalization', i, o, { axis: a.axis, epsilon: { float: a.eps } });
  },
  grad({ inputs: [x, scale, bias], dOutputs: [dy], attrs }) {
    const axes = x.shape.slice(attrs.axis).map((_, i) => i + attrs.axis);
    const { dx, xhat } = standardiseGrad(x, mul(dy!, scale), axes, attrs.eps);
    return [dx, sumToShape(mul(dy!, xhat), scale.shape), sumToShape(dy!, bias.shape)];
  },
};

/** Layer normalisation over the axes from `axis` on, with elementwise scale and bias of that shape. */
export function layerNorm(x: Tensor, scale: Tensor, bias: Tensor, axis = 1, eps = 1e-5): Tensor {
  return apply1(LayerNormOp, [x, scale, bias], { axis: axis < 0 ? axis + x.rank : axis, eps });
}

/**
 * Batch normalisation with the batch's own statistics (training mode), from primitives.
 * Returns the batch mean and (biased) variance per channel for running-statistics updates.
 */
export function batchNormTrain(x: Tensor, scale: Tensor, bias: Tensor, eps = 1e-5) {
  const axes = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
  const perChannel = [1, x.shape[1], ...axes.slice(1).map(() => 1)];
  const mean = reduceMean(x, axes, true);
  const centred = sub(x, mean);
  const variance = reduceMean(mul(centred, centred), axes, true);
  const y = add(mul(div(centred, sqrt(add(variance, eps))), reshape(scale, perChannel)), reshape(bias, perChannel));
  const c = [x.shape[1] as number];
  return { y, mean: reshape(mean, c), variance: reshape(variance, c) };
}

/** Batch normalisation with fixed (running) statistics: inference mode, also from primitives. */
export function batchNormInfer(x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, eps = 1e-5): Tensor {
  const perChannel = [1, x.shape[1], ...x.shape.slice(2).map(() => 1)];
  const k = div(scale, sqrt(add(variance, eps)));
  return add(mul(x, reshape(k, perChannel)), reshape(sub(bias, mul(mean, k)), perChannel));
}

export const normOps: readonly AnyOpDef[] = [NormalizeOverOp, InstanceNormOp, LayerNormOp];
