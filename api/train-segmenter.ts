// trainSegmenter(): a U-Net segmenter (photo -> class scores) trained with divsyn's own builder, so the
// realism measures of evaluate() need nothing pretrained. Writes S.onnx (docs/formats.md#segmenter-file);
// an AbortSignal stops it with the file as it is so far.
import fs from 'node:fs';
import path from 'node:path';
import { SegmenterSpec } from '../graph/programs/segmenter.js';
import { outputError, usageError } from '../common/errors.js';
import { EpChoice } from '../runtime/session.js';
import { openSegmenter } from '../metrics/segmenter.js';
import { SegmentationScore } from '../metrics/segmentation.js';
import { openDataset } from '../train/datasets.js';
import { batchOpener, evalItems } from '../train/loader.js';
import { SegmenterStepInfo, trainSegmenter as runSegmenterTrainer } from '../train/segmenter-trainer.js';
import { classOptions, dataOptions, epOption, forceOption, resolveClasses, seedOption, threadsOption } from './common.js';
import { OptionsInput, ParsedOptions, float, int, need, parsedOptions, str } from './options.js';
import { DataCheckHooks, checkedDataset, skipBadOption } from './data-check.js';
import { checkOutputFile } from '../common/output-paths.js';
import { MAX_SIDE } from '../graph/families/index.js';

/** Enough to segment the fixture at 64 px (its time and accuracy: docs/design.md#speed). */
const DEFAULT_STEPS = 2000;

function segmenterSize(v: string): number {
  const s = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(Math.log2(s)) || s < 32 || s > MAX_SIDE) throw usageError(`option --size: the segmenter's U-Net needs a power of two from 32 to ${MAX_SIDE}, got '${v}'`);
  return s;
}

/** Pixel accuracy and mean IoU of the saved file on held-out photos (the fixture's test split). */
async function heldOutScore(file: string, spec: SegmenterSpec, o: { threads?: number; ep: EpChoice }) {
  const items = await evalItems(openDataset({ data: 'fixture', classes: spec.classes, split: 'test' }), spec.size);
  const seg = await openSegmenter(file, spec.classes, { height: spec.size, width: spec.size }, { threads: o.threads, ep: o.ep });
  try {
    const acc = seg.accumulator();
    for (const it of items) await acc.add(it.photo, it.layout, 1);
    return acc.score();
  } finally {
    await seg.release();
  }
}

export const trainSegmenterOptions = {
  ...dataOptions('training photos and labels'),
  ...classOptions,
  size: str({ help: 'image size S (a power of two >= 32); the file segments S x S images', meta: 'S' }),
  width: int({ min: 1, max: 1024, default: 16, help: 'base channel count of the U-Net', meta: 'W' }),
  steps: int({ min: 1, help: `training steps (default ${DEFAULT_STEPS})`, meta: 'N' }),
  epochs: int({ min: 1, help: 'passes over the data (instead of --steps)', meta: 'E' }),
  batch: int({ min: 1, max: 1024, default: 4, help: 'batch size', meta: 'B' }),
  lr: float({ min: 0, default: 5e-3, help: 'Adam learning rate (cosine decay to 0)', meta: 'LR' }),
  checkpointEvery: int({ min: 1, default: 500, help: 'steps between writes of the file', meta: 'N' }),
  ...skipBadOption,
  ...seedOption(),
  ...epOption,
  ...threadsOption,
  out: str({ help: 'the segmenter file', meta: 'S.onnx' }),
  ...forceOption('overwrite an existing file'),
};

/** trainSegmenter()'s options: the `divsyn train-segmenter` flags in camelCase; data, size and out are required. */
export type TrainSegmenterOptions = OptionsInput<typeof trainSegmenterOptions>;

export interface TrainSegmenterHooks extends DataCheckHooks {
  onStart?(start: { ep: string; parameters: number; totalSteps: number; size: number; data: string }): void;
  onProgress?(step: SegmenterStepInfo): void;
  /** Aborting stops the training after its next step, the file written as it is. */
  signal?: AbortSignal;
}

export interface TrainSegmenterResult {
  steps: number;
  seconds: number;
  loss: number;
  stopped: boolean;
  /** The segmenter file, absolute. */
  file: string;
  /** On the fixture: pixel accuracy and mean IoU on its test split. */
  heldOut?: SegmentationScore;
}

/** Trains a segmenter as `divsyn train-segmenter` does. */
export async function trainSegmenter(options: TrainSegmenterOptions | ParsedOptions<typeof trainSegmenterOptions>, hooks: TrainSegmenterHooks = {}): Promise<TrainSegmenterResult> {
  const { values: o } = parsedOptions(trainSegmenterOptions, options);
  const out = need(o, 'out');
  checkOutputFile(out);
  const dataArg = need(o, 'data');
  const size = segmenterSize(need(o, 'size'));
  if (o.steps !== undefined && o.epochs !== undefined) throw usageError('give --epochs or --steps, not both');
  // the fixture's classes are CMP Facades'
  const palette = dataArg === 'fixture' && o.palette === undefined && o.classes === undefined ? 'cmp-facades' : o.palette;
  const spec: SegmenterSpec = { classes: resolveClasses({ classes: o.classes, palette }), size, width: o.width };
  if (fs.existsSync(out) && !o.force) throw outputError(`'${out}' exists (use --force to overwrite it)`);
  const { dataset } = await checkedDataset(openDataset({ data: dataArg, format: o.format, direction: o.direction, classes: spec.classes }), { ...hooks, skipBad: o.skipBad });
  const batch = o.batch;
  const totalSteps = o.steps ?? (o.epochs !== undefined ? o.epochs * Math.ceil(dataset.length / batch) : DEFAULT_STEPS);

  const r = await runSegmenterTrainer(
    {
      spec,
      batch,
      seed: o.seed,
      lr: o.lr,
      totalSteps,
      checkpointEvery: o.checkpointEvery,
      out,
      ep: o.ep,
      threads: o.threads,
      metadata: { data: dataArg, seed: o.seed, lr: o.lr, batch, width: spec.width, totalSteps },
    },
    batchOpener({ dataset, width: size, batch, seed: o.seed }),
    {
      onStart: ({ ep, parameters }) => hooks.onStart?.({ ep, parameters, totalSteps, size, data: dataset.description }),
      onStep: (i) => hooks.onProgress?.(i),
      shouldStop: () => Boolean(hooks.signal?.aborted),
    },
  );
  const heldOut = dataArg === 'fixture' && !r.interrupted ? await heldOutScore(out, spec, o) : undefined;
  return { steps: r.steps, seconds: r.seconds, loss: r.loss, stopped: r.interrupted, file: path.resolve(out), ...(heldOut ? { heldOut } : {}) };
}
