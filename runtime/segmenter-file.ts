// Segmenter files (docs/formats.md#segmenter-file): input `image` [N, 3, H, W] in [0, 1],
// output `scores` [N, C, H, W], classes in the metadata like a generator's; divsyn.model = segmenter.
import { emitProgram } from '../graph/programs/index.js';
import { SegmenterSpec, segmenterInferenceProgram } from '../graph/programs/segmenter.js';
import { ClassInfo } from '../graph/spec.js';
import { interfaceMetadata, segmenterInterface } from '../graph/interface.js';
import { writeFileAtomic } from '../common/files.js';
import { UserError } from '../common/errors.js';
import { VERSION } from './version.js';
import { dimsOf, readOnnxFile } from './onnx-file.js';

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

/** Reads a segmenter file and checks its interface; every error names the file. */
export function readSegmenter(file: string): SegmenterFile {
  const { bytes, model, metadata } = readOnnxFile(file, 'segmenter file');
  // a file from elsewhere may lack divsyn.model, but a generator given by mistake is caught here
  const kind = metadata['divsyn.model'];
  if (kind !== undefined && kind !== 'segmenter') throw new UserError(`'${file}' is a divsyn ${kind} generator, not a segmenter`);
  let classes: ClassInfo[];
  try {
    classes = JSON.parse(metadata['divsyn.classes']);
    if (!Array.isArray(classes) || !classes.every((c) => typeof c?.name === 'string')) throw new Error('not a list of {name, color}');
  } catch (e) {
    throw new UserError(`segmenter '${file}': no valid divsyn.classes in its metadata (${(e as Error).message})`);
  }
  const graph = model.graph!;
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const image = (graph.input ?? []).find((i) => i.name === 'image' && !initNames.has(i.name));
  const scores = (graph.output ?? []).find((o) => o.name === 'scores');
  if (!image) throw new UserError(`segmenter '${file}' has no input 'image' [N, 3, H, W]`);
  if (!scores) throw new UserError(`segmenter '${file}' has no output 'scores' [N, C, H, W]`);
  return { path: file, bytes, classes, metadata, imageShape: dimsOf(image), scoresShape: dimsOf(scores) };
}
