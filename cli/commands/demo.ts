// divsyn demo: trains a small pix2pix model on the bundled facades within a time budget, then writes
// generator.onnx, samples.png and report.json (the measures on the fixture's test split:
// docs/formats.md#demo-report).

import path from 'node:path';
import { DIVERSITY_MODES } from '../../graph/losses.js';
import { writeFileAtomic } from '../../common/files.js';
import { openGenerator } from '../../runtime/generator-runner.js';
import { GridRow, layoutToRgb, sampleGrid, writePng } from '../../common/image.js';
import { measureGenerator } from '../../metrics/measures.js';
import { openDataset } from '../../train/datasets.js';
import { evalItems } from '../../train/loader.js';
import { noiseAt, noiseScheme, packVariations } from '../../common/variation.js';
import { classIndex } from '../../common/palettes.js';
import { Parsed } from '../args.js';
import { Command } from '../command.js';
import { seedOption } from '../common.js';
import { runTrain } from './train.js';
import { InterruptedRun } from '../../common/errors.js';

const SIZE = 64;
const WIDTH = 16;
const MEASURE_SAMPLES = 8;
const SWEEP_CLASS = 'facade';

export const demoCommand: Command = {
  name: 'demo',
  usage: 'divsyn demo [--out DIR] [--minutes M] [--diversity MODE]',
  summary: 'Train a small pix2pix model on the bundled facades for M minutes; write generator.onnx, samples.png, report.json.',
  options: [
    { name: 'out', type: 'string', default: 'out/demo', help: 'output directory', meta: 'DIR' },
    { name: 'minutes', type: 'float', min: 0.1, max: 10000, default: 5, help: 'training time budget', meta: 'M' },
    { name: 'diversity', type: 'enum', choices: DIVERSITY_MODES, default: 'bounded', help: 'diversity loss' },
    seedOption,
    { name: 'threads', type: 'int', min: 1, max: 256, help: 'onnxruntime intra-op threads (default: all cores)', meta: 'T' },
    { name: 'force', type: 'flag', help: 'write into a non-empty DIR' },
  ],
  async run(o: Parsed) {
    const out = o.out as string;
    const budget = (o.minutes as number) * 60;
    const trainArgs: Parsed = {
      _: [],
      model: 'pix2pix',
      data: 'fixture',
      palette: 'cmp-facades',
      size: String(SIZE),
      width: WIDTH,
      norm: 'instance',
      steps: 10_000_000,
      batch: 1,
      diversity: o.diversity,
      'gan-mode': 'vanilla',
      lr: 2e-4,
      'lr-policy': 'constant',
      // the run is bounded by time, not steps: no ramp (half of 10M steps would keep β near 0)
      ...(o.diversity === 'none' ? {} : { 'beta-ramp': 0 }),
      'checkpoint-every': 2000,
      seed: o.seed,
      ep: 'cpu',
      threads: o.threads,
      out,
      force: o.force,
    };
    // leave time for the measures at the end of the budget
    const r = await runTrain(trainArgs, { stopAfterSeconds: Math.max(5, budget - 15) });
    if (r.interruptedByUser) throw new InterruptedRun();
    const spec = r.spec;
    const c = spec.classes.length;
    const scheme = noiseScheme(c);
    const items = await evalItems(openDataset({ data: 'fixture', classes: spec.classes, split: 'test' }), SIZE);
    const g = await openGenerator(path.join(out, 'generator.onnx'), { classes: c, height: SIZE, width: SIZE }, { threads: o.threads as number | undefined, batch: 16 });
    try {
      console.error(`measuring on ${items.length} test layouts (${MEASURE_SAMPLES} samples each)`);
      const m = await measureGenerator((l, n, k) => g.generate(l, n, k), items, scheme, { count: MEASURE_SAMPLES, seed: o.seed as number });
      const report = {
        steps: r.steps,
        seconds: +r.seconds.toFixed(1),
        diversity: m.diversity,
        linking: m.linking,
        l1_truth: m.l1_truth,
        diversity_loss: o.diversity,
        size: SIZE,
        width: WIDTH,
        test_layouts: m.layouts,
        samples_per_layout: MEASURE_SAMPLES,
      };
      writeFileAtomic(path.join(out, 'report.json'), JSON.stringify(report, null, 1) + '\n');

      // samples.png: rows are test layouts; columns: the layout, 5 random samples, a 5-step sweep of one class
      const sweepC = classIndex(spec.classes, SWEEP_CLASS);
      const rows: GridRow[] = [];
      for (const it of items.slice(0, 6)) {
        const noise = packVariations([...Array.from({ length: 5 }, (_, k) => scheme.draw(o.seed as number, it.stem, k)), ...Array.from({ length: 5 }, (_, s) => noiseAt(scheme, sweepC, -1 + s / 2))]);
        const layouts = new Float32Array(10 * it.layout.length);
        for (let k = 0; k < 10; k++) layouts.set(it.layout, k * it.layout.length);
        rows.push({ lead: [layoutToRgb(it.layout, spec)], images: await g.generate(layouts, noise, 10) });
      }
      await writePng(path.join(out, 'samples.png'), sampleGrid(rows, SIZE, SIZE));
      console.log(JSON.stringify(report));
      console.error(`wrote ${['generator.onnx', 'samples.png', 'report.json'].map((f) => path.join(out, f)).join(', ')}`);
    } finally {
      await g.release();
    }
  },
};
