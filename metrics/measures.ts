// The contract's measures (CONTRACT.md, "Measures"): diversity, linking and l1_truth, over a generator
// given as a batch function. Images are RGB in [0, 1], [N, 3, H, W].
import { Rng } from '../graph/random.js';

/** Runs the generator on n layouts (one-hot [n, C, H, W]) with noise [n, C]: images [n, 3, H, W]. */
export type Generate = (layout: Float32Array, noise: Float32Array, n: number) => Promise<Float32Array>;

export interface MeasureInput {
  /** One-hot [C, H, W]. */
  layout: Float32Array;
  /** The true photo [3, H, W] in [0, 1]. */
  photo: Float32Array;
}

export interface Measures {
  diversity: number;
  linking: number;
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

export async function measureGenerator(generate: Generate, items: MeasureInput[], classes: number, o: { count: number; seed: number }): Promise<Measures> {
  const k = o.count;
  let diversity = 0;
  let l1 = 0;
  let linking = 0;
  let linked = 0;
  for (let li = 0; li < items.length; li++) {
    const { layout, photo } = items[li];
    const hw = layout.length / classes;
    const rng = new Rng(o.seed, `measure:${li}`);
    const samples = await generate(repeat(layout, k), rng.fillUniform(new Float32Array(k * classes), -1, 1), k);
    diversity += meanPairwiseL1(samples, k);
    const zero = await generate(layout, new Float32Array(classes), 1);
    l1 += meanAbsDiff(zero, photo);
    // classes covering 5-95% of the layout: n^c = -1 then +1, others 0
    const cs: number[] = [];
    for (let c = 0; c < classes; c++) {
      let area = 0;
      for (let p = 0; p < hw; p++) area += layout[c * hw + p];
      if (area >= 0.05 * hw && area <= 0.95 * hw) cs.push(c);
    }
    if (!cs.length) continue;
    const noise = new Float32Array(2 * cs.length * classes);
    cs.forEach((c, i) => {
      noise[2 * i * classes + c] = -1;
      noise[(2 * i + 1) * classes + c] = 1;
    });
    const swept = await generate(repeat(layout, 2 * cs.length), noise, 2 * cs.length);
    const per = 3 * hw;
    cs.forEach((c, i) => {
      linking += linkingRatio(swept.subarray(2 * i * per, (2 * i + 1) * per), swept.subarray((2 * i + 1) * per, (2 * i + 2) * per), layout.subarray(c * hw, (c + 1) * hw));
      linked++;
    });
  }
  const n = Math.max(1, items.length);
  return { diversity: diversity / n, linking: linked ? linking / linked : 0, l1_truth: l1 / n, layouts: items.length, linkedClasses: linked };
}
