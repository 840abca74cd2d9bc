// evaluate(): generators side by side on a dataset's test layouts, written as report.json (the object
// returned), report.html, sample grids, gradation strips and a scatter plot.
import path from 'node:path';
import { ClassInfo, GeneratorSpec } from '../graph/spec.js';
import { EvalLayout, evaluateModel, realImagesScore, samplesOf } from '../metrics/evaluate.js';
import { CODE_CHOICES, packVariations, sweepVariations, variationScheme } from '../common/variation.js';
import { Report, writeReport, writeScatter } from '../metrics/report.js';
import { openSegmenter } from '../metrics/segmenter.js';
import { openFeatureNet } from '../runtime/features.js';
import { prepareOutputDir } from '../common/files.js';
import { modelError, usageError } from '../common/errors.js';
import { openSampler } from '../runtime/open-sampler.js';
import { readGenerator } from '../runtime/model-file.js';
import { GridRow, chwToRgb, conditionToRgb, layoutToRgb, sampleGrid, writePng } from '../common/image.js';
import { openDataset } from '../train/datasets.js';
import { EvalItem, evalItems } from '../train/loader.js';
import { conditionChannels, inputKind } from '../graph/condition.js';
import { openConditionDataset } from '../train/condition-data.js';
import { checkInputOptions, conditionEvalItems } from '../train/condition-training.js';
import { classIndex } from '../common/palettes.js';
import { dataOptions, featureNetworkOptions, forceOption, seedOption, threadsOption } from './common.js';
import { OptionValues, OptionsInput, ParsedOptions, choice, int, list, need, parsedOptions, refuseGiven, str } from './options.js';
import { DataCheckHooks, checkedDataset, skipBadOption } from './data-check.js';
import { checkOutputDir } from '../common/output-paths.js';

const GRID_LAYOUTS = 4;
const GRID_SAMPLES = 6;
const SWEEP_STEPS = 7;

function sameClasses(a: ClassInfo[], b: ClassInfo[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i].name);
}

/** The same input: label maps of the same classes, or the same condition kind and channel count. */
function sameInput(a: GeneratorSpec, b: GeneratorSpec): boolean {
  return inputKind(a) === inputKind(b) && conditionChannels(a) === conditionChannels(b) && sameClasses(a.classes, b.classes);
}

/** The test items: the condition dataset of a model fed a normal map or landmarks, else label maps (checked once in full). */
async function testItems(spec: GeneratorSpec, o: EvalValues, given: ReadonlySet<string>, hooks: EvaluateHooks): Promise<{ items: EvalItem[]; description: string }> {
  const data = need(o, 'data');
  const split = o.split ?? (data === 'fixture' ? 'test' : undefined);
  if (spec.condition) {
    // no classes: --segmenter (realism), --format, --direction, --sweep are refused, naming the option
    checkInputOptions({ model: spec.model, input: spec.condition.kind, command: 'eval', given });
    const dataset = openConditionDataset({ data, input: spec.condition.kind, split });
    return { items: await conditionEvalItems(dataset, spec, o.limit ?? dataset.length), description: dataset.description };
  }
  const { dataset } = await checkedDataset(openDataset({ data, format: o.format, direction: o.direction, classes: spec.classes, split }), { ...hooks, skipBad: o.skipBad });
  return { items: await evalItems(dataset, spec.width, spec.height, o.limit ?? dataset.length), description: dataset.description };
}

/** The class a gradation strip moves: the one covering most of the first layouts. */
function sweepClass(items: EvalLayout[], classes: ClassInfo[], requested?: string): number {
  if (requested !== undefined) return classIndex(classes, requested);
  const c = classes.length;
  const area = new Float64Array(c);
  for (const it of items.slice(0, GRID_LAYOUTS)) {
    const hw = it.layout.length / c;
    for (let k = 0; k < c; k++) for (let p = 0; p < hw; p++) area[k] += it.layout[k * hw + p];
  }
  // the largest class that is not the background-like first one, where there is one
  let best = c > 1 ? 1 : 0;
  for (let k = 1; k < c; k++) if (area[k] > area[best]) best = k;
  return best;
}

export const evalOptions = {
  model: list({ help: 'a generator file (repeat for several, side by side)', meta: 'G.onnx' }),
  ...dataOptions('test layouts and photos'),
  split: str({ help: 'dataset split (default: fixture test; cityscapes val)', meta: 'NAME' }),
  limit: int({ min: 1, help: 'use at most this many layouts', meta: 'N' }),
  segmenter: str({ help: 'segmenter for realism (divsyn train-segmenter writes one)', meta: 'S.onnx' }),
  ...featureNetworkOptions,
  count: int({ min: 2, max: 1000, default: 8, help: 'samples per layout', meta: 'K' }),
  sweep: str({ help: 'class of the gradation strips (default: the largest)', meta: 'CLASS' }),
  ...seedOption('noise seed'),
  codes: choice(CODE_CHOICES, { default: 'new', help: 'latent models: samples from new random codes, or the training codes (k mod n)' }),
  ...threadsOption,
  ...skipBadOption,
  out: str({ help: 'report directory', meta: 'DIR' }),
  ...forceOption('write into a non-empty DIR'),
};

