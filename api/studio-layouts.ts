// The layouts a studio site offers: the files given (--layouts: a label map or a folder of them, read as
// `divsyn sample` reads them), else for a CMP Facades model the bundled fixture's test layouts, else a
// few generated ones (rectangles of the palette's classes). Each goes to the page as an index PNG, which
// the page reads back exactly (web/label-png.ts, the same mapping as readLabelMap).
import fs from 'node:fs';
import path from 'node:path';
import { encodePng } from '../common/image.js';
import { cmpFacades } from '../common/palettes.js';
import { Rng } from '../graph/random.js';
import { ClassInfo, ConditionSpec } from '../graph/spec.js';
import { Points, conditionPicture, normalPlanes } from '../common/conditions.js';
import { CONDITION_FILES, listConditionFiles, openConditionDataset, readConditionFile } from '../train/condition-data.js';
import { openDataset, stemOf } from '../train/datasets.js';
import { indicesToIds, readLabelMap } from '../train/labels.js';
import { resizeNearest } from '../train/resize.js';
import { LAYOUT_IMAGE, listLayoutFiles } from '../common/layout-files.js';

export interface SiteLayout {
  stem: string;
  /** What the page's samples.jsonl lines say the layout is: the path as given, fixture:<stem>, or <stem>.png. */
  source: string;
  /** The file the page reads: an index PNG, or for a model fed a condition a normal map PNG or a point file. */
  png: Uint8Array;
  /** The file's extension: .png, or .txt for a point file. */
  ext: string;
}

/** Generated layouts for palettes without bundled ones. */
const GENERATED = 4;

const isFacades = (classes: ClassInfo[]) => {
  const cmp = cmpFacades();
  return classes.length === cmp.length && classes.every((c, i) => c.name === cmp[i].name && c.color.every((v, k) => v === cmp[i].color[k]));
};

async function indexPng(indices: Uint8Array, width: number, height: number, classes: ClassInfo[]): Promise<Uint8Array> {
  return encodePng({ data: indicesToIds(indices, classes), width, height, channels: 1 });
}

/** Rectangles of random classes over the first class, from a fixed seed: a starting point to paint on. */
function generatedLayout(j: number, classes: number, width: number, height: number): Uint8Array {
  const rng = new Rng(j, 'studio:layout');
  const out = new Uint8Array(width * height);
  for (let r = 0; r < 8; r++) {
    const cls = r < classes - 1 ? 1 + ((r + j) % (classes - 1)) : rng.int(classes);
    const w = Math.max(1, Math.round(width * (0.15 + 0.35 * rng.uniform())));
    const h = Math.max(1, Math.round(height * (0.15 + 0.35 * rng.uniform())));
    const x0 = rng.int(Math.max(1, width - w + 1));
    const y0 = rng.int(Math.max(1, height - h + 1));
    for (let y = y0; y < y0 + h; y++) out.fill(cls, y * width + x0, y * width + x0 + w);
  }
  return out;
}

/**
 * The conditions a site offers a model fed a normal map or landmarks: the files given (read and checked as
 * `divsyn sample` reads them; normal maps re-encoded at the model's size), else the bundled test split of
 * its kind (heads or faces), each as the file the page reads: a normal map PNG or a point file's text.
 */
async function siteConditions(condition: ConditionSpec, w: number, h: number, layouts: string | undefined, warn: (m: string) => void): Promise<SiteLayout[]> {
  const kind = CONDITION_FILES[condition.kind];
  const asFile = async (planes: Float32Array, points?: Points) =>
    condition.kind === 'landmarks'
      ? new TextEncoder().encode(Array.from({ length: points!.length / 2 }, (_, k) => `${points![2 * k]} ${points![2 * k + 1]}`).join('\n') + '\n')
      : encodePng({ data: conditionPicture('image', planes, 3, w, h), width: w, height: h, channels: 3 });
  if (layouts !== undefined)
    return Promise.all(
      listConditionFiles(layouts, condition.kind).map(async (file) => ({
        stem: stemOf(file, kind.ext),
        source: file,
        // a point file goes as it is, once its count is checked
        png:
          condition.kind === 'landmarks' ? (await readConditionFile(file, condition, w, h), new Uint8Array(fs.readFileSync(file))) : await asFile(await readConditionFile(file, condition, w, h, warn)),
        ext: condition.kind === 'landmarks' ? '.txt' : '.png',
      })),
    );
  const test = openConditionDataset({ data: 'fixture', input: condition.kind, split: 'test' });
  return Promise.all(
    Array.from({ length: test.length }, async (_, i) => {
      const s = await test.load(i, { width: w, height: h });
      const planes = s.normals ? normalPlanes(s.normals, w, h) : new Float32Array(0);
      return { stem: s.stem, source: `fixture:${s.stem}`, png: await asFile(planes, s.points), ext: condition.kind === 'landmarks' ? '.txt' : '.png' };
    }),
  );
}

export async function siteLayouts(o: { classes: ClassInfo[]; condition?: ConditionSpec; height: number; width: number; layouts?: string; onWarning?: (m: string) => void }): Promise<SiteLayout[]> {
  const { classes, height: h, width: w } = o;
  const warn = o.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  if (o.condition) return siteConditions(o.condition, w, h, o.layouts, warn);
  if (o.layouts !== undefined) {
    const out: SiteLayout[] = [];
    for (const file of listLayoutFiles(o.layouts)) {
      const map = await readLabelMap(file, classes);
      if (map.warning) warn(map.warning);
      let indices = map.indices;
      if (map.width !== w || map.height !== h) {
        warn(`layout '${file}' is ${map.width}x${map.height}; resized (nearest) to the model's ${w}x${h}`);
        indices = resizeNearest(indices, map.width, map.height, 1, w, h);
      }
      out.push({ stem: path.basename(file).replace(LAYOUT_IMAGE, ''), source: file, png: await indexPng(indices, w, h, classes), ext: '.png' });
    }
    return out;
  }
  if (isFacades(classes)) {
    const test = openDataset({ data: 'fixture', classes, split: 'test' });
    return Promise.all(
      Array.from({ length: test.length }, async (_, i) => {
        const s = await test.load(i, { width: w, height: h });
        const indices = s.width === w && s.height === h ? s.layout : resizeNearest(s.layout, s.width, s.height, 1, w, h);
        return { stem: s.stem, source: `fixture:${s.stem}`, png: await indexPng(indices, w, h, classes), ext: '.png' };
      }),
    );
  }
  return Promise.all(
    Array.from({ length: GENERATED }, async (_, j) => {
      const stem = `generated_${j}`;
      return { stem, source: `${stem}.png`, png: await indexPng(generatedLayout(j, classes.length, w, h), w, h, classes), ext: '.png' };
    }),
  );
}
