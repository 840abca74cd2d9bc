// Evaluating a generator conditioned on a normal map or landmarks (graph/condition.ts) on condition data:
// K samples per test item, measured as divsyn eval measures label-map models (accuracy against the true
// photo, best and mean of K: RMSE, SSIM, FSIM, FSIMc; diversity; with a feature network its distance and
// standard deviation), less realism and linking, which need classes. What He et al.'s reproduction
// (docs/design.md) calls for each model.
import { readGenerator } from '../runtime/model-file.js';
import { openSampler } from '../runtime/open-sampler.js';
import { FeatureNet } from '../runtime/features.js';
import { EpChoice } from '../runtime/session.js';
import { modelError } from '../common/errors.js';
import { CodeChoice, variationScheme } from '../common/variation.js';
import { openConditionDataset } from '../train/condition-data.js';
import { conditionEvalItems } from '../train/condition-training.js';
import { ModelReport, evaluateModel } from './evaluate.js';

export interface ConditionEvalOptions {
  /** The generator file. */
  model: string;
  /** 'fixture' (its test split) or a folder of the model's input kind (train/condition-data.ts). */
  data: string;
  /** The fixture's split (default test). */
  split?: string;
  /** Samples per item. */
  count: number;
  seed: number;
  /** The first this many items (default all). */
  items?: number;
  /** Latent models: new codes (default) or the training codes. */
  codes?: CodeChoice;
  features?: FeatureNet;
  ep?: EpChoice;
  threads?: number;
  onProgress?: (doneItems: number) => void;
}

export async function evaluateOnConditions(o: ConditionEvalOptions): Promise<ModelReport> {
  const { spec } = readGenerator(o.model);
  if (!spec.condition) throw modelError(`'${o.model}' takes label maps: evaluate it with divsyn eval`);
  const dataset = openConditionDataset({ data: o.data, input: spec.condition.kind, split: o.data === 'fixture' ? (o.split ?? 'test') : o.split });
  const items = await conditionEvalItems(dataset, spec, o.items);
  const g = await openSampler(o.model, { ep: o.ep, threads: o.threads, batch: 8 });
  try {
    return await evaluateModel(o.model, g, items, {
      classes: [],
      height: spec.height,
      width: spec.width,
      count: o.count,
      seed: o.seed,
      scheme: variationScheme(spec, { codes: o.codes }),
      features: o.features,
      onProgress: o.onProgress,
    });
  } finally {
    await g.release();
  }
}
