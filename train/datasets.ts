// Datasets: each item is a layout (class indices) and its photo (RGB bytes), named by a stem.
//
//   fixture     the bundled procedural facades (fixtures/facades.ts); split 'train' or 'test'.
//   pix2pix     an aligned folder (the split folder, e.g. .../facades/train): one JPG/PNG per pair, A the
//               left half, B the right half. --direction AtoB: A is the layout (a colour label map), B
//               the photo; BtoA the other way round (CMP Facades from pix2pix has the photo in A and the
//               labels in B, so it is read with BtoA).
//   pairs       PATH/layouts/NAME.png (colour label map, or 8-bit index PNG) and PATH/photos/NAME.jpg
//               (or .jpeg/.png), matched by NAME; both of one size.
//   cityscapes  PATH is the dataset root: gtFine/<split>/<city>/<stem>_gtFine_labelIds.png beside
//               leftImg8bit/<split>/<city>/<stem>_leftImg8bit.png; split 'train', 'val' or 'test'; the
//               label ids are mapped through the palette's `ids` (--palette cityscapes: 19 classes + void).
//
// Listing happens when a dataset is opened (missing or empty folders, a dataset root given for one of its
// splits, and unmatched pairs fail at once); decoding happens in load(), which the dataset check
// (dataset-check.ts) calls for every item before training, and a loader ahead of each training step.
import fs from 'node:fs';
import path from 'node:path';
import { ClassInfo } from '../graph/spec.js';
import { UserError, dataError, usageError } from '../common/errors.js';
import { FIXTURE_CLASSES, FIXTURE_SPLITS, FixtureSplit, fixtureItem, fixtureStem } from '../fixtures/facades.js';
import { readLabelImage, readRgb } from '../common/image.js';
import { ON_PALETTE_MIN, colorsToIndices, labelsFromImage, onPaletteShare } from './labels.js';

export type DataFormat = 'pix2pix' | 'pairs' | 'cityscapes';
export const DATA_FORMATS: readonly DataFormat[] = ['pix2pix', 'pairs', 'cityscapes'];
export type Direction = 'AtoB' | 'BtoA';
export const DIRECTIONS: readonly Direction[] = ['AtoB', 'BtoA'];

export interface Sample {
  stem: string;
  /** Class index per pixel, row-major [H*W]. */
  layout: Uint8Array;
  /** RGB, interleaved [H*W*3]. */
  photo: Uint8Array;
  width: number;
  height: number;
  /** A warning about this item's label map (far colours, or no label map at all), one line naming the file. */
  warning?: string;
  /** The share of the layout's pixels on the palette (train/labels.ts, onPaletteShare); absent for generated items. */
  onPalette?: number;
  /** With LoadHint.measurePhoto: the same share for the photo, as if it were the layout. */
  photoOnPalette?: number;
}

export interface LoadHint {
  /** Generated datasets render at this size (files come at their own size whatever this says). */
  width?: number;
  height?: number;
  /** The epoch the item is read for (the fixture's train split draws a new look per epoch). */
  epoch?: number;
  /** Also measure the photo as if it were the layout (the dataset check's test for swapped sides). */
  measurePhoto?: boolean;
}

export interface Dataset {
  /** For messages, e.g. "pix2pix folder 'data/facades/train' (400 pairs)". */
  readonly description: string;
  readonly classes: ClassInfo[];
  readonly length: number;
  stem(i: number): string;
  load(i: number, hint?: LoadHint): Promise<Sample>;
  /** The files item i is read from (datasets of files; the fixture has none). */
  files?(i: number): string[];
  /** What to do when the layouts look like photos and the photos like label maps (where sides can be swapped). */
  swappedAdvice?: string;
}

export interface DataOptions {
  /** 'fixture' or a path. */
  data: string;
  format?: DataFormat;
  direction?: Direction;
  /** The model's classes (the fixture requires the 12 CMP classes). */
  classes: ClassInfo[];
  /** fixture: 'train' | 'test' (default train); cityscapes: 'train' | 'val' | 'test' (default train). */
  split?: string;
  /** fixture: draw a new look of each layout every epoch (default: true for train, false for test). */
  redrawPerEpoch?: boolean;
}

