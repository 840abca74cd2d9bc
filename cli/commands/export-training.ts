// divsyn export-training: the training program as plain ONNX files.
import path from 'node:path';
import { defaultTrainingOptions } from '../../graph/families/index.js';
import { prepareOutputDir } from '../../common/files.js';
import { generatorMetadata } from '../../runtime/model-file.js';
import { writeTrainingArtifacts } from '../../runtime/training-artifacts.js';
import { defineCommand } from '../command.js';
import { archOptions, checkTrainingOptions, classOptions, forceOption, generatorSpec, modelOption, objectiveOptions, parseLambda, seedOption } from '../common.js';
import { float, need, str } from '../options.js';
import { checkOutputDir } from '../../common/output-paths.js';

export const exportTrainingOptions = {
  ...modelOption,
  ...classOptions,
  ...archOptions,
  ...objectiveOptions,
  lr: float({ min: 0, default: 2e-4, help: 'learning rate stored in init.onnx', meta: 'LR' }),
  ...seedOption(),
  out: str({ help: 'output directory', meta: 'DIR' }),
  ...forceOption('write into a non-empty directory'),
};

export const exportTrainingCommand = defineCommand({
  name: 'export-training',
  summary: 'Write forward_loss.onnx, gradients.onnx, train_step.onnx, init.onnx and manifest.json: the training program as plain ONNX.',
  options: exportTrainingOptions,
  required: ['model', 'size', 'out'],
  notes: ['train_step ramps β in over --beta-ramp steps of its step input (default 0: off).'],
  async run({ values: o, given }) {
    const dir = need(o, 'out');
    checkOutputDir(dir);
    const spec = generatorSpec(o);
    const diversity = checkTrainingOptions(spec, o, given);
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
    for (const f of files) console.log(path.resolve(f));
  },
});
