// The papers' figures, drawn through openGenerator(): per-class noise sweeps of one test layout (Yang et al.
// Fig. 2: one row per class, its noise from -1 to 1, the others 0) and sample grids of several layouts side
// by side for several models (Fig. 6).
import path from 'node:path';
import { ClassInfo, ConditionSpec } from '../../graph/spec.js';
import { RgbImage, chwToRgb, conditionToRgb, layoutToRgb, sampleGrid, writePng } from '../../common/image.js';
import { specOf } from '../../common/generator-info.js';
import { conditionReader, openConditionDataset } from '../../train/condition-data.js';
import { classesOfOneHot } from '../../metrics/segmentation.js';
import { EvalLayout } from '../../metrics/evaluate.js';
import { openDataset } from '../../train/datasets.js';
import { evalItems, evalItemsOf } from '../../train/loader.js';
import { loadPalette } from '../../common/palettes.js';
import { Generator, openGenerator } from '../generator.js';
import { PaperData, RunEnvironment } from './runners.js';

/** Classes covering less of the layout than this get no sweep row: their change would not show. */
const SWEEP_MIN_AREA = 0.02;
const NO_IMAGES = new Float32Array(0);

/**
 * The first n test layouts with their photos, at the generators' size; for generators fed a normal map or
 * landmarks, the conditions as `condition` (the generators' own, from their spec) describes them.
 */
export async function testLayouts(data: PaperData, size: number, n?: number, condition?: ConditionSpec): Promise<{ classes: ClassInfo[]; items: EvalLayout[] }> {
  if (data.input !== 'labels') {
    if (!condition) throw new Error(`testLayouts: the ${data.input} condition of the generators is needed`);
    const dataset = openConditionDataset({ ...data.test, input: data.input });
    return { classes: [], items: await evalItemsOf(conditionReader(dataset, condition), size, size, n ?? dataset.length) };
  }
  const classes = loadPalette(data.train.palette!);
  const dataset = openDataset({ ...data.test, classes });
  return { classes, items: await evalItems(dataset, size, size, n ?? dataset.length) };
}

/** A test item as the generator takes it: its class indices, or a condition's planes as they are. */
async function openLayout(g: Generator, it: EvalLayout) {
  if (g.info.architecture.condition) return { onehot: it.layout, indices: new Uint8Array(0), stem: it.stem };
  const hw = g.height * g.width;
  return g.layout(classesOfOneHot(it.layout, 1, g.classes.length, hw), { stem: it.stem });
}

/** A class's pixels white on black: which class a sweep row moves. */
function classMask(it: EvalLayout, c: number, h: number, w: number): RgbImage {
  const hw = h * w;
  const data = new Uint8Array(hw * 3);
  for (let p = 0; p < hw; p++) if (it.layout[c * hw + p] > 0.5) data.fill(255, 3 * p, 3 * p + 3);
  return { data, width: w, height: h, channels: 3 };
}

/** Fig. 2: each class of the layout covering enough of it, its noise swept from -1 to 1 in `steps`. */
export async function writeClassSweeps(file: string, generatorFile: string, it: EvalLayout, steps: number, env: RunEnvironment): Promise<string[]> {
  const g = await openGenerator(path.resolve(env.root, generatorFile), { threads: env.threads, ep: env.ep });
  try {
    const { height: h, width: w } = g;
    const hw = h * w;
    const layout = await openLayout(g, it);
    const shown = g.classes.map((c, k) => ({ c, k, area: it.layout.subarray(k * hw, (k + 1) * hw).reduce((s, v) => s + v, 0) / hw })).filter((x) => x.area >= SWEEP_MIN_AREA);
    const rows = [];
    for (const { c, k } of shown) {
      const sweep = await g.sweep(layout, { class: c.name, steps });
      rows.push({ lead: [layoutToRgb(it.layout, { classes: g.classes, height: h, width: w }), classMask(it, k, h, w), ...sweep.map((s) => s.image)], images: NO_IMAGES });
    }
    const values = Array.from({ length: steps }, (_, s) => (-1 + (2 * s) / (steps - 1)).toFixed(1).replace('0.', '.'));
    await writePng(
      file,
      sampleGrid(
        rows,
        h,
        w,
        ['layout', 'class', ...values],
        shown.map((x) => x.c.name),
      ),
    );
    return shown.map((x) => x.c.name);
  } finally {
    await g.release();
  }
}

/** Fig. 6: rows are test layouts; columns the layout, the photo, then `count` samples of each model in turn. */
export async function writeSampleGrids(file: string, models: { label: string; generator: string; count: number }[], items: EvalLayout[], seed: number, env: RunEnvironment): Promise<void> {
  const generators: Awaited<ReturnType<typeof openGenerator>>[] = [];
  try {
    for (const m of models) generators.push(await openGenerator(path.resolve(env.root, m.generator), { threads: env.threads, ep: env.ep }));
    const { height: h, width: w } = generators[0];
    const rows = [];
    for (const it of items) {
      const lead = [conditionToRgb(it.layout, specOf(generators[0].info)), chwToRgb(it.photo, h, w)];
      for (let i = 0; i < models.length; i++) {
        const samples = await generators[i].sample(await openLayout(generators[i], it), { count: models[i].count, seed });
        lead.push(...samples.map((s) => s.image));
      }
      rows.push({ lead, images: NO_IMAGES });
    }
    const labels = ['layout', 'photo', ...models.flatMap((m) => Array.from({ length: m.count }, (_, k) => (k === 0 ? m.label : `k=${k}`)))];
    await writePng(file, sampleGrid(rows, h, w, labels));
  } finally {
    await Promise.all(generators.map((g) => g.release()));
  }
}
