// What conditions a generator, in one place: the input's name, channel count and value range for each
// input kind, and the condition's metadata (divsyn.condition; docs/formats.md). Label maps are the kind of
// every file without that key, so files of label-map models are what they were.
import { ConditionSpec, GeneratorSpec, InputKind } from './spec.js';

/** A normal map's values: each of x, y, z in [-1, 1] (8-bit v maps to v / 127.5 - 1). */
export const NORMAL_RANGE: [number, number] = [-1, 1];
/** A heat map's values: 1 on its point, falling off as a Gaussian. */
export const HEAT_MAP_RANGE: [number, number] = [0, 1];

/** The input kind of spec's generator. */
export const inputKind = (spec: GeneratorSpec): InputKind => spec.condition?.kind ?? 'labels';

/** The name of the generator's conditioning input: `layout` for label maps, else `condition`. */
export const conditionInputName = (spec: GeneratorSpec): string => (spec.condition ? 'condition' : 'layout');

/** The conditioning input's channel count: the classes, 3 for a normal map, K for K landmarks. */
export const conditionChannels = (spec: GeneratorSpec): number => spec.condition?.channels ?? spec.classes.length;

/** The condition of a model fed normal maps or K landmark heat maps (sigma in pixels at the model's size). */
export function conditionSpec(kind: Exclude<InputKind, 'labels'>, o: { points?: number; sigma?: number } = {}): ConditionSpec {
  if (kind === 'image') return { kind, channels: 3, range: [...NORMAL_RANGE] };
  if (!(Number.isInteger(o.points) && o.points! >= 1)) throw new Error(`landmarks need a point count of at least 1, got ${o.points}`);
  if (!(o.sigma! > 0 && Number.isFinite(o.sigma))) throw new Error(`option --sigma: ${o.sigma} is not a positive number of pixels`);
  return { kind, channels: o.points!, range: [...HEAT_MAP_RANGE], sigma: o.sigma };
}

/** The metadata key of a condition (none for label maps). */
export function conditionMetadata(spec: GeneratorSpec): Record<string, string> {
  return spec.condition ? { 'divsyn.condition': JSON.stringify(spec.condition) } : {};
}

/** The condition from a file's metadata (undefined: label maps). Throws Error naming what is wrong. */
export function readCondition(metadata: Record<string, string>): ConditionSpec | undefined {
  const text = metadata['divsyn.condition'];
  if (text === undefined) return undefined;
  let c: ConditionSpec;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new Error(`divsyn.condition is not valid JSON (${(e as Error).message})`);
  }
  const rangeOk = Array.isArray(c?.range) && c.range.length === 2 && c.range.every(Number.isFinite) && c.range[0] < c.range[1];
  if ((c?.kind !== 'image' && c?.kind !== 'landmarks') || !Number.isInteger(c.channels) || c.channels < 1 || c.channels > 4096 || !rangeOk)
    throw new Error(`divsyn.condition '${text}' is not {"kind": "image"|"landmarks", "channels", "range": [lo, hi]}`);
  if (c.kind === 'image' && c.channels !== 3) throw new Error(`divsyn.condition: an image condition has 3 channels, not ${c.channels}`);
  if (c.kind === 'landmarks' && !(c.sigma! > 0)) throw new Error(`divsyn.condition: landmarks need a positive sigma, got ${c.sigma}`);
  return { kind: c.kind, channels: c.channels, range: [c.range[0], c.range[1]], ...(c.kind === 'landmarks' ? { sigma: c.sigma } : {}) };
}
