// What the inference benches feed: untrained generators as `divsyn init` makes them, random layouts.
import { parseArgs } from 'node:util';
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

type SharedOption = 'model' | 'size' | 'width' | 'batch' | 'threads';

/**
 * The command line of an inference bench: the shared geometry (pix2pix, 256 px, width 64, batch 8, 2
 * threads unless `defaults` says otherwise) and the bench's `own` options with their defaults.
 */
export function benchArgs<K extends string>(own: Record<K, string>, defaults: Partial<Record<SharedOption, string>> = {}) {
  const given = { model: 'pix2pix', size: '256', width: '64', batch: '8', threads: '2', ...defaults, ...own };
  const { values } = parseArgs({ options: Object.fromEntries(Object.entries(given).map(([name, value]) => [name, { type: 'string' as const, default: value }])) });
  const text = (name: string) => String(values[name]);
  const ownValues = Object.fromEntries(Object.keys(own).map((name) => [name, text(name)])) as Record<K, string>;
  return { model: text('model'), size: text('size'), width: Number(text('width')), batch: Number(text('batch')), threads: Number(text('threads')), ...ownValues };
}
