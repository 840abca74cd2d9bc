// What a generator or segmenter file takes and gives, as its metadata states it (divsyn.inputs,
// divsyn.outputs; docs/formats.md): each tensor's shape, what its axes are, and its values and range, so
// that a program reading the file needs nothing else to feed it.
import { ConditionKind, familyOf } from './families/index.js';
import { inputKind } from './condition.js';
import type { SegmenterSpec } from './programs/segmenter.js';
import { GeneratorSpec } from './spec.js';

/**
 * The version of the files' layout and metadata. 1: divsyn.format, divsyn.inputs, divsyn.outputs and
 * divsyn.precision appear; a file without divsyn.format is version 0 (the same tensors, described by
 * these functions instead of its metadata).
 */
export const FORMAT_VERSION = 1;

/**
 * A file's precision (divsyn.precision): fp32, every tensor float32 (what training and init write);
 * fp16 and int8, an exported file computing in float16 or in int8 QDQ form, its inputs and outputs
 * float32 all the same (docs/formats.md, "Precision").
 */
export const PRECISIONS = ['fp32', 'fp16', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];
/** The precision of the files divsyn builds from its graphs. */
export const PRECISION: Precision = 'fp32';

export interface TensorDescription {
  name: string;
  /** What it holds: a condition (labels: the layout), the variation inputs, an RGB image, class scores. */
  kind: ConditionKind | 'noise' | 'code' | 'image' | 'scores';
  /** Dims, the batch dimension symbolic (`N`). */
  shape: (number | 'N')[];
  /**
   * What each axis indexes: sample, class, y, x, rgb (R, G, B), channel (at the latent split), image
   * (crn-multi's), normal (a normal map's x, y, z), point (landmark k's heat map).
   */
  axes: ('sample' | 'class' | 'y' | 'x' | 'rgb' | 'channel' | 'image' | 'normal' | 'point')[];
  /**
   * one-hot: a single 1 along the class (or image) axis; uniform: drawn uniformly in range; rgb: colour in
   * range; logits: unbounded scores; normals: a normal map's components; heat-map: exp(-d²/2σ²) of the
   * distance d in pixels to the point.
   */
  values: 'one-hot' | 'uniform' | 'rgb' | 'logits' | 'normals' | 'heat-map';
  /** heat-map: σ in pixels. */
  sigma?: number;
  /** Least and greatest value, where bounded. */
  range?: [number, number];
}

export interface FileInterface {
  inputs: TensorDescription[];
  outputs: TensorDescription[];
}

/** Each condition kind's input; a new kind is a type error here until it says what it feeds. */
const CONDITION_INPUTS: Record<ConditionKind, (spec: GeneratorSpec) => TensorDescription> = {
  labels: (spec) => ({ name: 'layout', kind: 'labels', shape: ['N', spec.classes.length, spec.height, spec.width], axes: ['sample', 'class', 'y', 'x'], values: 'one-hot', range: [0, 1] }),
  image: (spec) => ({ name: 'condition', kind: 'image', shape: ['N', 3, spec.height, spec.width], axes: ['sample', 'normal', 'y', 'x'], values: 'normals', range: spec.condition!.range }),
  landmarks: (spec) => ({
    name: 'condition',
    kind: 'landmarks',
    shape: ['N', spec.condition!.channels, spec.height, spec.width],
    axes: ['sample', 'point', 'y', 'x'],
    values: 'heat-map',
    range: spec.condition!.range,
    sigma: spec.condition!.sigma,
  }),
};

const rgbImage = (name: string, height: number, width: number): TensorDescription => ({
  name,
  kind: 'image',
  shape: ['N', 3, height, width],
  axes: ['sample', 'rgb', 'y', 'x'],
  values: 'rgb',
  range: [0, 1],
});

/** The inference graph's inputs (the condition, then noise, then code) and its image, as graph/programs/inference.ts builds them. */
export function generatorInterface(spec: GeneratorSpec): FileInterface {
  const family = familyOf(spec);
  const kind = inputKind(spec);
  const variations = family
    .variationInputs(spec)
    .map((v): TensorDescription => ({ name: v.name, kind: v.name, shape: ['N', v.dim], axes: ['sample', v.axis], values: v.values, range: [v.range[0], v.range[1]] }));
  return { inputs: [CONDITION_INPUTS[kind](spec), ...variations], outputs: [rgbImage('image', spec.height, spec.width)] };
}

/** A segmenter: an RGB image in, class logits out. */
export function segmenterInterface(spec: SegmenterSpec): FileInterface {
  return {
    inputs: [rgbImage('image', spec.size, spec.size)],
    outputs: [{ name: 'scores', kind: 'scores', shape: ['N', spec.classes.length, spec.size, spec.size], axes: ['sample', 'class', 'y', 'x'], values: 'logits' }],
  };
}

/** The metadata keys that state a file's interface. */
export function interfaceMetadata(io: FileInterface): Record<string, string> {
  return { 'divsyn.format': String(FORMAT_VERSION), 'divsyn.inputs': JSON.stringify(io.inputs), 'divsyn.outputs': JSON.stringify(io.outputs), 'divsyn.precision': PRECISION };
}