/** Opens --data (fixture or a folder in --format), listing and matching its files. */
export function openDataset(o: DataOptions): Dataset {
  if (o.data === 'fixture') return fixtureDataset(o.classes, (o.split ?? 'train') as FixtureSplit, o.redrawPerEpoch);
  const format = o.format ?? 'pix2pix';
  switch (format) {
    case 'pix2pix':
      return alignedDataset(o.data, o.direction ?? 'AtoB', o.classes);
    case 'pairs':
      return pairsDataset(o.data, o.classes);
    case 'cityscapes':
      return cityscapesDataset(o.data, o.split ?? 'train', o.classes);
    default:
      throw usageError(`--format '${format}' is not one of ${DATA_FORMATS.join(', ')}`);
  }
}

// ---------------------------------------------------------------------------------------------------

export function fixtureDataset(classes: ClassInfo[] = FIXTURE_CLASSES, split: FixtureSplit = 'train', redrawPerEpoch = split === 'train'): Dataset {
  if (!(split in FIXTURE_SPLITS)) throw dataError(`--data fixture has the splits ${Object.keys(FIXTURE_SPLITS).join(', ')}, not '${split}'`);
  if (classes.length !== FIXTURE_CLASSES.length) throw dataError(`--data fixture has the ${FIXTURE_CLASSES.length} CMP Facades classes; the model has ${classes.length} (use --palette cmp-facades)`);
  const n = FIXTURE_SPLITS[split];
  return {
    description: `the bundled procedural facades (${split} split, ${n} items)`,
    classes,
    length: n,
    stem: (i) => fixtureStem(split, i),
    async load(i, hint = {}) {
      const w = hint.width ?? 256;
      const it = fixtureItem(split, i, w, hint.height ?? w, { appearance: redrawPerEpoch ? (hint.epoch ?? 0) : 0 });
      return { stem: it.stem, layout: it.layout, photo: it.photo, width: it.width, height: it.height };
    },
  };
}

// ---------------------------------------------------------------------------------------------------

const IMAGE_EXT = /\.(jpe?g|png)$/i;
const SPLIT_NAMES = ['train', 'val', 'validation', 'test'];

/** The split folders (train/, val/, test/) of a folder given where one split belongs. */
function splitFolders(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => SPLIT_NAMES.includes(n.toLowerCase()) && fs.statSync(path.join(dir, n)).isDirectory()).sort();
}

/** The message for a dataset root given instead of one of its split folders. */
function splitRootMessage(what: string, dir: string, splits: string[]): string {
  return `${what} '${dir}' is a dataset root with the split folders ${splits.map((s) => `${s}/`).join(', ')}: give one of them as --data, e.g. --data ${path.join(dir, splits[0])}`;
}

/** The image files of a folder (sorted), or a UserError for a missing, unreadable or empty folder. */
export function listImages(dir: string, what: string, ext = IMAGE_EXT, kinds = '.jpg or .png images'): string[] {
  let names: string[];
  try {
    if (!fs.statSync(dir).isDirectory()) throw dataError(`${what} '${dir}' is not a folder`);
    names = fs.readdirSync(dir);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw dataError(code === 'ENOENT' ? `${what} '${dir}' does not exist` : `${what} '${dir}' cannot be read (${code ?? (e as Error).message})`);
  }
  const files = names.filter((f) => ext.test(f) && !f.startsWith('.')).sort();
  if (!files.length) {
    const splits = splitFolders(dir);
    throw dataError(splits.length ? splitRootMessage(what, dir, splits) : `${what} '${dir}' holds no ${kinds}`);
  }
  return files.map((f) => path.join(dir, f));
}

export const stemOf = (file: string, ext = IMAGE_EXT) => path.basename(file).replace(ext, '');

function checkDirection(d: string): Direction {
  if (!DIRECTIONS.includes(d as Direction)) throw usageError(`--direction '${d}' is not AtoB or BtoA`);
  return d as Direction;
}

/** Splits an aligned A|B image into its halves (RGB, interleaved). */
export function splitAligned(rgb: Uint8Array, width: number, height: number, file: string): { a: Uint8Array; b: Uint8Array; width: number } {
  if (width % 2) throw dataError(`aligned image '${file}' is ${width}x${height}: its width must be even (A on the left half, B on the right)`);
  const half = width / 2;
  const a = new Uint8Array(half * height * 3);
  const b = new Uint8Array(half * height * 3);
  const row = half * 3;
  for (let y = 0; y < height; y++) {
    a.set(rgb.subarray(y * width * 3, y * width * 3 + row), y * row);
    b.set(rgb.subarray(y * width * 3 + row, (y + 1) * width * 3), y * row);
  }
  return { a, b, width: half };
}

