// What a generator is (its spec, stored in the file's metadata) and how it trains (training options).
import { DiversityMode, GanMode } from './losses.js';
import { NormKind } from './models/layers.js';

export type ModelKind = 'pix2pix' | 'crn' | 'crn-multi' | 'latent';
export const MODEL_KINDS: readonly ModelKind[] = ['pix2pix', 'crn', 'crn-multi', 'latent'];

export interface ClassInfo {
  name: string;
  color: [number, number, number];
  ids?: number[];
}

export interface GeneratorSpec {
  model: ModelKind;
  classes: ClassInfo[];
  height: number;
  width: number;
  /** Base channel count (ngf for pix2pix). */
  channels: number;
  norm: NormKind;
}

export interface TrainingOptions {
  diversity: DiversityMode;
  beta: number;
  /** λ per class (bounded diversity). */
  lambda: number[];
  gan: GanMode;
  l1Weight: number;
  batch: number;
  /** Discriminator base width (ndf). */
  dChannels: number;
  adamBeta1: number;
  adamBeta2: number;
}

/** λ_c = 0.3, except 0 for a class named 'void' (Cityscapes' 20th class): no diversity push there. */
export function defaultLambda(classes: ClassInfo[], value = 0.3): number[] {
  return classes.map((c) => (c.name === 'void' ? 0 : value));
}

export function defaultTrainingOptions(spec: GeneratorSpec, o: Partial<TrainingOptions> = {}): TrainingOptions {
  return {
    diversity: o.diversity ?? 'bounded',
    beta: o.beta ?? 0.1,
    lambda: o.lambda ?? defaultLambda(spec.classes),
    gan: o.gan ?? 'vanilla',
    l1Weight: o.l1Weight ?? 100,
    batch: o.batch ?? 1,
    dChannels: o.dChannels ?? spec.channels,
    adamBeta1: o.adamBeta1 ?? 0.5,
    adamBeta2: o.adamBeta2 ?? 0.999,
  };
}
