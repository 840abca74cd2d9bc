// How samples vary: the per-sample noise and code vector that enters the generator besides the layout.
// Every draw has its own stream named by what it is for, so results depend only on (seed, purpose, index):
// a resumed run draws what the uninterrupted run would have drawn, and sample k of a layout is the same
// image however many samples are drawn, in whatever batches. A model's variation inputs (graph/spec.ts
// variationInputs: noise, then code) are packed into one vector per sample, and unpacked into the
// generator file's inputs.
import { Rng } from '../graph/random.js';
import { GeneratorSpec } from '../graph/spec.js';
import { familyOf, variationInputs } from '../graph/families/index.js';

/** n ~ U[-1, 1]^C for each sample of a training step: [batch, C]. */
export function trainingNoise(seed: number, step: number, batch: number, classes: number): Float32Array {
  return new Rng(seed, `noise:${step}`).fillUniform(new Float32Array(batch * classes), -1, 1);
}

/** Per-class noise for sample k of a layout: depends on (seed, layout stem, k) only. */
export function sampleNoise(seed: number, stem: string, k: number, classes: number): Float32Array {
  return new Rng(seed, `sample:${stem}:${k}`).fillUniform(new Float32Array(classes), -1, 1);
}

/**
 * A new latent code for sample k of a layout, U[0,1]^dim: depends on (seed, stem, k) only, like
 * sampleNoise. No all-dropped check (train/codes.ts trainingCodes has one): at the split's channel count
 * its chance (r^dim) is negligible, and new codes should be exactly the paper's U[0,1] draws.
 */
export function newCodes(seed: number, stem: string, k: number, dim: number): Float32Array {
  return new Rng(seed, `code:${stem}:${k}`).fillUniform(new Float32Array(dim));
}

/** The code at α on the segment from a to b: (1−α)·a + α·b, exactly a at 0 and exactly b at 1 (rather than a + α·(b − a)). */
export function interpolateCode(a: Float32Array, b: Float32Array, alpha: number): Float32Array {
  if (a.length !== b.length) throw new Error(`interpolateCode: codes of length ${a.length} and ${b.length}`);
  return a.map((v, c) => (1 - alpha) * v + alpha * b[c]);
}

/**
 * Codes on the segment between a and b (He et al., eq. 3: z(α) = α·z_i + (1−α)·z_j, here with z_i = b,
 * z_j = a and α = t/(steps−1)): `steps` codes, the first exactly a, the last exactly b, so the strip's
 * end images are the codes' own images.
 */
export function interpolateCodes(a: Float32Array, b: Float32Array, steps: number): Float32Array[] {
  if (a.length !== b.length) throw new Error(`interpolateCodes: codes of length ${a.length} and ${b.length}`);
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`interpolateCodes: steps must be an integer >= 2, got ${steps}`);
  return Array.from({ length: steps }, (_, t) => interpolateCode(a, b, t / (steps - 1)));
}

/** One per-sample input of a generator file besides the layout. */
export interface VariationInput {
  name: string;
  dim: number;
}

/** Where each input sits in the packed vector. */
function offsetsOf(inputs: VariationInput[]): (VariationInput & { offset: number })[] {
  let offset = 0;
  return inputs.map((input) => {
    const part = { ...input, offset };
    offset += input.dim;
    return part;
  });
}

/** Per-sample vectors back to back: [n, dim]. */
export function packVariations(vectors: Float32Array[]): Float32Array {
  const out = new Float32Array(vectors.reduce((n, v) => n + v.length, 0));
  let offset = 0;
  for (const v of vectors) {
    out.set(v, offset);
    offset += v.length;
  }
  return out;
}

/** Packed vectors [n, Σ dims] split into the inputs, each [n, dim], in the inputs' order. */
export function unpackVariations(packed: Float32Array, n: number, inputs: VariationInput[]): (VariationInput & { data: Float32Array })[] {
  const parts = offsetsOf(inputs);
  const dim = inputs.reduce((s, p) => s + p.dim, 0);
  return parts.map((p) => {
    const data = new Float32Array(n * p.dim);
    for (let i = 0; i < n; i++) data.set(packed.subarray(i * dim + p.offset, i * dim + p.offset + p.dim), i * p.dim);
    return { name: p.name, dim: p.dim, data };
  });
}

/**
 * How a model's samples vary, as one packed vector per sample (graph/spec.ts variationInputs: noise, then
 * code). draw(seed, stem, k) depends only on its arguments, not on batch or threads.
 */
export interface VariationScheme {
  /** Packed length. */
  dim: number;
  /** Where the per-class noise sits, if the model takes it (linking and sweeps need it). */
  noise?: { offset: number; classes: number };
  /** Number of fixed codes, if the model is driven by codes (crn-multi: its n images; latent: its training codes). */
  codes?: number;
  /**
   * Sample k of a layout: noise as sampleNoise; crn-multi's code picks image k mod n; a latent model's code
   * is a new code U[0,1]^D (newCodes) or, with codes 'train', training code k mod n.
   */
  draw(seed: number, stem: string, k: number): Float32Array;
  /** The deterministic sample with fixed code k: zero noise (G(l, 0)); crn-multi's k-th image; training code k. */
  zero(k?: number): Float32Array;
}

