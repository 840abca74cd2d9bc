// crn --noise-search K: the first noisy pass's noise picked per class as the best of K random candidates by
// the class-wise content loss at the current parameters, inside the training graph (forward only).
import { Graph, Tensor } from '../tensor.js';
import { castFloat, lessOrEqual, mul, neg, stopGradient } from '../ops/elementwise.js';
import { concat, reshape, slice, transpose } from '../ops/shape.js';
import { reduceMax, reduceSum } from '../ops/reduce.js';
import { matMul } from '../ops/matmul.js';
import { toUnit } from '../losses.js';
import { trainingContext } from '../models/layers.js';
import { classwiseContentLoss } from '../perceptual.js';
import { familyOf, searchesNoise } from '../families/index.js';
import { GeneratorSpec, TrainingOptions } from '../spec.js';
import { Batch, repeatEach } from './batch.js';

/**
 * Candidates go through G together in groups of at most this many pixels, so that the search's activations
 * stay within the training pass's (at 256x512: one candidate at a time; at 64 px: up to 16).
 */
const SEARCH_GROUP_PIXELS = 1 << 16;

/** Rows of the training noise for the first pass: one per sample, or K candidates per sample with a search. */
export function firstPassRows(spec: GeneratorSpec, o: TrainingOptions): number {
  return searchesNoise(spec, o) ? o.batch * o.noiseSearch : o.batch;
}

/**
 * Per sample and class, the candidate [B·K, C] (sample-major) whose image comes closest to the photo by the
 * class-wise content loss (crn-multi's measure), [B, C]; on ties (a class absent from the layout has loss 0
 * for every candidate) the first. Forward only: the candidates go through G in groups and the pick is held
 * out of the gradient. Each class picks on its own, so the assembled noise is not itself one of the images
 * compared: as in crn-multi, where each class's best image is trained, the pick is per class.
 */
export function searchNoise(g: Graph, spec: GeneratorSpec, o: TrainingOptions, batch: Batch, candidates: Tensor): Tensor {
  const family = familyOf(spec);
  // the searching family has neither dropout nor batch norm, so the search's passes declare no masks and update no statistics
  if (!family.searchesNoise) throw new Error(`the noise search is crn's, not ${spec.model}'s`);
  const [b, k, c] = [o.batch, o.noiseSearch, spec.classes.length];
  const perSample = reshape(candidates, [b, k, c]);
  const group = Math.max(1, Math.min(k, Math.floor(SEARCH_GROUP_PIXELS / (b * spec.height * spec.width))));
  const losses: Tensor[] = [];
  for (let j = 0; j < k; j += group) {
    const m = Math.min(group, k - j);
    const noise = reshape(slice(perSample, [1], [j], [j + m]), [b * m, c]);
    const fakes = family.generator(trainingContext(g, spec.norm, b * m), spec, { layout: repeatEach(batch.layout, m), noise });
    losses.push(reshape(classwiseContentLoss(o.perceptual, toUnit(fakes), batch.image, batch.layout), [b, m, c]));
  }
  // [B, C, K]: each class's losses over the candidates, and which of them are lowest
  const all = transpose(stopGradient(losses.length > 1 ? concat(losses, 1) : losses[0]), [0, 2, 1]);
  const isLowest = castFloat(lessOrEqual(all, neg(reduceMax(neg(all), [2], true))));
  // the first lowest: those with no lowest before them (a running count by a triangular matrix of ones)
  const upTo = g.constant(
    Float32Array.from({ length: k * k }, (_, x) => (Math.floor(x / k) <= x % k ? 1 : 0)),
    [k, k],
  );
  const first = mul(isLowest, castFloat(lessOrEqual(matMul(isLowest, upTo), 1)));
  return stopGradient(reduceSum(mul(first, transpose(perSample, [0, 2, 1])), [2]));
}
