// divsyn train: trains a generator, writing RUN/generator.onnx, RUN/state/, RUN/preview.png, RUN/log.jsonl.
import path from 'node:path';
import { assignsTargets, defaultTrainingOptions, familyOf, optionApplies } from '../../graph/families/index.js';
import { LR_POLICIES } from '../../graph/spec.js';
import { InterruptedRun, stateError, usageError } from '../../common/errors.js';
import { prepareOutputDir } from '../../common/files.js';
import { readInitGenerator } from '../../runtime/model-file.js';
import { checkOutputDir } from '../../common/output-paths.js';
import { checkedDataset, skipBadOption } from '../data-check.js';
import { Progress as RunProgress, latestProgress } from '../../train/checkpoint.js';
import { RunRecord, readRunRecord, trainResumeHelp, trainResumeRules } from '../../train/run-record.js';
import { resumeOptions, typedOptions } from '../resume.js';
import { openDataset } from '../../train/datasets.js';
import { batchOpener, evalItems } from '../../train/loader.js';
import { train } from '../../train/trainer.js';
import { latentTrainOptions, latentTraining } from '../latent-training.js';
import { defineCommand } from '../command.js';
import {
  archOptions,
  checkTrainingOptions,
  choosePerceptualFromOptions,
  classOptions,
  dataOptions,
  epOption,
  familyDefaults,
  forceOption,
  generatorSpec,
  modelOption,
  objectiveOptions,
  parseLambda,
  perceptualOptions,
  seedOption,
  threadsOption,
} from '../common.js';
import { OptionValues, choice, flag, float, int, need, str } from '../options.js';
import { Progress, formatSeconds } from '../progress.js';
import { catchInterrupt } from '../interrupt.js';
import { renderPreview } from '../preview.js';

/** The progress of the run to resume in `out` (none when it was killed before its first checkpoint); errors name the folder and a seed it was not trained with. */
function savedProgress(out: string, seed: number, record: RunRecord | undefined): RunProgress | undefined {
  const progress = latestProgress(path.join(out, 'state'));
  if (!progress && !record) throw stateError(`--resume: '${out}' holds no training state`);
  if (progress && progress.seed !== seed) throw stateError(`--resume: the run in '${out}' used --seed ${progress.seed}, not ${seed}`);
  return progress;
}

export const trainOptions = {
  ...modelOption,
  ...dataOptions('training data'),
  ...classOptions,
  ...archOptions,
  epochs: int({ min: 1, help: 'passes over the data (default 200; pix2pix: the second half with linear decay)', meta: 'E' }),
  steps: int({ min: 1, help: 'training steps (instead of --epochs)', meta: 'N' }),
  ...objectiveOptions,
  lr: float({ min: 0, help: `Adam learning rate (default: ${familyDefaults((f) => f.defaults.lr)})`, meta: 'LR' }),
  lrPolicy: choice(LR_POLICIES, { help: `linear: constant, then linear decay over the second half; constant; poly: (1 - step/steps)^0.9 (default: ${familyDefaults((f) => f.defaults.lrPolicy)})` }),
  ...perceptualOptions,
  ...latentTrainOptions,
  ...skipBadOption,
  checkpointEvery: int({ min: 1, default: 500, help: 'steps between checkpoints', meta: 'N' }),
  ...seedOption(),
  ...epOption,
  ...threadsOption,
  init: str({ help: 'start from this generator file (fine-tuning)', meta: 'FILE.onnx' }),
  out: str({ help: 'run directory', meta: 'RUN' }),
  resume: flag({ help: 'continue the run in RUN exactly where it stopped' }),
  ...forceOption('start a new run in a non-empty RUN'),
};

export type TrainValues = OptionValues<typeof trainOptions>;

export interface TrainHooks {
  /** Stop after this many seconds of training (demo); the progress then counts time. */
  stopAfterSeconds?: number;
  quiet?: boolean;
  /** What to suggest for a non-empty RUN (demo has no --resume). */
  nonEmptyHint?: string;
}

