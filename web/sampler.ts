// Sampling a generator through the onnxruntime the caller passes: onnxruntime-web in a page (its WASM
// or WebGPU build, its .wasm files served where the page says), or onnxruntime-node. Nothing here imports
// onnxruntime, so a bundle holds only the build the caller chose, and this module stays free of node:.
import { dataError, usageError } from '../common/errors.js';
import { GeneratorInfo, readGeneratorInfo, specOf } from '../common/generator-info.js';
import { CodeChoice, VariationScheme, packVariations, unpackVariations, variationScheme } from '../common/variation.js';
import { variationInputs } from '../graph/families/index.js';

/** What divsyn uses of an onnxruntime tensor. */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** What divsyn uses of an onnxruntime InferenceSession. */
export interface OrtSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/** What divsyn uses of an onnxruntime module (`import * as ort from 'onnxruntime-web'`, or onnxruntime-node's default export). */
export interface Ort {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options?: object): Promise<OrtSession> };
}

export interface SamplerOptions {
  /** A session already made from these bytes (its owner releases it); else one is made with sessionOptions. */
  session?: OrtSession;
  /** onnxruntime's session options (e.g. `{ executionProviders: ['wasm'] }`), when no session is given. */
  sessionOptions?: object;
  /** Samples per run (default 8). */
  batch?: number;
  /** Latent models: new codes U[0,1]^D (default) or the training codes (common/variation.ts). */
  codes?: CodeChoice;
  /** What errors name (default 'generator'). */
  name?: string;
}

export interface Sampler {
  info: GeneratorInfo;
  /** How samples vary (common/variation.ts): draw(seed, stem, k) is sample k of a layout as `divsyn sample` draws it; zero(k) the deterministic one. */
  scheme: VariationScheme;
  /** Images [n, 3, H, W], RGB in [0, 1], of n layouts (one-hot [C, H, W] each, or conditions [K, H, W]: web/conditions.ts) with their packed variation vectors. */
  generate(layouts: Float32Array[], variations: Float32Array[]): Promise<Float32Array>;
  /** The same from n layouts [n, C, H, W] and n variation vectors packed one after another. */
  generatePacked(layouts: Float32Array, variations: Float32Array, n: number): Promise<Float32Array>;
  /** Samples k = 0 … count − 1 of one layout, drawn as `divsyn sample` draws them: the images and the variation each was fed. */
  sample(layout: Float32Array, o: { seed: number; stem: string; count: number }): Promise<{ images: Float32Array; variations: Float32Array[] }>;
  /** The execution provider the session runs on, where known (onnxruntime-node: divsyn's choice with fallback). */
  ep?: string;
  /** Releases the session, if the sampler made it. */
  release(): Promise<void>;
}

/** A sampler of the generator in `bytes`, run by `ort`. */
export async function createSampler(bytes: Uint8Array, ort: Ort, o: SamplerOptions = {}): Promise<Sampler> {
  const name = o.name ?? 'generator';
  const info = readGeneratorInfo(bytes, name);
  const spec = specOf(info);
  const session = o.session ?? (await ort.InferenceSession.create(bytes, o.sessionOptions));
  const missing = info.inputs.filter((v) => !session.inputNames.includes(v.name));
  if (missing.length) throw usageError(`the session given for '${name}' takes no ${missing.map((v) => `'${v.name}'`).join(', ')}: was it made from other bytes?`);
  const { height: h, width: w } = info;
  // the first input in feeding order (graph/interface.ts)
  const condition = info.inputs[0];
  // the one-hot layout's classes, or a condition's channels (a normal map's 3, a heat map per landmark)
  const c = Number(condition.shape[1]);
  const parts = variationInputs(spec);
  const scheme = variationScheme(spec, { codes: o.codes });
  const maxBatch = o.batch ?? 8;
  const layoutInput = condition.name;
  const what = condition.kind === 'labels' ? 'one-hot' : `a ${condition.kind} condition`;
  const output = info.outputs[0].name;

  const generatePacked = async (layouts: Float32Array, variations: Float32Array, n: number): Promise<Float32Array> => {
    const size = c * h * w;
    if (layouts.length !== n * size) throw dataError(`${name}: ${layouts.length} layout values for ${n} ${what === 'one-hot' ? 'one-hot layouts' : 'conditions'} [${c}, ${h}, ${w}]`);
    if (variations.length !== n * scheme.dim) throw usageError(`${name}: ${variations.length} variation values for ${n} samples; this model packs ${scheme.dim} per sample`);
    const out = new Float32Array(n * 3 * h * w);
    for (let start = 0; start < n; start += maxBatch) {
      const k = Math.min(maxBatch, n - start);
      const feeds: Record<string, OrtTensor> = { [layoutInput]: new ort.Tensor('float32', layouts.slice(start * size, (start + k) * size), [k, c, h, w]) };
      for (const p of unpackVariations(variations.subarray(start * scheme.dim, (start + k) * scheme.dim), k, parts)) feeds[p.name] = new ort.Tensor('float32', p.data, [k, p.dim]);
      const r = await session.run(feeds);
      out.set(r[output].data as Float32Array, start * 3 * h * w);
    }
    return out;
  };

  const generate = async (layouts: Float32Array[], variations: Float32Array[]): Promise<Float32Array> => {
    if (layouts.length !== variations.length) throw new Error(`generate: ${layouts.length} layouts with ${variations.length} variation vectors`);
    for (const l of layouts) if (l.length !== c * h * w) throw dataError(`${name}: a layout of ${l.length} values, not ${what} [${c}, ${h}, ${w}]`);
    for (const v of variations) if (v.length !== scheme.dim) throw usageError(`${name}: a variation vector of ${v.length} values; this model packs ${scheme.dim}`);
    return generatePacked(packVariations(layouts), packVariations(variations), layouts.length);
  };

  return {
    info,
    scheme,
    generate,
    generatePacked,
    async sample(layout, { seed, stem, count }) {
      const variations = Array.from({ length: count }, (_, k) => scheme.draw(seed, stem, k));
      return {
        images: await generate(
          variations.map(() => layout),
          variations,
        ),
        variations,
      };
    },
    release: async () => {
      if (!o.session) await session.release();
    },
  };
}
