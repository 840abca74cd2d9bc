// train(): trains a generator into RUN (RUN/generator.onnx usable at any time, RUN/state/ checkpoints,
// RUN/preview.png, RUN/log.jsonl, RUN/run.json); resumable, and stopped by an AbortSignal after a checkpoint.
import path from 'node:path';
import { assignsTargets, defaultTrainingOptions, familyOf, optionApplies } from '../graph/families/index.js';
import { GeneratorSpec, LR_POLICIES } from '../graph/spec.js';
import { stateError, usageError } from '../common/errors.js';
import { prepareOutputDir } from '../common/files.js';
import { readInitGenerator } from '../runtime/model-file.js';
import { checkOutputDir } from '../common/output-paths.js';
import { DataCheckHooks, checkedDataset, skipBadOption } from './data-check.js';
import { Progress as RunProgress, latestProgress } from '../train/checkpoint.js';
import { RunRecord, readRunRecord, trainResumeRules } from '../train/run-record.js';
import { resumeOptions, typedOptions } from './resume.js';
import { openDataset } from '../train/datasets.js';
import { EvalItem, batchOpener, evalItems } from '../train/loader.js';
import { StepInfo, train as runTrainer } from '../train/trainer.js';
import { latentTrainOptions, latentTraining } from './latent-training.js';
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
  inputOptions,
  modelOption,
  objectiveOptions,
  parseLambda,
  parseSize,
  perceptualOptions,
  seedOption,
  threadsOption,
} from './common.js';
import { OptionValues, OptionsInput, ParsedOptions, choice, flag, float, int, need, parsedOptions, str } from './options.js';
import { renderPreview } from './preview.js';
import { ConditionDataset, ConditionKind, openConditionDataset } from '../train/condition-data.js';
import { checkInputOptions, conditionEvalItems, trainOnConditions } from '../train/condition-training.js';

