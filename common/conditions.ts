// Conditions other than label maps, in memory (browser-safe: the web entry uses it too): landmark point
// files parsed from their text, points rendered into Gaussian heat maps, normal maps from 8-bit RGB, the
// 68-point scheme's mirror map, and a condition drawn as a picture (previews, grids). Files are read in
// train/condition-data.ts.
//
// Coordinates are pixels, x right and y down, with pixel i's centre at i (0-based). Plain point files are
// 0-based; .pts files (iBUG's 300-W, Matlab's convention) are 1-based and have 1 subtracted, as readers of
// that format do.
import { dataError } from './errors.js';

/** One point per landmark, [x0, y0, x1, y1, …] (2K values). */
export type Points = Float32Array;

/**
 * Points from a point file's text: one "x y" per line (commas or whitespace between; blank lines and lines
 * starting with # skipped), or the .pts format (`version: 1`, `n_points: K`, then `{`, K lines "x y", `}`).
 * `name` (the file) is what errors name.
 */
export function parsePoints(text: string, name: string): Points {
  const lines = text.split(/\r?\n/);
  const isPts = lines.some((l) => /^\s*(version|n_points)\s*:/i.test(l)) || lines.some((l) => l.trim() === '{');
  return isPts ? parsePts(lines, name) : parsePlain(lines, name);
}

function pointOf(line: string, name: string, lineNo: number): [number, number] {
  const parts = line.trim().split(/[\s,]+/);
  const [x, y] = parts.map(Number);
  if (parts.length !== 2 || !Number.isFinite(x) || !Number.isFinite(y)) throw dataError(`point file '${name}', line ${lineNo}: '${line.trim()}' is not "x y"`);
  return [x, y];
}

function parsePlain(lines: string[], name: string): Points {
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '' || l.trim().startsWith('#')) return;
    out.push(...pointOf(l, name, i + 1));
  });
  if (!out.length) throw dataError(`point file '${name}' holds no points (one "x y" per line, or the .pts format)`);
  return Float32Array.from(out);
}

function parsePts(lines: string[], name: string): Points {
  let declared: number | undefined;
  let open = -1;
  for (let i = 0; i < lines.length && open < 0; i++) {
    const l = lines[i].trim();
    const m = /^n_points\s*:\s*(\S+)$/i.exec(l);
    if (m) {
      declared = Number(m[1]);
      if (!(Number.isInteger(declared) && declared >= 1)) throw dataError(`point file '${name}', line ${i + 1}: n_points '${m[1]}' is not a positive count`);
    } else if (l === '{') open = i;
    else if (l !== '' && !/^version\s*:/i.test(l)) throw dataError(`point file '${name}', line ${i + 1}: '${l}' before '{' (a .pts header holds version: and n_points: only)`);
  }
  if (declared === undefined) throw dataError(`point file '${name}': the .pts header has no n_points`);
  if (open < 0) throw dataError(`point file '${name}': no '{' opens the .pts points`);
  const out: number[] = [];
  let closed = false;
  for (let i = open + 1; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === '}') {
      closed = true;
      break;
    }
    if (l === '') continue;
    const [x, y] = pointOf(l, name, i + 1);
    out.push(x - 1, y - 1);
  }
  if (!closed) throw dataError(`point file '${name}': no '}' closes the .pts points`);
  if (out.length / 2 !== declared) throw dataError(`point file '${name}': n_points is ${declared} but ${out.length / 2} points follow`);
  return Float32Array.from(out);
}

/**
 * K heat maps [K, H, W]: map k is exp(-((x - x_k)² + (y - y_k)²) / (2σ²)) at each pixel centre (x, y), 1 on
 * the point. A point outside the image still lights the pixels its Gaussian reaches. Written into `out` at
 * `offset` when given.
 */
