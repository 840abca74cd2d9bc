// Conditions in memory for a model fed a normal map or landmarks (graph/condition.ts), as the file's
// metadata describes them: heat maps [K, H, W] from a point file's text or from points, a normal map
// [3, H, W] from RGB or RGBA pixels (a canvas's ImageData). Points are in the model's pixels.
import { convertIndexedToRgb, decode } from 'fast-png';
import { dataError } from '../common/errors.js';
import { GeneratorInfo } from '../common/generator-info.js';
import { normalPlanes, parsePoints, renderHeatMaps } from '../common/conditions.js';
import { RgbPixels, modelSizedRgb } from './layouts.js';

function conditionOf(info: GeneratorInfo, kind: 'image' | 'landmarks', name: string) {
  const c = info.architecture.condition;
  if (!c) throw dataError(`${name}: this ${info.kind} model takes label maps, not ${kind === 'image' ? 'a normal map' : 'landmarks'}`);
  if (c.kind !== kind) throw dataError(`${name}: this model takes ${c.kind === 'image' ? 'a normal map' : 'landmarks'}, not ${kind === 'image' ? 'a normal map' : 'landmarks'}`);
  return c;
}

/** Heat maps [K, H, W] of K points [x0, y0, …] in the model's pixels (or of a point file's text: .pts, or "x y" lines), with the file's σ. */
export function conditionFromPoints(info: GeneratorInfo, points: ArrayLike<number> | string, name = 'landmarks'): Float32Array {
  const c = conditionOf(info, 'landmarks', name);
  const p = typeof points === 'string' ? parsePoints(points, name) : Float32Array.from(points);
  if (p.length !== 2 * c.channels) throw dataError(`${name}: ${p.length / 2} points; this model takes ${c.channels}`);
  return renderHeatMaps(p, info.width, info.height, c.sigma!);
}

/** A normal map [3, H, W] in [-1, 1] from RGB or RGBA pixels of the model's size (alpha ignored). */
export function conditionFromNormalRgb(info: GeneratorInfo, image: RgbPixels, name = 'normal map'): Float32Array {
  conditionOf(info, 'image', name);
  return normalPlanes(modelSizedRgb(info, image, name), info.width, info.height);
}

/**
 * A condition from a file's bytes, as the studio page receives uploads: a point file's text (.pts or "x y"
 * lines, in the model's pixels) for landmarks, an RGB(A) PNG of the model's size for a normal map (8-bit
 * values; 16-bit ones keep their high byte).
 */
export function conditionFromFile(info: GeneratorInfo, bytes: Uint8Array, name = 'condition'): Float32Array {
  const c = info.architecture.condition;
  if (c?.kind === 'landmarks') return conditionFromPoints(info, new TextDecoder().decode(bytes), name);
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (e) {
    throw dataError(`normal map '${name}' cannot be decoded as PNG: ${(e as Error).message}`);
  }
  const pixels = png.palette ? convertIndexedToRgb(png) : png.data;
  const channels = png.palette ? pixels.length / (png.width * png.height) : png.channels;
  if (channels < 3) throw dataError(`normal map '${name}' is grey; a normal map is RGB (x, y, z)`);
  const shift = png.depth === 16 && !png.palette ? 8 : 0;
  return conditionFromNormalRgb(info, { data: Array.from(pixels, (v) => v >> shift), width: png.width, height: png.height }, name);
}
