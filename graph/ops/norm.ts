// Normalisation: InstanceNormalization and LayerNormalization as ONNX ops with analytic gradients, and
// batch normalisation built from ReduceMean/Sub/Mul (onnxruntime's CUDA EP rejects training-mode
// BatchNormalization), whose gradient autodiff derives.
import { OpDef, ShapeError, Tensor, apply1, fmtShape } from '../tensor.js';
import { add, div, mul, sqrt, sub } from './elementwise.js';
import { reduceMean, reduceSum, sumToShape } from './reduce.js';
import { reshape } from './shape.js';

/**
 * x normalised over axes to zero mean and unit variance, from primitives (autodiff derives the gradient):
 * layer norm without the elementwise affine, whose [C, H, W]-sized scale and shift constants a network
 * with its own per-channel affine would otherwise carry.
 */
export function normalizeOver(x: Tensor, axes: number[], eps = 1e-5): Tensor {
  return standardise(x, axes, eps).xhat;
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
