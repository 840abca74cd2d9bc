// Class palettes: the built-in CMP Facades and Cityscapes palettes, generic ones, and JSON files.
import fs from 'node:fs';
import { ClassInfo } from '../graph/spec.js';
import { dataError, usageError } from './errors.js';

/** MATLAB's jet(m) colormap, row k (0-based), as 0..255 RGB. */
export function jetRow(m: number, k: number): [number, number, number] {
  const n = Math.ceil(m / 4);
  const u = [...Array.from({ length: n }, (_, i) => (i + 1) / n), ...new Array(n - 1).fill(1), ...Array.from({ length: n }, (_, i) => (n - i) / n)];
  const g0 = Math.ceil(n / 2) - (m % 4 === 1 ? 1 : 0);
  const rgb = [0, 0, 0];
  u.forEach((v, i) => {
    const g = g0 + i + 1; // 1-based row of the green ramp
    if (g + n - 1 === k) rgb[0] = v;
    if (g - 1 === k) rgb[1] = v;
    if (g - n - 1 === k) rgb[2] = v;
  });
  return rgb.map((v) => Math.round(v * 255)) as [number, number, number];
}

export const CMP_FACADES_NAMES = ['background', 'facade', 'window', 'door', 'cornice', 'sill', 'balcony', 'blind', 'deco', 'molding', 'pillar', 'shop'];

/** CMP Facades: 12 classes, colours are jet(64) rows 5i+1 (1-based, i = 1..12); label ids 1..12. */
export function cmpFacades(): ClassInfo[] {
  return CMP_FACADES_NAMES.map((name, i) => ({ name, color: jetRow(64, 5 * (i + 1)), ids: [i + 1] }));
}

const CITYSCAPES: [string, number, [number, number, number]][] = [
  ['road', 7, [128, 64, 128]],
  ['sidewalk', 8, [244, 35, 232]],
  ['building', 11, [70, 70, 70]],
  ['wall', 12, [102, 102, 156]],
  ['fence', 13, [190, 153, 153]],
  ['pole', 17, [153, 153, 153]],
  ['traffic light', 19, [250, 170, 30]],
  ['traffic sign', 20, [220, 220, 0]],
  ['vegetation', 21, [107, 142, 35]],
  ['terrain', 22, [152, 251, 152]],
  ['sky', 23, [70, 130, 180]],
  ['person', 24, [220, 20, 60]],
  ['rider', 25, [255, 0, 0]],
  ['car', 26, [0, 0, 142]],
  ['truck', 27, [0, 0, 70]],
  ['bus', 28, [0, 60, 100]],
  ['train', 31, [0, 80, 100]],
  ['motorcycle', 32, [0, 0, 230]],
  ['bicycle', 33, [119, 11, 32]],
];

/** Cityscapes: the 19 train classes (gtFine label ids), then void for every other id. */
export function cityscapes(): ClassInfo[] {
  const used = new Set(CITYSCAPES.map(([, id]) => id));
  const voidIds = Array.from({ length: 34 }, (_, i) => i).filter((i) => !used.has(i));
  return [...CITYSCAPES.map(([name, id, color]) => ({ name, color, ids: [id] })), { name: 'void', color: [0, 0, 0], ids: voidIds }];
}

/** C classes named class0… with well-separated colours (golden-angle hues). */
export function genericPalette(c: number): ClassInfo[] {
  return Array.from({ length: c }, (_, i) => {
    const h = (i * 137.508) % 360;
    const l = i % 2 ? 0.4 : 0.6;
    return { name: `class${i}`, color: hsl(h, 0.8, l) };
  });
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

export function validateClasses(classes: unknown, where: string): ClassInfo[] {
  if (!Array.isArray(classes) || classes.length < 1) throw dataError(`${where}: expected a non-empty JSON list of {"name", "color": [r,g,b]}`);
  return classes.map((c, i) => {
    const ok =
      c &&
      typeof c.name === 'string' &&
      Array.isArray(c.color) &&
      c.color.length === 3 &&
      c.color.every((v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255) &&
      (c.ids === undefined || (Array.isArray(c.ids) && c.ids.every(Number.isInteger)));
    if (!ok) throw dataError(`${where}: class ${i} must be {"name": string, "color": [r,g,b] in 0..255, "ids"?: [int]}, got ${JSON.stringify(c)}`);
    return { name: c.name, color: c.color as [number, number, number], ...(c.ids ? { ids: c.ids } : {}) };
  });
}

/** --palette cmp-facades|cityscapes|FILE.json */
export function loadPalette(p: string): ClassInfo[] {
  if (p === 'cmp-facades') return cmpFacades();
  if (p === 'cityscapes') return cityscapes();
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw dataError(`palette file '${p}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); built-in palettes: cmp-facades, cityscapes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw dataError(`palette file '${p}' is not valid JSON: ${(e as Error).message}`);
  }
  return validateClasses(json, `palette file '${p}'`);
}

/** Resolve a CLASS argument (name or 0-based index). */
export function classIndex(classes: ClassInfo[], arg: string): number {
  if (/^\d+$/.test(arg)) {
    const i = Number(arg);
    if (i < classes.length) return i;
  }
  const i = classes.findIndex((c) => c.name === arg);
  if (i < 0) throw usageError(`unknown class '${arg}' (classes: ${classes.map((c, k) => `${k}=${c.name}`).join(', ')})`);
  return i;
}
