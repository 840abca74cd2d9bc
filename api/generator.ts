// openGenerator(): a generator file (or its bytes) opened for sampling in memory on onnxruntime-node: what
// it is (kind, size, classes, inputs), layouts from files, bytes or index arrays, and samples (seeded,
// with fixed per-class noise, sweeps, code interpolations) as RGB images with the exact noise or code fed,
// recorded as samples.jsonl records are. The samples are the images `divsyn sample` writes for the same
// seed, layout stem and k.
import { ClassInfo, ModelKind } from '../graph/spec.js';
import { GeneratorInfo, specOf } from '../common/generator-info.js';
import { TensorDescription } from '../graph/interface.js';
import { CodeChoice, VariationRecord, drawSample, interpolationVariations, sweepVariations, variationRecord } from '../common/variation.js';
import { RgbImage, chwToRgb } from '../common/image.js';
import { classIndex } from '../common/palettes.js';
import { dataError, usageError } from '../common/errors.js';
import { variationInputs } from '../graph/families/index.js';
import { Layout, layoutFromIndices } from '../web/layouts.js';
import { conditionFromPoints } from '../web/conditions.js';
import { readConditionFile } from '../train/condition-data.js';
import { openSampler } from '../runtime/open-sampler.js';
import { SessionOptions } from '../runtime/session.js';
import { readLabelMap } from '../train/labels.js';
import { resizeNearest } from '../train/resize.js';
import { parseNoise } from './sample.js';

export interface GeneratorOptions extends SessionOptions {
  /** Images per inference run (default 8). */
  batch?: number;
  /** Latent models: sample k uses a new random code (default) or training code k mod n. */
  codes?: CodeChoice;
}

/** A samples.jsonl record without its files: the layout's stem, the seed and k where drawn, and the noise by class name and the code fed. */
export interface SampleRecord extends VariationRecord {
  stem: string;
  seed?: number;
  k?: number;
}

export interface Sample {
  image: RgbImage;
  record: SampleRecord;
}

/** A layout from a label-map file path, its bytes (colour PNG/JPG in the model's palette, or an index PNG), or class indices (row-major, H·W). */
export type LayoutSource = string | Uint8Array | ArrayLike<number>;

export interface Generator {
  readonly info: GeneratorInfo;
  readonly kind: ModelKind;
  readonly height: number;
  readonly width: number;
  /** Class names, colours and source label ids, in the model's order. */
  readonly classes: ClassInfo[];
  /** The file's inputs and outputs with kinds, shapes and value ranges. */
  readonly inputs: TensorDescription[];
  readonly outputs: TensorDescription[];
  /** Whether the model takes per-class noise (sweeps and fixed noise need it). */
  readonly takesNoise: boolean;
  /** The execution provider the session runs on. */
  readonly ep: string;
  /**
   * A layout of this model: a file or bytes are read as `divsyn sample` reads them (a map of another size is
   * resized, nearest, with a warning); class indices must be H·W of them. `stem` names it in records
   * (default: the file's stem, else 'layout').
   */
  layout(source: LayoutSource, o?: { stem?: string }): Promise<Layout & { stem: string }>;
  /**
   * The condition of a model fed a normal map or landmarks (a model's layout() takes the same sources): a file
   * (a .png normal map, resized bilinearly to the model's size with a warning; a .pts or .txt point file in
   * the model's pixels), its bytes (a PNG, or a point file's text), or the values themselves: landmarks as
   * points [x0, y0, …], a normal map as planes [3, H, W] in [-1, 1]. `stem` names it in records (default: the
   * file's stem, else 'condition'). Its planes are the layout's `onehot`; it has no class indices.
   */
  condition(source: ConditionSource, o?: { stem?: string }): Promise<Layout & { stem: string }>;
  /** Samples k = 0 … count − 1 (default 1), drawn from (seed, the layout's stem, k) as `divsyn sample` does; `noise` fixes classes to values in [-1, 1]. */
  sample(layout: Layout & { stem?: string }, o?: { count?: number; seed?: number; noise?: Record<string, number> }): Promise<Sample[]>;
  /** sample() of several layouts in one go (inference batched across them): one list of samples per layout. */
  sampleBatch(layouts: (Layout & { stem?: string })[], o?: { count?: number; seed?: number; noise?: Record<string, number> }): Promise<Sample[][]>;
  /** One class's noise from -1 to 1 in `steps` (default 9), the others 0. */
  sweep(layout: Layout & { stem?: string }, o: { class: string; steps?: number }): Promise<Sample[]>;
  /** Latent models: codes between training codes `from` and `to` in `steps` (default 8), zero noise. */
  interpolate(layout: Layout & { stem?: string }, o: { from: number; to: number; steps?: number }): Promise<Sample[]>;
  release(): Promise<void>;
}

/** A condition from a file path, its bytes, or its values (landmarks: points; a normal map: planes). */
export type ConditionSource = string | Uint8Array | ArrayLike<number>;

const IMAGE = /\.(png|jpe?g)$/i;
const CONDITION_FILE = /\.(png|pts|txt)$/i;

/** A file's name without its folder and extension; `fallback` for bytes and values. */
const stemOf = (source: ConditionSource, ext: RegExp, fallback: string) => (typeof source === 'string' ? (source.split(/[\\/]/).pop() ?? source).replace(ext, '') : fallback);

