// divsyn train-segmenter: a U-Net segmenter (photo -> class scores) trained with our own builder, so the
// realism check of divsyn eval needs nothing pretrained. Writes S.onnx (docs/formats.md#segmenter-file).
import fs from 'node:fs';
import path from 'node:path';
import { SegmenterSpec } from '../../graph/programs/segmenter.js';
import { InterruptedRun, UserError, usageError } from '../../common/errors.js';
import { EP_CHOICES, EpChoice } from '../../runtime/session.js';
import { openSegmenter } from '../../metrics/segmenter.js';
import { DataFormat, Direction, openDataset } from '../../train/datasets.js';
import { batchOpener, evalItems } from '../../train/loader.js';
import { trainSegmenter } from '../../train/segmenter-trainer.js';
import { Parsed, required } from '../args.js';
import { Command } from '../command.js';
import { classOptions, resolveClasses, seedOption, dataOptions } from '../common.js';
import { Progress } from '../progress.js';
import { catchInterrupt } from '../interrupt.js';

/** Enough to segment the fixture at 64 px (its time and accuracy: docs/design.md#speed). */
const DEFAULT_STEPS = 2000;

function segmenterSize(v: string): number {
  const s = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(Math.log2(s)) || s < 32) throw usageError(`option --size: the segmenter's U-Net needs a power of two of at least 32, got '${v}'`);
  return s;
}

/** Pixel accuracy and mean IoU of the saved file on held-out photos (the fixture's test split). */
async function heldOutScore(file: string, spec: SegmenterSpec, o: Parsed) {
  const items = await evalItems(openDataset({ data: 'fixture', classes: spec.classes, split: 'test' }), spec.size);
  const seg = await openSegmenter(file, spec.classes, { height: spec.size, width: spec.size }, { threads: o.threads as number | undefined, ep: o.ep as EpChoice });
  try {
    const acc = seg.accumulator();
    for (const it of items) await acc.add(it.photo, it.layout, 1);
    return acc.score();
  } finally {
    await seg.release();
  }
}

export const trainSegmenterCommand: Command = {
  name: 'train-segmenter',
  usage: 'divsyn train-segmenter --data PATH|fixture --size S [--width W] [--steps N | --epochs E] [options] --out S.onnx',
  summary: 'Train a U-Net segmenter (photo to classes) for the realism measures of divsyn eval.',
  options: [
    ...dataOptions('training photos and labels'),
    ...classOptions,
    { name: 'size', type: 'string', help: 'image size S (a power of two >= 32); the file segments S x S images', meta: 'S' },
    { name: 'width', type: 'int', min: 1, max: 1024, default: 16, help: 'base channel count of the U-Net', meta: 'W' },
    { name: 'steps', type: 'int', min: 1, help: `training steps (default ${DEFAULT_STEPS})`, meta: 'N' },
    { name: 'epochs', type: 'int', min: 1, help: 'passes over the data (instead of --steps)', meta: 'E' },
    { name: 'batch', type: 'int', min: 1, max: 1024, default: 4, help: 'batch size', meta: 'B' },
    { name: 'lr', type: 'float', min: 0, default: 5e-3, help: 'Adam learning rate (cosine decay to 0)', meta: 'LR' },
    { name: 'checkpoint-every', type: 'int', min: 1, default: 500, help: 'steps between writes of the file', meta: 'N' },
    seedOption,
    { name: 'ep', type: 'enum', choices: EP_CHOICES, default: 'cpu', help: 'execution provider (auto tries cuda, webgpu, cpu)' },
    { name: 'threads', type: 'int', min: 1, max: 256, help: 'onnxruntime intra-op threads (default: all cores)', meta: 'T' },
    { name: 'out', type: 'string', help: 'the segmenter file', meta: 'S.onnx' },
    { name: 'force', type: 'flag', help: 'overwrite an existing file' },
  ],
  async run(o) {
    const out = required<string>(o, 'out');
    const dataArg = required<string>(o, 'data');
    const size = segmenterSize(required<string>(o, 'size'));
    if (o.steps !== undefined && o.epochs !== undefined) throw usageError('give --epochs or --steps, not both');
    // the fixture's classes are CMP Facades'
    if (dataArg === 'fixture' && o.palette === undefined && o.classes === undefined) o.palette = 'cmp-facades';
    const spec: SegmenterSpec = { classes: resolveClasses(o), size, width: o.width as number };
    if (fs.existsSync(out) && !o.force) throw new UserError(`'${out}' exists (use --force to overwrite it)`);
    const dataset = openDataset({ data: dataArg, format: o.format as DataFormat, direction: o.direction as Direction, classes: spec.classes });
    const batch = o.batch as number;
    const totalSteps = (o.steps as number | undefined) ?? (o.epochs !== undefined ? (o.epochs as number) * Math.ceil(dataset.length / batch) : DEFAULT_STEPS);

    let bar: Progress | undefined;
    const interrupt = catchInterrupt('writing the segmenter');
    let r: Awaited<ReturnType<typeof trainSegmenter>>;
    try {
      r = await trainSegmenter(
        {
          spec,
          batch,
          seed: o.seed as number,
          lr: o.lr as number,
          totalSteps,
          checkpointEvery: o['checkpoint-every'] as number,
          out,
          ep: o.ep as EpChoice,
          threads: o.threads as number | undefined,
          metadata: { data: dataArg, seed: o.seed, lr: o.lr, batch, width: spec.width, totalSteps },
        },
        batchOpener({ dataset, width: size, batch, seed: o.seed as number }),
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
};
