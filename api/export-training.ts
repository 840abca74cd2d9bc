// exportTraining(): the training program as plain ONNX files (forward_loss, gradients, train_step, init)
// and manifest.json, any onnxruntime can run.
import path from 'node:path';
import { defaultTrainingOptions } from '../graph/families/index.js';
import { prepareOutputDir } from '../common/files.js';
import { generatorMetadata } from '../runtime/model-file.js';
import { writeTrainingArtifacts } from '../runtime/training-artifacts.js';
import { archOptions, checkTrainingOptions, classOptions, forceOption, inputOptions, inputSpec, modelOption, objectiveOptions, parseLambda, pointsOption, seedOption } from './common.js';
import { OptionsInput, ParsedOptions, float, need, parsedOptions, str } from './options.js';
import { checkOutputDir } from '../common/output-paths.js';

export const exportTrainingOptions = {
  ...modelOption,
  ...inputOptions,
  ...pointsOption,
  ...classOptions,
  ...archOptions,
  ...objectiveOptions,
  lr: float({ min: 0, default: 2e-4, help: 'learning rate stored in init.onnx', meta: 'LR' }),
  ...seedOption(),
  out: str({ help: 'output directory', meta: 'DIR' }),
  ...forceOption('write into a non-empty directory'),
};

/** exportTraining()'s options: the `divsyn export-training` flags in camelCase; model, size and out are required. */
export type ExportTrainingOptions = OptionsInput<typeof exportTrainingOptions>;

/** Writes the training program of a model as `divsyn export-training` does; returns the files written (absolute paths). */
export async function exportTraining(options: ExportTrainingOptions | ParsedOptions<typeof exportTrainingOptions>): Promise<string[]> {
  const { values: o, given } = parsedOptions(exportTrainingOptions, options);
  const dir = need(o, 'out');
  checkOutputDir(dir);
  const spec = inputSpec(o, given, 'export-training');
  // a model fed a normal map or landmarks has no per-class noise (checkInputOptions refused a diversity loss)
  const diversity = checkTrainingOptions(spec, spec.condition ? { ...o, diversity: 'none' } : o, given);
  const topts = defaultTrainingOptions(spec, {
    diversity,
    beta: o.beta,
    betaRampSteps: o.betaRamp ?? 0,
    dChannels: o.ndf,
    noiseContentWeight: o.noiseContent,
    passContent: o.passContent,
    noiseSearch: o.noiseSearch,
    diversityPool: o.diversityPool,
    lambda: parseLambda(o.lambda, spec),
    gan: o.ganMode,
    batch: o.batch,
  });
  prepareOutputDir(dir, o.force);
  const { files } = writeTrainingArtifacts(dir, spec, topts, o.seed, o.lr, generatorMetadata(spec, { ...topts }));
  return files.map((f) => path.resolve(f));
}
