// divsyn train-segmenter: a U-Net segmenter (photo -> class scores) trained with our own builder, so the
// realism check of divsyn eval needs nothing pretrained. Writes S.onnx (docs/formats.md#segmenter-file).
import fs from 'node:fs';
import path from 'node:path';
import { SegmenterSpec } from '../../graph/programs/segmenter.js';
import { InterruptedRun, outputError, usageError } from '../../common/errors.js';
import { EpChoice } from '../../runtime/session.js';
import { openSegmenter } from '../../metrics/segmenter.js';
import { openDataset } from '../../train/datasets.js';
import { batchOpener, evalItems } from '../../train/loader.js';
import { trainSegmenter } from '../../train/segmenter-trainer.js';
import { defineCommand } from '../command.js';
import { classOptions, dataOptions, epOption, forceOption, resolveClasses, seedOption, threadsOption } from '../../api/common.js';
import { float, int, need, str } from '../../api/options.js';
import { checkedDataset, skipBadOption } from '../../api/data-check.js';
import { checkOutputFile } from '../../common/output-paths.js';
import { MAX_SIDE } from '../../graph/families/index.js';
import { Progress } from '../progress.js';
import { catchInterrupt } from '../interrupt.js';

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

export const trainSegmenterCommand = defineCommand({
  name: 'train-segmenter',
  summary: 'Train a U-Net segmenter (photo to classes) for the realism measures of divsyn eval.',
  options: trainSegmenterOptions,
  required: ['data', 'size', 'out'],
  async run({ values: o }) {
    const out = need(o, 'out');
    checkOutputFile(out);
    const dataArg = need(o, 'data');
    const size = segmenterSize(need(o, 'size'));
    if (o.steps !== undefined && o.epochs !== undefined) throw usageError('give --epochs or --steps, not both');
    // the fixture's classes are CMP Facades'
    const palette = dataArg === 'fixture' && o.palette === undefined && o.classes === undefined ? 'cmp-facades' : o.palette;
    const spec: SegmenterSpec = { classes: resolveClasses({ classes: o.classes, palette }), size, width: o.width };
    if (fs.existsSync(out) && !o.force) throw outputError(`'${out}' exists (use --force to overwrite it)`);
    const { dataset } = await checkedDataset(openDataset({ data: dataArg, format: o.format, direction: o.direction, classes: spec.classes }), { skipBad: o.skipBad });
    const batch = o.batch;
    const totalSteps = o.steps ?? (o.epochs !== undefined ? o.epochs * Math.ceil(dataset.length / batch) : DEFAULT_STEPS);

    let bar: Progress | undefined;
    const interrupt = catchInterrupt('writing the segmenter');
    let r: Awaited<ReturnType<typeof trainSegmenter>>;
    try {
      r = await trainSegmenter(
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
          onStart: ({ ep, parameters }) => {
            console.error(`training a ${size}x${size} segmenter (${parameters.toLocaleString('en')} parameters) on ${dataset.description} with ${ep}, ${totalSteps} steps`);
            bar = new Progress('step', totalSteps);
          },
          onStep: (i) => bar?.update(i.step, `loss ${i.loss.toFixed(3)}`),
          shouldStop: () => interrupt.requested,
        },
      );
    } finally {
      interrupt.dispose();
    }
    bar?.done();
    if (r.interrupted) {
      console.error(`stopped at step ${r.steps}; the segmenter so far is in ${out}`);
      process.exitCode = 130;
      throw new InterruptedRun();
    }
    let summary = `trained ${r.steps} steps in ${r.seconds.toFixed(0)} s (loss ${r.loss.toFixed(3)}): ${path.resolve(out)}`;
    if (dataArg === 'fixture') {
      const s = await heldOutScore(out, spec, o);
      summary += `; on the fixture's test split: pixel accuracy ${s.pixelAccuracy.toFixed(3)}, mean IoU ${s.meanIoU.toFixed(3)}`;
    }
    console.log(summary);
  },
});
