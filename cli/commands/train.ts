// divsyn train: trains a generator, writing RUN/generator.onnx, RUN/state/, RUN/preview.png, RUN/log.jsonl.
import path from 'node:path';
import { DIVERSITY_MODES, DiversityMode, GAN_MODES, GanMode } from '../../graph/losses.js';
import { defaultLambda, GeneratorSpec, PassContent } from '../../graph/spec.js';
import { assignsTargets, defaultTrainingOptions, familyOf, optionApplies } from '../../graph/families/index.js';
import { InterruptedRun, UserError, usageError } from '../../common/errors.js';
import { prepareOutputDir } from '../../common/files.js';
import { generatorValues, readGenerator } from '../../runtime/model-file.js';
import { EP_CHOICES, EpChoice } from '../../runtime/session.js';
import { Progress as RunProgress, latestProgress } from '../../train/checkpoint.js';
import { readRunRecord } from '../../train/run-record.js';
import { DataFormat, Direction, openDataset } from '../../train/datasets.js';
import { batchOpener, evalItems } from '../../train/loader.js';
import { classIndex } from '../../common/palettes.js';
import { LR_POLICIES, LrPolicy, train } from '../../train/trainer.js';
import { latentTrainOptions, latentTraining } from '../latent-training.js';
import { Parsed, required } from '../args.js';
import { Command } from '../command.js';
import {
  archOptions,
  checkModelOptions,
  classOptions,
  diversityPoolOption,
  noiseSearchOption,
  passContentOption,
  generatorSpec,
  modelOption,
  seedOption,
  dataOptions,
  choosePerceptualFromOptions,
  perceptualOptions,
} from '../common.js';
import { Progress } from '../progress.js';
import { catchInterrupt } from '../interrupt.js';
import { renderPreview } from '../preview.js';

/** --lambda V, V1,…,VC, or V,CLASS=V,… (a default and per-class values; a 'void' class keeps 0 unless named). */
export function parseLambda(v: string, spec: GeneratorSpec): number[] {
  const c = spec.classes.length;
  const parts = v.split(',').map((s) => s.trim());
  const num = (s: string) => {
    const x = Number(s);
    if (s === '' || !Number.isFinite(x) || x < 0) throw usageError(`option --lambda: '${s}' is not a non-negative number`);
    return x;
  };
  if (parts.length === c && parts.every((p) => !p.includes('='))) return parts.map(num);
  const plain = parts.filter((p) => !p.includes('='));
  if (plain.length > 1) throw usageError(`option --lambda: give one value, ${c} values, or a value and CLASS=V pairs; got '${v}'`);
  const out = defaultLambda(spec.classes, plain.length ? num(plain[0]) : 0.3);
  for (const p of parts.filter((q) => q.includes('='))) {
    const [name, val] = p.split('=');
    out[classIndex(spec.classes, name)] = num(val);
  }
  return out;
}

/** The progress of the run to resume in `out` (none when it was killed before its first checkpoint); errors name the folder and a seed it was not trained with. */
function savedProgress(out: string, seed: number): RunProgress | undefined {
  const progress = latestProgress(path.join(out, 'state'));
  if (!progress && !readRunRecord(out)) throw new UserError(`--resume: '${out}' holds no training state`);
  if (progress && progress.seed !== seed) throw new UserError(`--resume: the run in '${out}' used --seed ${progress.seed}, not ${seed}`);
  return progress;
}

