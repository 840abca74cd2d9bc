// He, Schiele and Fritz's latent drop-out codes on a CRN-style generator: n training codes (branches) per
// input, trained by best-of-n or the neighbours-enhanced loss through a target assignment made on the host;
// optionally with Yang et al.'s per-class noise as well.
import { Tensor } from '../tensor.js';
import { add, mul } from '../ops/elementwise.js';
import { concat, reshape, slice } from '../ops/shape.js';
import { toUnit } from '../losses.js';
import { noiseChannel } from '../models/pix2pix.js';
import { crnModuleSizes } from '../models/crn.js';
import { LatentOptions, codeDim, latentGenerator } from '../models/latent.js';
import { assignedLoss, pairwiseContentLoss } from '../latent-loss.js';
import { GeneratorSpec, LatentSpec, TrainingOptions } from '../spec.js';
import { Batch, passesTogether } from '../programs/batch.js';
import { CASCADE_TRAINING, cascadeSizeProblem } from './cascade.js';
import { needNoise, perClassNoise } from './noise.js';
import { ModelFamily, VariationInput } from './family.js';

/** The latent generator's options from its spec. */
function latentOptions(spec: GeneratorSpec): LatentOptions {
  const l = latentOf(spec);
  return { height: spec.height, width: spec.width, channels: spec.channels, outChannels: 3, depth: l.depth, dropRate: l.dropRate, sharing: l.sharing, trainCodes: Float32Array.from(l.codes) };
}

function latentOf(spec: GeneratorSpec): LatentSpec {
  if (!spec.latent) throw new Error('a latent model needs its latent spec (branches, split, codes)');
  return spec.latent;
}

/** [B·(1+k), 3, H, W]: each sample's own photo, then its k neighbours' photos. */
function interleaveTargets(image: Tensor, neighbours: Tensor, b: number): Tensor {
  const [, c, h, w] = image.shape as number[];
  const k = (neighbours.shape[0] as number) / b;
  return reshape(concat([reshape(image, [b, 1, c, h, w]), reshape(neighbours, [b, k, c, h, w])], 1), [b * (1 + k), c, h, w]);
}

/** The perceptual L1 of every branch's image (one pass) against every target [B, n, 1 + k]. */
function lossMatrix(o: TrainingOptions, fakes: Tensor, batch: Batch): Tensor {
  const targets = batch.neighbours ? interleaveTargets(batch.image, batch.neighbours, o.batch) : batch.image;
  return pairwiseContentLoss(o.perceptual, toUnit(fakes), targets, o.batch);
}

/** A split after this module index or later is the late split (before the output conv). */
const LATE_SPLIT = 1e3;

function latentMetadata(l: LatentSpec): Record<string, string> {
  const rows = Array.from({ length: l.branches }, (_, i) => l.codes.slice(i * l.codeDim, (i + 1) * l.codeDim));
  return {
    'divsyn.code_dim': String(l.codeDim),
    'divsyn.train_codes': JSON.stringify(rows),
    'divsyn.latent': JSON.stringify({ branches: l.branches, depth: l.depth, dropRate: l.dropRate, sharing: l.sharing, noise: l.noise }),
  };
}

function readLatent(metadata: Record<string, string>): LatentSpec {
  try {
    const l = JSON.parse(metadata['divsyn.latent']);
    const rows: number[][] = JSON.parse(metadata['divsyn.train_codes']);
    const codeDim = Number(metadata['divsyn.code_dim']);
    if (!Array.isArray(rows) || rows.length !== l.branches || rows.some((r) => r.length !== codeDim))
      throw new Error(`${rows.length} training codes for ${l.branches} branches of dimension ${codeDim}`);
    return { branches: l.branches, depth: l.depth, dropRate: l.dropRate, sharing: l.sharing, noise: Boolean(l.noise), codeDim, codes: rows.flat() };
  } catch (e) {
    throw new Error(`latent model without valid divsyn.latent / divsyn.train_codes / divsyn.code_dim (${(e as Error).message})`);
  }
}

