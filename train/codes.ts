// Latent drop-out codes (He, Schiele, Fritz, ECCV 2018): a code z in [0,1]^D keeps channel c of the
// features at the split iff z_c > r. Codes are drawn on the host from the seed and enter graphs as inputs,
// so training codes, new codes (common/variation.ts newCodes) and interpolations all run through the same
// graph.
import { Rng } from '../graph/random.js';

// the segment between two codes is where sampling meets the page's code slider: common/variation.ts holds it
export { interpolateCodes } from '../common/variation.js';

export type CodeKind = 'binary' | 'uniform';
export const CODE_KINDS: readonly CodeKind[] = ['binary', 'uniform'];

/**
 * The n fixed training codes, [n * dim] row-major, drawn once from the seed (stream 'codes').
 * 'binary': entries 0/1 as in the authors' release; 'uniform': U[0,1] as in the paper.
 *
 * Two rules, both applied by redrawing from the same stream (so the result stays a function of the seed):
 * - no code drops every channel (some entry > r): such a code zeroes all features after the split, so its
 *   branch sees nothing of the input there and can only learn one fixed output; with binary codes and a
 *   small dim this happens often (1 in 2^dim), with uniform codes almost never (r^dim).
 * - binary codes are distinct whenever there are enough codes to choose from (2^dim - 1 >= n, the all-zero
 *   code being excluded): two equal codes are two branches with the same mask, i.e. one branch counted
 *   twice. Uniform codes are distinct almost surely and are not checked.
 */
export function trainingCodes(seed: number, n: number, dim: number, kind: CodeKind, r = 0.5): Float32Array {
  if (!(dim >= 1)) throw new Error(`trainingCodes: code length must be at least 1, got ${dim}`);
  const rng = new Rng(seed, 'codes');
  const out = new Float32Array(n * dim);
  const seen = new Set<string>();
  // 2^dim - 1 usable binary codes; above 2^52 the comparison is true anyway.
  const distinct = kind === 'binary' && (dim >= 52 || 2 ** dim - 1 >= n);
  for (let i = 0; i < n; i++) {
    const code = out.subarray(i * dim, (i + 1) * dim);
    for (;;) {
      for (let c = 0; c < dim; c++) code[c] = kind === 'binary' ? (rng.uniform() < 0.5 ? 0 : 1) : rng.uniform();
      if (!code.some((v) => v > r)) continue;
      if (!distinct) break;
      const key = code.join(',');
      if (!seen.has(key)) {
        seen.add(key);
        break;
      }
    }
  }
  return out;
}

/** The channel-wise dropout mask of a code: 1/(1−r) where z_c > r, else 0 (the host reference for the graph's). */
export function channelMask(code: Float32Array, r = 0.5): Float32Array {
  const keep = 1 / (1 - r);
  return code.map((z) => (z > r ? keep : 0));
}
