// Data for models conditioned on something other than label maps (graph/condition.ts): each item is a
// photo and its condition, a normal map or landmark points, named by a stem.
//
//   --input image      PATH/normals/NAME.png (RGB: x, y, z as v / 127.5 - 1) and PATH/photos/NAME.jpg
//                      (or .jpeg/.png), matched by NAME, both of one size; `fixture`: the bundled heads
//                      (fixtures/heads.ts).
//   --input landmarks  PATH/landmarks/NAME.pts or NAME.txt (common/conditions.ts parsePoints: .pts, or one
//                      "x y" per line, in the photo's pixels) and PATH/photos/NAME.jpg|png; every file holds
//                      the same number of points; `fixture`: the bundled faces (fixtures/faces.ts, 68 points).
//
// As for label maps (datasets.ts), listing and matching happen when a dataset is opened (a missing partner
// is named there); decoding happens in load(). conditionReader turns items into the loader's conditions
// (train/loader.ts ItemReader): resized or augmented with the photo, a normal map as [3, H, W] in [-1, 1],
// points rendered into K heat maps at the model's size.
import fs from 'node:fs';
import path from 'node:path';
import { ConditionSpec, InputKind } from '../graph/spec.js';
import { conditionSpec } from '../graph/condition.js';
import { dataError, usageError } from '../common/errors.js';
import { Points, flipPermutation, normalPlanes, parsePoints, renderHeatMaps } from '../common/conditions.js';
import { readRgb } from '../common/image.js';
import { HEAD_SPLITS, HeadSplit, headItem, headStem } from '../fixtures/heads.js';
import { FACE_POINTS, FACE_SPLITS, FaceSplit, faceItem, faceStem } from '../fixtures/faces.js';
import { LoadHint, listImages, matchPairs, stemOf } from './datasets.js';
import { augmentNormals, augmentPoints, loadSize, scalePoints } from './augment.js';
import { ItemReader } from './loader.js';
import { listLayoutFiles } from '../common/layout-files.js';
import { resizeBilinear } from './resize.js';

export type ConditionKind = Exclude<InputKind, 'labels'>;

export interface ConditionSample {
  stem: string;
  /** RGB, interleaved [H·W·3]. */
  photo: Uint8Array;
  width: number;
  height: number;
  /** image: the normal map, RGB interleaved at the photo's size. */
  normals?: Uint8Array;
  /** landmarks: the points [x0, y0, …] in the photo's pixels. */
  points?: Points;
}

export interface ConditionDataset {
  readonly description: string;
  readonly input: ConditionKind;
  /** landmarks: the points per item (every item holds as many). */
  readonly points?: number;
  readonly length: number;
  stem(i: number): string;
  load(i: number, hint?: LoadHint): Promise<ConditionSample>;
  /** The files item i is read from (folders; the fixtures have none). */
  files?(i: number): string[];
}

export interface ConditionDataOptions {
  /** 'fixture' or a folder with photos/ and normals/ (image) or landmarks/ (landmarks). */
  data: string;
  input: ConditionKind;
  /** fixture: 'train' | 'test' (default train). */
  split?: string;
  /** fixture: a new look of each item every epoch (default: true for train, false for test). */
  redrawPerEpoch?: boolean;
}

/** Opens --data for --input image|landmarks, listing and matching its files. */
export function openConditionDataset(o: ConditionDataOptions): ConditionDataset {
  if (o.input !== 'image' && o.input !== 'landmarks') throw usageError(`--input '${o.input}' is not image or landmarks`);
  if (o.data === 'fixture') return o.input === 'image' ? headsDataset((o.split ?? 'train') as HeadSplit, o.redrawPerEpoch) : facesDataset((o.split ?? 'train') as FaceSplit, o.redrawPerEpoch);
  return o.input === 'image' ? normalsFolder(o.data) : landmarksFolder(o.data);
}

// ---------------------------------------------------------------------------------------------------

function checkSplit(split: string, splits: object, what: string): void {
  if (!(split in splits)) throw dataError(`--data fixture (${what}) has the splits ${Object.keys(splits).join(', ')}, not '${split}'`);
}

export function headsDataset(split: HeadSplit = 'train', redrawPerEpoch = split === 'train'): ConditionDataset {
  checkSplit(split, HEAD_SPLITS, 'heads');
  const n = HEAD_SPLITS[split];
  return {
    description: `the bundled procedural heads with normal maps (${split} split, ${n} items)`,
    input: 'image',
    length: n,
    stem: (i) => headStem(split, i),
    async load(i, hint = {}) {
      const w = hint.width ?? 128;
      const it = headItem(split, i, w, hint.height ?? w, { appearance: redrawPerEpoch ? (hint.epoch ?? 0) : 0 });
      return { stem: it.stem, photo: it.photo, normals: it.normals, width: it.width, height: it.height };
    },
  };
}