/** evaluate()'s options: the `divsyn eval` flags in camelCase; model (a list of files), data and out are required. */
export type EvaluateOptions = OptionsInput<typeof evalOptions>;
type EvalValues = OptionValues<typeof evalOptions>;

export interface EvaluateHooks extends DataCheckHooks {
  /** Layouts measured so far, over all models. */
  onProgress?(done: number, total: number): void;
}

/** Measures generator files as `divsyn eval` does; returns report.json's object. */
export async function evaluate(options: EvaluateOptions | ParsedOptions<typeof evalOptions>, hooks: EvaluateHooks = {}): Promise<Report> {
  const first = parsedOptions(evalOptions, options);
  const { values: o, given } = first;
  const models = o.model;
  if (!models.length) throw usageError('option --model is required (repeat it to compare several)');
  need(o, 'data');
  const out = need(o, 'out');
  checkOutputDir(out);
  if (o.features === undefined) refuseGiven(given, ['featureTaps', 'featureNorm'], 'needs --features');
  const files = models.map((m) => readGenerator(m));
  const spec = files[0].spec;
  for (const f of files.slice(1)) {
    const input = (g: GeneratorSpec) => (g.condition ? `input ${g.condition.kind}, ${g.condition.channels} channels` : `${g.classes.length} classes`);
    if (!sameInput(f.spec, spec) || f.spec.height !== spec.height || f.spec.width !== spec.width)
      throw modelError(`'${f.path}' (${input(f.spec)}, ${f.spec.height}x${f.spec.width}) does not match '${files[0].path}' (${input(spec)}, ${spec.height}x${spec.width})`);
  }
  const { items, description } = await testItems(spec, o, given, hooks);
  const threads = o.threads;
  const segmenter = o.segmenter ? await openSegmenter(o.segmenter, spec.classes, { height: spec.height, width: spec.width }, { threads }) : undefined;
  const features = o.features
    ? await openFeatureNet(o.features, { height: spec.height, width: spec.width, batch: o.count }, { threads, taps: o.featureTaps?.split(',').map((t) => t.split('=')[0]), norm: o.featureNorm })
    : undefined;
  prepareOutputDir(out, o.force);
  const sweepC = sweepClass(items, spec.classes, o.sweep);
  const report: Report = {
    data: description,
    layouts: items.length,
    samples_per_layout: o.count,
    seed: o.seed,
    ...(o.segmenter ? { segmenter: o.segmenter } : {}),
    ...(o.features ? { features: o.features } : {}),
    models: [],
  };
  const grids: string[] = [];
  const sweeps: string[] = [];
  try {
    if (segmenter) report.real = await realImagesScore(segmenter, items);
    for (let mi = 0; mi < files.length; mi++) {
      // the models may differ in how they vary (noise, crn-multi's images)
      const scheme = variationScheme(files[mi].spec, { codes: o.codes });
      const g = await openSampler(files[mi].path, { threads, batch: 8 });
      try {
        report.models.push(
          await evaluateModel(files[mi].path, g, items, {
            classes: spec.classes,
            height: spec.height,
            width: spec.width,
            count: o.count,
            seed: o.seed,
            scheme,
            segmenter,
            features,
            onProgress: (d) => hooks.onProgress?.(mi * items.length + d, items.length * files.length),
          }),
        );
        // sample grid and gradation strip of the first layouts
        const gridRows: GridRow[] = [];
        const stripRows: GridRow[] = [];
        for (const it of items.slice(0, GRID_LAYOUTS)) {
          const k = Math.min(GRID_SAMPLES, o.count);
          const samples = await samplesOf(g, it, { scheme, count: k, seed: o.seed });
          gridRows.push({ lead: [conditionToRgb(it.layout, spec), chwToRgb(it.photo, spec.height, spec.width)], images: samples });
          if (!scheme.noise) continue;
          const noise = packVariations(sweepVariations(scheme, sweepC, SWEEP_STEPS));
          const layouts = new Float32Array(SWEEP_STEPS * it.layout.length);
          for (let s = 0; s < SWEEP_STEPS; s++) layouts.set(it.layout, s * it.layout.length);
          stripRows.push({ lead: [layoutToRgb(it.layout, spec)], images: await g.generatePacked(layouts, noise, SWEEP_STEPS) });
        }
        grids.push(`samples_${mi}.png`);
        sweeps.push(scheme.noise ? `sweep_${mi}_${spec.classes[sweepC].name.replace(/[^\w.-]+/g, '_')}.png` : '');
        await writePng(path.join(out, grids[mi]), sampleGrid(gridRows, spec.height, spec.width, ['layout', 'photo', ...Array.from({ length: Math.min(GRID_SAMPLES, o.count) }, (_, k) => `k=${k}`)]));
        if (sweeps[mi]) {
          const values = Array.from({ length: SWEEP_STEPS }, (_, s) => (-1 + (2 * s) / (SWEEP_STEPS - 1)).toFixed(1).replace('0.', '.'));
          await writePng(path.join(out, sweeps[mi]), sampleGrid(stripRows, spec.height, spec.width, ['layout', ...values]));
        }
      } finally {
        await g.release();
      }
    }
  } finally {
    await segmenter?.release();
    await features?.release();
  }
  await writeScatter(path.join(out, 'scatter.png'), report);
  writeReport(out, report, { grids, sweeps, scatter: 'scatter.png' });
  return report;
}
