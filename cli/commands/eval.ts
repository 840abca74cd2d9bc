// divsyn eval: models side by side on a dataset's test layouts, written as report.json and report.html.
import path from 'node:path';
import { ClassInfo } from '../../graph/spec.js';
import { EvalLayout, evaluateModel, realImagesScore, samplesOf } from '../../metrics/evaluate.js';
import { variationInputs } from '../../graph/families/index.js';
import { CodeChoice, noiseAt, packVariations, variationScheme } from '../../common/variation.js';
import { Report, writeReport, writeScatter } from '../../metrics/report.js';
import { openSegmenter } from '../../metrics/segmenter.js';
import { openFeatureNet, FEATURE_NORMS, FeatureNorm } from '../../runtime/features.js';
import { prepareOutputDir } from '../../common/files.js';
import { UserError, usageError } from '../../common/errors.js';
import { openGenerator } from '../../runtime/generator-runner.js';
import { readGenerator } from '../../runtime/model-file.js';
import { GridRow, chwToRgb, layoutToRgb, sampleGrid, writePng } from '../../common/image.js';
import { DataFormat, Direction, openDataset } from '../../train/datasets.js';
import { evalItems } from '../../train/loader.js';
import { classIndex } from '../../common/palettes.js';
import { Parsed, required } from '../args.js';
import { Command } from '../command.js';
import { dataOptions } from '../common.js';
import { Progress } from '../progress.js';

const GRID_LAYOUTS = 4;
const GRID_SAMPLES = 6;
const SWEEP_STEPS = 7;

function sameClasses(a: ClassInfo[], b: ClassInfo[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i].name);
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

