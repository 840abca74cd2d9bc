// The per-class noise input as the families declare and use it.
import { Tensor } from '../tensor.js';
import { GeneratorSpec } from '../spec.js';
import type { GeneratorInputs } from '../programs/batch.js';
import { VariationInput } from './family.js';

/** The variation inputs of a family driven by per-class noise alone. */
export const noiseOnly = (spec: GeneratorSpec): VariationInput[] => [perClassNoise(spec)];

/** Per-class noise [N, C] in [-1, 1], column c for class c. */
export const perClassNoise = (spec: GeneratorSpec): VariationInput => ({ name: 'noise', dim: spec.classes.length, values: 'uniform', range: [-1, 1], axis: 'class' });

export function needNoise(spec: GeneratorSpec, x: GeneratorInputs): Tensor {
  if (!x.noise) throw new Error(`the ${spec.model} generator takes per-class noise`);
  return x.noise;
}
