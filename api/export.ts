// exportGenerator(): an fp32 generator file as an fp16 or int8 file of the same interface and metadata
// (docs/formats.md, "Precision"), with the new file's quality against the fp32 one measured on the
// calibration layouts and on held-apart ones.
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { emitProgram, inferenceProgram } from '../graph/programs/index.js';
import { foldConstants } from '../graph/quantize/fold.js';
import { toFloat16 } from '../graph/quantize/fp16.js';
import { quantisedActivations, quantiseModel } from '../graph/quantize/qdq.js';
import { setMetadata } from '../graph/quantize/tensors.js';
import { Precision } from '../graph/interface.js';
import { GeneratorSpec } from '../graph/spec.js';
import { variationInputs } from '../graph/families/index.js';
import { conditionInputName } from '../graph/condition.js';
import { VariationScheme, packVariations, unpackVariations, variationScheme } from '../common/variation.js';
import { dataError, outputError, usageError } from '../common/errors.js';
import { writeFileAtomic } from '../common/files.js';
import { checkOutputFile } from '../common/output-paths.js';
import { LAYOUT_IMAGE, listLayoutFiles } from '../common/layout-files.js';
import { GeneratorFile, generatorValues, readGenerator } from '../runtime/model-file.js';
import { CALIBRATION_METHODS, collectStatistics, rangeOf } from '../runtime/calibration.js';
import { openSampler } from '../runtime/open-sampler.js';
import { Feeds, floatTensor } from '../runtime/session.js';
import { Measures, measureGenerator } from '../metrics/measures.js';
import { rmse } from '../metrics/similarity.js';
import { openDataset } from '../train/datasets.js';
import { evalItems } from '../train/loader.js';
import { conditionInputs } from '../train/condition-data.js';
import { forceOption, plural, seedOption, threadsOption } from './common.js';
import { OptionsInput, ParsedOptions, choice, float, int, need, parsedOptions, str } from './options.js';
import { readLayouts } from './sample.js';

/** Samples per layout of the diversity and linking measures. */
const MEASURE_SAMPLES = 4;

export const exportOptions = {
  model: str({ help: 'fp32 generator file', meta: 'FILE.onnx' }),
  precision: choice(['fp16', 'int8'] as const, { help: 'fp16: weights and activations in float16 (GPUs, WebGPU); int8: static QDQ quantisation (CPUs)' }),
  calibrate: str({
    default: 'fixture',
    help: "the layouts (or conditions) to calibrate on (int8) and measure with: a label map, a folder of them, or 'fixture' (the bundled test split); the first --samples calibrate, the rest are held apart",
    meta: 'LAYOUTS',
  }),
  samples: int({ min: 1, max: 100000, default: 16, help: 'calibration samples (layout i mod L with its own noise or code; fp16: the first PSNR)', meta: 'N' }),
  calibration: choice(CALIBRATION_METHODS, { default: 'percentile', help: 'int8: activation ranges from the extremes seen, or from the --percentile quantiles' }),
  percentile: float({ min: 0.5, max: 1, default: 0.9999, help: 'int8, percentile calibration: the upper quantile (the lower is 1 - P)', meta: 'P' }),
  measureLayouts: int({ min: 0, max: 100000, default: 8, help: 'held-apart layouts the diversity and linking of both files are measured on (0: none)', meta: 'N' }),
  ...seedOption('seed of the calibration and measuring noise and codes'),
  batch: int({ min: 1, max: 1024, default: 8, help: 'images per inference batch', meta: 'B' }),
  ...threadsOption,
  out: str({ help: 'output file', meta: 'FILE.onnx' }),
  ...forceOption('overwrite an existing file'),
};

/** exportGenerator()'s options: the `divsyn export` flags in camelCase; model, precision and out are required. */
export type ExportOptions = OptionsInput<typeof exportOptions>;

/** PSNR in dB of the new file's images against the fp32 file's, on [0, 1] pixels, the same inputs to both. */
export interface PsnrReport {
  /** The calibration samples' inputs (int8), or the first --samples of LAYOUTS (fp16). */
  calibration: number;
  /** The layouts after them, each with its own noise or code; undefined when LAYOUTS has none left. */
  heldApart?: number;
  heldApartLayouts: number;
}