/** The run's options as the trainer takes them, from the command line's values (which it does not change). */
export async function runTrain(values: TrainValues, given: ReadonlySet<keyof typeof trainOptions>, hooks: TrainHooks = {}) {
  if (values.resume && values.force) throw usageError('give --resume or --force, not both');
  const record = values.resume ? readRunRecord(need(values, 'out')) : undefined;
  // a run from before run.json resumes with the options given again, as then
  const { parsed, notes } = record
    ? resumeOptions(record.options, { values, given, positional: [] }, trainOptions, trainResumeRules, { alternatives: [['steps', 'epochs']] })
    : { parsed: { values, given, positional: [] }, notes: [] };
  const o = parsed.values;
  if (!hooks.quiet) for (const note of notes) console.error(note);
  const out = need(o, 'out');
  const data = need(o, 'data');
  checkOutputDir(out);
  if (o.steps !== undefined && o.epochs !== undefined) throw usageError('give --epochs or --steps, not both');
  // the fixture's classes are CMP Facades'
  const palette = data === 'fixture' && o.palette === undefined && o.classes === undefined ? 'cmp-facades' : o.palette;
  const spec = generatorSpec({ ...o, palette });
  const family = familyOf(spec);
  const diversity = checkTrainingOptions(spec, o, parsed.given);
  const lambda = parseLambda(o.lambda, spec);
  const lr = o.lr ?? family.defaults.lr;
  const lrPolicy = o.lrPolicy ?? family.defaults.lrPolicy;
  const perceptual = family.contentNetwork ? choosePerceptualFromOptions(o, spec) : undefined;
  const source = { data, format: o.format, direction: o.direction, classes: spec.classes };
  const initGenerator = o.init ? readInitGenerator(o.init, spec) : undefined;
  const { dataset, skipped, checked } = await checkedDataset(openDataset(source), { skipBad: o.skipBad, recorded: o.resume ? (record?.skippedFiles ?? []) : undefined, quiet: hooks.quiet });
  const stepsPerEpoch = Math.ceil(dataset.length / o.batch);
  const totalSteps = o.steps ?? (o.epochs ?? 200) * stepsPerEpoch;
  const saved = o.resume ? savedProgress(out, o.seed, record) : undefined;
  const options = defaultTrainingOptions(spec, {
    perceptual,
    diversity,
    beta: o.beta,
    // a resumed run keeps its ramp (runs from before the ramp existed had none), whatever --steps says now
    betaRampSteps: o.betaRamp ?? (saved ? Number(saved.betaRampSteps ?? 0) : diversity !== 'none' ? Math.floor(totalSteps * family.defaults.betaRampFraction) : 0),
    noiseContentWeight: o.noiseContent,
    passContent: o.passContent,
    noiseSearch: o.noiseSearch,
    diversityPool: o.diversityPool,
    dChannels: o.ndf,
    lambda,
    gan: o.ganMode,
    batch: o.batch,
    neighbours: optionApplies('neighbours', spec, 'none') ? o.neighbours : 0,
  });
  // latent targets (the photo and its neighbours' photos) are compared unaugmented
  const open = batchOpener({ dataset, width: spec.width, height: spec.height, batch: options.batch, seed: o.seed, augment: !assignsTargets(spec), ...(checked ? { onWarning: () => undefined } : {}) });

  if (!o.resume) prepareOutputDir(out, o.force, hooks.nonEmptyHint ?? '--resume to continue it, or --force');
  const latent = assignsTargets(spec) ? await latentTraining(o, spec, dataset, out, (m) => hooks.quiet || console.error(m)) : undefined;

  // the preview shows held-out layouts where the data has them (the fixture's test split)
  const previewSet = data === 'fixture' ? openDataset({ ...source, split: 'test' }) : dataset;
  const preview = await evalItems(previewSet, spec.width, spec.height, 4);
  let bar: Progress | undefined;
  const interrupt = catchInterrupt('writing a checkpoint');
  const started = performance.now();
  const budget = hooks.stopAfterSeconds;
  try {
    const result = await train(
      {
        spec,
        options,
        seed: o.seed,
        lr,
        lrPolicy,
        latent,
        totalSteps,
        checkpointEvery: o.checkpointEvery,
        out,
        resume: o.resume,
        ep: o.ep,
        threads: o.threads,
        initGenerator,
        metadata: { data, seed: o.seed, lr, lrPolicy, ...options, perceptual: options.perceptual.description },
        runOptions: typedOptions(parsed),
        skippedFiles: skipped,
      },
      open,
      {
        onStart: ({ ep, startStep, notes }) => {
          if (!hooks.quiet) {
            for (const note of notes) console.error(note);
            const extent = budget !== undefined ? `for ${formatSeconds(budget)}` : `steps ${startStep}..${totalSteps}`;
            console.error(`training ${spec.model} ${spec.height}x${spec.width} on ${dataset.description} with ${ep}, ${extent}`);
            if (perceptual) console.error(`content loss on ${perceptual.description}`);
          }
          // a time-boxed run (demo) shows its progress in time
          bar = hooks.quiet ? undefined : budget !== undefined ? new Progress('time', Math.round(budget), 0, 'seconds') : new Progress('step', totalSteps, startStep);
        },
        onStep: (i) => {
          const losses = Object.entries(i.losses)
            .map(([k, v]) => `${k} ${v.toFixed(3)}`)
            .join(' ');
          if (budget !== undefined) bar?.update(Math.min(Math.round(budget), Math.floor((performance.now() - started) / 1000)), `step ${i.step} ${losses}`);
          else bar?.update(i.step, losses);
        },
        onCheckpoint: (params) => renderPreview(path.join(out, 'preview.png'), spec, params, preview),
        shouldStop: () => interrupt.requested || (budget !== undefined && (performance.now() - started) / 1000 > budget),
      },
    );
    bar?.done();
    return { ...result, spec, interruptedByUser: interrupt.requested };
  } finally {
    interrupt.dispose();
  }
}

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'Train a generator with the diversity loss; RUN/generator.onnx is usable at any time.',
  options: trainOptions,
  required: ['model', 'data', 'size', 'out'],
  notes: [trainResumeHelp],
  async run({ values, given }) {
    const r = await runTrain(values, given);
    if (r.interruptedByUser) {
      console.error(`stopped at step ${r.steps}; continue with --resume`);
      process.exitCode = 130;
      throw new InterruptedRun();
    }
    console.log(`trained ${r.steps} steps in ${r.seconds.toFixed(0)} s: ${path.resolve(need(values, 'out'), 'generator.onnx')}`);
  },
});
