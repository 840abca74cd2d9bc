// Layouts in memory for a generator: one-hot [C, H, W] from class indices, or from colours in the
// model's palette (RGB, or RGBA as a canvas's ImageData holds it: alpha is ignored).
import { dataError } from '../common/errors.js';
import { GeneratorInfo } from '../common/generator-info.js';
import { colorsToIndices, oneHot } from '../common/label-maps.js';

export interface Layout {
  /** One-hot [C, H, W], class order as the model's. */
  onehot: Float32Array;
  /** Class index per pixel, row-major. */
  indices: Uint8Array;
  /** Colour layouts: set when many pixels are far from every palette colour (a wrong palette). */
  warning?: string;
}

/** From class indices (row-major, H·W of them); `name` is what errors name. */
export function layoutFromIndices(info: GeneratorInfo, indices: ArrayLike<number>, name = 'layout'): Layout {
  const { height: h, width: w } = info;
  const c = info.classes.length;
  if (indices.length !== h * w) throw dataError(`${name}: ${indices.length} class indices for a ${h}x${w} model (it needs ${h * w})`);
  const out = new Uint8Array(h * w);
  for (let i = 0; i < out.length; i++) {
    const k = indices[i];
    if (!(Number.isInteger(k) && k >= 0 && k < c)) throw dataError(`${name}: value ${k} at pixel (${i % w}, ${Math.floor(i / w)}) is not a class index (0..${c - 1})`);
    out[i] = k;
  }
  return { onehot: oneHot(out, c), indices: out };
}

/** Pixels as a caller holds them: RGB or RGBA, row-major. */
export interface RgbPixels {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

/** The RGB bytes of an RGB or RGBA image that must be the model's size (alpha dropped); `name` is in the error. */
export function modelSizedRgb(info: GeneratorInfo, image: RgbPixels, name: string): Uint8Array {
  const { height: h, width: w } = info;
  if (image.width !== w || image.height !== h) throw dataError(`${name}: ${image.width}x${image.height} pixels for a model of ${w}x${h} (width x height)`);
  const channels = image.data.length / (w * h);
  if (channels !== 3 && channels !== 4) throw dataError(`${name}: ${image.data.length} values for ${w}x${h} pixels (RGB needs ${3 * w * h}, RGBA ${4 * w * h})`);
  const rgb = new Uint8Array(3 * w * h);
  for (let p = 0; p < w * h; p++) for (let k = 0; k < 3; k++) rgb[3 * p + k] = image.data[channels * p + k];
  return rgb;
}

/** From an image of the model's size in its palette's colours, each pixel by nearest colour (as `divsyn sample` reads colour maps). */
export function layoutFromRgb(info: GeneratorInfo, image: RgbPixels, name = 'layout'): Layout {
  const rgb = modelSizedRgb(info, image, name);
  const map = colorsToIndices(rgb, info.width, info.height, info.classes, name);
  return { onehot: oneHot(map.indices, info.classes.length), indices: map.indices, ...(map.warning ? { warning: map.warning } : {}) };
}

/** Image k of [n, 3, H, W] floats in [0, 1] as RGBA bytes (ImageData's layout), opaque. */
export function toRgba(images: Float32Array, height: number, width: number, k = 0): Uint8ClampedArray<ArrayBuffer> {
  const hw = height * width;
  const out = new Uint8ClampedArray(4 * hw);
  for (let p = 0; p < hw; p++) {
    for (let c = 0; c < 3; c++) out[4 * p + c] = Math.round(images[(3 * k + c) * hw + p] * 255);
    out[4 * p + 3] = 255;
  }
  return out;
}
