// What the inference benches feed: untrained generators as `divsyn init` makes them, random layouts.
import { Rng } from '../graph/index.js';
import { variationInputs } from '../graph/families/index.js';
import { GeneratorSpec, ModelKind } from '../graph/spec.js';
import { generatorSpec } from '../api/common.js';
import { floatTensor, type Feeds } from '../runtime/session.js';

const SPEC_DEFAULTS = { seed: 0, norm: 'instance', images: 9, branches: 8, split: 'early', splitDepth: 2, sharing: 'shared', dropRate: 0.5, codes: 'binary', withNoise: false } as const;

/** An untrained generator's spec as `divsyn init` makes it, with 12 classes. */
export function benchSpec(model: string, size: string, width: number): GeneratorSpec {
  return generatorSpec({ ...SPEC_DEFAULTS, model: model as ModelKind, size, width, classes: 12 });
}

/** Random one-hot layouts and variation inputs in [-1, 1] for a batch of n. */
export function randomFeeds(spec: GeneratorSpec, n: number, rng: Rng): Feeds {
  const c = spec.classes.length;
  const hw = spec.height * spec.width;
  const layout = new Float32Array(n * c * hw);
  for (let b = 0; b < n; b++) for (let i = 0; i < hw; i++) layout[(b * c + rng.int(c)) * hw + i] = 1;
  const feeds: Feeds = { layout: floatTensor(layout, [n, c, spec.height, spec.width]) };
  for (const v of variationInputs(spec)) feeds[v.name] = floatTensor(rng.fillUniform(new Float32Array(n * v.dim), -1, 1), [n, v.dim]);
  return feeds;
}
