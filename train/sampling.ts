// Host-side randomness that enters the graphs: training noise, dropout masks, sampling noise.
// Each draw has its own stream named by what it is for, so results depend only on (seed, purpose, index):
// a resumed run draws what the uninterrupted run would have drawn.
import { Rng } from '../graph/random.js';
import { MaskSite } from '../graph/models/layers.js';
import { GeneratorSpec } from '../graph/spec.js';
import { familyOf, variationInputs } from '../graph/families/index.js';
import { newCodes } from './codes.js';

/** n ~ U[-1, 1]^C for each sample of a training step: [batch, C]. */
export function trainingNoise(seed: number, step: number, batch: number, classes: number): Float32Array {
  return new Rng(seed, `noise:${step}`).fillUniform(new Float32Array(batch * classes), -1, 1);
}

/** Dropout masks of a training step: 0 or 1/(1-p) per element, p = 0.5 as pix2pix. */
export function dropoutMasks(seed: number, step: number, sites: MaskSite[], p = 0.5): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const keep = 1 / (1 - p);
  for (const s of sites) {
    const rng = new Rng(seed, `mask:${step}:${s.name}`);
    const m = new Float32Array(s.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < p ? 0 : keep;
    out.set(s.name, m);
  }
  return out;
}

/** Per-class noise for sample k of a layout: depends on (seed, layout stem, k) only. */
export function sampleNoise(seed: number, stem: string, k: number, classes: number): Float32Array {
  return new Rng(seed, `sample:${stem}:${k}`).fillUniform(new Float32Array(classes), -1, 1);
}

/** pix2pix's 'linear' policy: constant for the first half of training, then linear decay towards 0. */
export function linearDecayLr(base: number, step: number, total: number): number {
  const decayFrom = Math.floor(total / 2);
  if (step < decayFrom) return base;
  return base * Math.max(0, (total - step) / (total - decayFrom + 1));
}

/**
 * How a model's samples vary, as one packed vector per sample (graph/spec.ts variationInputs: noise, then
 * code). draw(seed, stem, k) depends only on its arguments, so samples do not depend on --batch or
 * --threads (docs/formats.md#sample-folder).
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
   * is a new code U[0,1]^D (train/codes.ts newCodes) or, with codes 'train', training code k mod n.
   */
  draw(seed: number, stem: string, k: number): Float32Array;
  /** The deterministic sample with fixed code k: zero noise (G(l, 0)); crn-multi's k-th image; training code k. */
  zero(k?: number): Float32Array;
}

export type CodeChoice = 'new' | 'train';

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

/** Codes as one-hot choices (crn-multi) unless given: fixed codes by index, and optionally drawn new ones. */
interface CodeSource {
  count: number;
  fixed(k: number): Float32Array;
  drawn?(seed: number, stem: string, k: number): Float32Array;
}

function schemeOf(parts: { name: string; dim: number }[], source?: CodeSource): VariationScheme {
  const dim = parts.reduce((s, p) => s + p.dim, 0);
  const offsetOf = (name: string) => {
    let o = 0;
    for (const p of parts) {
      if (p.name === name) return { offset: o, dim: p.dim };
      o += p.dim;
    }
    return undefined;
  };
  const noise = offsetOf('noise');
  const code = offsetOf('code');
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