export const trainOptions = [
  modelOption,
  ...dataOptions('training data'),
  ...classOptions,
  ...archOptions,
  { name: 'epochs', type: 'int', min: 1, help: 'passes over the data (pix2pix: 200, the second half with linear decay)', meta: 'E' },
  { name: 'steps', type: 'int', min: 1, help: 'training steps (instead of --epochs)', meta: 'N' },
  { name: 'batch', type: 'int', min: 1, max: 1024, default: 1, help: 'batch size', meta: 'B' },
  {
    name: 'diversity',
    type: 'enum',
    choices: DIVERSITY_MODES,
    help: 'diversity loss (default bounded; pairwise: the bound between two noisy passes G(l, n1), G(l, n2), weighted by |n1 - n2|; none: one pass with random noise, the baseline; crn-multi: none)',
  },
  { name: 'beta', type: 'float', min: 0, help: 'diversity loss weight (pix2pix: 0.1, crn: 10)', meta: 'B' },
  { name: 'beta-ramp', type: 'int', min: 0, help: "steps over which β ramps in linearly from 0 (pix2pix default: half of the steps, as the authors' code; others: 0, off)", meta: 'N' },
  { name: 'lambda', type: 'string', help: 'bound λ_c: V, or V1,…,VC, or V,CLASS=V,… (default 0.3)', meta: 'L' },
  passContentOption,
  noiseSearchOption,
  diversityPoolOption,
  { name: 'noise-content', type: 'float', min: 0, help: 'crn, latent --with-noise: weight of the content (latent: assigned) loss on G(l, n) besides G(l, 0) (default 1; 0: G(l, 0) alone)', meta: 'W' },
  { name: 'gan-mode', type: 'enum', choices: GAN_MODES, default: 'vanilla', help: 'GAN objective' },
  { name: 'ndf', type: 'int', min: 1, max: 4096, help: 'pix2pix: discriminator base width (default: --width)', meta: 'N' },
  { name: 'lr', type: 'float', min: 0, help: 'Adam learning rate (pix2pix: 2e-4, crn: 1e-4)', meta: 'LR' },
  {
    name: 'lr-policy',
    type: 'enum',
    choices: LR_POLICIES,
    help: 'linear: constant, then linear decay over the second half (pix2pix default); constant (crn default); poly: (1 - step/steps)^0.9 (latent default)',
  },
  ...perceptualOptions,
  ...latentTrainOptions,
  { name: 'checkpoint-every', type: 'int', min: 1, default: 500, help: 'steps between checkpoints', meta: 'N' },
  seedOption,
  { name: 'ep', type: 'enum', choices: EP_CHOICES, default: 'cpu', help: 'execution provider (auto tries cuda, webgpu, cpu)' },
  { name: 'threads', type: 'int', min: 1, max: 256, help: 'onnxruntime intra-op threads (default: all cores)', meta: 'T' },
  { name: 'init', type: 'string', help: 'start from this generator file (fine-tuning)', meta: 'FILE.onnx' },
  { name: 'out', type: 'string', help: 'run directory', meta: 'RUN' },
  { name: 'resume', type: 'flag', help: 'continue the run in RUN exactly where it stopped' },
  { name: 'force', type: 'flag', help: 'start a new run in a non-empty RUN' },
] as Command['options'];

