// Layouts from PNG bytes in memory, read as `divsyn sample` reads label files (common/image.ts
// readLabelImage): a grey PNG without a palette (1 to 16 bits, alpha dropped) holds class indices (or
// the palette's label ids); any other PNG (RGB, RGBA, palette) is a colour map read by nearest palette
// colour. Decoded by fast-png, not by a canvas, which would reduce 16-bit values and colour-manage.
import { convertIndexedToRgb, decode } from 'fast-png';
import { dataError } from '../common/errors.js';
import { GeneratorInfo } from '../common/generator-info.js';
import { colorsToIndices, idsToIndices, oneHot } from '../common/label-maps.js';
import { Layout } from './layouts.js';

/**
 * The layout in a PNG file's bytes, for a model of its size. A colour map with many pixels off the
 * palette has `warning` set (the message `divsyn sample` prints); `name` is what messages name.
 */
export function layoutFromPng(info: GeneratorInfo, bytes: Uint8Array, name = 'layout'): Layout {
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (e) {
    throw dataError(`image '${name}' cannot be decoded as PNG: ${(e as Error).message}`);
  }
  const { width, height } = png;
  if (width !== info.width || height !== info.height) throw dataError(`layout '${name}' is ${width}x${height}; this model takes ${info.width}x${info.height} (width x height)`);
  const n = width * height;
  const grey = !png.palette && (png.channels === 1 || png.channels === 2);
  if (grey) {
    // the stored values as they are, 16-bit ones too: class indices or label ids
    const values = png.depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
    for (let i = 0; i < n; i++) values[i] = png.data[i * png.channels];
    const map = idsToIndices(values, width, height, info.classes, name);
    return { onehot: oneHot(map.indices, info.classes.length), indices: map.indices };
  }
  const pixels = png.palette ? convertIndexedToRgb(png) : png.data;
  const channels = png.palette ? pixels.length / n : png.channels;
  const rgb = new Uint8Array(3 * n);
  // 16-bit colour keeps its high byte, as libvips (and so `divsyn sample`) reduces it
  const shift = png.depth === 16 && !png.palette ? 8 : 0;
  for (let p = 0; p < n; p++) for (let k = 0; k < 3; k++) rgb[3 * p + k] = pixels[channels * p + Math.min(k, channels - 1)] >> shift;
  const map = colorsToIndices(rgb, width, height, info.classes, name);
  return { onehot: oneHot(map.indices, info.classes.length), indices: map.indices, ...(map.warning ? { warning: map.warning } : {}) };
}