export const evalCommand: Command = {
  name: 'eval',
  usage: 'divsyn eval --model G.onnx [--model G2.onnx ...] --data PATH|fixture [--segmenter S.onnx] [--features F.onnx] --count K --out DIR',
  summary: 'Compare generators: realism (segmentation), accuracy (RMSE, SSIM, FSIM) and diversity; report.json and report.html.',
  options: [
    { name: 'model', type: 'string', repeat: true, help: 'a generator file (repeat for several, side by side)', meta: 'G.onnx' },
    ...dataOptions('test layouts and photos'),
    { name: 'split', type: 'string', help: 'dataset split (fixture: test; cityscapes: val)', meta: 'NAME' },
    { name: 'limit', type: 'int', min: 1, help: 'use at most this many layouts', meta: 'N' },
    { name: 'segmenter', type: 'string', help: 'segmenter for realism (divsyn train-segmenter writes one)', meta: 'S.onnx' },
    { name: 'features', type: 'string', help: 'feature network for feature diversity (first input [N,3,H,W])', meta: 'F.onnx' },
    { name: 'features-taps', type: 'string', help: 'node outputs to use as features (default: the outputs)', meta: 'NAME,...' },
    { name: 'features-norm', type: 'enum', choices: FEATURE_NORMS, default: 'imagenet', help: 'input normalisation of the feature network' },
    { name: 'count', type: 'int', min: 2, max: 1000, default: 8, help: 'samples per layout', meta: 'K' },
    { name: 'sweep', type: 'string', help: 'class of the gradation strips (default: the largest)', meta: 'CLASS' },
    { name: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 0, help: 'noise seed', meta: 'N' },
    { name: 'codes', type: 'enum', choices: ['new', 'train'], default: 'new', help: 'latent models: samples from new random codes, or the training codes (k mod n)' },
    { name: 'threads', type: 'int', min: 1, max: 256, help: 'onnxruntime intra-op threads', meta: 'T' },
    { name: 'out', type: 'string', help: 'report directory', meta: 'DIR' },
    { name: 'force', type: 'flag', help: 'write into a non-empty DIR' },
  ],
  async run(o: Parsed) {
    const models = o.model as string[] | undefined;
    if (!models?.length) throw usageError('option --model is required (repeat it to compare several)');
    const dataArg = required<string>(o, 'data');
    const out = required<string>(o, 'out');
    const files = models.map((m) => readGenerator(m));
    const spec = files[0].spec;
    for (const f of files.slice(1)) {
      if (!sameClasses(f.spec.classes, spec.classes) || f.spec.height !== spec.height || f.spec.width !== spec.width)
        throw new UserError(
          `'${f.path}' (${f.spec.classes.length} classes, ${f.spec.height}x${f.spec.width}) does not match '${files[0].path}' (${spec.classes.length} classes, ${spec.height}x${spec.width})`,
        );
    }
    const split = (o.split as string | undefined) ?? (dataArg === 'fixture' ? 'test' : undefined);
    const dataset = openDataset({ data: dataArg, format: o.format as DataFormat, direction: o.direction as Direction, classes: spec.classes, split });
    const threads = o.threads as number | undefined;
    const segmenter = o.segmenter ? await openSegmenter(o.segmenter as string, spec.classes, { height: spec.height, width: spec.width }, { threads }) : undefined;
    const features = o.features
      ? await openFeatureNet(
          o.features as string,
          { height: spec.height, width: spec.width, batch: o.count as number },
          { threads, taps: (o['features-taps'] as string | undefined)?.split(','), norm: o['features-norm'] as FeatureNorm },
        )
      : undefined;
    prepareOutputDir(out, Boolean(o.force));
    const items = await evalItems(dataset, spec.width, spec.height, (o.limit as number | undefined) ?? dataset.length);
    const c = spec.classes.length;
    const sweepC = sweepClass(items, spec.classes, o.sweep as string | undefined);
    const report: Report = {
      data: dataset.description,
      layouts: items.length,
      samples_per_layout: o.count as number,
      seed: o.seed as number,
      ...(o.segmenter ? { segmenter: o.segmenter as string } : {}),
      ...(o.features ? { features: o.features as string } : {}),
      models: [],
    };
    const bar = new Progress('layouts', items.length * files.length);
    const grids: string[] = [];
    const sweeps: string[] = [];
    try {
      if (segmenter) report.real = await realImagesScore(segmenter, items);
      for (let mi = 0; mi < files.length; mi++) {
        // the models may differ in how they vary (noise, crn-multi's images)
        const scheme = variationScheme(files[mi].spec, { codes: o.codes as CodeChoice });
        const g = await openGenerator(files[mi].path, { classes: c, height: spec.height, width: spec.width, variation: variationInputs(files[mi].spec) }, { threads, batch: 8 });
        try {
          report.models.push(
            await evaluateModel(files[mi].path, g, items, {
              classes: spec.classes,
              height: spec.height,
              width: spec.width,
              count: o.count as number,
              seed: o.seed as number,
              scheme,
              segmenter,
              features,
              onProgress: (d) => bar.update(mi * items.length + d),
            }),
          );
          // sample grid and gradation strip of the first layouts
          const gridRows: GridRow[] = [];
          const stripRows: GridRow[] = [];
          for (const it of items.slice(0, GRID_LAYOUTS)) {
            const k = Math.min(GRID_SAMPLES, o.count as number);
            const samples = await samplesOf(g, it, { scheme, count: k, seed: o.seed as number });
            gridRows.push({ lead: [layoutToRgb(it.layout, spec), chwToRgb(it.photo, spec.height, spec.width)], images: samples });
            if (!scheme.noise) continue;
            const noise = packVariations(Array.from({ length: SWEEP_STEPS }, (_, s) => noiseAt(scheme, sweepC, -1 + (2 * s) / (SWEEP_STEPS - 1))));
            const layouts = new Float32Array(SWEEP_STEPS * it.layout.length);
            for (let s = 0; s < SWEEP_STEPS; s++) layouts.set(it.layout, s * it.layout.length);
            stripRows.push({ lead: [layoutToRgb(it.layout, spec)], images: await g.generate(layouts, noise, SWEEP_STEPS) });
          }
          grids.push(`samples_${mi}.png`);
          sweeps.push(scheme.noise ? `sweep_${mi}_${spec.classes[sweepC].name.replace(/[^\w.-]+/g, '_')}.png` : '');
          await writePng(path.join(out, grids[mi]), sampleGrid(gridRows, spec.height, spec.width));
          if (sweeps[mi]) await writePng(path.join(out, sweeps[mi]), sampleGrid(stripRows, spec.height, spec.width));
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
    console.log(
      JSON.stringify({
        report: path.resolve(out, 'report.html'),
        models: report.models.map((m) => ({ model: m.model, diversity: m.diversity.diversity, ssim_best: m.accuracy.ssim.best, pixel_accuracy: m.realism?.pixelAccuracy })),
      }),
    );
  },
};