export type CodeChoice = 'new' | 'train';
export const CODE_CHOICES: readonly CodeChoice[] = ['new', 'train'];

export function variationScheme(spec: GeneratorSpec, o: { codes?: CodeChoice } = {}): VariationScheme {
  const codes = familyOf(spec).codeSet?.(spec);
  if (!codes) return schemeOf(variationInputs(spec));
  const dim = codes.fixed(0).length;
  return schemeOf(variationInputs(spec), {
    count: codes.count,
    fixed: codes.fixed,
    drawn: !codes.drawsNew || o.codes === 'train' ? undefined : (seed, stem, k) => newCodes(seed, stem, k, dim),
  });
}

/** The scheme of a model driven by per-class noise alone (pix2pix, crn). */
export const noiseScheme = (classes: number): VariationScheme => schemeOf([{ name: 'noise', dim: classes }]);

/** The zero sample (fixed code 0) with class `cls`'s noise at `value`: the steps of sweeps and the linking measure. */
export function noiseAt(scheme: VariationScheme, cls: number, value: number): Float32Array {
  if (!scheme.noise) throw new Error('noiseAt: the model takes no per-class noise');
  const z = scheme.zero();
  z[scheme.noise.offset + cls] = value;
  return z;
}

/** Codes as one-hot choices (crn-multi) unless given: fixed codes by index, and optionally drawn new ones. */
interface CodeSource {
  count: number;
  fixed(k: number): Float32Array;
  drawn?(seed: number, stem: string, k: number): Float32Array;
}

function schemeOf(inputs: VariationInput[], source?: CodeSource): VariationScheme {
  const parts = offsetsOf(inputs);
  const dim = inputs.reduce((s, p) => s + p.dim, 0);
  const noise = parts.find((p) => p.name === 'noise');
  const code = parts.find((p) => p.name === 'code');
  const withCode = (v: Float32Array, k: number, z?: Float32Array) => {
    if (!code) return v;
    if (z ?? source) v.set(z ?? source!.fixed(k), code.offset);
    else v[code.offset + (k % code.dim)] = 1;
    return v;
  };
  return {
    dim,
    noise: noise && { offset: noise.offset, classes: noise.dim },
    codes: source?.count ?? code?.dim,
    draw(seed, stem, k) {
      const v = new Float32Array(dim);
      if (noise) v.set(sampleNoise(seed, stem, k, noise.dim), noise.offset);
      return withCode(v, k, source?.drawn?.(seed, stem, k));
    },
    zero: (k = 0) => withCode(new Float32Array(dim), k),
  };
}

/** The steps of a sweep of class `cls`'s noise from -1 to 1, the other classes at 0 (fixed code 0). */
export function sweepVariations(scheme: VariationScheme, cls: number, steps: number): Float32Array[] {
  return Array.from({ length: steps }, (_, s) => noiseAt(scheme, cls, -1 + (2 * s) / (steps - 1)));
}

/** He et al.'s eq. 3: codes between fixed codes a and b (latent: training codes), zero noise. */
export function interpolationVariations(scheme: VariationScheme, a: number, b: number, steps: number): Float32Array[] {
  const codeDim = scheme.dim - (scheme.noise?.classes ?? 0);
  const [from, to] = [a, b].map((i) => scheme.zero(i).subarray(scheme.dim - codeDim));
  return interpolateCodes(from, to, steps).map((code) => {
    const z = scheme.zero();
    z.set(code, scheme.dim - code.length);
    return z;
  });
}

/** What samples.jsonl records of a packed variation vector: the noise by class name, and the code. */
export interface VariationRecord {
  noise?: Record<string, number>;
  code?: number[];
}

export function variationRecord(z: Float32Array, inputs: VariationInput[], classNames: readonly string[]): VariationRecord {
  const r: VariationRecord = {};
  for (const part of unpackVariations(z, 1, inputs)) {
    if (part.name === 'noise') r.noise = Object.fromEntries(classNames.map((name, ci) => [name, part.data[ci]]));
    else r.code = Array.from(part.data);
  }
  return r;
}

/** Sample k of a layout as `divsyn sample` draws it, with the classes in `fixed` (index → value in [-1, 1]) set instead of drawn. */
export function drawSample(scheme: VariationScheme, seed: number, stem: string, k: number, fixed: ReadonlyMap<number, number>): Float32Array {
  const z = scheme.draw(seed, stem, k);
  if (fixed.size && !scheme.noise) throw new Error('drawSample: the model takes no per-class noise');
  for (const [ci, v] of fixed) z[scheme.noise!.offset + ci] = v;
  return z;
}