export const latent: ModelFamily = {
  kind: 'latent',
  conditions: ['labels', 'image', 'landmarks'],
  defaultChannels: 1024,
  sizeProblem: (h, w, text) => cascadeSizeProblem(h, w, text, false),
  buildSpec(base, arch) {
    if (base.condition && arch.withNoise) throw new Error(`--with-noise needs label maps: the per-class noise has one knob per class, and --input ${base.condition.kind} has no classes`);
    const depth = arch.split === 'late' ? LATE_SPLIT : arch.splitDepth;
    const modules = crnModuleSizes(base.height, base.width).length;
    if (depth !== LATE_SPLIT && depth >= modules) throw new Error(`option --split-depth: ${depth} is past the last of the ${modules} modules at ${base.height}x${base.width} (use --split late)`);
    const dim = codeDim({ height: base.height, width: base.width, channels: base.channels, depth });
    const codes = Array.from(arch.trainingCodes(arch.branches, dim));
    return { ...base, latent: { branches: arch.branches, depth: Math.min(depth, modules), dropRate: arch.dropRate, sharing: arch.sharing, noise: arch.withNoise, codeDim: dim, codes } };
  },
  metadata: (spec) => latentMetadata(latentOf(spec)),
  readMetadata: (base, metadata) => ({ ...base, latent: readLatent(metadata) }),
  variationInputs(spec) {
    const l = latentOf(spec);
    const inputs: VariationInput[] = l.noise ? [perClassNoise(spec)] : [];
    return [...inputs, { name: 'code', dim: l.codeDim, values: 'uniform', range: [0, 1], axis: 'channel' }];
  },
  codeSet(spec) {
    const l = latentOf(spec);
    return { count: l.branches, fixed: (k) => Float32Array.from(l.codes.slice((k % l.branches) * l.codeDim, ((k % l.branches) + 1) * l.codeDim)), drawsNew: true };
  },
  generator(ctx, spec, x) {
    if (!x.code) throw new Error('the latent generator takes a code');
    const cond = latentOf(spec).noise ? concat([x.layout, noiseChannel(x.layout, needNoise(spec, x))], 1) : x.layout;
    return ctx.graph.withGroup('G', () => latentGenerator(ctx, cond, x.code!, latentOptions(spec), ctx.mode));
  },
  branches: (spec) => latentOf(spec).branches,
  declareBatch(g, spec, o, batch, withAssignment) {
    const [h, w, b] = [spec.height, spec.width, o.batch];
    const l = latentOf(spec);
    batch.code = g.input('code', [b * l.branches, l.codeDim]);
    if (o.neighbours > 0) batch.neighbours = g.input('neighbours', [b * o.neighbours, 3, h, w]);
    if (withAssignment) batch.assignment = g.input('assignment', [b, l.branches, 1 + o.neighbours]);
  },
  searchesNoise: false,
  objective(_spec, o, f, batch) {
    if (f.fakeNoise && o.noiseContentWeight > 0) {
      // the noisy pass learns the same targets through the same assignment (crn's reason); both passes go
      // through the feature network as one batch, so the targets' features are computed once
      const both = lossMatrix(o, passesTogether(f.fakes, o.batch), batch);
      const n = (both.shape[1] as number) / 2;
      const zero = assignedLoss(slice(both, [1], [n], [2 * n]), batch.assignment!);
      const noisy = assignedLoss(slice(both, [1], [0], [n]), batch.assignment!);
      return {
        total: add(zero, mul(noisy, o.noiseContentWeight)),
        terms: [
          ['assigned', zero],
          ['assigned_noise', noisy],
        ],
      };
    }
    const total = assignedLoss(lossMatrix(o, f.fakeZero, batch), batch.assignment!);
    return { total, terms: [['assigned', total]] };
  },
  lossMatrix: (o, f, batch) => lossMatrix(o, f.fakeZero, batch),
  fingerprint: (spec, o) => ({ latent: { ...latentOf(spec), codes: undefined, neighbours: o.neighbours } }),
  contentNetwork: true,
  noiseContent: true,
  // He et al.: the poly schedule (power 0.9)
  defaults: { lr: 1e-4, lrPolicy: 'poly', betaRampFraction: 0, options: { ...CASCADE_TRAINING, noiseContentWeight: 1 } },
  options: {
    noiseContent: (spec, diversity) => Boolean(spec.latent?.noise) && diversity !== 'none',
    ...Object.fromEntries((['branches', 'split', 'splitDepth', 'sharing', 'dropRate', 'codes', 'neighbours', 'theta', 'colourClusters', 'warmup', 'codeInterp'] as const).map((o) => [o, () => true])),
    withNoise: (spec) => !spec.condition,
  },
  noDiversityReason: (spec) => (latentOf(spec).noise ? undefined : 'this latent model takes no noise; add --with-noise'),
  needsDiversityReason: (spec) => (latentOf(spec).noise ? '--with-noise needs a diversity loss (--diversity bounded)' : undefined),
};
