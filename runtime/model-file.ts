// Generator files: an inference graph with weights as initializers and divsyn.* metadata
// (docs/formats.md, "Generator file"); each family adds and reads its own keys.
import onnxProto from 'onnx-proto';
import { inferenceProgram, emitProgram, paramIo } from '../graph/programs/index.js';
import { ClassInfo, GeneratorSpec, MODEL_KINDS, ModelKind } from '../graph/spec.js';
import { PRECISION, generatorInterface, interfaceMetadata } from '../graph/interface.js';
import { conditionChannels, conditionInputName, conditionMetadata, inputKind, readCondition } from '../graph/condition.js';
import { BaseSpec, acceptsInput, familyOf, takesNoise, variationInputs } from '../graph/families/index.js';
import { NormKind } from '../graph/models/layers.js';
import { writeFileAtomic } from '../common/files.js';
import { modelError } from '../common/errors.js';
import { describeInterface, dimsOf, graphInterface, readOnnxFile, trainingFileKind } from './onnx-file.js';
import { validateClasses } from '../common/palettes.js';
import { VERSION } from './version.js';

/** The widest generator read from a file: the limit of --width. */
export const MAX_CHANNELS = 4096;

export function generatorMetadata(spec: GeneratorSpec, options: Record<string, unknown> = {}): Record<string, string> {
  return {
    'divsyn.model': spec.model,
    'divsyn.classes': JSON.stringify(spec.classes),
    'divsyn.size': `${spec.height}x${spec.width}`,
    'divsyn.noise': takesNoise(spec) ? 'per-class' : 'none',
    ...familyOf(spec).metadata(spec),
    ...conditionMetadata(spec),
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
  /** The decoded file, for readers that describe it further (common/generator-info.ts). */
  model: onnxProto.onnx.ModelProto;
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

/**
 * Reads a generator file and its divsyn metadata, and checks that it is one before any work: its kind, size
 * (the family's rule, at most MAX_SIDE), classes, interface (the inputs and output its family's generator
 * has) and parameters (each one there, of its size). Every error is one line naming the file and what it
 * is instead: a segmenter, a training program, a model of another interface.
 */
export function readGenerator(file: string, opts: { weights?: boolean } = {}): GeneratorFile {
  const { model, metadata } = readOnnxFile(file, 'model file');
  const kind = metadata['divsyn.model'] as ModelKind;
  const training = trainingFileKind(model);
  if (training) throw modelError(`'${file}' is ${training}, not a generator: give a generator file (a run's generator.onnx, or one from divsyn init)`);
  if (kind === ('segmenter' as ModelKind)) throw modelError(`'${file}' is a divsyn segmenter (from train-segmenter), not a generator`);
  if (!MODEL_KINDS.includes(kind)) throw modelError(`'${file}' is not a divsyn generator (no divsyn.model in its metadata; it has ${describeInterface(model)})`);
  const sizeText = metadata['divsyn.size'] ?? '';
  const [h, w] = sizeText.split('x').map(Number);
  if (!/^\d+x\d+$/.test(sizeText) || !(h > 0 && w > 0)) throw modelError(`'${file}': divsyn.size metadata '${sizeText}' is not HxW`);
  const sizeProblem = familyOf(kind).sizeProblem(h, w, sizeText);
  if (sizeProblem) throw modelError(`'${file}': divsyn.size metadata: ${sizeProblem}`);
  let condition: ReturnType<typeof readCondition>;
  try {
    condition = readCondition(metadata);
  } catch (e) {
    throw modelError(`'${file}': ${(e as Error).message}`);
  }
  if (condition && !acceptsInput(kind, condition.kind)) throw modelError(`'${file}': a ${kind} generator is not conditioned on ${condition.kind} (divsyn.condition)`);
  let classes: ClassInfo[];
  try {
    // a model conditioned on something else than label maps has no classes
    classes = condition && metadata['divsyn.classes'] === '[]' ? [] : validateClasses(JSON.parse(metadata['divsyn.classes']), 'divsyn.classes');
  } catch (e) {
    throw modelError(`'${file}': divsyn.classes metadata is not a list of classes (${(e as Error).message})`);
  }
  const base: BaseSpec = {
    model: kind,
    classes,
    ...(condition ? { condition } : {}),
    height: h,
    width: w,
    channels: Number(metadata['divsyn.channels'] ?? familyOf(kind).defaultChannels),
    norm: (metadata['divsyn.norm'] ?? 'instance') as NormKind,
  };
  if (!(Number.isInteger(base.channels) && base.channels >= 1 && base.channels <= MAX_CHANNELS))
    throw modelError(`'${file}': divsyn.channels metadata '${metadata['divsyn.channels']}' is not a width of 1..${MAX_CHANNELS}`);
  let spec: GeneratorSpec;
  try {
    spec = familyOf(kind).readMetadata(base, metadata);
  } catch (e) {
    throw modelError(`'${file}': ${(e as Error).message}`);
  }
  const graph = model.graph!;
  const { inputs, outputs } = graphInterface(model);
  const interfaceProblem = generatorInterfaceProblem(spec, infos(inputs), infos(outputs));
  if (interfaceProblem) throw modelError(`'${file}' is not a working ${kind} generator: ${interfaceProblem}`);
  // an exported fp16 or int8 file holds its weights converted (and int8's decoder rewritten), not as param.<name>
  const exported = (metadata['divsyn.precision'] ?? PRECISION) !== PRECISION;
  const parameterProblem = exported ? undefined : generatorParameterProblem(spec, graph.initializer ?? []);
  if (parameterProblem) throw modelError(`'${file}' is not a working ${kind} generator: ${parameterProblem}`);
  const initializers = new Map<string, Float32Array>();
  if (opts.weights) for (const t of graph.initializer ?? []) if (t.dataType === 1) initializers.set(t.name ?? '', floatsOf(t));
  return {
    path: file,
    spec,
    metadata,
    inputs: infos(inputs),
    outputs: infos(outputs),
    initializers,
    model,
  };
}

/** The inputs and output a generator of spec has (docs/formats.md, "Generator file"): [N, …] with N free. */
export function expectedGeneratorInterface(spec: GeneratorSpec): { inputs: ValueInfo[]; outputs: ValueInfo[] } {
  const { height: h, width: w } = spec;
  return {
    inputs: [
      { name: conditionInputName(spec), dtype: 'float32', shape: ['N', conditionChannels(spec), h, w] },
      ...variationInputs(spec).map((v) => ({ name: v.name, dtype: 'float32', shape: ['N', v.dim] })),
    ],
    outputs: [{ name: 'image', dtype: 'float32', shape: ['N', 3, h, w] }],
  };
}

const shapeText = (v: ValueInfo) => `${v.name} ${v.dtype} [${v.shape.join(', ')}]`;

function sameValue(want: ValueInfo, got: ValueInfo | undefined): boolean {
  if (!got || got.name !== want.name || got.dtype !== want.dtype || got.shape.length !== want.shape.length) return false;
  // the batch dimension may be named or fixed; the others must be the numbers of the spec
  return want.shape.every((d, i) => i === 0 || got.shape[i] === d);
}

function generatorInterfaceProblem(spec: GeneratorSpec, inputs: ValueInfo[], outputs: ValueInfo[]): string | undefined {
  const want = expectedGeneratorInterface(spec);
  const ok = (a: ValueInfo[], b: ValueInfo[]) => a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (ok(want.inputs, inputs) && ok(want.outputs, outputs)) return undefined;
  const list = (vs: ValueInfo[]) => vs.map(shapeText).join(', ') || 'none';
  return `its metadata asks for inputs ${list(want.inputs)} and output ${list(want.outputs)}; it has inputs ${list(inputs)} and outputs ${list(outputs)}`;
}

/** Each parameter of spec's generator among the file's initializers, with its number of values. */
function generatorParameterProblem(spec: GeneratorSpec, initializers: onnxProto.onnx.ITensorProto[]): string | undefined {
  const byName = new Map(initializers.map((t) => [t.name ?? '', t]));
  const params = inferenceProgram(spec).graph.params.map(paramIo);
  const missing = params.filter((p) => !byName.has(p.spec.name));
  if (missing.length) return `${missing.length} of its ${params.length} parameters are missing (the first: ${missing[0].spec.name})`;
  for (const p of params) {
    const t = byName.get(p.spec.name)!;
    const size = (t.dims ?? []).reduce<number>((n, d) => n * Number(d), 1);
    if (t.dataType !== 1) return `parameter ${p.spec.name} is not float32`;
    if (size !== p.tensor.size) return `parameter ${p.spec.name} has ${size} values, its metadata asks for ${p.tensor.size}`;
    const stored = t.rawData?.length ? t.rawData.length / 4 : (t.floatData?.length ?? 0);
    if (stored !== size) return `parameter ${p.spec.name} holds ${stored} of its ${size} values`;
  }
  return undefined;
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

const describeInput = (s: GeneratorSpec) => (s.condition ? `${s.condition.channels}-channel ${inputKind(s)} input` : `${s.classes.length} classes`);
const describeSpec = (s: GeneratorSpec) => `${s.model} ${s.height}x${s.width}, width ${s.channels}, ${describeInput(s)}`;

/**
 * The parameters of generator file `file` to start training spec from (--init), checked before any work:
 * a generator of the same kind whose parameters are this model's, each of its size (a file of another
 * size or width has other parameters). Values by parameter name, as generatorValues gives them.
 */
export function readInitGenerator(file: string, spec: GeneratorSpec, option = '--init'): Map<string, Float32Array> {
  const f = readGenerator(file, { weights: true });
  const precision = f.metadata['divsyn.precision'];
  if (precision && precision !== 'fp32') throw modelError(`${option} '${file}' is an ${precision} export: ${option} takes the fp32 file it was exported from`);
  const mismatch = (why: string) => modelError(`${option} '${file}' is a ${describeSpec(f.spec)} generator; this run trains ${describeSpec(spec)}: ${why}`);
  if (f.spec.model !== spec.model) throw mismatch('another kind of model');
  if (inputKind(f.spec) !== inputKind(spec)) throw mismatch('another kind of input');
  if (conditionChannels(f.spec) !== conditionChannels(spec)) throw mismatch(spec.condition ? 'another number of input channels' : 'another number of classes');
  const values = generatorValues(f.initializers);
  for (const p of inferenceProgram(spec).graph.params.map(paramIo)) {
    const name = p.spec.name.replace(/^(param|buffer)\./, '');
    const v = values.get(name);
    if (!v) throw mismatch(`it has no parameter ${p.spec.name}`);
    if (v.length !== p.tensor.size) throw mismatch(`its parameter ${p.spec.name} has ${v.length} values, this model's ${p.tensor.size}`);
  }
  return values;
}
