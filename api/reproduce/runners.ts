// The stages a reproduction is made of, each one of the library's operations: a segmenter trained on the
// training photos, generators trained (resumed from their own checkpoint when an earlier attempt was
// killed), and each generator evaluated on the test split. Results keep paths relative to the
// reproduction's folder, so that two reproductions of the same settings give the same report.
import fs from 'node:fs';
import path from 'node:path';
import { activationOutputs } from '../../graph/perceptual.js';
import { dataError } from '../../common/errors.js';
import { runRecordFile } from '../../train/run-record.js';
import { readSegmenter } from '../../runtime/segmenter-file.js';
import { Direction } from '../../train/datasets.js';
import { InputKind } from '../../graph/spec.js';
import { ConditionKind, openConditionDataset } from '../../train/condition-data.js';
import { ModelReport } from '../../metrics/evaluate.js';
import { TrainOptions, train } from '../train.js';
import { trainSegmenter } from '../train-segmenter.js';
import { evaluate } from '../evaluate.js';
import { StageHooks, StageStopped } from './stages.js';

/** Where a reproduction's training and test items come from. */
export interface PaperData {
  /** What conditions the generators: label maps (of `train.palette`), a normal map or landmarks. */
  input: InputKind;
  /** The options train() and trainSegmenter() read the training split with (no palette for a normal map or landmarks). */
  train: { data: string; direction?: Direction; palette?: string; input?: ConditionKind };
  /** The options evaluate() reads the test split with. */
  test: { data: string; direction?: Direction; split?: string };
  /** For the report: the data in words. */
  description: string;
}

/** What a dataset root of each input holds in its train/ and test/ (or val/) folders. */
const ROOT_HOLDS: Record<InputKind, string> = {
  labels: 'a pix2pix dataset root',
  image: 'a dataset root whose train/ and test/ hold normals/ and photos/',
  landmarks: 'a dataset root whose train/ and test/ hold landmarks/ and photos/',
};

/**
 * --data fixture (its train and test splits: the facades, or with --input image the heads, landmarks the
 * faces), or a dataset root: ROOT/train for training and ROOT/test (else ROOT/val) for testing, each a
 * pix2pix folder, or for a normal map or landmarks a folder as train/condition-data.ts reads them.
 */
export function paperData(data: string, direction: Direction, palette: string, input: InputKind = 'labels'): PaperData {
  const conditioned = input === 'labels' ? {} : { input };
  if (data === 'fixture') {
    const description = input === 'labels' ? 'the bundled procedural facades (train 400, test 50)' : openConditionDataset({ data, input, split: 'test' }).description.replace(/ \(test split.*\)$/, '');
    return { input, train: { data, ...(input === 'labels' ? { palette } : conditioned) }, test: { data, split: 'test' }, description };
  }
  const split = (name: string) => path.join(data, name);
  const isDir = (p: string) => fs.existsSync(p) && fs.statSync(p).isDirectory();
  const holds = ROOT_HOLDS[input];
  if (!isDir(data)) throw dataError(`--data '${data}' is not a folder (give ${holds} with train/ and test/, or 'fixture')`);
  if (!isDir(split('train'))) throw dataError(`--data '${data}' has no train/ folder (${holds} holds train/ and test/, val/ optional)`);
  const testDir = ['test', 'val'].map(split).find(isDir);
  if (!testDir) throw dataError(`--data '${data}' has neither test/ nor val/ to evaluate on`);
  if (input !== 'labels')
    return { input, train: { data: split('train'), input }, test: { data: testDir }, description: `${input} folder '${data}': train/ for training, ${path.basename(testDir)}/ for testing` };
  return {
    input,
    train: { data: split('train'), direction, palette },
    test: { data: testDir, direction },
    description: `pix2pix folder '${data}' (${direction}): train/ for training, ${path.basename(testDir)}/ for testing`,
  };
}

/** How the stages run: threads and provider (not settings: they change speed, not results, given the same threads). */
export interface RunEnvironment {
  threads?: number;
  ep: 'cpu' | 'cuda' | 'webgpu' | 'auto';
  /** Steps between a training's checkpoints (how often work is saved, not what it computes). */
  checkpointEvery: number;
  hooks: StageHooks;
  /** The reproduction's folder (results name files relative to it). */
  root: string;
}

export interface TrainedModel {
  /** The generator file, relative to the reproduction's folder. */
  generator: string;
  steps: number;
}

/** A generator trained into `dir`; continues the run there when an earlier attempt recorded one (train's resume). */
export async function trainStage(stage: string, dir: string, options: TrainOptions, env: RunEnvironment): Promise<TrainedModel> {
  const resumable = fs.existsSync(runRecordFile(dir));
  // an attempt killed before train recorded its run left nothing worth keeping
  if (!resumable) fs.rmSync(dir, { recursive: true, force: true });
  const hooks = {
    signal: env.hooks.signal,
    onLog: (m: string) => env.hooks.onLog?.(m),
    onProgress: (s: { step: number; totalSteps: number }) => env.hooks.onSteps?.(stage, s.step, s.totalSteps),
  };
  const r = await train(
    resumable ? { out: dir, resume: true, threads: env.threads, ep: env.ep } : { ...options, checkpointEvery: env.checkpointEvery, out: dir, threads: env.threads, ep: env.ep },
    hooks,
  );
  if (r.stopped) throw new StageStopped(stage);
  return { generator: path.relative(env.root, r.generator), steps: r.steps };
}

