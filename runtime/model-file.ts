// Generator files: an inference graph with weights as initializers and divsyn.* metadata
// (docs/formats.md, "Generator file"); each family adds and reads its own keys.
import onnxProto from 'onnx-proto';
import { inferenceProgram, emitProgram } from '../graph/programs/index.js';
import { ClassInfo, GeneratorSpec, MODEL_KINDS, ModelKind } from '../graph/spec.js';
import { generatorInterface, interfaceMetadata } from '../graph/interface.js';
import { BaseSpec, familyOf, takesNoise } from '../graph/families/index.js';
import { NormKind } from '../graph/models/layers.js';
import { writeFileAtomic } from '../common/files.js';
import { UserError } from '../common/errors.js';
import { dimsOf, readOnnxFile } from './onnx-file.js';
import { VERSION } from './version.js';

export function generatorMetadata(spec: GeneratorSpec, options: Record<string, unknown> = {}): Record<string, string> {
  return {
    'divsyn.model': spec.model,
    'divsyn.classes': JSON.stringify(spec.classes),
    'divsyn.size': `${spec.height}x${spec.width}`,
    'divsyn.noise': takesNoise(spec) ? 'per-class' : 'none',
    ...familyOf(spec).metadata(spec),
    ...interfaceMetadata(generatorInterface(spec)),
    'divsyn.version': VERSION,
    'divsyn.channels': String(spec.channels),
    'divsyn.norm': spec.norm,
    'divsyn.options': JSON.stringify(options),
  };
}

/** The inference graph of spec with these parameter values, as ONNX bytes. */
export function generatorBytes(spec: GeneratorSpec, values: ReadonlyMap<string, Float32Array>, options: Record<string, unknown> = {}): Uint8Array {
  return emitProgram(inferenceProgram(spec), { paramValues: values, metadata: generatorMetadata(spec, options) });
}

export function writeGenerator(file: string, spec: GeneratorSpec, values: ReadonlyMap<string, Float32Array>, options: Record<string, unknown> = {}): void {
  writeFileAtomic(file, generatorBytes(spec, values, options));
}

export interface ValueInfo {
  name: string;
  dtype: string;
  shape: (number | string)[];
}

export interface GeneratorFile {
  path: string;
  spec: GeneratorSpec;
  metadata: Record<string, string>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Initializers by name (parameters are param.<name>). */
  initializers: Map<string, Float32Array>;
}

const ELEM: Record<number, string> = { 1: 'float32', 7: 'int64', 9: 'bool' };

function infos(list: onnxProto.onnx.IValueInfoProto[]): ValueInfo[] {
  return list.map((v) => ({
    name: v.name ?? '',
    dtype: ELEM[v.type?.tensorType?.elemType ?? 0] ?? `type${v.type?.tensorType?.elemType}`,
    shape: dimsOf(v),
  }));
}

function floatsOf(t: onnxProto.onnx.ITensorProto): Float32Array {
  if (t.rawData && t.rawData.length) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Read a generator file and its divsyn metadata; errors name the file. */
export function readGenerator(file: string, opts: { weights?: boolean } = {}): GeneratorFile {
  const { model, metadata } = readOnnxFile(file, 'model file');
  const kind = metadata['divsyn.model'] as ModelKind;
  if (!MODEL_KINDS.includes(kind)) throw new UserError(`'${file}' is not a divsyn generator (no divsyn.model in its metadata)`);
  const sizeText = metadata['divsyn.size'] ?? '';
  const [h, w] = sizeText.split('x').map(Number);
  if (!/^\d+x\d+$/.test(sizeText) || !(h > 0 && w > 0)) throw new UserError(`'${file}': divsyn.size metadata '${sizeText}' is not HxW`);
  let classes: ClassInfo[];
  try {
    classes = JSON.parse(metadata['divsyn.classes']);
  } catch {
    throw new UserError(`'${file}': divsyn.classes metadata is not valid JSON`);
  }
  const base: BaseSpec = {
    model: kind,
    classes,
    height: h,
    width: w,
    channels: Number(metadata['divsyn.channels'] ?? 64),
    norm: (metadata['divsyn.norm'] ?? 'instance') as NormKind,
  };
  let spec: GeneratorSpec;
  try {
    spec = familyOf(kind).readMetadata(base, metadata);
  } catch (e) {
    throw new UserError(`'${file}': ${(e as Error).message}`);
  }
  const graph = model.graph!;
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const initializers = new Map<string, Float32Array>();
  if (opts.weights) for (const t of graph.initializer ?? []) if (t.dataType === 1) initializers.set(t.name ?? '', floatsOf(t));
  return {
    path: file,
    spec,
    metadata,
    inputs: infos((graph.input ?? []).filter((i) => !initNames.has(i.name))),
    outputs: infos(graph.output ?? []),
    initializers,
  };
}

/**
 * Generator parameter values by parameter name, from tensors named as graphs name them (param.<name>,
 * buffer.<name> for running statistics): a file's initializers or a training run's carried values.
 */
export function generatorValues(named: Map<string, Float32Array>): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  for (const [k, v] of named) {
    const m = /^(param|buffer)\.(.*)$/.exec(k);
    if (m) values.set(m[2], v);
  }
  return values;
}
