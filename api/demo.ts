// demo(): trains a small pix2pix model on the bundled facades within a time budget (or for a number of
// steps), then writes generator.onnx, samples.png and report.json (the measures on the fixture's test
// split: docs/formats.md#demo-report).
import path from 'node:path';
import { DIVERSITY_MODES } from '../graph/losses.js';
import { writeFileAtomic } from '../common/files.js';
import { usageError } from '../common/errors.js';
import { openSampler } from '../runtime/open-sampler.js';
import { GridRow, layoutToRgb, sampleGrid, writePng } from '../common/image.js';
import { measureGenerator } from '../metrics/measures.js';
import { openDataset } from '../train/datasets.js';
import { evalItems } from '../train/loader.js';
import { noiseScheme, packVariations, sweepVariations } from '../common/variation.js';
import { classIndex } from '../common/palettes.js';
import { forceOption, seedOption, threadsOption } from './common.js';
import { OptionValues, OptionsInput, ParsedOptions, choice, float, int, parsedOptions, str } from './options.js';
import { TrainHooks, TrainOptions, train } from './train.js';

const SIZE = 64;
const WIDTH = 16;
const MEASURE_SAMPLES = 8;
const SWEEP_CLASS = 'facade';
const SWEEP_STEPS = 5;
/** Without --steps the demo stops on time; this bound on steps is never reached. */
const STEP_BOUND = 10_000_000;
/** Seconds of the budget left for the measures at its end. */
const MEASURE_SECONDS = 15;

export const demoOptions = {
  out: str({ default: 'out/demo', help: 'output directory', meta: 'DIR' }),
  minutes: float({ min: 0.1, max: 10000, default: 5, help: 'training time budget', meta: 'M' }),
  steps: int({ min: 1, help: 'train this many steps instead of for --minutes (reproducible: the same as divsyn train with the same options)', meta: 'N' }),
  diversity: choice(DIVERSITY_MODES, { default: 'bounded', help: 'diversity loss' }),
  ...seedOption(),
  ...threadsOption,
  ...forceOption('replace an earlier demo in DIR'),
};

export type DemoOptions = OptionsInput<typeof demoOptions>;

/** What the demo leaves in its folder. */
export const DEMO_FILES = ['generator.onnx', 'samples.png', 'report.json', 'preview.png', 'log.jsonl', 'state/'];

/**
 * The training the demo runs: a small pix2pix on the fixture, bounded by time rather than steps, so
 * without β's ramp (half of the step bound would keep β near 0).
 */
export function demoTrainOptions(o: OptionValues<typeof demoOptions>): TrainOptions {
  return {
    model: 'pix2pix',
    data: 'fixture',
    size: String(SIZE),
    width: WIDTH,
    steps: o.steps ?? STEP_BOUND,
    lrPolicy: 'constant',
    diversity: o.diversity,
    ...(o.diversity === 'none' ? {} : { betaRamp: 0 }),
    checkpointEvery: 2000,
    seed: o.seed,
    out: o.out,
    threads: o.threads,
    force: o.force || undefined,
  };
}

/** The time the demo's training may take (none when it trains for a number of steps). */
export function demoTrainingSeconds(o: { minutes: number; steps?: number }): number | undefined {
  return o.steps === undefined ? Math.max(5, o.minutes * 60 - MEASURE_SECONDS) : undefined;
}

export interface DemoReport {
  steps: number;
  seconds: number;
  diversity: number;
  linking?: number;
  l1_truth: number;
  diversity_loss: string;
  size: number;
  width: number;
  test_layouts: number;
  samples_per_layout: number;
}

/** Runs the demo as `divsyn demo` does; undefined when the training was stopped by the signal. */
export async function demo(options: DemoOptions | ParsedOptions<typeof demoOptions>, hooks: Omit<TrainHooks, 'stopAfterSeconds' | 'nonEmptyHint'> = {}): Promise<DemoReport | undefined> {
  const { values: o, given } = parsedOptions(demoOptions, options);
  if (given.has('minutes') && given.has('steps')) throw usageError('give --minutes or --steps, not both');
  const out = o.out;
  const r = await train(demoTrainOptions(o), { ...hooks, stopAfterSeconds: demoTrainingSeconds(o), nonEmptyHint: '--force' });
  if (hooks.signal?.aborted) return undefined;
  const spec = r.spec;
  const c = spec.classes.length;
  const scheme = noiseScheme(c);
  const items = await evalItems(openDataset({ data: 'fixture', classes: spec.classes, split: 'test' }), SIZE);
  const g = await openSampler(path.join(out, 'generator.onnx'), { threads: o.threads, batch: 16 });
  try {
    hooks.onLog?.(`measuring on ${items.length} test layouts (${MEASURE_SAMPLES} samples each)`);
    const m = await measureGenerator((l, n, k) => g.generatePacked(l, n, k), items, scheme, { count: MEASURE_SAMPLES, seed: o.seed });
    const report: DemoReport = {
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
      const noise = packVariations([...Array.from({ length: 5 }, (_, k) => scheme.draw(o.seed, it.stem, k)), ...sweepVariations(scheme, sweepC, SWEEP_STEPS)]);
      const layouts = new Float32Array(10 * it.layout.length);
      for (let k = 0; k < 10; k++) layouts.set(it.layout, k * it.layout.length);
      rows.push({ lead: [layoutToRgb(it.layout, spec)], images: await g.generatePacked(layouts, noise, 10) });
    }
    const sweepLabels = [-1, -0.5, 0, 0.5, 1].map((v) => `${SWEEP_CLASS.slice(0, 3)}=${String(v).replace('0.', '.')}`);
    await writePng(path.join(out, 'samples.png'), sampleGrid(rows, SIZE, SIZE, ['layout', ...Array.from({ length: 5 }, (_, k) => `k=${k}`), ...sweepLabels]));
    return report;
  } finally {
    await g.release();
  }
}
