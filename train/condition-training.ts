// Training generators conditioned on a normal map or landmark heat maps (--input image|landmarks): the
// option checks the command line makes before any work, the model's spec from the data (its channel
// count) and the options, the latent model's neighbour targets by the conditions' distance, and
// trainOnConditions, one call from the data to a run folder (what the command line and He et al.'s
// reproduction call; docs/design.md).
import path from 'node:path';
import { ArchValues, acceptsInput, assignsTargets, defaultTrainingOptions, familyOf, modelsTaking, optionApplies } from '../graph/families/index.js';
import { ConditionSpec, GeneratorSpec, INPUT_KINDS, InputKind, LrPolicy, ModelKind, PIXELS_ONLY, TrainingOptions } from '../graph/spec.js';
import { NormKind } from '../graph/models/layers.js';
import { PerceptualSpec } from '../graph/perceptual.js';
import { usageError } from '../common/errors.js';
import { prepareOutputDir } from '../common/files.js';
import { chwToRgb } from '../common/image.js';
import { EpChoice } from '../runtime/session.js';
import { readInitGenerator } from '../runtime/model-file.js';
import { CodeKind, trainingCodes } from './codes.js';
import { ConditionDataset, ConditionKind, conditionReader, datasetCondition, openConditionDataset } from './condition-data.js';
import { scalePoints } from './augment.js';
import { batchOpener, evalItemsOf, EvalItem } from './loader.js';
import { conditionNeighbourTable, loadOrComputeNeighbours, neighbourKey } from './neighbours.js';
import { neighbourSummary, neighbourTargets } from './neighbour-targets.js';
import { LatentTraining, TrainHooks, TrainResult, train } from './trainer.js';

/** σ of the landmarks' heat maps in pixels at the model's size, unless --sigma says otherwise. */
export const DEFAULT_SIGMA = 2;

/** Why an option that needs label maps does not apply to a model fed normal maps or landmarks. */
const LABEL_MAP_OPTIONS: Record<string, string> = {
  palette: 'names the classes of label maps',
  classes: 'counts the classes of label maps',
  format: 'reads label-map datasets (a folder for --input image holds normals/ and photos/, for landmarks landmarks/ and photos/)',
  direction: 'reads pix2pix A|B folders of label maps',
  lambda: 'bounds the diversity loss per class',
  beta: 'weighs the diversity loss, whose per-class noise needs classes',
  betaRamp: 'ramps in the diversity loss, whose per-class noise needs classes',
  diversityPool: 'pools the diversity loss, whose per-class noise needs classes',
  passContent: 'shapes the content loss of the diversity loss’s two noisy passes',
  noiseSearch: 'searches the per-class noise',
  noiseContent: 'weighs the content loss of the per-class noise’s pass',
  withNoise: 'adds the per-class noise, one knob per class',
  skipBad: 'skips the bad items the label-map dataset check finds (condition data has no such check yet; a bad file fails when it is read, naming it)',
  noise: 'sets a class’s noise',
  sweep: 'sweeps a class’s noise',
  sweepSteps: 'sweeps a class’s noise',
};

/** Options with another meaning per command: eval's --segmenter measures realism by segmenting into classes. */
const LABEL_MAP_OPTIONS_OF: Record<string, Record<string, string>> = {
  eval: { segmenter: 'measures realism by segmenting the samples into classes' },
};

const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The usage errors of --input and --sigma, before any work: the model must take the input kind; a model
 * fed normal maps or landmarks has no classes, so the diversity loss (its per-class noise) and every option
 * about classes is refused, naming the option; --sigma applies to landmarks only. `given`: the options typed
 * (by their option keys, as the command line declares them), `values` their values where one matters
 * (diversity), `command` the command (eval's --segmenter needs classes; train's is a content network).
 */
export function checkInputOptions(o: { model: ModelKind; input: InputKind; command: string; given: ReadonlySet<string>; values?: { diversity?: string } }): void {
  const { model, input, given } = o;
  if (!INPUT_KINDS.includes(input)) throw usageError(`--input '${input}' is not one of ${INPUT_KINDS.join(', ')}`);
  if (!acceptsInput(model, input)) throw usageError(`--input ${input} applies to --model ${modelsTaking(input).join(' and ')}, not --model ${model}`);
  if (given.has('sigma') && input !== 'landmarks') throw usageError(`--sigma applies to --input landmarks (the heat maps' σ), not --input ${input}`);
  if (input === 'labels') return;
  if (given.has('diversity') && o.values?.diversity !== undefined && o.values.diversity !== 'none')
    throw usageError(`--diversity ${o.values.diversity} needs label maps: its per-class noise has one knob per class, and --input ${input} has no classes (use --diversity none)`);
  const reasons = { ...LABEL_MAP_OPTIONS, ...(LABEL_MAP_OPTIONS_OF[o.command] ?? {}) };
  for (const key of Object.keys(reasons)) if (given.has(key)) throw usageError(`${flagOf(key)} ${reasons[key]}: it does not apply to --input ${input}`);
}

