// Label maps → class indices, in memory (no files, no node: modules: the web entry uses it too). Colour
// maps are read by NEAREST palette colour, since JPEG ringing moves colours off the palette, with a count
// of pixels far from every colour (a wrong palette shows up as many of those). Index maps hold class
// indices, or, when the palette gives label ids (`ids`, e.g. Cityscapes labelIds), ids mapped to classes.
import { ClassInfo } from '../graph/spec.js';
import { dataError } from './errors.js';

/**
 * A pixel is "far" when its squared RGB distance to every palette colour exceeds this: 3·40², i.e. a
 * mean miss of 40 per channel (Euclidean ≈ 69). The closest pair of CMP colours is √3328 ≈ 58 apart, so
 * a pixel halfway between two classes is still "near", while the colours of another palette are far.
 */
export const FAR_DISTANCE2 = 3 * 40 * 40;
/**
 * Far pixels are counted only away from colour edges: where all 8 neighbours are within this squared
 * distance (3·24²) of the pixel. JPEG's chroma subsampling (4:2:0, the default of libjpeg, PIL and
 * OpenCV) blends the saturated label colours over a few pixels at every class border, putting many of a
 * label map's pixels far from every colour, all of them on edges, and few in flat areas; a wrong palette
 * or a photo read as labels puts a large share far in flat areas (figures: docs/design.md#numerics).
 */
export const EDGE_DISTANCE2 = 3 * 24 * 24;
/** Warn when more than this share of a map's pixels is far from every palette colour (in flat areas). */
export const FAR_WARN_SHARE = 0.01;
/**
 * A colour label map has most of its pixels "on the palette": near a palette colour (FAR_DISTANCE2) and
 * beside a 4-neighbour of like colour (EDGE_DISTANCE2). Below this share it is not a label map but a photo
 * or noise (or the palette is wrong). Label maps, JPEG'd ones included, have far more; photos read with a
 * palette unlike their colours far fewer, and noise almost none, since a noise pixel near some palette
 * colour seldom has a like neighbour (figures: docs/design.md#numerics).
 */
export const ON_PALETTE_MIN = 0.4;

export interface LabelMap {
  /** Class index per pixel, row-major, length width*height. */
  indices: Uint8Array;
  width: number;
  height: number;
  /** Pixels far from every palette colour, away from colour edges (colour maps only; 0 for index maps). */
  far: number;
  /** The share of pixels on the palette (onPaletteShare; 1 for index maps). */
  onPalette: number;
  /** Set when more than FAR_WARN_SHARE of the pixels are far, or fewer than ON_PALETTE_MIN on the palette: one line naming the file. */
  warning?: string;
}

/**
 * The share of an RGB image's pixels that are near a palette colour and have a 4-neighbour of like colour:
 * high for label maps, low for photos (whose colours are not the palette's) and for noise (whose pixels
 * may sit near a palette colour, but not beside a like one).
 */
export function onPaletteShare(rgb: Uint8Array, width: number, height: number, classes: ClassInfo[]): number {
  const n = width * height;
  if (!n) return 1;
  const near = new Uint8Array(n);
  let lastKey = -1;
  let lastNear = 0;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const key = (rgb[j] << 16) | (rgb[j + 1] << 8) | rgb[j + 2];
    if (key !== lastKey) {
      lastKey = key;
      lastNear = 0;
      for (const { color } of classes) {
        const dr = rgb[j] - color[0];
        const dg = rgb[j + 1] - color[1];
        const db = rgb[j + 2] - color[2];
        if (dr * dr + dg * dg + db * db <= FAR_DISTANCE2) {
          lastNear = 1;
          break;
        }
      }
    }
    near[i] = lastNear;
  }
  const like = new Uint8Array(n);
  const similar = (p: number, q: number) => {
    const dr = rgb[3 * p] - rgb[3 * q];
    const dg = rgb[3 * p + 1] - rgb[3 * q + 1];
    const db = rgb[3 * p + 2] - rgb[3 * q + 2];
    return dr * dr + dg * dg + db * db <= EDGE_DISTANCE2;
  };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (x + 1 < width && similar(i, i + 1)) like[i] = like[i + 1] = 1;
      if (y + 1 < height && similar(i, i + width)) like[i] = like[i + width] = 1;
    }
  let on = 0;
  for (let i = 0; i < n; i++) on += near[i] & like[i];
  return on / n;
}