export const trainOptions = {
  ...modelOption,
  ...inputOptions,
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

/** train()'s options: the `divsyn train` flags in camelCase (betaRamp for --beta-ramp); model, data, size and out are required. */
export type TrainOptions = OptionsInput<typeof trainOptions>;
export type TrainValues = OptionValues<typeof trainOptions>;

export interface TrainStart {
  spec: GeneratorSpec;
  /** The execution provider the steps run on. */
  ep: string;
  startStep: number;
  totalSteps: number;
  /** The training data, in words. */
  data: string;
}

export interface TrainHooks extends DataCheckHooks {
  /** Messages worth showing (resume notes, warnings about the data, what the run trains). */
  onLog?(message: string): void;
  onStart?(start: TrainStart): void;
  /** After every step. */
  onProgress?(step: StepInfo): void;
  /** Aborting stops the run after its next step, with a checkpoint written: train({ ...options, resume: true }) continues it. */
  signal?: AbortSignal;
  /** Stop (after a checkpoint) once this many seconds of training have passed. */
  stopAfterSeconds?: number;
  /** The hint for a non-empty RUN (default: resume or force). */
  nonEmptyHint?: string;
}

export interface TrainResult {
  /** The step reached. */
  steps: number;
  seconds: number;
  /** Stopped early (by the signal or the time limit), with a checkpoint to resume from. */
  stopped: boolean;
  /** RUN/generator.onnx, as an absolute path. */
  generator: string;
  spec: GeneratorSpec;
  losses: Record<string, number>;
}

/** The progress of the run to resume in `out` (none when it was killed before its first checkpoint); errors name the folder and a seed it was not trained with. */
function savedProgress(out: string, seed: number, record: RunRecord | undefined): RunProgress | undefined {
  const progress = latestProgress(path.join(out, 'state'));
  if (!progress && !record) throw stateError(`--resume: '${out}' holds no training state`);
  if (progress && progress.seed !== seed) throw stateError(`--resume: the run in '${out}' used --seed ${progress.seed}, not ${seed}`);
  return progress;
}

/** What a run trains, as its first line says. */
const trainingLine = (spec: GeneratorSpec, data: string, ep: string, extent: string) => `training ${spec.model} ${spec.height}x${spec.width} on ${data} with ${ep}, ${extent}`;

/** The run's extent in words: its time budget or its steps. */
const extentOf = (budget: number | undefined, startStep: number, totalSteps: number) => (budget !== undefined ? `for ${Math.round(budget)} s` : `steps ${startStep}..${totalSteps}`);

/**
 * --input image|landmarks: trains through train/condition-training.ts (no classes, no diversity loss), with
 * the same checks before any work, run folder, resume, hooks and preview as a label-map run.
 */
async function trainOnInput(parsed: ParsedOptions<typeof trainOptions>, hooks: TrainHooks, log: (m: string) => void): Promise<TrainResult> {
  const { values: o, given } = parsed;
  const model = need(o, 'model');
  const input = o.input as ConditionKind;
  const data = need(o, 'data');
  const out = need(o, 'out');
  checkInputOptions({ model, input, command: 'train', given, values: { diversity: o.diversity } });
  const [height, width] = parseSize(model, need(o, 'size'));
  const perceptual = familyOf(model).contentNetwork ? choosePerceptualFromOptions(o, { height, width }) : undefined;
  let run: { spec: GeneratorSpec; dataset: ConditionDataset } | undefined;
  let preview: EvalItem[] | undefined;
  const started = performance.now();
  const budget = hooks.stopAfterSeconds;
  const r = await trainOnConditions(
    {
      model,
      input,
      data,
      height,
      width,
      channels: o.width,
      norm: o.norm,
      seed: o.seed,
      branches: o.branches,
      split: o.split,
      splitDepth: o.splitDepth,
      sharing: o.sharing,
      dropRate: o.dropRate,
      codes: o.codes,
      sigma: o.sigma,
      steps: o.steps,
      epochs: o.epochs,
      batch: o.batch,
      lr: o.lr,
      lrPolicy: o.lrPolicy,
      perceptual,
      neighbours: o.neighbours,
      theta: o.theta,
      colourClusters: o.colourClusters,
      warmup: o.warmup,
      checkpointEvery: o.checkpointEvery,
      out,
      resume: o.resume,
      force: o.force,
      ep: o.ep,
      threads: o.threads,
      init: o.init,
      runOptions: typedOptions(parsed),
    },
    {
      log,
      // the family's own options (--images for latent, --neighbours for crn) are refused before any work
      onSpec: (spec, dataset) => {
        checkTrainingOptions(spec, { diversity: 'none', diversityPool: o.diversityPool }, given);
        run = { spec, dataset };
      },
      onStart: ({ ep, startStep, totalSteps, notes }) => {
        for (const note of notes) log(note);
        log(trainingLine(run!.spec, run!.dataset.description, ep, extentOf(budget, startStep, totalSteps)));
        if (perceptual) log(`content loss on ${perceptual.description}`);
        hooks.onStart?.({ spec: run!.spec, ep, startStep, totalSteps, data: run!.dataset.description });
      },
      onStep: (i) => hooks.onProgress?.(i),
      onCheckpoint: async (params) => {
        // held-out conditions where the data has them (the fixtures' test split)
        const shown = data === 'fixture' ? openConditionDataset({ data, input, split: 'test' }) : run!.dataset;
        preview ??= await conditionEvalItems(shown, run!.spec, 4);
        await renderPreview(path.join(out, 'preview.png'), run!.spec, params, preview);
      },
      shouldStop: () => Boolean(hooks.signal?.aborted) || (budget !== undefined && (performance.now() - started) / 1000 > budget),
    },
  );
  return { steps: r.steps, seconds: r.seconds, stopped: r.interrupted, generator: path.resolve(out, 'generator.onnx'), spec: r.spec, losses: r.lastLosses ?? {} };
}

/** Trains a generator as `divsyn train` does; `options` as an object, or as parsed flags (the CLI). */
export async function train(options: TrainOptions | ParsedOptions<typeof trainOptions>, hooks: TrainHooks = {}): Promise<TrainResult> {
  const log = (m: string) => hooks.onLog?.(m);
  const first = parsedOptions(trainOptions, options);
  const { values } = first;
  if (values.resume && values.force) throw usageError('give --resume or --force, not both');
  const record = values.resume ? readRunRecord(need(values, 'out')) : undefined;
  // a run from before run.json resumes with the options given again, as then
  const { parsed, notes } = record ? resumeOptions(record.options, first, trainOptions, trainResumeRules, { alternatives: [['steps', 'epochs']] }) : { parsed: first, notes: [] };
  const o = parsed.values;
  for (const note of notes) log(note);
  const out = need(o, 'out');
  const data = need(o, 'data');
  checkOutputDir(out);
  if (o.steps !== undefined && o.epochs !== undefined) throw usageError('give --epochs or --steps, not both');
  if (o.input !== 'labels') return trainOnInput(parsed, hooks, log);
  // --sigma and the like given with label maps
  checkInputOptions({ model: need(o, 'model'), input: o.input, command: 'train', given: parsed.given });
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
  const { dataset, skipped, checked } = await checkedDataset(openDataset(source), { ...hooks, skipBad: o.skipBad, recorded: o.resume ? (record?.skippedFiles ?? []) : undefined });
  const stepsPerEpoch = Math.ceil(dataset.length / o.batch);
  const totalSteps = o.steps ?? (o.epochs ?? 200) * stepsPerEpoch;
  const saved = o.resume ? savedProgress(out, o.seed, record) : undefined;
  const trainingOptions = defaultTrainingOptions(spec, {
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
  const open = batchOpener({
    dataset,
    width: spec.width,
    height: spec.height,
    batch: trainingOptions.batch,
    seed: o.seed,
    augment: !assignsTargets(spec),
    onWarning: checked ? () => undefined : (m) => log(`warning: ${m}`),
  });

  if (!o.resume) prepareOutputDir(out, o.force, hooks.nonEmptyHint ?? '--resume to continue it, or --force');
  const latent = assignsTargets(spec) ? await latentTraining(o, spec, dataset, out, log) : undefined;

  // the preview shows held-out layouts where the data has them (the fixture's test split)
  const previewSet = data === 'fixture' ? openDataset({ ...source, split: 'test' }) : dataset;
  const preview = await evalItems(previewSet, spec.width, spec.height, 4);
  const started = performance.now();
  const budget = hooks.stopAfterSeconds;
  const result = await runTrainer(
    {
      spec,
      options: trainingOptions,
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
      metadata: { data, seed: o.seed, lr, lrPolicy, ...trainingOptions, perceptual: trainingOptions.perceptual.description },
      runOptions: typedOptions(parsed),
      skippedFiles: skipped,
    },
    open,
    {
      onStart: ({ ep, startStep, notes }) => {
        for (const note of notes) log(note);
        log(trainingLine(spec, dataset.description, ep, extentOf(budget, startStep, totalSteps)));
        if (perceptual) log(`content loss on ${perceptual.description}`);
        hooks.onStart?.({ spec, ep, startStep, totalSteps, data: dataset.description });
      },
      onStep: (i) => hooks.onProgress?.(i),
      onCheckpoint: (params) => renderPreview(path.join(out, 'preview.png'), spec, params, preview),
      shouldStop: () => Boolean(hooks.signal?.aborted) || (budget !== undefined && (performance.now() - started) / 1000 > budget),
    },
  );
  return { steps: result.steps, seconds: result.seconds, stopped: result.interrupted, generator: path.resolve(out, 'generator.onnx'), spec, losses: result.lastLosses ?? {} };
}