/** The condition planes [K, H, W] of a model fed a normal map or landmarks, from a file, its bytes or its values. */
async function conditionPlanes(info: GeneratorInfo, source: ConditionSource, name: string, warn: (m: string) => void): Promise<Float32Array> {
  const c = info.architecture.condition;
  if (!c) throw usageError(`condition: this ${info.kind} model takes label maps; give them to layout()`);
  if (typeof source === 'string' || source instanceof Uint8Array) return readConditionFile(source, c, info.width, info.height, warn, name);
  if (c.kind === 'landmarks') return conditionFromPoints(info, source, name);
  const want = 3 * info.width * info.height;
  if (source.length !== want) throw dataError(`${name}: ${source.length} values for a normal map of ${info.width}x${info.height} (planes [3, H, W]: ${want})`);
  return Float32Array.from(source);
}

/** Opens a generator file (a path or its bytes) for sampling. */
export async function openGenerator(file: string | Uint8Array, o: GeneratorOptions = {}): Promise<Generator> {
  const sampler = await openSampler(file, o);
  const { info, scheme } = sampler;
  const spec = specOf(info);
  const inputs = variationInputs(spec);
  const names = info.classes.map((c) => c.name);
  const { height: h, width: w } = info;

  /** The images of each layout with its variations, in one generate call. */
  const run = async (jobs: { layout: Layout & { stem?: string }; variations: Float32Array[] }[], drawn?: { seed: number }): Promise<Sample[][]> => {
    const all = jobs.flatMap((j) => j.variations.map((z) => ({ layout: j.layout.onehot, z })));
    const images = await sampler.generate(
      all.map((a) => a.layout),
      all.map((a) => a.z),
    );
    let at = 0;
    return jobs.map(({ layout, variations }) =>
      variations.map((z, k) => ({
        image: chwToRgb(images, h, w, at++ * 3 * h * w),
        record: { stem: layout.stem ?? 'layout', ...(drawn ? { seed: drawn.seed, k } : {}), ...variationRecord(z, inputs, names) },
      })),
    );
  };
  const runOne = async (layout: Layout & { stem?: string }, variations: Float32Array[]) => (await run([{ layout, variations }]))[0];
  const draws = (layouts: (Layout & { stem?: string })[], so: { count?: number; seed?: number; noise?: Record<string, number> }) => {
    const seed = so.seed ?? 0;
    const count = so.count ?? 1;
    if (!Number.isInteger(count) || count < 0) throw usageError(`sample: count ${count} is not a whole number`);
    const fixed = so.noise
      ? parseNoise(
          Object.entries(so.noise)
            .map(([c, v]) => `${c}=${v}`)
            .join(','),
          info.classes,
        )
      : new Map<number, number>();
    if (fixed.size && !scheme.noise) throw usageError(`sample: noise values given, but this ${info.kind} model takes no per-class noise`);
    const jobs = layouts.map((layout) => ({ layout, variations: Array.from({ length: count }, (_, k) => drawSample(scheme, seed, layout.stem ?? 'layout', k, fixed)) }));
    return run(jobs, { seed });
  };

  const condition: Generator['condition'] = async (source, co = {}) => {
    const stem = co.stem ?? stemOf(source, CONDITION_FILE, 'condition');
    const warnings: string[] = [];
    const planes = await conditionPlanes(info, source, typeof source === 'string' ? source : stem, (m) => warnings.push(m));
    return { onehot: planes, indices: new Uint8Array(0), stem, ...(warnings.length ? { warning: warnings.join('; ') } : {}) };
  };

  return {
    info,
    kind: info.kind,
    height: h,
    width: w,
    classes: info.classes,
    inputs: info.inputs,
    outputs: info.outputs,
    takesNoise: Boolean(scheme.noise),
    ep: sampler.ep ?? 'cpu',
    condition,
    async layout(source, lo = {}) {
      if (info.architecture.condition) return condition(source, lo);
      if (typeof source !== 'string' && !(source instanceof Uint8Array && isEncodedImage(source))) return { ...layoutFromIndices(info, source, lo.stem ?? 'layout'), stem: lo.stem ?? 'layout' };
      const name = typeof source === 'string' ? source : (lo.stem ?? 'layout');
      const stem = lo.stem ?? stemOf(source, IMAGE, 'layout');
      const map = await readLabelMap(source, info.classes, name);
      const warnings = map.warning ? [map.warning] : [];
      let indices = map.indices;
      if (map.width !== w || map.height !== h) {
        warnings.push(`layout '${name}' is ${map.width}x${map.height}; resized (nearest) to the model's ${w}x${h}`);
        indices = resizeNearest(indices, map.width, map.height, 1, w, h);
      }
      return { ...layoutFromIndices(info, indices, name), stem, ...(warnings.length ? { warning: warnings.join('; ') } : {}) };
    },
    sample: async (layout, so = {}) => (await draws([layout], so))[0],
    sampleBatch: (layouts, so = {}) => draws(layouts, so),
    async sweep(layout, so) {
      if (!scheme.noise) throw usageError(`sweep: this ${info.kind} model takes no per-class noise`);
      return runOne(layout, sweepVariations(scheme, classIndex(info.classes, so.class), so.steps ?? 9));
    },
    async interpolate(layout, io) {
      const n = spec.latent?.branches;
      if (!n) throw usageError(`interpolate: needs a latent model; this one is ${info.kind}`);
      for (const i of [io.from, io.to]) if (!Number.isInteger(i) || i < 0 || i >= n) throw usageError(`interpolate: ${i} is not a training code index (0..${n - 1})`);
      return runOne(layout, interpolationVariations(scheme, io.from, io.to, io.steps ?? 8));
    },
    release: () => sampler.release(),
  };
}

/** PNG or JPEG bytes (rather than class indices in a Uint8Array). */
function isEncodedImage(b: Uint8Array): boolean {
  return (b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) || (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff);
}
