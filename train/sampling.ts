// Host-side randomness that enters the graphs: training noise, dropout masks, sampling noise.
// Each draw has its own stream named by what it is for, so results depend only on (seed, purpose, index):
// a resumed run draws what the uninterrupted run would have drawn.
import { Rng } from '../graph/random.js';
import { MaskSite } from '../graph/models/layers.js';
import { GeneratorSpec, variationInputs } from '../graph/spec.js';

/** n ~ U[-1, 1]^C for each sample of a training step: [batch, C]. */
export function trainingNoise(seed: number, step: number, batch: number, classes: number): Float32Array {
  return new Rng(seed, `noise:${step}`).fillUniform(new Float32Array(batch * classes), -1, 1);
}

/** Dropout masks of a training step: 0 or 1/(1-p) per element, p = 0.5 as pix2pix. */
export function dropoutMasks(seed: number, step: number, sites: MaskSite[], p = 0.5): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const keep = 1 / (1 - p);
  for (const s of sites) {
    const rng = new Rng(seed, `mask:${step}:${s.name}`);
    const m = new Float32Array(s.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < p ? 0 : keep;
    out.set(s.name, m);
  }
  return out;
}

/** Per-class noise for sample k of a layout: depends on (seed, layout stem, k) only. */
export function sampleNoise(seed: number, stem: string, k: number, classes: number): Float32Array {
  return new Rng(seed, `sample:${stem}:${k}`).fillUniform(new Float32Array(classes), -1, 1);
}

/** pix2pix's 'linear' policy: constant for the first half of training, then linear decay towards 0. */
export function linearDecayLr(base: number, step: number, total: number): number {
  const decayFrom = Math.floor(total / 2);
  if (step < decayFrom) return base;
  return base * Math.max(0, (total - step) / (total - decayFrom + 1));
}

/**
 * Sample k's variation vector (graph/spec.ts variationInputs: noise, then code) for a layout: noise as
 * sampleNoise; crn-multi's code picks image k mod n, so K = n samples show each of its images once.
 */
export function sampleVariation(spec: GeneratorSpec, seed: number, stem: string, k: number): Float32Array {
  const parts = variationInputs(spec);
  const out = new Float32Array(parts.reduce((s, p) => s + p.dim, 0));
  let offset = 0;
  for (const p of parts) {
    if (p.name === 'noise') out.set(sampleNoise(seed, stem, k, p.dim), offset);
    else out[offset + (k % p.dim)] = 1;
    offset += p.dim;
  }
  return out;
}

/** The deterministic sample: zero noise (G(l, 0)); crn-multi's first image. */
export function zeroVariation(spec: GeneratorSpec): Float32Array {
  const parts = variationInputs(spec);
  const out = new Float32Array(parts.reduce((s, p) => s + p.dim, 0));
  let offset = 0;
  for (const p of parts) {
    if (p.name === 'code') out[offset] = 1;
    offset += p.dim;
  }
  return out;
}
