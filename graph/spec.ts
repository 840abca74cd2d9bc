// What a generator is (its spec, stored in the file's metadata) and how it trains (training options): plain
// data. What each model kind does with it is its family's (graph/families/).
import { DiversityMode, GanMode } from './losses.js';
import { NormKind } from './models/layers.js';
import { PerceptualSpec } from './perceptual.js';

export type ModelKind = 'pix2pix' | 'crn' | 'crn-multi' | 'latent';
export const MODEL_KINDS: readonly ModelKind[] = ['pix2pix', 'crn', 'crn-multi', 'latent'];

/** The learning rate's schedule: pix2pix's linear decay over the second half, constant, or He et al.'s poly. */
export type LrPolicy = 'linear' | 'constant' | 'poly';
export const LR_POLICIES: readonly LrPolicy[] = ['linear', 'constant', 'poly'];

export interface ClassInfo {
  name: string;
  color: [number, number, number];
  ids?: number[];
}

/**
 * What conditions a generator: one-hot label maps (`labels`), a continuous image such as a normal map
 * (`image`), or landmark points rendered into one Gaussian heat map per point (`landmarks`).
 */
export type InputKind = 'labels' | 'image' | 'landmarks';
export const INPUT_KINDS: readonly InputKind[] = ['labels', 'image', 'landmarks'];

/** A condition other than label maps (graph/condition.ts): its kind, channel count and value range. */
export interface ConditionSpec {
  kind: Exclude<InputKind, 'labels'>;
  /** image: 3 (a normal map's x, y, z); landmarks: K, one heat map per point. */
  channels: number;
  /** Least and greatest value: image [-1, 1]; landmarks [0, 1] (a heat map peaks at 1 on its point). */
  range: [number, number];
  /** landmarks: the Gaussian's standard deviation in pixels at the model's size. */
  sigma?: number;
}

export interface GeneratorSpec {
  model: ModelKind;
  /** The label maps' classes; empty for a model conditioned on something else (condition). */
  classes: ClassInfo[];
  /** What conditions the generator where it is not label maps (absent: one-hot layouts of classes). */
  condition?: ConditionSpec;
  height: number;
  width: number;
  /** Base channel count (ngf for pix2pix). */
  channels: number;
  norm: NormKind;
  /** crn-multi: images per pass (n). */
  images?: number;
  /** latent models: where the code's dropout sits and the training codes. */
  latent?: LatentSpec;
}

/** A latent model's code (He et al.): see graph/models/latent.ts. */
export interface LatentSpec {
  /** n, the training codes (branches). */
  branches: number;
  /** Module index of the split (early); the module count or more: the late split. */
  depth: number;
  dropRate: number;
  sharing: 'shared' | 'separate';
  /** With the per-class noise channel as well (trained with the diversity loss). */
  noise: boolean;
  /** D, the channels at the split. */
  codeDim: number;
  /** The n training codes, row-major [n·D]. */
  codes: number[];
}

export type PassContent = 'each' | 'best';
export const PASS_CONTENTS: readonly PassContent[] = ['each', 'best'];

export interface TrainingOptions {
  diversity: DiversityMode;
  beta: number;
  /**
   * Steps over which β ramps in linearly from 0 (β·min(1, step/N) in train_step, whose step input is the
   * 1-based update count; 0: β from the start). The authors' code ramps β in over the first half of training.
   */
  betaRampSteps: number;
  /** λ per class (bounded diversity). */
  lambda: number[];
  /** The diversity loss's distances on F x F blocks (graph/losses.ts DiversityOptions.pool); 1: pixels. */
  diversityPool: number;
  gan: GanMode;
  l1Weight: number;
  batch: number;
  /** Discriminator base width (ndf). */
  dChannels: number;
  adamBeta1: number;
  adamBeta2: number;
  /**
   * crn, and latent models with noise, trained with a diversity loss: weight of the content loss (latent:
   * the assigned loss) on G(l, n) besides the one on G(l, 0) (default 1). Neither has a discriminator, so
   * without it G(l, n) is tied to the photos by nothing but the diversity bound, and the noisy samples are
   * never trained (figures: docs/design.md, "Quality on the fixture").
   */
  noiseContentWeight: number;
  /**
   * crn with pairwise diversity: how the content loss treats the two noisy passes. each: both, as above;
   * best: as crn-multi's n = 2 images (per class 0.999 · the better pass + 0.001 · the mean), so each pass
   * is pulled to the photo only where it is the closer one and the bound keeps the other apart.
   */
  passContent: PassContent;
  /**
   * crn with a diversity loss: the first noisy pass's noise is, per class, the best of this many random
   * candidates by the class-wise content loss at the current parameters, picked inside the training graph
   * (1: random noise). Each class's knob is then trained where it already comes closest to the photo, as
   * crn-multi's best-of-n trains the image that is closest, so the noise range spreads over the photos' looks
   * instead of their mean.
   */
  noiseSearch: number;
  /** The content loss's feature network (crn, crn-multi; pixels only without one). */
  perceptual: PerceptualSpec;
  /** latent: neighbour targets per input (0: best-of-n only). */
  neighbours: number;
  /** crn-multi's best-of-n loss: Σ_c (minWeight · min over images + meanWeight · mean over images). */
  multiMinWeight: number;
  multiMeanWeight: number;
}

/** The content loss on pixels alone: the last resort without a feature network. */
export const PIXELS_ONLY: PerceptualSpec = { taps: [], pixelWeight: 1, norm: 'none', maxPoolAsAverage: true, description: 'pixels only' };

/** λ_c = 0.3, except 0 for a class named 'void' (Cityscapes' 20th class): no diversity push there. */
export function defaultLambda(classes: ClassInfo[], value = 0.3): number[] {
  return classes.map((c) => (c.name === 'void' ? 0 : value));
}