export interface ExportReport {
  file: string;
  precision: Precision;
  bytes: { fp32: number; exported: number };
  psnr: PsnrReport;
  /** diversity and linking (metrics/measures.ts) of both files on up to --measure-layouts held-apart layouts. */
  measures?: { fp32: Measures; exported: Measures; layouts: number };
}

/** The conditions of LAYOUTS at the model's size: one-hot layouts or a condition's planes, and photos where known. */
async function exportInputs(where: string, spec: GeneratorSpec, onLog: (m: string) => void): Promise<{ condition: Float32Array; photo?: Float32Array }[]> {
  const { height: h, width: w } = spec;
  if (spec.condition) return (await conditionInputs(where, spec.condition, w, h, onLog, '--calibrate')).map((c) => ({ condition: c.condition }));
  if (where === 'fixture') {
    if (spec.classes.length !== 12) throw dataError(`--calibrate fixture has the 12 CMP Facades classes; the model has ${spec.classes.length}: give --calibrate LAYOUTS`);
    return (await evalItems(openDataset({ data: 'fixture', classes: spec.classes, split: 'test' }), w, h)).map((it) => ({ condition: it.layout, photo: it.photo }));
  }
  const files = listLayoutFiles(where, { option: '--calibrate' });
  if (!files.every((f) => LAYOUT_IMAGE.test(f))) throw dataError(`--calibrate '${where}' holds files that are not label maps`);
  const out: { condition: Float32Array }[] = [];
  for await (const it of readLayouts(files, '.', spec.classes, h, w, undefined, onLog, () => true)) out.push({ condition: it.onehot });
  return out;
}

/** Sample i of the calibration (or of the held-apart layouts, `part`): its layout index and variation. */
const drawFor = (scheme: VariationScheme, seed: number, part: string, i: number, layouts: number) => ({
  layout: i % layouts,
  variation: scheme.draw(seed, `export-${part}:${i % layouts}`, Math.floor(i / layouts)),
});

/** The fp32 file rebuilt with every stride-2 transposed convolution as phase convolutions, their weights folded: the form int8 quantises. */
function quantisableModel(f: GeneratorFile): onnxProto.onnx.IModelProto {
  const bytes = emitProgram(inferenceProgram(f.spec, { transposedConv: 'subpixel', splitConcats: false }), { paramValues: generatorValues(f.initializers), metadata: f.metadata });
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  foldConstants(model);
  return model;
}

