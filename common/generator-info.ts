// What a generator file is, from its bytes alone: no onnxruntime and no node: modules, so it runs in
// browsers too (the web entry samples by it) and is what `divsyn info --json` prints. The tensors'
// descriptions come from the file's divsyn.inputs / divsyn.outputs (docs/formats.md), or, in a file from
// before they existed (format 0), from its spec; either way they are checked against the graph's own.
import { BaseSpec, acceptsInput, familyOf } from '../graph/families/index.js';
import { readCondition } from '../graph/condition.js';
import { FORMAT_VERSION, PRECISION, PRECISIONS, Precision, TensorDescription, generatorInterface } from '../graph/interface.js';
import { NormKind } from '../graph/models/layers.js';
import { ClassInfo, GeneratorSpec, MODEL_KINDS, ModelKind } from '../graph/spec.js';
import { modelError } from './errors.js';
import { DecodedOnnx, decodeOnnx, dimsOf, graphValues } from './onnx-model.js';

/** What init and train store in divsyn.options: init's `{seed, trained: false}`, or train's options and steps. */
export interface TrainingRecord {
  trained?: boolean;
  seed?: number;
  steps?: number;
  data?: string;
  batch?: number;
  diversity?: string;
  beta?: number;
  betaRampSteps?: number;
  lambda?: number[];
  lr?: number;
  lrPolicy?: string;
  perceptual?: string;
  /** The other training options (docs/formats.md, "Generator file"). */
  [option: string]: unknown;
}

/** What the spec holds besides kind, classes and size: width and norm, crn-multi's images, a latent model's code. */
export type Architecture = Omit<GeneratorSpec, 'model' | 'classes' | 'height' | 'width'>;

export interface GeneratorInfo {
  /** The file format's version (graph/interface.ts FORMAT_VERSION; 0 before divsyn.format). */
  format: number;
  kind: ModelKind;
  height: number;
  width: number;
  /** In the layout's class order: name, colour [r, g, b] in 0..255, and the label ids an index map may hold (none for a model with a condition). */
  classes: ClassInfo[];
  /** In feeding order: the layout (or the condition), then noise and code where the model takes them. */
  inputs: TensorDescription[];
  outputs: TensorDescription[];
  /** fp32, or an exported fp16 or int8 file (its inputs and outputs float32 all the same). */
  precision: Precision;
  /** divsyn's version that wrote the file, if it says. */
  version: string | null;
  architecture: Architecture;
  /** divsyn.options, if the file has it. */
  training: TrainingRecord | null;
}

/** The generator's spec (what the variation scheme and the programs take). */
export function specOf(info: GeneratorInfo): GeneratorSpec {
  return { model: info.kind, classes: info.classes, height: info.height, width: info.width, ...info.architecture };
}

/** A generator's description from its bytes; `name` (the file, say) is what errors name. */
export function readGeneratorInfo(bytes: Uint8Array, name = 'generator'): GeneratorInfo {
  return generatorInfo(decodeOnnx(bytes, name), name);
}

const ELEM_FLOAT = 1;

function parseJson(metadata: Record<string, string>, key: string, name: string): unknown {
  try {
    return JSON.parse(metadata[key]);
  } catch (e) {
    throw modelError(`'${name}': ${key} metadata is not valid JSON (${(e as Error).message})`);
  }
}

function formatOf(metadata: Record<string, string>, name: string): number {
  const text = metadata['divsyn.format'];
  if (text === undefined) return 0;
  const format = Number(text);
  if (!Number.isInteger(format) || format < 1) throw modelError(`'${name}': divsyn.format '${text}' is not a format version`);
  if (format > FORMAT_VERSION) throw modelError(`'${name}' has file format ${format}, newer than this divsyn reads (${FORMAT_VERSION}): update divsyn`);
  return format;
}

function classesOf(metadata: Record<string, string>, name: string, conditioned: boolean): ClassInfo[] {
  const classes = parseJson(metadata, 'divsyn.classes', name);
  // a model conditioned on a normal map or landmarks has no classes
  if (conditioned && Array.isArray(classes) && classes.length === 0) return [];
  const valid = (c: ClassInfo) => typeof c?.name === 'string' && Array.isArray(c.color) && c.color.length === 3 && (c.ids === undefined || Array.isArray(c.ids));
  if (!Array.isArray(classes) || classes.length < 1 || !classes.every(valid)) throw modelError(`'${name}': divsyn.classes is not a list of {"name", "color": [r, g, b], "ids"?}`);
  return classes as ClassInfo[];
}