/** The warning for a colour map with fewer than ON_PALETTE_MIN of its pixels on the palette, naming the file. */
export function notALabelMap(file: string, onPalette: number): string {
  return `label map '${file}': only ${(100 * onPalette).toFixed(1)}% of its pixels are on the palette (near a palette colour, beside a like neighbour; a label map has most): it looks like a photo or noise, not a label map (or --palette is wrong)`;
}

function checkClasses(classes: ClassInfo[]): void {
  if (classes.length < 1 || classes.length > 255) throw dataError(`a palette needs 1..255 classes, got ${classes.length}`);
}

/**
 * Nearest palette colour per RGB pixel (ties go to the lower class index), with the far-pixel report. A
 * far pixel takes the nearest colour among the classes of its near 8-neighbours, where it has any.
 */
export function colorsToIndices(rgb: Uint8Array, width: number, height: number, classes: ClassInfo[], file: string): LabelMap {
  checkClasses(classes);
  const n = width * height;
  if (rgb.length !== 3 * n) throw new Error(`colorsToIndices: ${rgb.length} bytes for ${width}x${height} RGB`);
  const C = classes.length;
  const pr = new Int32Array(C);
  const pg = new Int32Array(C);
  const pb = new Int32Array(C);
  classes.forEach((c, i) => {
    [pr[i], pg[i], pb[i]] = c.color;
  });
  const indices = new Uint8Array(n);
  const farFlag = new Uint8Array(n);
  let farAny = 0;
  // Runs of equal colour are common: remember the last answer.
  let lastKey = -1;
  let lastIdx = 0;
  let lastFar = 0;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const r = rgb[j];
    const g = rgb[j + 1];
    const b = rgb[j + 2];
    const key = (r << 16) | (g << 8) | b;
    if (key !== lastKey) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < C; c++) {
        const dr = r - pr[c];
        const dg = g - pg[c];
        const db = b - pb[c];
        const d = dr * dr + dg * dg + db * db;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      lastKey = key;
      lastIdx = best;
      lastFar = bestD > FAR_DISTANCE2 ? 1 : 0;
    }
    indices[i] = lastIdx;
    farFlag[i] = lastFar;
    farAny += lastFar;
  }
  // Far pixels: count those away from colour edges (see EDGE_DISTANCE2); relabel each with the nearest
  // colour among the classes of its near 8-neighbours (JPEG's blends at a border between two classes
  // often land nearer a third colour of the jet palette; this halves those errors and leaves clean maps alone).
  let far = 0;
  const farColours = new Map<number, number>();
  if (farAny)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        if (!farFlag[i]) continue;
        const j = 3 * i;
        const r = rgb[j];
        const g = rgb[j + 1];
        const b = rgb[j + 2];
        let flat = true;
        let best = -1;
        let bestD = Infinity;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= height) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= width || (dx === 0 && dy === 0)) continue;
            const q = yy * width + xx;
            const k = 3 * q;
            const er = r - rgb[k];
            const eg = g - rgb[k + 1];
            const eb = b - rgb[k + 2];
            if (er * er + eg * eg + eb * eb > EDGE_DISTANCE2) flat = false;
            if (!farFlag[q]) {
              const c = indices[q];
              const dr = r - pr[c];
              const dg = g - pg[c];
              const db = b - pb[c];
              const d = dr * dr + dg * dg + db * db;
              if (d < bestD || (d === bestD && c < best)) {
                bestD = d;
                best = c;
              }
            }
          }
        }
        if (best >= 0) indices[i] = best;
        if (flat) {
          far++;
          const key = (r << 16) | (g << 8) | b;
          farColours.set(key, (farColours.get(key) ?? 0) + 1);
        }
      }
  const onPalette = onPaletteShare(rgb, width, height, classes);
  const out: LabelMap = { indices, width, height, far, onPalette };
  if (onPalette < ON_PALETTE_MIN) out.warning = notALabelMap(file, onPalette);
  else if (far > FAR_WARN_SHARE * n) {
    let top = 0;
    let topCount = 0;
    for (const [k, v] of farColours) if (v > topCount) [top, topCount] = [k, v];
    const share = ((100 * far) / n).toFixed(1);
    out.warning = `label map '${file}': ${share}% of its pixels are far from every palette colour (squared RGB distance > ${FAR_DISTANCE2}, away from colour edges; most common such colour (${top >> 16},${(top >> 8) & 255},${top & 255})); is --palette right?`;
  }
  return out;
}