export interface SegmenterSettings {
  size: number;
  width: number;
  steps: number;
  seed: number;
}

/** A segmenter trained on the training photos into dir/segmenter.onnx (it has no checkpoint to continue: an interrupted one starts again). */
export async function segmenterStage(stage: string, dir: string, data: PaperData, s: SegmenterSettings, env: RunEnvironment): Promise<{ file: string; steps: number }> {
  fs.rmSync(dir, { recursive: true, force: true });
  const out = path.join(dir, 'segmenter.onnx');
  const r = await trainSegmenter(
    { ...data.train, palette: data.train.palette, size: String(s.size), width: s.width, steps: s.steps, seed: s.seed, out, threads: env.threads, ep: env.ep },
    { signal: env.hooks.signal, onLog: (m) => env.hooks.onLog?.(m), onProgress: (i) => env.hooks.onSteps?.(stage, i.step, i.totalSteps) },
  );
  if (r.stopped) throw new StageStopped(stage);
  return { file: path.relative(env.root, r.file), steps: r.steps };
}

/** The feature network of the diversity measure: --features with its taps, else the segmenter's three deepest encoder layers. */
export interface MeasureFeatures {
  file: string;
  taps?: string;
  norm: 'imagenet' | 'none';
}

export function segmenterFeatures(segmenterFile: string): MeasureFeatures {
  const encoder = activationOutputs(readSegmenter(segmenterFile).bytes, ['LeakyRelu']);
  return { file: segmenterFile, taps: encoder.slice(-3).join(','), norm: 'none' };
}

/** One model's measures on the test split, as the reproduction's tables use them. */
export interface ModelScores {
  accuracy: number;
  iou: number;
  diversity: number;
  linking?: number;
  l1_truth: number;
  feature_std?: number;
  feature_distance?: number;
  rmse: { best: number; mean: number };
  ssim: { best: number; mean: number };
  fsim: { best: number; mean: number };
  fsimc: { best: number; mean: number };
  /** The segmenter on the true photos. */
  real: { accuracy: number; iou: number };
  /** evaluate()'s sample grid and gradation strip, relative to the reproduction's folder. */
  grid: string;
  sweep?: string;
}

export interface EvaluateSettings {
  samples: number;
  limit?: number;
  seed: number;
  codes?: 'new' | 'train';
}

const round = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? x : +x.toFixed(6));
const roundPair = (p: { best: number; mean: number }) => ({ best: round(p.best)!, mean: round(p.mean)! });

/** The measures of realism, which need a segmenter (label maps). */
type Realism = 'accuracy' | 'iou' | 'real';
/** A model fed a normal map or landmarks, measured without a segmenter. */
export type ConditionScores = Omit<ModelScores, Realism>;

/** evaluate() of one generator on the test split with the segmenter (none for a normal map or landmarks: no realism) and feature network into dir. */
export async function evaluateStage(
  dir: string,
  generator: string,
  segmenter: string,
  features: MeasureFeatures | undefined,
  data: PaperData,
  s: EvaluateSettings,
  env: RunEnvironment,
): Promise<ModelScores>;
export async function evaluateStage(
  dir: string,
  generator: string,
  segmenter: undefined,
  features: MeasureFeatures | undefined,
  data: PaperData,
  s: EvaluateSettings,
  env: RunEnvironment,
): Promise<ConditionScores>;
export async function evaluateStage(
  dir: string,
  generator: string,
  segmenter: string | undefined,
  features: MeasureFeatures | undefined,
  data: PaperData,
  s: EvaluateSettings,
  env: RunEnvironment,
): Promise<ConditionScores & Partial<Pick<ModelScores, Realism>>> {
  const abs = (p: string) => path.resolve(env.root, p);
  const report = await evaluate({
    model: [abs(generator)],
    ...data.test,
    ...(segmenter ? { segmenter: abs(segmenter) } : {}),
    ...(features ? { features: abs(features.file), featureTaps: features.taps, featureNorm: features.norm } : {}),
    count: s.samples,
    limit: s.limit,
    seed: s.seed,
    ...(s.codes ? { codes: s.codes } : {}),
    threads: env.threads,
    out: dir,
    force: true,
  });
  const m: ModelReport = report.models[0];
  const rel = (name: string) => path.relative(env.root, path.join(dir, name));
  const sweep = fs.readdirSync(dir).find((f) => f.startsWith('sweep_0_'));
  return {
    ...(m.realism ? { accuracy: round(m.realism.pixelAccuracy)!, iou: round(m.realism.meanIoU)! } : {}),
    diversity: round(m.diversity.diversity)!,
    ...(m.diversity.linking !== undefined ? { linking: round(m.diversity.linking) } : {}),
    l1_truth: round(m.diversity.l1_truth)!,
    ...(m.diversity.feature_std !== undefined ? { feature_std: round(m.diversity.feature_std), feature_distance: round(m.diversity.feature_distance) } : {}),
    rmse: roundPair(m.accuracy.rmse),
    ssim: roundPair(m.accuracy.ssim),
    fsim: roundPair(m.accuracy.fsim),
    fsimc: roundPair(m.accuracy.fsimc),
    ...(report.real ? { real: { accuracy: round(report.real.pixelAccuracy)!, iou: round(report.real.meanIoU)! } } : {}),
    grid: rel('samples_0.png'),
    ...(sweep ? { sweep: rel(sweep) } : {}),
  };
}
