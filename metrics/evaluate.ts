// divsyn eval's engine: for each generator, K samples per test layout, measured for realism (a segmenter's
// accuracy on them, Yang et al. Table II), accuracy against the true photo (best and mean of K: RMSE,
// SSIM, FSIM, FSIMc; He et al. Tables 1-2) and diversity (docs/formats.md#measures, feature distance and
// std, distance to the mean image).
import { ClassInfo } from '../graph/spec.js';
import { Sampler } from '../web/sampler.js';
import { FeatureNet } from '../runtime/features.js';
import { VariationScheme, packVariations } from '../common/variation.js';
import { Similarity, planesFromPlanar, similarityOfSamples } from './similarity.js';
import { distanceToMean, meanFeatureStd, meanPairwiseL2 } from './diversity.js';
import { measureGenerator } from './measures.js';
import { SegmentationScore, Segmenter } from './segmenter.js';

export interface EvalLayout {
  stem: string;
  /** One-hot [C, H, W]. */
  layout: Float32Array;
  /** The true photo [3, H, W] in [0, 1]. */
  photo: Float32Array;
}

export interface BestMean {
  best: number;
  mean: number;
}

export interface ModelReport {
  model: string;
  realism?: SegmentationScore;
  accuracy: Record<keyof Similarity, BestMean>;
  diversity: {
    diversity: number;
    linking?: number;
    l1_truth: number;
    distance_to_mean: { mean: number; max: number };
    feature_distance?: number;
    feature_std?: number;
  };
}

export interface EvalOptions {
  classes: ClassInfo[];
  height: number;
  width: number;
  count: number;
  seed: number;
  /** How the model's samples vary (noise, codes). */
  scheme: VariationScheme;
  segmenter?: Segmenter;
  features?: FeatureNet;
  onProgress?: (doneLayouts: number) => void;
}

function repeat(x: Float32Array, k: number): Float32Array {
  const out = new Float32Array(x.length * k);
  for (let i = 0; i < k; i++) out.set(x, i * x.length);
  return out;
}

/** K samples of one layout with the noise or codes of `divsyn sample` (seed, stem, k). */
export async function samplesOf(g: Sampler, it: EvalLayout, o: { scheme: VariationScheme; count: number; seed: number }): Promise<Float32Array> {
  const z = packVariations(Array.from({ length: o.count }, (_, k) => o.scheme.draw(o.seed, it.stem, k)));
  return g.generatePacked(repeat(it.layout, o.count), z, o.count);
}

export async function evaluateModel(name: string, g: Sampler, items: EvalLayout[], o: EvalOptions): Promise<ModelReport> {
  const per = 3 * o.height * o.width;
  const keys: (keyof Similarity)[] = ['rmse', 'ssim', 'fsim', 'fsimc'];
  const acc = Object.fromEntries(keys.map((k) => [k, { best: 0, mean: 0 }])) as ModelReport['accuracy'];
  let toMean = 0;
  let toMax = 0;
  let featDist = 0;
  let featStd = 0;
  const seg = o.segmenter?.accumulator();
  for (let li = 0; li < items.length; li++) {
    const it = items[li];
    const samples = await samplesOf(g, it, o);
    // best-of-K and mean-of-K against the true photo, on the 0..255 scale as the papers report them
    const planes = Array.from({ length: o.count }, (_, k) => planesFromPlanar(samples.subarray(k * per, (k + 1) * per), o.width, o.height));
    const scores = similarityOfSamples(planesFromPlanar(it.photo, o.width, o.height), planes);
    for (const key of keys) {
      acc[key].best += scores[key].best;
      acc[key].mean += scores[key].mean;
    }
    const d = distanceToMean(samples, o.count);
    toMean += d.mean;
    toMax += d.max;
    if (o.features) {
      const f = await o.features.features(samples, o.count);
      featDist += meanPairwiseL2(f, o.count);
      featStd += meanFeatureStd(f, o.count);
    }
    if (seg) await seg.add(samples, repeat(it.layout, o.count), o.count);
    o.onProgress?.(li + 1);
  }
  const n = Math.max(1, items.length);
  for (const key of keys) {
    acc[key].best /= n;
    acc[key].mean /= n;
  }
  const contract = await measureGenerator((l, z, k) => g.generatePacked(l, z, k), items, o.scheme, { count: o.count, seed: o.seed });
  return {
    model: name,
    realism: seg?.score(),
    accuracy: acc,
    diversity: {
      diversity: contract.diversity,
      linking: contract.linking,
      l1_truth: contract.l1_truth,
      distance_to_mean: { mean: toMean / n, max: toMax / n },
      ...(o.features ? { feature_distance: featDist / n, feature_std: featStd / n } : {}),
    },
  };
}

/** The segmenter on the true photos: the ceiling a generator's realism is read against. */
export async function realImagesScore(segmenter: Segmenter, items: EvalLayout[]): Promise<SegmentationScore> {
  const seg = segmenter.accumulator();
  for (const it of items) await seg.add(it.photo, it.layout, 1);
  return seg.score();
}