export function renderHeatMaps(points: Points, width: number, height: number, sigma: number, out?: Float32Array, offset = 0): Float32Array {
  const k = points.length / 2;
  const hw = width * height;
  const dst = out ?? new Float32Array(k * hw);
  const gx = new Float32Array(width);
  const gy = new Float32Array(height);
  const s = 1 / (2 * sigma * sigma);
  for (let p = 0; p < k; p++) {
    // separable: exp(-(dx² + dy²)·s) = exp(-dx²·s)·exp(-dy²·s)
    for (let x = 0; x < width; x++) gx[x] = Math.exp(-((x - points[2 * p]) ** 2) * s);
    for (let y = 0; y < height; y++) gy[y] = Math.exp(-((y - points[2 * p + 1]) ** 2) * s);
    const base = offset + p * hw;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) dst[base + y * width + x] = gy[y] * gx[x];
  }
  return dst;
}

/** A normal map from 8-bit RGB (interleaved H·W·3) as planes [3, H, W] in [-1, 1]: v / 127.5 - 1 (R: x, G: y, B: z). */
export function normalPlanes(rgb: Uint8Array, width: number, height: number, out?: Float32Array, offset = 0): Float32Array {
  const hw = width * height;
  if (rgb.length !== 3 * hw) throw new Error(`normalPlanes: ${rgb.length} bytes for ${width}x${height} RGB`);
  const dst = out ?? new Float32Array(3 * hw);
  for (let p = 0; p < hw; p++) for (let c = 0; c < 3; c++) dst[offset + c * hw + p] = rgb[3 * p + c] / 127.5 - 1;
  return dst;
}

/**
 * The 68-point scheme's mirror map (iBUG / Multi-PIE, 0-based): point i of a mirrored face is point
 * MIRROR_68[i] of the face. Jaw 0..16 reversed; brows 17..21 with 26..22; nose bridge 27..30 on itself;
 * nostrils 31..35 reversed; eyes 36..41 with 45..42 and 47, 46; outer lips 48..54 reversed and 55..59
 * reversed; inner lips 60..64 reversed and 65..67 reversed.
 */
export const MIRROR_68: readonly number[] = (() => {
  const pairs: [number, number][] = [];
  for (let i = 0; i < 8; i++) pairs.push([i, 16 - i]);
  for (let i = 0; i < 5; i++) pairs.push([17 + i, 26 - i]);
  pairs.push([31, 35], [32, 34]);
  pairs.push([36, 45], [37, 44], [38, 43], [39, 42], [40, 47], [41, 46]);
  pairs.push([48, 54], [49, 53], [50, 52], [55, 59], [56, 58]);
  pairs.push([60, 64], [61, 63], [65, 67]);
  const map = Array.from({ length: 68 }, (_, i) => i);
  for (const [a, b] of pairs) [map[a], map[b]] = [b, a];
  return map;
})();

/** The permutation a horizontal flip applies to K points: the 68-point mirror map, or none (no flip) for other counts. */
export const flipPermutation = (k: number): readonly number[] | undefined => (k === 68 ? MIRROR_68 : undefined);

/** Points mirrored in an image `width` wide: x → width - 1 - x, and point i takes point perm[i]'s place. */
export function mirrorPoints(points: Points, width: number, perm: readonly number[]): Points {
  const out = new Float32Array(points.length);
  for (let i = 0; i < perm.length; i++) {
    out[2 * i] = width - 1 - points[2 * perm[i]];
    out[2 * i + 1] = points[2 * perm[i] + 1];
  }
  return out;
}

/**
 * A condition [K, H, W] as a picture (RGB bytes, interleaved), for previews and grids: a normal map as its
 * RGB colours ((v + 1) · 127.5); heat maps as their maximum over points, white on black.
 */
export function conditionPicture(kind: 'image' | 'landmarks', planes: Float32Array, channels: number, width: number, height: number): Uint8Array {
  const hw = width * height;
  const out = new Uint8Array(3 * hw);
  for (let p = 0; p < hw; p++) {
    if (kind === 'image') for (let c = 0; c < 3; c++) out[3 * p + c] = Math.round(Math.min(1, Math.max(-1, planes[c * hw + p])) * 127.5 + 127.5);
    else {
      let m = 0;
      for (let k = 0; k < channels; k++) m = Math.max(m, planes[k * hw + p]);
      out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = Math.round(Math.min(1, m) * 255);
    }
  }
  return out;
}