/** Lookup from a file's value to a class index (-1: not a class): through `ids` when the palette has them. */
export function idLookup(classes: ClassInfo[], size = 65536): Int16Array {
  checkClasses(classes);
  const lut = new Int16Array(size).fill(-1);
  const withIds = classes.some((c) => c.ids && c.ids.length);
  classes.forEach((c, i) => {
    if (!withIds) lut[i] = i;
    else for (const id of c.ids ?? []) if (id >= 0 && id < size && lut[id] < 0) lut[id] = i;
  });
  return lut;
}

/** Values of an index map → class indices; a value that is no class is a UserError naming file and value. */
export function idsToIndices(values: Uint8Array | Uint16Array, width: number, height: number, classes: ClassInfo[], file: string): LabelMap {
  const lut = idLookup(classes);
  const n = width * height;
  const indices = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = lut[values[i]];
    if (k < 0) {
      const withIds = classes.some((c) => c.ids && c.ids.length);
      const allowed = withIds ? `label ids ${describeIds(lut)}` : `class indices 0..${classes.length - 1}`;
      throw dataError(`index map '${file}': value ${values[i]} at pixel (${i % width}, ${Math.floor(i / width)}) is not a class of the palette (${classes.length} classes; allowed: ${allowed})`);
    }
    indices[i] = k;
  }
  return { indices, width, height, far: 0, onPalette: 1 };
}

function describeIds(lut: Int16Array): string {
  const ids: number[] = [];
  for (let i = 0; i < lut.length; i++) if (lut[i] >= 0) ids.push(i);
  const ranges: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    ranges.push(i === j ? `${ids[i]}` : `${ids[i]}..${ids[j]}`);
    i = j + 1;
  }
  return ranges.join(',');
}

/** Class indices [H*W] → one-hot Float32 [C, H, W], written at `out[offset…]` (the rest of that block zeroed). */
export function oneHot(indices: Uint8Array, classes: number, out?: Float32Array, offset = 0): Float32Array {
  const n = indices.length;
  const o = out ?? new Float32Array(classes * n);
  o.fill(0, offset, offset + classes * n);
  for (let i = 0; i < n; i++) {
    const k = indices[i];
    if (k >= classes) throw new Error(`oneHot: class ${k} at pixel ${i} with ${classes} classes`);
    o[offset + k * n + i] = 1;
  }
  return o;
}

/** Class indices → palette colours (RGB HWC); an index that is no class is black. */
export function indicesToColors(indices: ArrayLike<number>, classes: ClassInfo[]): Uint8Array {
  const out = new Uint8Array(indices.length * 3);
  for (let i = 0, j = 0; i < indices.length; i++, j += 3) {
    const c = classes[indices[i]]?.color ?? [0, 0, 0];
    out[j] = c[0];
    out[j + 1] = c[1];
    out[j + 2] = c[2];
  }
  return out;
}