function specFrom(metadata: Record<string, string>, name: string): GeneratorSpec {
  const kind = metadata['divsyn.model'];
  if (kind === 'segmenter') throw modelError(`'${name}' is a divsyn segmenter, not a generator`);
  if (!MODEL_KINDS.includes(kind as ModelKind)) throw modelError(`'${name}' is not a divsyn generator (no known divsyn.model in its metadata)`);
  const sizeText = metadata['divsyn.size'] ?? '';
  const [height, width] = sizeText.split('x').map(Number);
  if (!/^\d+x\d+$/.test(sizeText) || !(height > 0 && width > 0)) throw modelError(`'${name}': divsyn.size metadata '${sizeText}' is not HxW`);
  let condition: ReturnType<typeof readCondition>;
  try {
    condition = readCondition(metadata);
  } catch (e) {
    throw modelError(`'${name}': ${(e as Error).message}`);
  }
  if (condition && !acceptsInput(kind as ModelKind, condition.kind)) throw modelError(`'${name}': a ${kind} generator is not conditioned on ${condition.kind} (divsyn.condition)`);
  const base: BaseSpec = {
    model: kind as ModelKind,
    classes: classesOf(metadata, name, condition !== undefined),
    ...(condition ? { condition } : {}),
    height,
    width,
    channels: Number(metadata['divsyn.channels'] ?? 64),
    norm: (metadata['divsyn.norm'] ?? 'instance') as NormKind,
  };
  try {
    return familyOf(base.model).readMetadata(base, metadata);
  } catch (e) {
    throw modelError(`'${name}': ${(e as Error).message}`);
  }
}

/** The described tensors, each as the graph has it (name, float32, dims), and nothing the graph takes besides. */
function checkedAgainstGraph(described: TensorDescription[], graph: ReturnType<typeof graphValues>['inputs'], what: string, name: string): TensorDescription[] {
  const shown = (dims: (number | string)[]) => `[${dims.join(', ')}]`;
  for (const d of described) {
    const v = graph.find((g) => g.name === d.name);
    if (!v) throw modelError(`'${name}': its metadata describes ${what} '${d.name}', which the graph does not have`);
    if (shown(dimsOf(v)) !== shown(d.shape)) throw modelError(`'${name}': ${what} '${d.name}' is ${shown(dimsOf(v))} in the graph but ${shown(d.shape)} in its metadata`);
    if (v.type?.tensorType?.elemType !== ELEM_FLOAT) throw modelError(`'${name}': ${what} '${d.name}' is not float32`);
  }
  const extra = graph.filter((g) => !described.some((d) => d.name === g.name));
  if (extra.length && what === 'input') throw modelError(`'${name}': the graph takes ${extra.map((g) => `'${g.name}'`).join(', ')}, which its metadata does not describe`);
  return described;
}

/** The description of a decoded file (see readGeneratorInfo). */
export function generatorInfo({ model, metadata }: DecodedOnnx, name: string): GeneratorInfo {
  const format = formatOf(metadata, name);
  const spec = specFrom(metadata, name);
  const precision = (format >= 1 ? metadata['divsyn.precision'] : PRECISION) as Precision;
  if (!PRECISIONS.includes(precision)) throw modelError(`'${name}': divsyn.precision '${precision}' is not one this divsyn reads (${PRECISIONS.join(', ')})`);
  const derived = generatorInterface(spec);
  const inputs = format >= 1 ? (parseJson(metadata, 'divsyn.inputs', name) as TensorDescription[]) : derived.inputs;
  const outputs = format >= 1 ? (parseJson(metadata, 'divsyn.outputs', name) as TensorDescription[]) : derived.outputs;
  if (!Array.isArray(inputs) || !Array.isArray(outputs)) throw modelError(`'${name}': divsyn.inputs and divsyn.outputs must be lists`);
  const graph = graphValues(model);
  const { model: kind, classes, height, width, ...architecture } = spec;
  return {
    format,
    kind,
    height,
    width,
    classes,
    inputs: checkedAgainstGraph(inputs, graph.inputs, 'input', name),
    outputs: checkedAgainstGraph(outputs, graph.outputs, 'output', name),
    precision,
    version: metadata['divsyn.version'] ?? null,
    architecture,
    training: metadata['divsyn.options'] === undefined ? null : (parseJson(metadata, 'divsyn.options', name) as TrainingRecord),
  };
}
