// crn --noise-search K: the candidates drawn for a step and the host's pick of each class's best one.
import { Rng } from '../graph/random.js';

/** K candidate noises per sample, U[-1, 1]^C, sample-major [B·K, C]: depends on (seed, step) only. */
export function searchCandidates(seed: number, step: number, batch: number, k: number, classes: number): Float32Array {
  return new Rng(seed, `noise-search:${step}`).fillUniform(new Float32Array(batch * k * classes), -1, 1);
}

/**
 * Per sample and class, the candidate's value whose class-wise loss is lowest (the first on ties, so a class
 * absent from the layout, where every loss is 0, takes the first candidate's random value): [B, C].
 * candidates [B·K, C], losses [B, K, C].
 */
export function bestNoisePerClass(candidates: Float32Array, losses: Float32Array, batch: number, k: number, classes: number): Float32Array {
  if (candidates.length !== batch * k * classes || losses.length !== batch * k * classes)
    throw new Error(`noise search: ${candidates.length} candidate values and ${losses.length} losses for ${batch}x${k}x${classes}`);
  const out = new Float32Array(batch * classes);
  for (let i = 0; i < batch; i++) {
    for (let c = 0; c < classes; c++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (losses[(i * k + j) * classes + c] < losses[(i * k + best) * classes + c]) best = j;
      out[i * classes + c] = candidates[(i * k + best) * classes + c];
    }
  }
  return out;
}
