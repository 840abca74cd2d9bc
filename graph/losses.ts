// Losses: GAN objectives, L1, and the diversity losses of Yang, Liu and Cai.
import { Tensor } from './tensor.js';
import { abs, add, div, greater, max, mul, neg, relu, softplus, sub, castFloat } from './ops/elementwise.js';
import { mean, reduceMean, reduceSum } from './ops/reduce.js';
import { reshape } from './ops/shape.js';
import { matMul } from './ops/matmul.js';
import { averagePool } from './ops/pool.js';

export type GanMode = 'vanilla' | 'lsgan';
export const GAN_MODES: readonly GanMode[] = ['vanilla', 'lsgan'];

/** Discriminator loss for logits that should read real (true) or fake (false), averaged. */
export function ganLoss(logits: Tensor, real: boolean, mode: GanMode): Tensor {
  if (mode === 'lsgan') {
    const d = real ? sub(logits, 1) : logits;
    return mean(mul(d, d));
  }
  // BCE with logits, stably: -log σ(x) = softplus(-x), -log(1 - σ(x)) = softplus(x)
  return mean(softplus(real ? neg(logits) : logits));
}

/** [-1, 1] to [0, 1], unclipped (losses need the gradient everywhere). */
export const toUnit = (y: Tensor) => mul(add(y, 1), 0.5);

export function l1Loss(a: Tensor, b: Tensor): Tensor {
  return mean(abs(sub(a, b)));
}

/**
 * none, the paper's three (global eq. 4, segment eq. 6, bounded eq. 7), and pairwise: eq. 7 between two
 * noisy passes G(l, n1), G(l, n2), weighted by |n1^c - n2^c| (eq. 7 is its case n2 = 0).
 */
export type DiversityMode = 'none' | 'global' | 'segment' | 'bounded' | 'pairwise';
export const DIVERSITY_MODES: readonly DiversityMode[] = ['none', 'global', 'segment', 'bounded', 'pairwise'];

/**
 * Class-wise L1 between two images: for each sample and class, the mean over the class's pixels of the
 * mean |a - b| over RGB. a, b [N,3,H,W]; layout one-hot [N,C,H,W] (or soft: pixels weighted by it). Returns the distances [N,C] and
 * which classes are present [N,C] (1 or 0).
 */
export function classwiseL1(layout: Tensor, a: Tensor, b: Tensor): { distance: Tensor; present: Tensor } {
  const [n, c, h, w] = layout.shape as number[];
  const diff = reshape(reduceMean(abs(sub(a, b)), [1], false), [n, h * w, 1]);
  const perClassSum = reshape(matMulLayout(layout, diff), [n, c]);
  const area = reduceSum(layout, [2, 3], false);
  // absent classes: 0 / tiny = 0 (and not counted); a soft (pooled) layout's areas may be below 1
  const distance = div(perClassSum, max(area, 1e-6));
  return { distance, present: castFloat(greater(area, 0)) };
}

// [N,C,H,W] x [N,HW,1] -> [N,C,1]: Σ over the class's pixels as one batched MatMul.
function matMulLayout(layout: Tensor, column: Tensor): Tensor {
  const [n, c, h, w] = layout.shape as number[];
  return matMul(reshape(layout, [n, c, h * w]), column);
}

export interface DiversityOptions {
  mode: DiversityMode;
  /** Bound λ_c per class (bounded mode); length C. */
  lambda: number[];
  /**
   * Distances measured on the images and layout average-pooled over F x F blocks (1: pixels). A bound on
   * pixels can be met by fine texture that a content loss barely sees; on blocks only a change of colour
   * or shape meets it.
   */
  pool?: number;
}

/**
 * Diversity loss between two images of one layout, a = G(l, n2) and b = G(l, n1), on [-1, 1], where
 * noise = n1 - n2 [N, C] (the paper's case: a = G(l, 0), b = G(l, n), noise = n):
 * - global (eq. 4): -mean|n| · mean|a - b|, the whole image pushed by the whole noise;
 * - segment (eq. 6): -Σ_c |n^c| · ‖a - b‖₁^c over present classes, unbounded;
 * - bounded and pairwise (eq. 7): Σ_c |n^c| · max(0, λ_c - ‖a - b‖₁^c) over present classes.
 * Averaged over the batch.
 */
export function diversityLoss(layout: Tensor, noise: Tensor, a: Tensor, b: Tensor, o: DiversityOptions): Tensor {
  const f = o.pool ?? 1;
  if (f > 1) [layout, a, b] = [averagePool(layout, f), averagePool(a, f), averagePool(b, f)];
  const g = layout.graph;
  const c = layout.shape[1] as number;
  const weight = abs(noise);
  if (o.mode === 'global') return neg(mul(mean(weight), mean(abs(sub(a, b)))));
  const { distance, present } = classwiseL1(layout, a, b);
  if (o.mode === 'segment') return neg(mean(reduceSum(mul(mul(weight, distance), present), [1], false)));
  if (o.lambda.length !== c) throw new Error(`diversity bound: ${o.lambda.length} values of lambda for ${c} classes`);
  const lambda = g.constant(Float32Array.from(o.lambda), [1, c]);
  const shortfall = relu(sub(lambda, distance));
  return mean(reduceSum(mul(mul(weight, shortfall), present), [1], false));
}
