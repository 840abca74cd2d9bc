// Segmenter files (docs/formats.md#segmenter-file): input `image` [N, 3, H, W] in [0, 1],
// output `scores` [N, C, H, W], classes in the metadata like a generator's; divsyn.model = segmenter.
import { emitProgram } from '../graph/programs/index.js';
import { SegmenterSpec, segmenterInferenceProgram } from '../graph/programs/segmenter.js';
import { ClassInfo } from '../graph/spec.js';
import { interfaceMetadata, segmenterInterface } from '../graph/interface.js';
import { writeFileAtomic } from '../common/files.js';
import { modelError } from '../common/errors.js';
import { VERSION } from './version.js';
import { describeInterface, dimsOf, externalDataProblem, graphInterface, readOnnxFile, trainingFileKind } from './onnx-file.js';
import { validateClasses } from '../common/palettes.js';
import { MAX_SIDE } from '../graph/families/index.js';

export function segmenterMetadata(spec: SegmenterSpec, options: Record<string, unknown> = {}): Record<string, string> {
  return {
    'divsyn.model': 'segmenter',
    'divsyn.classes': JSON.stringify(spec.classes),
    'divsyn.size': `${spec.size}x${spec.size}`,
    'divsyn.channels': String(spec.width),
    ...interfaceMetadata(segmenterInterface(spec)),
    'divsyn.version': VERSION,
    'divsyn.options': JSON.stringify(options),
  };
}

/** Writes the inference graph with these parameter values (by parameter name) as initializers. */
export function writeSegmenter(file: string, spec: SegmenterSpec, values: ReadonlyMap<string, Float32Array>, options: Record<string, unknown> = {}): void {
  writeFileAtomic(file, emitProgram(segmenterInferenceProgram(spec), { paramValues: values, metadata: segmenterMetadata(spec, options) }));
}

export interface SegmenterFile {
  path: string;
  bytes: Uint8Array;
  classes: ClassInfo[];
  metadata: Record<string, string>;
  /** Dims of the `image` input and `scores` output: numbers, or names where symbolic. */
  imageShape: (number | string)[];
  scoresShape: (number | string)[];
}

/**
 * Reads a segmenter file and checks it before any work: its kind, classes, and interface (`image` [N, 3,
 * H, W] with sides of at most MAX_SIDE, `scores` [N, C, H, W] with one channel per class). Every error is
 * one line naming the file and what it is instead.
 */
export function readSegmenter(file: string): SegmenterFile {
  const { bytes, model, metadata } = readOnnxFile(file, 'segmenter file');
  const training = trainingFileKind(model);
  if (training) throw modelError(`'${file}' is ${training}, not a segmenter: give a file from divsyn train-segmenter`);
  // a file from elsewhere may lack divsyn.model, but a generator given by mistake is caught here
  const kind = metadata['divsyn.model'];
  if (kind !== undefined && kind !== 'segmenter') throw modelError(`'${file}' is a divsyn ${kind} generator, not a segmenter`);
  const external = externalDataProblem(model);
  if (external) throw modelError(`segmenter '${file}' ${external}`);
  let classes: ClassInfo[];
  try {
    classes = validateClasses(JSON.parse(metadata['divsyn.classes']), 'divsyn.classes');
  } catch (e) {
    throw modelError(`segmenter '${file}': no valid divsyn.classes in its metadata (${(e as Error).message})`);
  }
  const { inputs, outputs } = graphInterface(model);
  const image = inputs.find((i) => i.name === 'image');
  const scores = outputs.find((o) => o.name === 'scores');
  if (!image) throw modelError(`segmenter '${file}' has no input 'image' [N, 3, H, W] (it has ${describeInterface(model)})`);
  if (!scores) throw modelError(`segmenter '${file}' has no output 'scores' [N, C, H, W] (it has ${describeInterface(model)})`);
  const imageShape = dimsOf(image);
  const scoresShape = dimsOf(scores);
  const numeric = (d: number | string | undefined, want: number) => typeof d !== 'number' || d === want;
  const side = (d: number | string | undefined) => typeof d !== 'number' || (d >= 1 && d <= MAX_SIDE);
  if (imageShape.length !== 4 || !numeric(imageShape[1], 3) || !side(imageShape[2]) || !side(imageShape[3]))
    throw modelError(`segmenter '${file}': its input image is [${imageShape.join(', ')}], not [N, 3, H, W] with sides of 1..${MAX_SIDE}`);
  if (scoresShape.length !== 4 || !numeric(scoresShape[1], classes.length))
    throw modelError(`segmenter '${file}': its output scores is [${scoresShape.join(', ')}], not [N, ${classes.length}, H, W] for its ${classes.length} classes`);
  return { path: file, bytes, classes, metadata, imageShape, scoresShape };
}