export function facesDataset(split: FaceSplit = 'train', redrawPerEpoch = split === 'train'): ConditionDataset {
  checkSplit(split, FACE_SPLITS, 'faces');
  const n = FACE_SPLITS[split];
  return {
    description: `the bundled procedural faces with 68 landmarks (${split} split, ${n} items)`,
    input: 'landmarks',
    points: FACE_POINTS,
    length: n,
    stem: (i) => faceStem(split, i),
    async load(i, hint = {}) {
      const w = hint.width ?? 128;
      const it = faceItem(split, i, w, hint.height ?? w, { appearance: redrawPerEpoch ? (hint.epoch ?? 0) : 0 });
      return { stem: it.stem, photo: it.photo, points: it.points, width: it.width, height: it.height };
    },
  };
}

// ---------------------------------------------------------------------------------------------------

const PNG = /\.png$/i;
const POINT_EXT = /\.(pts|txt)$/i;

/** The files of each condition kind: their extension, their name in messages, and their folder in a dataset. */
export const CONDITION_FILES = {
  image: { ext: PNG, what: '.png normal maps', folder: 'normals' },
  landmarks: { ext: POINT_EXT, what: '.pts or .txt point files', folder: 'landmarks' },
} as const;

/** The condition files `where` names: a file, a folder of them, or a dataset folder's normals/ or landmarks/ (read relative to o.cwd, named as given). */
export function listConditionFiles(where: string, kind: ConditionKind, o: { cwd?: string; option?: string } = {}): string[] {
  const c = CONDITION_FILES[kind];
  const cwd = o.cwd ?? '.';
  const sub = path.join(where, c.folder);
  const inDataset = fs.existsSync(path.resolve(cwd, sub)) && !fs.readdirSync(path.resolve(cwd, where)).some((f) => c.ext.test(f));
  return listLayoutFiles(inDataset ? sub : where, { cwd, ext: c.ext, what: c.what, option: o.option });
}

function folderParts(root: string, sub: string, what: string): { conditions: string; photos: string } {
  if (!fs.existsSync(root)) throw dataError(`${what} data folder '${root}' does not exist`);
  return { conditions: path.join(root, sub), photos: path.join(root, 'photos') };
}

function pairsOf(root: string, sub: string, ext: RegExp, kinds: string, noun: { one: string; many: string }, expect: string) {
  const d = folderParts(root, sub, noun.one);
  return {
    dirs: d,
    pairs: matchPairs(
      listImages(d.conditions, `${noun.many} folder`, ext, kinds),
      listImages(d.photos, 'photos folder'),
      (f) => stemOf(f, ext),
      (f) => stemOf(f),
      (s) => `${path.join(d.photos, s)}.jpg or .png`,
      (s) => `${path.join(d.conditions, s)}${expect}`,
      noun,
    ),
  };
}

export function normalsFolder(root: string): ConditionDataset {
  const { pairs } = pairsOf(root, 'normals', PNG, '.png normal maps', { one: 'normal map', many: 'normal maps' }, '.png');
  return {
    description: `normal maps folder '${root}' (${pairs.length} pairs)`,
    input: 'image',
    length: pairs.length,
    stem: (i) => pairs[i].stem,
    files: (i) => [pairs[i].layout, pairs[i].photo],
    async load(i) {
      const p = pairs[i];
      const [normals, photo] = await Promise.all([readRgb(p.layout), readRgb(p.photo)]);
      if (normals.width !== photo.width || normals.height !== photo.height)
        throw dataError(`normal map '${p.layout}' is ${normals.width}x${normals.height} but its photo '${p.photo}' is ${photo.width}x${photo.height}`);
      return { stem: p.stem, photo: photo.data, normals: normals.data, width: photo.width, height: photo.height };
    },
  };
}

