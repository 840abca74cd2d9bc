// Label map files → class indices: colour maps (PNG or JPG) by nearest palette colour, single-channel
// index PNGs as class indices or label ids (common/label-maps.ts does the mapping, in memory), and index
// PNGs written back.
import { ClassInfo } from '../graph/spec.js';
import { dataError } from '../common/errors.js';
import { DecodedImage, Image8, readLabelImage, writePng } from '../common/image.js';
import { LabelMap, colorsToIndices, idsToIndices } from '../common/label-maps.js';

export { FAR_DISTANCE2, ON_PALETTE_MIN, colorsToIndices, notALabelMap, onPaletteShare, oneHot } from '../common/label-maps.js';
export type { LabelMap } from '../common/label-maps.js';

/** A decoded label image (colour or index) → class indices. */
export function labelsFromImage(img: DecodedImage, classes: ClassInfo[], file: string): LabelMap {
  return img.kind === 'rgb' ? colorsToIndices(img.data, img.width, img.height, classes, file) : idsToIndices(img.data, img.width, img.height, classes, file);
}

/** Reads a label map file or its bytes (colour PNG/JPG, or single-channel index PNG) as class indices; `name` is what errors name. */
export async function readLabelMap(file: string | Uint8Array, classes: ClassInfo[], name = typeof file === 'string' ? file : 'layout'): Promise<LabelMap> {
  return labelsFromImage(await readLabelImage(typeof file === 'string' ? file : Buffer.from(file.buffer, file.byteOffset, file.byteLength), name), classes, name);
}

/** Class indices → the values an index PNG holds for this palette: each class's first label id if it has ids, else its index. */
export function indicesToIds(indices: Uint8Array, classes: ClassInfo[]): Uint8Array {
  const withIds = classes.some((c) => c.ids && c.ids.length);
  const map = classes.map((c, i) => (withIds ? (c.ids?.[0] ?? -1) : i));
  if (map.some((v) => v < 0 || v > 255)) throw dataError(`this palette cannot be written as an 8-bit index PNG (a class without label id, or an id above 255)`);
  const out = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = map[indices[i]];
  return out;
}

/** Writes class indices as an 8-bit index PNG that readLabelMap reads back with the same palette. */
export async function writeIndexPng(file: string, indices: Uint8Array, width: number, height: number, classes: ClassInfo[]): Promise<void> {
  const img: Image8 = { data: indicesToIds(indices, classes), width, height, channels: 1 };
  await writePng(file, img);
}
