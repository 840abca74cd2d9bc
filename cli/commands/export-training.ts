// divsyn export-training: the training program as plain ONNX files.
import path from 'node:path';
import { DIVERSITY_MODES, DiversityMode, GAN_MODES, GanMode } from '../../graph/losses.js';
import { defaultLambda, PassContent } from '../../graph/spec.js';
import { defaultTrainingOptions } from '../../graph/families/index.js';
import { prepareOutputDir } from '../../common/files.js';
import { generatorMetadata } from '../../runtime/model-file.js';
import { writeTrainingArtifacts } from '../../runtime/training-artifacts.js';
import { required } from '../args.js';
import { usageError } from '../../common/errors.js';
import { Command } from '../command.js';
import { archOptions, checkModelOptions, classOptions, diversityPoolOption, noiseSearchOption, passContentOption, generatorSpec, modelOption, seedOption } from '../common.js';

export const exportTrainingCommand: Command = {
  name: 'export-training',
  usage: 'divsyn export-training --model pix2pix (--classes C | --palette P) --size S [--width W] [--diversity MODE] [--batch B] --out DIR',
  summary: 'Write forward_loss.onnx, gradients.onnx, train_step.onnx, init.onnx and manifest.json: the training program as plain ONNX.',
  options: [
    modelOption,
    ...classOptions,
    ...archOptions,
    { name: 'diversity', type: 'enum', choices: DIVERSITY_MODES, default: 'bounded', help: 'diversity loss' },
    { name: 'beta', type: 'float', min: 0, help: 'diversity loss weight (pix2pix: 0.1)', meta: 'B' },
    { name: 'beta-ramp', type: 'int', min: 0, help: 'train_step ramps β in linearly over this many steps (its step input; default 0: off)', meta: 'N' },
    { name: 'lambda', type: 'float', min: 0, default: 0.3, help: 'bound of the bounded diversity loss', meta: 'L' },
    { name: 'gan-mode', type: 'enum', choices: GAN_MODES, default: 'vanilla', help: 'GAN objective' },
    { name: 'ndf', type: 'int', min: 1, max: 4096, help: 'discriminator base width (default: --width)', meta: 'N' },
    passContentOption,
    noiseSearchOption,
    diversityPoolOption,
    { name: 'noise-content', type: 'float', min: 0, help: 'crn, latent --with-noise: weight of the content (latent: assigned) loss on G(l, n) besides G(l, 0) (default 1)', meta: 'W' },
    { name: 'batch', type: 'int', min: 1, max: 1024, default: 1, help: 'batch size', meta: 'B' },
    { name: 'lr', type: 'float', min: 0, default: 2e-4, help: 'learning rate stored in init.onnx', meta: 'LR' },
    seedOption,
    { name: 'out', type: 'string', help: 'output directory', meta: 'DIR' },
    { name: 'force', type: 'flag', help: 'write into a non-empty directory' },
  ],
  async run(o) {
    const dir = required<string>(o, 'out');
    const spec = generatorSpec(o);
    if (spec.classes.length < 1) throw usageError('no classes');
    checkModelOptions(o, spec);
    const topts = defaultTrainingOptions(spec, {
      diversity: o.diversity as DiversityMode,
      beta: o.beta as number | undefined,
      betaRampSteps: (o['beta-ramp'] as number | undefined) ?? 0,
      dChannels: o.ndf as number | undefined,
      noiseContentWeight: o['noise-content'] as number | undefined,
      passContent: o['pass-content'] as PassContent | undefined,
      noiseSearch: o['noise-search'] as number | undefined,
      diversityPool: o['diversity-pool'] as number | undefined,
      lambda: defaultLambda(spec.classes, o.lambda as number),
      gan: o['gan-mode'] as GanMode,
      batch: o.batch as number,
    });
    prepareOutputDir(dir, Boolean(o.force));
    const { files } = writeTrainingArtifacts(dir, spec, topts, o.seed as number, o.lr as number, {
      ...generatorMetadata(spec, { ...topts }),
    });
    for (const f of files) console.log(path.resolve(f));
  },
};