/** The architecture of a model fed a condition: the family's own values (latent) as the command line gives them. */
export interface ConditionModelOptions {
  model: ModelKind;
  height: number;
  width: number;
  /** Base channel count (--width; default the family's). */
  channels?: number;
  norm?: NormKind;
  /** Seeds the latent model's training codes. */
  seed: number;
  branches?: number;
  split?: 'early' | 'late';
  splitDepth?: number;
  sharing?: 'shared' | 'separate';
  dropRate?: number;
  codes?: CodeKind;
}

/** The generator's spec: no classes, the condition, and the family's own fields (errors as usage errors, naming the option). */
export function conditionGeneratorSpec(o: ConditionModelOptions, condition: ConditionSpec): GeneratorSpec {
  const family = familyOf(o.model);
  if (!family.conditions.includes(condition.kind)) throw usageError(`--input ${condition.kind} applies to --model ${modelsTaking(condition.kind).join(' and ')}, not --model ${o.model}`);
  const text = `${o.height}x${o.width}`;
  const problem = family.sizeProblem(o.height, o.width, text);
  if (problem) throw usageError(`option --size: ${problem}`);
  const dropRate = o.dropRate ?? 0.5;
  const arch: ArchValues = {
    images: 9,
    branches: o.branches ?? 8,
    split: o.split ?? 'early',
    splitDepth: o.splitDepth ?? 2,
    sharing: o.sharing ?? 'shared',
    dropRate,
    withNoise: false,
    trainingCodes: (n, dim) => trainingCodes(o.seed, n, dim, o.codes ?? 'binary', dropRate),
  };
  try {
    return family.buildSpec({ model: o.model, classes: [], condition, height: o.height, width: o.width, channels: o.channels ?? family.defaultChannels, norm: o.norm ?? 'instance' }, arch);
  } catch (e) {
    throw usageError((e as Error).message);
  }
}

/** The data's items for measures and previews: the condition [K, H, W] and the photo, unaugmented, at the model's size. */
export function conditionEvalItems(dataset: ConditionDataset, spec: GeneratorSpec, count?: number): Promise<EvalItem[]> {
  return evalItemsOf(conditionReader(dataset, spec.condition!), spec.width, spec.height, count);
}

export interface ConditionNeighbours {
  neighbours: number;
  theta: number;
  colourClusters: number;
  warmup: number;
  seed: number;
}

/**
 * The latent model's targets over a condition dataset: the neighbour table by the conditions' distance
 * (train/neighbours.ts conditionNeighbourTable; points at the model's size for landmarks), cached in
 * RUN/neighbours.json, and the neighbours' photos; the warm-up alone without neighbours.
 */
export async function conditionLatentTraining(o: ConditionNeighbours, spec: GeneratorSpec, dataset: ConditionDataset, out: string, log: (m: string) => void): Promise<LatentTraining> {
  const k = o.neighbours;
  if (k === 0) return { warmupSteps: o.warmup };
  const { height: h, width: w } = spec;
  const c = spec.condition!;
  const items = await conditionEvalItems(dataset, spec);
  const photos = items.map((it) => chwToRgb(it.photo, h, w).data);
  const points =
    c.kind === 'landmarks' ? await Promise.all(items.map(async (_, i) => dataset.load(i, { width: w, height: h }).then((s) => scalePoints(s.points!, s.width, s.height, w, h)))) : undefined;
  const options = { theta: o.theta, k, clusters: o.colourClusters, seed: o.seed };
  const key = neighbourKey(`${dataset.description} ${w}x${h} ${JSON.stringify(c)}`, options);
  const table = loadOrComputeNeighbours(path.join(out, 'neighbours.json'), key, () =>
    conditionNeighbourTable(
      items.map((it, i) => ({ ...(points ? { points: points[i] } : { planes: it.layout }), width: w, height: h, photo: photos[i] })),
      { ...options, kind: c.kind, sigma: c.sigma },
    ),
  );
  log(neighbourSummary(table, o.theta, k));
  return neighbourTargets(table, items, k, o.warmup);
}

