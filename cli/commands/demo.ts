// divsyn demo: trains a small pix2pix model on the bundled facades within a time budget, then writes
// generator.onnx, samples.png and report.json (the measures on the fixture's test split:
// docs/formats.md#demo-report).

import path from 'node:path';
import { DIVERSITY_MODES } from '../../graph/losses.js';
import { writeFileAtomic } from '../../common/files.js';
import { openSampler } from '../../runtime/open-sampler.js';
import { GridRow, layoutToRgb, sampleGrid, writePng } from '../../common/image.js';
import { measureGenerator } from '../../metrics/measures.js';
import { openDataset } from '../../train/datasets.js';
import { evalItems } from '../../train/loader.js';
import { noiseAt, noiseScheme, packVariations } from '../../common/variation.js';
import { classIndex } from '../../common/palettes.js';
import { defineCommand } from '../command.js';
import { forceOption, seedOption, threadsOption } from '../../api/common.js';
import { OptionValues, choice, float, int, str } from '../../api/options.js';
import { parseOptions } from '../options.js';
import { trainFromCommandLine } from './train.js';
import { trainOptions } from '../../api/train.js';
import { usageError } from '../../common/errors.js';

const SIZE = 64;
const WIDTH = 16;
const MEASURE_SAMPLES = 8;
const SWEEP_CLASS = 'facade';
/** Without --steps the demo stops on time; this bound on steps is never reached. */
const STEP_BOUND = 10_000_000;

export const demoOptions = {
  out: str({ default: 'out/demo', help: 'output directory', meta: 'DIR' }),
  minutes: float({ min: 0.1, max: 10000, default: 5, help: 'training time budget', meta: 'M' }),
  steps: int({ min: 1, help: 'train this many steps instead of for --minutes (reproducible: the same as divsyn train with the same options)', meta: 'N' }),
  diversity: choice(DIVERSITY_MODES, { default: 'bounded', help: 'diversity loss' }),
  ...seedOption(),
  ...threadsOption,
  ...forceOption('replace an earlier demo in DIR'),
};

/**
 * The train command line the demo runs: a small pix2pix on the fixture, bounded by time rather than steps,
 * so without β's ramp (half of the step bound would keep β near 0).
 */
export function demoTrainArgs(o: OptionValues<typeof demoOptions>): string[] {
  const args = ['--model', 'pix2pix', '--data', 'fixture', '--size', String(SIZE), '--width', String(WIDTH), '--steps', String(o.steps ?? STEP_BOUND), '--lr-policy', 'constant'];
  args.push('--diversity', o.diversity, ...(o.diversity === 'none' ? [] : ['--beta-ramp', '0']), '--checkpoint-every', '2000', '--seed', String(o.seed), '--out', o.out);
  if (o.threads !== undefined) args.push('--threads', String(o.threads));
  if (o.force) args.push('--force');
  return args;
}

/** What the demo leaves in its folder. */
const DEMO_FILES = ['generator.onnx', 'samples.png', 'report.json', 'preview.png', 'log.jsonl', 'state/'];

export const demoCommand = defineCommand({
  name: 'demo',
  summary: `Train a small pix2pix model on the bundled facades for M minutes; write ${DEMO_FILES.join(', ')}.`,
  options: demoOptions,
  async run({ values: o, given }) {
    if (given.has('minutes') && given.has('steps')) throw usageError('give --minutes or --steps, not both');
    const out = o.out;
    const budget = o.minutes * 60;
    const trainArgs = parseOptions(demoTrainArgs(o), trainOptions);
    // leave time for the measures at the end of the budget
    const r = await trainFromCommandLine(trainArgs, { stopAfterSeconds: o.steps === undefined ? Math.max(5, budget - 15) : undefined, nonEmptyHint: '--force', stoppedHint: '' });
    const spec = r.spec;
    const c = spec.classes.length;
    const scheme = noiseScheme(c);
    const items = await evalItems(openDataset({ data: 'fixture', classes: spec.classes, split: 'test' }), SIZE);
    const g = await openSampler(path.join(out, 'generator.onnx'), { threads: o.threads, batch: 16 });
    try {
      console.error(`measuring on ${items.length} test layouts (${MEASURE_SAMPLES} samples each)`);
      const m = await measureGenerator((l, n, k) => g.generatePacked(l, n, k), items, scheme, { count: MEASURE_SAMPLES, seed: o.seed });
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
        const noise = packVariations([...Array.from({ length: 5 }, (_, k) => scheme.draw(o.seed, it.stem, k)), ...Array.from({ length: 5 }, (_, s) => noiseAt(scheme, sweepC, -1 + s / 2))]);
        const layouts = new Float32Array(10 * it.layout.length);
        for (let k = 0; k < 10; k++) layouts.set(it.layout, k * it.layout.length);
        rows.push({ lead: [layoutToRgb(it.layout, spec)], images: await g.generatePacked(layouts, noise, 10) });
      }
      const sweepLabels = [-1, -0.5, 0, 0.5, 1].map((v) => `${SWEEP_CLASS.slice(0, 3)}=${String(v).replace('0.', '.')}`);
      await writePng(path.join(out, 'samples.png'), sampleGrid(rows, SIZE, SIZE, ['layout', ...Array.from({ length: 5 }, (_, k) => `k=${k}`), ...sweepLabels]));
      console.log(JSON.stringify(report));
      console.error(`wrote ${DEMO_FILES.map((f) => path.join(out, f)).join(', ')}`);
    } finally {
      await g.release();
    }
  },
});