/** Writes the fp16 or int8 file of an fp32 generator as `divsyn export` does, and reports its quality. */
export async function exportGenerator(options: ExportOptions | ParsedOptions<typeof exportOptions>, hooks: { onLog?(m: string): void } = {}): Promise<ExportReport> {
  const { values: o } = parsedOptions(exportOptions, options);
  const log = (m: string) => hooks.onLog?.(m);
  const modelFile = need(o, 'model');
  const precision = need(o, 'precision');
  const out = need(o, 'out');
  checkOutputFile(out);
  if (fs.existsSync(out) && !o.force) throw outputError(`'${out}' exists (use --force to overwrite it)`);
  if (path.resolve(out) === path.resolve(modelFile)) throw usageError('--out is the --model file: write the export beside it');
  const f = readGenerator(modelFile, { weights: true });
  const source = f.metadata['divsyn.precision'] ?? 'fp32';
  if (source !== 'fp32') throw usageError(`'${modelFile}' is already ${source}: export from the fp32 file`);
  const spec = f.spec;
  const scheme = variationScheme(spec);
  const inputs = await exportInputs(o.calibrate, spec, log);
  if (!inputs.length) throw dataError(`--calibrate '${o.calibrate}' holds no layouts`);
  const calibrationLayouts = Math.min(o.samples, inputs.length);
  const heldApart = inputs.slice(calibrationLayouts);
  const calibration = Array.from({ length: o.samples }, (_, i) => drawFor(scheme, o.seed, 'calibrate', i, calibrationLayouts));

  let model: onnxProto.onnx.IModelProto;
  if (precision === 'fp16') model = toFloat16(onnxProto.onnx.ModelProto.decode(fs.readFileSync(modelFile)));
  else {
    model = quantisableModel(f);
    const tensors = quantisedActivations(model);
    const runs = batches(calibration, o.batch);
    const feeds = (function* () {
      for (const b of runs)
        yield feedsOf(
          spec,
          scheme,
          b.map((s) => inputs[s.layout].condition),
          b.map((s) => s.variation),
        );
    })();
    log(`calibrating ${tensors.length} activations on ${plural(o.samples, 'sample')} of ${plural(calibrationLayouts, 'layout')} (${o.calibration})`);
    const stats = await collectStatistics(model, tensors, feeds, runs.length, { threads: o.threads });
    quantiseModel(model, new Map(tensors.map((t) => [t, rangeOf(stats.get(t)!, o.calibration, o.percentile)])));
    setMetadata(
      model,
      'divsyn.calibration',
      JSON.stringify({ layouts: o.calibrate, samples: o.samples, method: o.calibration, ...(o.calibration === 'percentile' ? { percentile: o.percentile } : {}), seed: o.seed }),
    );
  }
  setMetadata(model, 'divsyn.precision', precision);
  const bytes = onnxProto.onnx.ModelProto.encode(model).finish();
  // opened before it is written: a file onnxruntime cannot load never replaces one at --out
  const opened: { release(): Promise<void> }[] = [];
  try {
    const exported = await openSampler(bytes, { threads: o.threads, batch: o.batch });
    opened.push(exported);
    writeFileAtomic(out, bytes);
    log(`measuring '${out}' against '${modelFile}'`);
    const reference = await openSampler(modelFile, { threads: o.threads, batch: o.batch });
    opened.push(reference);
    // in batches, the squared differences summed: memory stays bounded however many samples
    const psnrOn = async (samples: { layout: number; variation: Float32Array }[], from: typeof inputs) => {
      let squares = 0;
      let values = 0;
      for (const b of batches(samples, o.batch)) {
        const layouts = packVariations(b.map((s) => from[s.layout].condition));
        const variations = packVariations(b.map((s) => s.variation));
        const [want, got] = [await reference.generatePacked(layouts, variations, b.length), await exported.generatePacked(layouts, variations, b.length)];
        for (let i = 0; i < want.length; i++) squares += (want[i] - got[i]) ** 2;
        values += want.length;
      }
      return 10 * Math.log10(values / squares);
    };
    const held = heldApart.map((_, i) => drawFor(scheme, o.seed, 'held-apart', i, heldApart.length));
    const report: ExportReport = {
      file: path.resolve(out),
      precision,
      bytes: { fp32: fs.statSync(modelFile).size, exported: bytes.length },
      psnr: { calibration: await psnrOn(calibration, inputs), heldApart: held.length ? await psnrOn(held, heldApart) : undefined, heldApartLayouts: held.length },
    };
    const measured = heldApart.slice(0, o.measureLayouts).map((it) => ({ layout: it.condition, photo: it.photo ?? new Float32Array(3 * spec.height * spec.width) }));
    if (measured.length) {
      const measure = (s: typeof reference) => measureGenerator((l, z, k) => s.generatePacked(l, z, k), measured, scheme, { count: MEASURE_SAMPLES, seed: o.seed });
      report.measures = { fp32: await measure(reference), exported: await measure(exported), layouts: measured.length };
    }
    return report;
  } finally {
    for (const sampler of opened) await sampler.release();
  }
}

function batches<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/** One run's feeds: the conditions stacked, the variation vectors unpacked into the model's inputs. */
function feedsOf(spec: GeneratorSpec, scheme: VariationScheme, conditions: Float32Array[], variations: Float32Array[]): Feeds {
  const n = conditions.length;
  const [first] = conditions;
  const feeds: Feeds = { [conditionInputName(spec)]: floatTensor(packVariations(conditions), [n, first.length / (spec.height * spec.width), spec.height, spec.width]) };
  for (const p of unpackVariations(packVariations(variations), n, variationInputs(spec))) feeds[p.name] = floatTensor(p.data, [n, p.dim]);
  return feeds;
}

/** PSNR in dB of b against a ([0, 1] values); Infinity where equal. */
export function psnr(a: Float32Array, b: Float32Array): number {
  return 20 * Math.log10(1 / rmse(a, b));
}
