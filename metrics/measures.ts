// The measures of docs/formats.md#measures: diversity, linking and l1_truth, over a generator
// given as a batch function. Images are RGB in [0, 1], [N, 3, H, W].
import { VariationScheme, noiseAt, packVariations } from '../common/variation.js';

/**
 * Runs the generator on n layouts (one-hot [n, C, H, W]) with variation vectors [n, dim] (noise, then
 * code: common/variation.ts VariationScheme): images [n, 3, H, W].
 */
export type Generate = (layout: Float32Array, variation: Float32Array, n: number) => Promise<Float32Array>;

export interface MeasureInput {
  /** One-hot [C, H, W]. */
  layout: Float32Array;
  /** The true photo [3, H, W] in [0, 1]. */
  photo: Float32Array;
}

export interface Measures {
  diversity: number;
  /** Undefined for models without per-class noise (nothing to link). */
  linking?: number;
  l1_truth: number;
  /** Layouts and (class, layout) pairs that entered the linking measure. */
  layouts: number;
  linkedClasses: number;
}

export function meanAbsDiff(a: Float32Array, b: Float32Array, offA = 0, offB = 0, len = a.length): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += Math.abs(a[offA + i] - b[offB + i]);
  return s / len;
}

/** Mean pairwise L1 between k images of one size stored back to back. */
export function meanPairwiseL1(images: Float32Array, k: number): number {
  const per = images.length / k;
  let s = 0;
  let pairs = 0;
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++, pairs++) s += meanAbsDiff(images, images, i * per, j * per, per);
  return pairs ? s / pairs : 0;
}

/**
 * Inside/outside ratio of a change between two images for one class: mean over the class's pixels of the
 * mean |Δ| over RGB, over the same outside it; capped at 100.
 */
export function linkingRatio(a: Float32Array, b: Float32Array, mask: Float32Array, cap = 100): number {
  const hw = mask.length;
  let inside = 0;
  let outside = 0;
  let nIn = 0;
  for (let p = 0; p < hw; p++) {
    const d = (Math.abs(a[p] - b[p]) + Math.abs(a[hw + p] - b[hw + p]) + Math.abs(a[2 * hw + p] - b[2 * hw + p])) / 3;
    if (mask[p] > 0.5) {
      inside += d;
      nIn++;
    } else outside += d;
  }
  const mIn = inside / Math.max(1, nIn);
  const mOut = outside / Math.max(1, hw - nIn);
  if (mOut === 0) return mIn === 0 ? 1 : cap;
  return Math.min(cap, mIn / mOut);
}

function repeat(layout: Float32Array, k: number): Float32Array {
  const out = new Float32Array(layout.length * k);
  for (let i = 0; i < k; i++) out.set(layout, i * layout.length);
  return out;
}

/**
 * diversity: K samples per layout drawn as `divsyn sample` draws them (stem 'measure:<index>');
 * l1_truth: G(l, 0), or for code-driven models the best of the K codes with zero noise;
 * linking: per-class noise set to -1 and +1 (models with noise only).
 */
export async function measureGenerator(generate: Generate, items: MeasureInput[], scheme: VariationScheme, o: { count: number; seed: number }): Promise<Measures> {
  const k = o.count;
  let diversity = 0;
  let l1 = 0;
  let linking = 0;
  let linked = 0;
  for (let li = 0; li < items.length; li++) {
    const { layout, photo } = items[li];
    const samples = await generate(repeat(layout, k), packVariations(Array.from({ length: k }, (_, j) => scheme.draw(o.seed, `measure:${li}`, j))), k);
    diversity += meanPairwiseL1(samples, k);
    const codes = scheme.codes ? Math.min(k, scheme.codes) : 1;
    const zero = await generate(repeat(layout, codes), packVariations(Array.from({ length: codes }, (_, j) => scheme.zero(j))), codes);
    const per = photo.length;
    l1 += Math.min(...Array.from({ length: codes }, (_, j) => meanAbsDiff(zero, photo, j * per, 0, per)));
    if (!scheme.noise) continue;
    const classes = scheme.noise.classes;
    const hw = layout.length / classes;
    // classes covering 5-95% of the layout: n^c = -1 then +1, others 0
    const cs: number[] = [];
    for (let c = 0; c < classes; c++) {
      let area = 0;
      for (let p = 0; p < hw; p++) area += layout[c * hw + p];
      if (area >= 0.05 * hw && area <= 0.95 * hw) cs.push(c);
    }
    if (!cs.length) continue;
    const variations = cs.flatMap((c) => [-1, 1].map((v) => noiseAt(scheme, c, v)));
    const swept = await generate(repeat(layout, 2 * cs.length), packVariations(variations), 2 * cs.length);
    cs.forEach((c, i) => {
      linking += linkingRatio(swept.subarray(2 * i * per, (2 * i + 1) * per), swept.subarray((2 * i + 1) * per, (2 * i + 2) * per), layout.subarray(c * hw, (c + 1) * hw));
      linked++;
    });
  }
  const n = Math.max(1, items.length);
  return { diversity: diversity / n, linking: scheme.noise ? (linked ? linking / linked : 0) : undefined, l1_truth: l1 / n, layouts: items.length, linkedClasses: linked };
}
