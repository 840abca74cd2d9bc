// The values the training programs pass between their parts (the batch's inputs, the forward pass, the
// objective's terms) and the small reshapes they share. Types and pure helpers only, so that the family
// modules and the programs can both use them.
import { Tensor } from '../tensor.js';
import { concat, reshape, transpose } from '../ops/shape.js';
import { BufferUpdate, MaskSite } from '../models/layers.js';

export interface GeneratorInputs {
  /** One-hot layouts [N, C, H, W]. */
  layout: Tensor;
  /** Per-class noise [N, C] (models that take it). */
  noise?: Tensor;
  /** Latent code [N, D] (latent models); crn-multi: a one-hot choice of image [N, n]. */
  code?: Tensor;
}

export interface Batch {
  layout: Tensor;
  image: Tensor;
  noise?: Tensor;
  /** latent: the training codes, one per branch of each sample [B·n, D]. */
  code?: Tensor;
  /** latent with neighbours: their photos [B·k, 3, H, W]. */
  neighbours?: Tensor;
  /** latent: which branch learns which target [B, n, 1 + k], from the host's assignment. */
  assignment?: Tensor;
}

export interface Forward {
  /** G's batch: the layouts it saw (twice with the diversity loss) and its fakes, in [-1, 1]. */
  layouts: Tensor;
  fakes: Tensor;
  /**
   * The zero-noise pass G(l, 0) (or the only pass), in [-1, 1]; with pairwise diversity the second noisy
   * pass G(l, n2), which takes G(l, 0)'s place in every loss.
   */
  fakeZero: Tensor;
  /** The noisy pass G(l, n) (pairwise: G(l, n1)), where there is a diversity loss. */
  fakeNoise?: Tensor;
  real: Tensor;
  divLoss?: Tensor;
  masks: MaskSite[];
  maskInputs: Tensor[];
  /** New running statistics of the generator's batch-norm layers. */
  bufferUpdates: BufferUpdate[];
}

/** The generator's loss terms (named as loss.G_<name> in train_step) and their weighted total. */
export interface Objective {
  total: Tensor;
  terms: [string, Tensor][];
}

/** Each sample of t [B, ...] repeated n times in a row: [B·n, ...] (sample-major, as the branches run). */
export function repeatEach(t: Tensor, n: number): Tensor {
  if (n === 1) return t;
  const [b, ...rest] = t.shape as number[];
  const one = reshape(t, [b, 1, ...rest]);
  return reshape(concat(new Array(n).fill(one), 1), [b * n, ...rest]);
}

/**
 * The two passes' fakes, pass-major [G(l, n)…, G(l, 0)…] as the generator ran them, regrouped by sample
 * [2·B·k, ...] (each sample's k images of the first pass, then its k of the second), as the content losses
 * take each sample's fakes together.
 */
export function passesTogether(fakes: Tensor, b: number): Tensor {
  const shape = fakes.shape as number[];
  const perSample = shape.reduce((a, d) => a * d, 1) / (2 * b);
  return reshape(transpose(reshape(fakes, [2, b, perSample]), [1, 0, 2]), shape);
}
