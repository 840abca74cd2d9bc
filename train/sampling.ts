// Host-side randomness of training steps besides the noise (common/variation.ts): dropout masks, drawn
// from streams named by step and site so that a resumed run draws what the uninterrupted run would have
// drawn; and the learning-rate schedule.
import { Rng } from '../graph/random.js';
import { MaskSite } from '../graph/models/layers.js';

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

/** pix2pix's 'linear' policy: constant for the first half of training, then linear decay towards 0. */
export function linearDecayLr(base: number, step: number, total: number): number {
  const decayFrom = Math.floor(total / 2);
  if (step < decayFrom) return base;
  return base * Math.max(0, (total - step) / (total - decayFrom + 1));
}