/** The points of a point file (a UserError naming the file when it cannot be read or parsed). */
export function readPointFile(file: string): Points {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw dataError(`cannot read point file '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parsePoints(text, file);
}

export function landmarksFolder(root: string): ConditionDataset {
  const { pairs } = pairsOf(root, 'landmarks', POINT_EXT, '.pts or .txt point files', { one: 'point file', many: 'point files' }, '.pts or .txt');
  // the first file sets the count every other must have (the model's channels)
  const k = readPointFile(pairs[0].layout).length / 2;
  return {
    description: `landmarks folder '${root}' (${pairs.length} pairs, ${k} points)`,
    input: 'landmarks',
    points: k,
    length: pairs.length,
    stem: (i) => pairs[i].stem,
    files: (i) => [pairs[i].layout, pairs[i].photo],
    async load(i) {
      const p = pairs[i];
      const points = readPointFile(p.layout);
      if (points.length / 2 !== k) throw dataError(`point file '${p.layout}' holds ${points.length / 2} points; '${pairs[0].layout}' and the model have ${k}`);
      const photo = await readRgb(p.photo);
      return { stem: p.stem, photo: photo.data, points, width: photo.width, height: photo.height };
    },
  };
}

// ---------------------------------------------------------------------------------------------------

/** The condition of a model trained on this dataset: 3 normal channels, or one heat map per point with σ `sigma` px. */
export function datasetCondition(dataset: ConditionDataset, sigma?: number): ConditionSpec {
  if (dataset.input === 'image') return conditionSpec('image');
  return conditionSpec('landmarks', { points: dataset.points, sigma });
}

/** Items as the loader takes them (train/loader.ts ItemReader): the condition of `condition` and the photo at the target size. */
export function conditionReader(dataset: ConditionDataset, condition: ConditionSpec): ItemReader {
  if (condition.kind !== dataset.input) throw new Error(`a ${condition.kind} model cannot read ${dataset.description}`);
  if (condition.kind === 'landmarks' && condition.channels !== dataset.points)
    throw dataError(`${dataset.description} has ${dataset.points} points per item; the model takes ${condition.channels} heat maps`);
  const mirror = flipPermutation(condition.channels);
  return {
    length: dataset.length,
    channels: condition.channels,
    async read(index, t) {
      const crop = t.augment && (t.augment.crop ?? true);
      const s = await dataset.load(index, { width: crop ? loadSize(t.width) : t.width, height: crop ? loadSize(t.height) : t.height, epoch: t.epoch });
      const [W, H] = [t.width, t.height];
      if (condition.kind === 'image') {
        const p = t.augment
          ? augmentNormals({ normals: s.normals!, photo: s.photo, width: s.width, height: s.height }, t.rng!, W, H, t.augment)
          : { normals: resizeBilinear(s.normals!, s.width, s.height, 3, W, H), photo: resizeBilinear(s.photo, s.width, s.height, 3, W, H) };
        return { stem: s.stem, photo: p.photo, writeCondition: (out, offset) => normalPlanes(p.normals, W, H, out, offset) };
      }
      const p = t.augment
        ? augmentPoints({ points: s.points!, photo: s.photo, width: s.width, height: s.height }, t.rng!, mirror, W, H, t.augment)
        : { points: scalePoints(s.points!, s.width, s.height, W, H), photo: resizeBilinear(s.photo, s.width, s.height, 3, W, H) };
      return { stem: s.stem, photo: p.photo, writeCondition: (out, offset) => renderHeatMaps(p.points, W, H, condition.sigma!, out, offset) };
    },
  };
}

// ---------------------------------------------------------------------------------------------------

/** A condition to sample from (divsyn sample --layouts for a model with a condition): its name, its file, and the condition [K, H, W]. */
export interface ConditionInput {
  stem: string;
  source: string;
  condition: Float32Array;
}

/**
 * One condition file at the model's size: a normal map PNG (resized bilinearly to the model's size, with a
 * note when it is), or a point file whose points are in the model's pixels, rendered with its σ. `source`:
 * the file, or its bytes (a PNG, or a point file's UTF-8 text) named `name` in errors.
 */
export async function readConditionFile(
  source: string | Uint8Array,
  condition: ConditionSpec,
  width: number,
  height: number,
  onNote?: (m: string) => void,
  name = typeof source === 'string' ? source : '<bytes>',
): Promise<Float32Array> {
  if (condition.kind === 'landmarks') {
    const points = typeof source === 'string' ? readPointFile(source) : parsePoints(new TextDecoder().decode(source), name);
    if (points.length / 2 !== condition.channels) throw dataError(`point file '${name}' holds ${points.length / 2} points; the model takes ${condition.channels}`);
    return renderHeatMaps(points, width, height, condition.sigma!);
  }
  const img = await readRgb(typeof source === 'string' ? source : Buffer.from(source), name);
  if (img.width !== width || img.height !== height) onNote?.(`normal map '${name}' is ${img.width}x${img.height}: resized to the model's ${width}x${height}`);
  return normalPlanes(resizeBilinear(img.data, img.width, img.height, 3, width, height), width, height);
}

/**
 * Conditions to sample from: `fixture` (the bundled test split of the model's kind), one condition file,
 * or a folder of them (.png normal maps, or .pts/.txt point files), in name order.
 */
export async function conditionInputs(where: string, condition: ConditionSpec, width: number, height: number, onNote?: (m: string) => void, option = '--layouts'): Promise<ConditionInput[]> {
  if (where === 'fixture') {
    const dataset = openConditionDataset({ data: 'fixture', input: condition.kind, split: 'test' });
    const reader = conditionReader(dataset, condition);
    return Promise.all(
      Array.from({ length: dataset.length }, async (_, i) => {
        const it = await reader.read(i, { width, height, augment: false });
        const planes = new Float32Array(condition.channels * width * height);
        it.writeCondition(planes, 0);
        return { stem: it.stem, source: `fixture:${it.stem}`, condition: planes };
      }),
    );
  }
  const files = listConditionFiles(where, condition.kind, { option });
  return Promise.all(files.map(async (f) => ({ stem: stemOf(f, CONDITION_FILES[condition.kind].ext), source: f, condition: await readConditionFile(f, condition, width, height, onNote) })));
}