export async function runTrain(o: Parsed, hooks: { stopAfterSeconds?: number; quiet?: boolean } = {}) {
  const out = required<string>(o, 'out');
  const dataArg = required<string>(o, 'data');
  if (o.steps !== undefined && o.epochs !== undefined) throw usageError('give --epochs or --steps, not both');
  // the fixture's classes are CMP Facades'
  if (dataArg === 'fixture' && o.palette === undefined && o.classes === undefined) o.palette = 'cmp-facades';
  const spec = generatorSpec(o);
  const lambda = o.lambda === undefined ? defaultLambda(spec.classes) : parseLambda(o.lambda as string, spec);
  const family = familyOf(spec);
  const noDiversity = family.noDiversityReason?.(spec);
  if (noDiversity) {
    if (o.diversity !== undefined && o.diversity !== 'none') throw usageError(`--diversity ${o.diversity}: ${noDiversity}`);
    o.diversity = 'none';
  }
  const needsDiversity = family.needsDiversityReason?.(spec);
  if (needsDiversity && o.diversity === 'none') throw usageError(needsDiversity);
  checkModelOptions(o, spec);
  o.lr ??= family.defaults.lr;
  o['lr-policy'] ??= family.defaults.lrPolicy;
  const perceptual = family.contentNetwork ? choosePerceptualFromOptions(o, spec) : undefined;
  const source = { data: dataArg, format: o.format as DataFormat, direction: o.direction as Direction, classes: spec.classes };
  const dataset = openDataset(source);
  const stepsPerEpoch = Math.ceil(dataset.length / (o.batch as number));
  const totalSteps = (o.steps as number | undefined) ?? ((o.epochs as number | undefined) ?? 200) * stepsPerEpoch;
  const resume = Boolean(o.resume);
  const saved = resume ? savedProgress(out, o.seed as number) : undefined;
  const options = defaultTrainingOptions(spec, {
    perceptual,
    diversity: o.diversity as DiversityMode | undefined,
    beta: o.beta as number | undefined,
    // a resumed run keeps its ramp (runs from before the ramp existed had none), whatever --steps says now
    betaRampSteps: (o['beta-ramp'] as number | undefined) ?? (saved ? Number(saved.betaRampSteps ?? 0) : o.diversity !== 'none' ? Math.floor(totalSteps * family.defaults.betaRampFraction) : 0),
    noiseContentWeight: o['noise-content'] as number | undefined,
    passContent: o['pass-content'] as PassContent | undefined,
    noiseSearch: o['noise-search'] as number | undefined,
    diversityPool: o['diversity-pool'] as number | undefined,
    dChannels: o.ndf as number | undefined,
    lambda,
    gan: o['gan-mode'] as GanMode,
    batch: o.batch as number,
    neighbours: optionApplies('neighbours', spec, 'none') ? (o.neighbours as number) : 0,
  });
  // latent targets (the photo and its neighbours' photos) are compared unaugmented
  const open = batchOpener({ dataset, width: spec.width, height: spec.height, batch: options.batch, seed: o.seed as number, augment: !assignsTargets(spec) });

  if (!resume) prepareOutputDir(out, Boolean(o.force), '--resume to continue it, or --force');
  const latent = assignsTargets(spec) ? await latentTraining(o, spec, dataset, out, (m) => hooks.quiet || console.error(m)) : undefined;
  const initGenerator = o.init ? generatorValues(readGenerator(o.init as string, { weights: true }).initializers) : undefined;

  // the preview shows held-out layouts where the data has them (the fixture's test split)
  const previewSet = dataArg === 'fixture' ? openDataset({ ...source, split: 'test' }) : dataset;
  const preview = await evalItems(previewSet, spec.width, spec.height, 4);
  let bar: Progress | undefined;
  const interrupt = catchInterrupt('writing a checkpoint');
  const started = performance.now();
  try {
    const result = await train(
      {
        spec,
        options,
        seed: o.seed as number,
        lr: o.lr as number,
        lrPolicy: o['lr-policy'] as LrPolicy,
        latent,
        totalSteps,
        checkpointEvery: o['checkpoint-every'] as number,
        out,
        resume,
        ep: o.ep as EpChoice,
        threads: o.threads as number | undefined,
        initGenerator,
        metadata: { data: dataArg, seed: o.seed, lr: o.lr, lrPolicy: o['lr-policy'], ...options, perceptual: options.perceptual.description },
      },
      open,
      {
        onStart: ({ ep, startStep, notes }) => {
          if (!hooks.quiet) {
            for (const note of notes) console.error(note);
            console.error(`training ${spec.model} ${spec.height}x${spec.width} on ${dataset.description} with ${ep}, steps ${startStep}..${totalSteps}`);
            if (perceptual) console.error(`content loss on ${perceptual.description}`);
          }
          // a time-boxed run (demo) shows its progress in seconds
          const budget = hooks.stopAfterSeconds;
          bar = hooks.quiet ? undefined : budget !== undefined ? new Progress('seconds', Math.round(budget)) : new Progress('step', totalSteps, startStep);
        },
        onStep: (i) => {
          const losses = Object.entries(i.losses)
            .map(([k, v]) => `${k} ${v.toFixed(3)}`)
            .join(' ');
          if (hooks.stopAfterSeconds !== undefined) bar?.update(Math.min(Math.round(hooks.stopAfterSeconds), Math.floor((performance.now() - started) / 1000)), `step ${i.step} ${losses}`);
          else bar?.update(i.step, losses);
        },
        onCheckpoint: (params) => renderPreview(path.join(out, 'preview.png'), spec, params, preview),
        shouldStop: () => interrupt.requested || (hooks.stopAfterSeconds !== undefined && (performance.now() - started) / 1000 > hooks.stopAfterSeconds),
      },
    );
    bar?.done();
    return { ...result, spec, interruptedByUser: interrupt.requested };
  } finally {
    interrupt.dispose();
  }
}

export const trainCommand: Command = {
  name: 'train',
  usage: 'divsyn train --model pix2pix|crn|crn-multi|latent --data PATH|fixture --size S [options] --out RUN [--resume]',
  summary: 'Train a generator with the diversity loss; RUN/generator.onnx is usable at any time.',
  options: trainOptions,
  async run(o) {
    const r = await runTrain(o);
    if (r.interruptedByUser) {
      console.error(`stopped at step ${r.steps}; continue with --resume`);
      process.exitCode = 130;
      throw new InterruptedRun();
    }
    console.log(`trained ${r.steps} steps in ${r.seconds.toFixed(0)} s: ${path.resolve(o.out as string, 'generator.onnx')}`);
  },
};
