// Diversity beyond metrics/measures.ts (He, Schiele, Fritz): over the K samples of one layout,
// the mean pairwise distance of their features, the standard deviation of each feature (Table 3), and
// how far samples lie from their mean image (Fig. 8). Samples are stored back to back.

/** Mean pairwise Euclidean distance between k vectors of equal length stored back to back. */
export function meanPairwiseL2(vectors: Float32Array, k: number): number {
  const d = vectors.length / k;
  let s = 0;
  let pairs = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++, pairs++) {
      let q = 0;
      for (let t = 0; t < d; t++) {
        const x = vectors[i * d + t] - vectors[j * d + t];
        q += x * x;
      }
      s += Math.sqrt(q);
    }
  }
  return pairs ? s / pairs : 0;
}

/** Standard deviation over the k samples of each component (population form), averaged over components. */
export function meanFeatureStd(vectors: Float32Array, k: number): number {
  const d = vectors.length / k;
  let total = 0;
  for (let t = 0; t < d; t++) {
    let m = 0;
    for (let i = 0; i < k; i++) m += vectors[i * d + t];
    m /= k;
    let v = 0;
    for (let i = 0; i < k; i++) v += (vectors[i * d + t] - m) ** 2;
    total += Math.sqrt(v / k);
  }
  return d ? total / d : 0;
}

/**
 * Distance of each sample to the mean of the k samples, as the root mean square over its values (so
 * images of any size compare); returns the mean and the maximum over samples.
 */
export function distanceToMean(vectors: Float32Array, k: number): { mean: number; max: number } {
  const d = vectors.length / k;
  const centre = new Float32Array(d);
  for (let i = 0; i < k; i++) for (let t = 0; t < d; t++) centre[t] += vectors[i * d + t] / k;
  let sum = 0;
  let max = 0;
  for (let i = 0; i < k; i++) {
    let q = 0;
    for (let t = 0; t < d; t++) q += (vectors[i * d + t] - centre[t]) ** 2;
    const r = Math.sqrt(q / d);
    sum += r;
    max = Math.max(max, r);
  }
  return { mean: sum / k, max };
}
