// What the page saves: the image as an RGB PNG (the bytes drawn on the canvas), its noise as one
// samples.jsonl line (docs/formats.md: {"file", "layout", "seed", "k", "noise"?, "code"?}), the layout
// as a colour PNG in the model's palette, and the `divsyn sample` command that makes the image again.
import { encode } from 'fast-png';
import { indicesToColors } from '../../common/label-maps.js';
import { ClassInfo } from '../index.js';

/** An RGB PNG of opaque RGBA bytes (ImageData's layout). */
export function rgbaToPng(rgba: Uint8ClampedArray, width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(3 * width * height);
  for (let p = 0; p < width * height; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = rgba[4 * p + c];
  return encode({ width, height, data: rgb, channels: 3, depth: 8 });
}

/** A layout's class indices as a colour PNG in the palette (what `divsyn sample --layouts` reads back). */
export function layoutToPng(indices: Uint8Array, classes: ClassInfo[], width: number, height: number): Uint8Array {
  return encode({ width, height, data: indicesToColors(indices, classes), channels: 3, depth: 8 });
}

export interface SampleRecord {
  file: string;
  layout: string;
  seed: number;
  k: number;
  noise?: Record<string, number>;
  code?: number[];
}

/** The record of an image: the noise fed by class name (float32 values, printed so they read back exactly), the code as a list. */
export function sampleRecord(o: { file: string; layout: string; seed: number; k: number; classes: ClassInfo[]; noise?: Float32Array; code?: Float32Array }): SampleRecord {
  const r: SampleRecord = { file: o.file, layout: o.layout, seed: o.seed, k: o.k };
  if (o.noise) r.noise = Object.fromEntries(o.classes.map((c, i) => [c.name, o.noise![i]]));
  if (o.code) r.code = Array.from(o.code);
  return r;
}

/** `divsyn sample` making the record's image again (noise models; a code has no command-line option). */
export function commandLine(model: string, layoutFile: string, r: SampleRecord): string {
  const noise = r.noise
    ? ` --noise ${Object.entries(r.noise)
        .map(([name, v]) => `${name}=${v}`)
        .join(',')}`
    : '';
  return `divsyn sample --model ${model} --layouts ${layoutFile} --seed ${r.seed} --count 1${noise} --out studio-sample/`;
}

/** Saves bytes or text as a file through the browser's download. */
export function save(name: string, data: Uint8Array | string, type: string): void {
  const blob = new Blob([typeof data === 'string' ? data : data.slice().buffer], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