export function alignedDataset(dir: string, direction: Direction, classes: ClassInfo[]): Dataset {
  checkDirection(direction);
  const files = listImages(dir, 'pix2pix data folder');
  return {
    description: `pix2pix folder '${dir}' (${files.length} pairs, ${direction})`,
    classes,
    length: files.length,
    stem: (i) => stemOf(files[i]),
    files: (i) => [files[i]],
    swappedAdvice: `the layouts are the ${direction === 'AtoB' ? 'right (B)' : 'left (A)'} halves: use --direction ${direction === 'AtoB' ? 'BtoA' : 'AtoB'}`,
    async load(i, hint = {}) {
      const file = files[i];
      const img = await readRgb(file);
      const { a, b, width } = splitAligned(img.data, img.width, img.height, file);
      const [labels, photo] = direction === 'AtoB' ? [a, b] : [b, a];
      const map = colorsToIndices(labels, width, img.height, classes, `${file} (${direction === 'AtoB' ? 'A, left' : 'B, right'} half)`);
      // a photo read as the layout: the other half may be the label map
      const warning =
        map.onPalette < ON_PALETTE_MIN
          ? `${map.warning}; if the layouts are the ${direction === 'AtoB' ? 'right (B)' : 'left (A)'} halves, use --direction ${direction === 'AtoB' ? 'BtoA' : 'AtoB'}`
          : map.warning;
      return {
        stem: stemOf(file),
        layout: map.indices,
        photo,
        width,
        height: img.height,
        onPalette: map.onPalette,
        ...(hint.measurePhoto ? { photoOnPalette: onPaletteShare(photo, width, img.height, classes) } : {}),
        ...(warning ? { warning } : {}),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------

export interface PairFiles {
  stem: string;
  layout: string;
  photo: string;
}

/**
 * Matches layout files to photo files by stem; unmatched or duplicate stems are UserErrors naming the file.
 * `noun` is what the layouts are called in them (a normal map, a point file).
 */
export function matchPairs(
  layouts: string[],
  photos: string[],
  layoutStem: (f: string) => string,
  photoStem: (f: string) => string,
  expectPhoto: (stem: string) => string,
  expectLayout: (stem: string) => string,
  noun: { one: string; many: string } = { one: 'layout', many: 'layouts' },
): PairFiles[] {
  const byStem = new Map<string, string>();
  for (const p of photos) {
    const s = photoStem(p);
    const prev = byStem.get(s);
    if (prev) throw dataError(`photos '${prev}' and '${p}' have one name; keep one of them`);
    byStem.set(s, p);
  }
  const pairs: PairFiles[] = [];
  const seen = new Map<string, string>();
  for (const l of layouts) {
    const s = layoutStem(l);
    const prev = seen.get(s);
    if (prev) throw dataError(`${noun.many} '${prev}' and '${l}' have one name; keep one of them`);
    seen.set(s, l);
    const p = byStem.get(s);
    if (!p) throw dataError(`${noun.one} '${l}' has no photo (expected ${expectPhoto(s)})`);
    pairs.push({ stem: s, layout: l, photo: p });
  }
  for (const [s, p] of byStem) if (!seen.has(s)) throw dataError(`photo '${p}' has no ${noun.one} (expected ${expectLayout(s)})`);
  return pairs;
}

async function loadPair(pair: PairFiles, classes: ClassInfo[], hint: LoadHint = {}): Promise<Sample> {
  const [labelImg, photo] = await Promise.all([readLabelImage(pair.layout), readRgb(pair.photo)]);
  if (labelImg.width !== photo.width || labelImg.height !== photo.height)
    throw dataError(`layout '${pair.layout}' is ${labelImg.width}x${labelImg.height} but its photo '${pair.photo}' is ${photo.width}x${photo.height}`);
  const map = labelsFromImage(labelImg, classes, pair.layout);
  return {
    stem: pair.stem,
    layout: map.indices,
    photo: photo.data,
    width: photo.width,
    height: photo.height,
    onPalette: map.onPalette,
    ...(hint.measurePhoto ? { photoOnPalette: onPaletteShare(photo.data, photo.width, photo.height, classes) } : {}),
    ...(map.warning ? { warning: map.warning } : {}),
  };
}

export function pairsDataset(root: string, classes: ClassInfo[]): Dataset {
  if (!fs.existsSync(root)) throw dataError(`pairs data folder '${root}' does not exist`);
  const ld = path.join(root, 'layouts');
  const pd = path.join(root, 'photos');
  const splits = fs.existsSync(ld) ? [] : splitFolders(root);
  if (splits.length) throw dataError(splitRootMessage('pairs data folder', root, splits));
  const pairs = matchPairs(
    listImages(ld, 'layouts folder'),
    listImages(pd, 'photos folder'),
    stemOf,
    stemOf,
    (s) => `${path.join(pd, s)}.jpg or .png`,
    (s) => `${path.join(ld, s)}.png`,
  );
  return {
    description: `pairs folder '${root}' (${pairs.length} pairs)`,
    classes,
    length: pairs.length,
    stem: (i) => pairs[i].stem,
    files: (i) => [pairs[i].layout, pairs[i].photo],
    swappedAdvice: `the files in '${ld}' look like photos and those in '${pd}' like label maps: are the two folders swapped?`,
    load: (i, hint) => loadPair(pairs[i], classes, hint),
  };
}

// ---------------------------------------------------------------------------------------------------

const CS_LABEL = '_gtFine_labelIds.png';
const CS_PHOTO = '_leftImg8bit.png';

function listCityscapes(dir: string, suffix: string, what: string): string[] {
  let cities: string[];
  try {
    if (!fs.statSync(dir).isDirectory()) throw dataError(`${what} '${dir}' is not a folder`);
    cities = fs.readdirSync(dir).sort();
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw dataError(code === 'ENOENT' ? `${what} '${dir}' does not exist (expected the Cityscapes root with gtFine/ and leftImg8bit/)` : `${what} '${dir}' cannot be read (${code})`);
  }
  const files: string[] = [];
  for (const city of cities) {
    const cd = path.join(dir, city);
    if (!fs.statSync(cd).isDirectory()) continue;
    for (const f of fs.readdirSync(cd).sort()) if (f.endsWith(suffix)) files.push(path.join(cd, f));
  }
  if (!files.length) throw dataError(`${what} '${dir}' holds no <city>/*${suffix} files`);
  return files;
}

export function cityscapesDataset(root: string, split: string, classes: ClassInfo[]): Dataset {
  if (!['train', 'val', 'test'].includes(split)) throw usageError(`cityscapes split '${split}' is not train, val or test`);
  if (!classes.some((c) => c.ids && c.ids.length)) throw usageError(`--format cityscapes reads label ids: the palette must give each class its ids (use --palette cityscapes)`);
  if (!fs.existsSync(root)) throw dataError(`cityscapes root '${root}' does not exist`);
  const gd = path.join(root, 'gtFine', split);
  const pd = path.join(root, 'leftImg8bit', split);
  const labels = listCityscapes(gd, CS_LABEL, 'cityscapes label folder');
  const photos = listCityscapes(pd, CS_PHOTO, 'cityscapes photo folder');
  const key = (f: string, suffix: string) => path.join(path.basename(path.dirname(f)), path.basename(f).slice(0, -suffix.length));
  const pairs = matchPairs(
    labels,
    photos,
    (f) => key(f, CS_LABEL),
    (f) => key(f, CS_PHOTO),
    (s) => path.join(pd, s + CS_PHOTO),
    (s) => path.join(gd, s + CS_LABEL),
  ).map((p) => ({ ...p, stem: path.basename(p.stem) }));
  return {
    description: `cityscapes '${root}' (${split}, ${pairs.length} images)`,
    classes,
    length: pairs.length,
    stem: (i) => pairs[i].stem,
    files: (i) => [pairs[i].layout, pairs[i].photo],
    load: (i, hint) => loadPair(pairs[i], classes, hint),
  };
}

// ---------------------------------------------------------------------------------------------------

/**
 * The dataset without the items read from any of `files` (the bad files a dataset check found, or those a
 * run recorded as skipped, so that a resumed run reads the same items in the same order). Files it does
 * not hold are ignored; the item order is otherwise kept.
 */
export function withoutFiles(dataset: Dataset, files: readonly string[]): Dataset {
  if (!files.length) return dataset;
  if (!dataset.files) throw new Error(`withoutFiles: ${dataset.description} is not read from files`);
  const files0 = (i: number) => dataset.files!(i);
  const skip = new Set(files);
  const kept = Array.from({ length: dataset.length }, (_, i) => i).filter((i) => !files0(i).some((f) => skip.has(f)));
  if (!kept.length) throw dataError(`${dataset.description}: no item is left once the ${dataset.length - kept.length} bad ones are skipped`);
  const skipped = dataset.length - kept.length;
  return {
    description: `${dataset.description}, ${skipped} skipped`,
    classes: dataset.classes,
    length: kept.length,
    stem: (i) => dataset.stem(kept[i]),
    load: (i, hint) => dataset.load(kept[i], hint),
    files: (i) => files0(kept[i]),
    ...(dataset.swappedAdvice ? { swappedAdvice: dataset.swappedAdvice } : {}),
  };
}