export interface ConditionTrainOptions extends ConditionModelOptions {
  input: ConditionKind;
  /** 'fixture' (the bundled heads or faces) or a folder (train/condition-data.ts). */
  data: string;
  /** landmarks: the heat maps' σ in pixels at the model's size (default DEFAULT_SIGMA). */
  sigma?: number;
  /** Training steps, or else --epochs passes over the data (default 200). */
  steps?: number;
  epochs?: number;
  batch?: number;
  lr?: number;
  lrPolicy?: LrPolicy;
  /** The content loss's network (default pixels only). */
  perceptual?: PerceptualSpec;
  /** latent: neighbour targets per input (0: best-of-n), their θ (default 0.45), colour clusters, warm-up steps. */
  neighbours?: number;
  theta?: number;
  colourClusters?: number;
  warmup?: number;
  /** Augmentation (crop, flip) of the training items; default as label maps: on, except for latent models (their targets are compared unaugmented). */
  augment?: boolean;
  checkpointEvery?: number;
  out: string;
  resume?: boolean;
  /** Start a new run in a non-empty out. */
  force?: boolean;
  ep?: EpChoice;
  threads?: number;
  initGenerator?: Map<string, Float32Array>;
  /** A generator file to start from (--init), checked against the run's spec once it is known. */
  init?: string;
  /** The command's options for RUN/run.json (what --resume takes back). */
  runOptions?: Record<string, unknown>;
}

export interface ConditionTrainHooks extends TrainHooks {
  /** One line at a time of what the run does (the neighbour table). */
  log?: (message: string) => void;
  /** The run's dataset and spec, once known (previews render from them). */
  onSpec?: (spec: GeneratorSpec, dataset: ConditionDataset) => void;
}

/**
 * Trains `o.model` on condition data: the dataset opened (a missing partner named), the spec from its
 * channel count, the loader over its reader, the latent model's targets, then the training loop of
 * train/trainer.ts (checkpoints, resume). No diversity loss: the per-class noise needs classes.
 */
export async function trainOnConditions(o: ConditionTrainOptions, hooks: ConditionTrainHooks = {}): Promise<TrainResult & { spec: GeneratorSpec; dataset: ConditionDataset }> {
  if (o.resume && o.force) throw usageError('give --resume or --force, not both');
  const dataset = openConditionDataset({ data: o.data, input: o.input });
  if (o.sigma !== undefined && o.input !== 'landmarks') throw usageError(`--sigma applies to --input landmarks, not --input ${o.input}`);
  const spec = conditionGeneratorSpec(o, datasetCondition(dataset, o.sigma ?? DEFAULT_SIGMA));
  const family = familyOf(spec);
  hooks.onSpec?.(spec, dataset);
  const initGenerator = o.initGenerator ?? (o.init ? readInitGenerator(o.init, spec) : undefined);
  const options: TrainingOptions = defaultTrainingOptions(spec, {
    diversity: 'none',
    perceptual: family.contentNetwork ? (o.perceptual ?? PIXELS_ONLY) : PIXELS_ONLY,
    batch: o.batch ?? 1,
    neighbours: optionApplies('neighbours', spec, 'none') ? (o.neighbours ?? 0) : 0,
  });
  if (!o.resume) prepareOutputDir(o.out, Boolean(o.force), '--resume to continue it, or --force');
  const latent = assignsTargets(spec)
    ? await conditionLatentTraining(
        { neighbours: options.neighbours, theta: o.theta ?? 0.45, colourClusters: o.colourClusters ?? 0, warmup: o.warmup ?? 0, seed: o.seed },
        spec,
        dataset,
        o.out,
        hooks.log ?? (() => {}),
      )
    : undefined;
  if (!latent && (o.neighbours || o.warmup)) throw usageError(`--neighbours and --warmup apply to --model latent, not --model ${o.model}`);
  const open = batchOpener({
    reader: conditionReader(dataset, spec.condition!),
    width: spec.width,
    height: spec.height,
    batch: options.batch,
    seed: o.seed,
    augment: o.augment ?? !assignsTargets(spec),
  });
  const lr = o.lr ?? family.defaults.lr;
  const lrPolicy = o.lrPolicy ?? family.defaults.lrPolicy;
  const result = await train(
    {
      spec,
      options,
      seed: o.seed,
      lr,
      lrPolicy,
      latent,
      totalSteps: o.steps ?? (o.epochs ?? 200) * Math.ceil(dataset.length / options.batch),
      checkpointEvery: o.checkpointEvery ?? 500,
      out: o.out,
      resume: Boolean(o.resume),
      ep: o.ep ?? 'cpu',
      threads: o.threads,
      initGenerator,
      metadata: { data: o.data, input: o.input, seed: o.seed, lr, lrPolicy, ...options, perceptual: options.perceptual.description },
      runOptions: o.runOptions,
    },
    open,
    hooks,
  );
  return { ...result, spec, dataset };
}
