// From one model function and one objective: the inference graph and the training programs
// (forward_loss, gradients, train_step) of CONTRACT.md, plus the manifest that describes them.
import { Graph, Shape, Tensor, paramGroup, paramName } from './tensor.js';
import { Operand, add, castFloat, clip, div, lessOrEqual, min, mul, neg, stopGradient, sub } from './ops/elementwise.js';
import { concat, reshape, slice, transpose, zerosLike } from './ops/shape.js';
import { reduceMax, reduceMean, reduceSum, mean } from './ops/reduce.js';
import { matMul } from './ops/matmul.js';
import { gradients } from './autodiff.js';
import { adam } from './optim.js';
import { emitModel } from './emit.js';
import { diversityLoss, ganLoss, l1Loss } from './losses.js';
import { BufferUpdate, ModelContext, MaskSite, inferenceContext, trainingContext } from './models/layers.js';
import { noiseChannel, patchGan, pix2pixGenerator } from './models/pix2pix.js';
import { crn } from './models/crn.js';
import { LatentOptions, latentGenerator } from './models/latent.js';
import { assignedLoss, pairwiseContentLoss } from './latent-loss.js';
import { GeneratorSpec, TrainingOptions, takesNoise, usesDiscriminator } from './spec.js';
import { classwiseContentLoss, contentLoss, meanContentLoss } from './perceptual.js';

export type Role = 'param' | 'dparam' | 'state' | 'data' | 'mask' | 'lr' | 'step' | 'loss' | 'grad' | 'output';

export interface IoSpec {
  name: string;
  shape: Shape;
  role: Role;
  /** For outputs: the input of the next step that this output replaces. */
  feeds?: string;
}

/** A graph ready for emission: its outputs and declared inputs, with roles. */
export interface Program {
  graph: Graph;
  inputs: { tensor: Tensor; spec: IoSpec }[];
  outputs: { tensor: Tensor; spec: IoSpec }[];
}

const ROLE_OF_GROUP: Record<string, 'param' | 'dparam' | 'state'> = { G: 'param', D: 'dparam', buffer: 'state' };
const PREFIX_OF_GROUP: Record<string, string> = { G: 'param', D: 'dparam', buffer: 'buffer' };

/**
 * ONNX input name of a parameter: param.<name> for the generator, dparam.<name> for the discriminator,
 * buffer.<name> for running statistics.
 */
export function paramInputName(name: string, group: string): string {
  return `${PREFIX_OF_GROUP[group] ?? group}.${name}`;
}

function paramIo(p: Tensor): { tensor: Tensor; spec: IoSpec } {
  return ioOf(p, paramInputName(paramName(p), paramGroup(p)), ROLE_OF_GROUP[paramGroup(p)] ?? 'param');
}

// ---- the model functions ------------------------------------------------------------------------

export interface GeneratorInputs {
  /** One-hot layouts [N, C, H, W]. */
  layout: Tensor;
  /** Per-class noise [N, C] (models that take it). */
  noise?: Tensor;
  /** Latent code [N, D] (latent models). */
  code?: Tensor;
}

/**
 * The generator as one function for both graphs: images in [-1, 1], [N, 3, H, W]; for crn-multi all its
 * images, [N, 3n, H, W] (image u in channels 3u..3u+2).
 */
export function generator(ctx: ModelContext, spec: GeneratorSpec, x: GeneratorInputs): Tensor {
  const needNoise = () => {
    if (!x.noise) throw new Error(`the ${spec.model} generator takes per-class noise`);
    return x.noise;
  };
  const crnOf = (input: Tensor, outChannels: number) =>
    ctx.graph.withGroup('G', () => crn(ctx, input, { height: spec.height, width: spec.width, channels: spec.channels, outChannels }));
  switch (spec.model) {
    case 'pix2pix':
      if (spec.height !== spec.width) throw new Error(`pix2pix needs a square size, got ${spec.height}x${spec.width}`);
      return ctx.graph.withGroup('G', () => pix2pixGenerator(ctx, x.layout, needNoise(), { width: spec.channels, size: spec.height }));
    case 'crn':
      return crnOf(concat([x.layout, noiseChannel(x.layout, needNoise())], 1), 3);
    case 'crn-multi':
      return crnOf(x.layout, 3 * imagesOf(spec));
    case 'latent': {
      if (!x.code) throw new Error('the latent generator takes a code');
      const cond = spec.latent?.noise ? concat([x.layout, noiseChannel(x.layout, needNoise())], 1) : x.layout;
      return ctx.graph.withGroup('G', () => latentGenerator(ctx, cond, x.code!, latentOptions(spec), ctx.mode));
    }
    default:
      throw new Error(`model '${spec.model}' is not implemented yet`);
  }
}

/** The latent generator's options from its spec. */
export function latentOptions(spec: GeneratorSpec): LatentOptions {
  const l = spec.latent;
  if (!l) throw new Error('a latent model needs its latent spec (branches, split, codes)');
  return { height: spec.height, width: spec.width, channels: spec.channels, outChannels: 3, depth: l.depth, dropRate: l.dropRate, sharing: l.sharing, trainCodes: Float32Array.from(l.codes) };
}

/** crn-multi's images per pass. */
export function imagesOf(spec: GeneratorSpec): number {
  const n = spec.images ?? 0;
  if (!Number.isInteger(n) || n < 1) throw new Error(`crn-multi needs a positive number of images, got ${spec.images}`);
  return n;
}

/** crn-multi's image chosen by a one-hot code [N, n]: Σ_u code_u · image_u, so a batch may mix choices. */
function chooseImage(all: Tensor, code: Tensor): Tensor {
  const [, c3, h, w] = all.shape;
  const n = (c3 as number) / 3;
  const flat = reshape(all, [all.shape[0], n, 3 * (h as number) * (w as number)]);
  return reshape(matMul(reshape(code, [code.shape[0], 1, n]), flat), [all.shape[0], 3, h, w]);
}

function discriminator(ctx: ModelContext, o: TrainingOptions, layout: Tensor, image: Tensor): Tensor {
  return ctx.graph.withGroup('D', () => ctx.graph.scope('D', () => patchGan(ctx, concat([layout, image], 1), { width: o.dChannels })));
}

// ---- inference ----------------------------------------------------------------------------------

/**
 * Inputs layout [N,C,H,W] and noise [N,C] (or, for crn-multi, a one-hot code [N,n]) with a symbolic batch N;
 * output image [N,3,H,W] in [0,1].
 */
export function inferenceProgram(spec: GeneratorSpec): Program {
  const g = new Graph();
  const c = spec.classes.length;
  const layout = g.input('layout', ['N', c, spec.height, spec.width]);
  const inputs = [ioOf(layout, 'layout', 'data')];
  const ctx = inferenceContext(g, spec.norm);
  let y: Tensor;
  if (spec.model === 'crn-multi') {
    const code = g.input('code', ['N', imagesOf(spec)]);
    inputs.push(ioOf(code, 'code', 'data'));
    y = chooseImage(generator(ctx, spec, { layout }), code);
  } else {
    const x: GeneratorInputs = { layout };
    if (takesNoise(spec)) inputs.push(ioOf((x.noise = g.input('noise', ['N', c])), 'noise', 'data'));
    if (spec.model === 'latent') inputs.push(ioOf((x.code = g.input('code', ['N', spec.latent!.codeDim])), 'code', 'data'));
    y = generator(ctx, spec, x);
  }
  // [-1, 1] to [0, 1]; clipped, since not every network ends in a tanh (CRN does not)
  const image = clip(toUnit(y), 0, 1);
  return {
    graph: g,
    inputs,
    outputs: [ioOf(image, 'image', 'output')],
  };
}

/** [-1, 1] to [0, 1], unclipped (losses need the gradient everywhere). */
const toUnit = (y: Tensor) => mul(add(y, 1), 0.5);

/** The generator's parameters, in creation order (for initial values). */
export function generatorParams(spec: GeneratorSpec): Tensor[] {
  return inferenceProgram(spec).graph.params;
}

// ---- training -----------------------------------------------------------------------------------

interface Batch {
  layout: Tensor;
  image: Tensor;
  noise?: Tensor;
  /** latent: the training codes, one per branch of each sample [B·n, D]. */
  code?: Tensor;
  /** latent with neighbours: their photos [B·k, 3, H, W]. */
  neighbours?: Tensor;
  /** latent: which branch learns which target [B, n, 1 + k], from the host's assignment. */
  assignment?: Tensor;
}

interface Forward {
  /** G's batch: the layouts it saw (twice with the diversity loss) and its fakes, in [-1, 1]. */
  layouts: Tensor;
  fakes: Tensor;
  /**
   * The zero-noise pass G(l, 0) (or the only pass), in [-1, 1]; with pairwise diversity the second noisy
   * pass G(l, n2), which takes G(l, 0)'s place in every loss.
   */
  fakeZero: Tensor;
  /** The noisy pass G(l, n) (pairwise: G(l, n1)), where there is a diversity loss. */
  fakeNoise?: Tensor;
  real: Tensor;
  divLoss?: Tensor;
  masks: MaskSite[];
  maskInputs: Tensor[];
  /** New running statistics of the generator's batch-norm layers. */
  bufferUpdates: BufferUpdate[];
}

function declareBatch(g: Graph, spec: GeneratorSpec, o: TrainingOptions, withAssignment = true): Batch {
  const c = spec.classes.length;
  const [h, w, b] = [spec.height, spec.width, o.batch];
  const batch: Batch = { layout: g.input('layout', [b, c, h, w]), image: g.input('image', [b, 3, h, w]) };
  // pairwise diversity: both passes' noises, n1 for the first B rows, n2 for the last B; with a noise search
  // the first pass's rows are K candidates per sample [B·K, C], sample-major
  const first = firstPassRows(spec, o);
  if (takesNoise(spec)) batch.noise = g.input('noise', [o.diversity === 'pairwise' ? first + b : first, c]);
  if (spec.model === 'latent') {
    const n = spec.latent!.branches;
    batch.code = g.input('code', [b * n, spec.latent!.codeDim]);
    if (o.neighbours > 0) batch.neighbours = g.input('neighbours', [b * o.neighbours, 3, h, w]);
    if (withAssignment) batch.assignment = g.input('assignment', [b, n, 1 + o.neighbours]);
  }
  return batch;
}

/** Each sample of t [B, ...] repeated n times in a row: [B·n, ...] (sample-major, as the branches run). */
function repeatEach(t: Tensor, n: number): Tensor {
  if (n === 1) return t;
  const [b, ...rest] = t.shape as number[];
  const one = reshape(t, [b, 1, ...rest]);
  return reshape(concat(new Array(n).fill(one), 1), [b * n, ...rest]);
}

/** Whether the first pass's noise is searched (crn with a diversity loss and --noise-search K > 1). */
export function searchesNoise(spec: GeneratorSpec, o: TrainingOptions): boolean {
  return spec.model === 'crn' && o.diversity !== 'none' && o.noiseSearch > 1;
}

/** Rows of the training noise for the first pass: one per sample, or K candidates per sample with a search. */
function firstPassRows(spec: GeneratorSpec, o: TrainingOptions): number {
  return searchesNoise(spec, o) ? o.batch * o.noiseSearch : o.batch;
}

/**
 * Candidates go through G together in groups of at most this many pixels, so that the search's activations
 * stay within the training pass's (at 256x512: one candidate at a time; at 64 px: up to 16).
 */
const SEARCH_GROUP_PIXELS = 1 << 16;

/**
 * crn --noise-search K: per sample and class, the candidate [B·K, C] (sample-major) whose image comes closest
 * to the photo by the class-wise content loss (crn-multi's measure), [B, C]; on ties (a class absent from the
 * layout has loss 0 for every candidate) the first. Forward only: the candidates go through G in groups and
 * the pick is held out of the gradient. Each class picks on its own, so the assembled noise is not itself one
 * of the images compared: as in crn-multi, where each class's best image is trained, the pick is per class.
 */
function searchNoise(g: Graph, spec: GeneratorSpec, o: TrainingOptions, batch: Batch, candidates: Tensor): Tensor {
  // CRN has neither dropout nor batch norm, so the search's passes declare no masks and update no statistics
  if (spec.model !== 'crn') throw new Error(`the noise search is crn's, not ${spec.model}'s`);
  const [b, k, c] = [o.batch, o.noiseSearch, spec.classes.length];
  const perSample = reshape(candidates, [b, k, c]);
  const group = Math.max(1, Math.min(k, Math.floor(SEARCH_GROUP_PIXELS / (b * spec.height * spec.width))));
  const losses: Tensor[] = [];
  for (let j = 0; j < k; j += group) {
    const m = Math.min(group, k - j);
    const noise = reshape(slice(perSample, [1], [j], [j + m]), [b * m, c]);
    const fakes = generator(trainingContext(g, spec.norm, b * m), spec, { layout: repeatEach(batch.layout, m), noise });
    losses.push(reshape(classwiseContentLoss(o.perceptual, toUnit(fakes), batch.image, batch.layout), [b, m, c]));
  }
  // [B, C, K]: each class's losses over the candidates, and which of them are lowest
  const all = transpose(stopGradient(losses.length > 1 ? concat(losses, 1) : losses[0]), [0, 2, 1]);
  const isLowest = castFloat(lessOrEqual(all, neg(reduceMax(neg(all), [2], true))));
  // the first lowest: those with no lowest before them (a running count by a triangular matrix of ones)
  const upTo = g.constant(Float32Array.from({ length: k * k }, (_, x) => (Math.floor(x / k) <= x % k ? 1 : 0)), [k, k]);
  const first = mul(isLowest, castFloat(lessOrEqual(matMul(isLowest, upTo), 1)));
  return stopGradient(reduceSum(mul(first, transpose(perSample, [0, 2, 1])), [2]));
}

/**
 * The generator's forward pass for training. With a diversity loss, G runs on (l, n) and (l, 0) as one
 * batch of two sharing one dropout mask (pairwise: (l, n1) and (l, n2); with a noise search n, or n1, is the
 * searched noise); without, one pass with the random noise (the baseline).
 * crn-multi: one pass giving its n images per layout.
 */
function forward(g: Graph, spec: GeneratorSpec, o: TrainingOptions, batch: Batch): Forward {
  const ctx = trainingContext(g, spec.norm, o.batch, { trackRunningStats: true });
  const common = { real: add(mul(batch.image, 2), -1), masks: ctx.masks, maskInputs: ctx.maskInputs, bufferUpdates: ctx.bufferUpdates };
  if (!batch.noise) {
    const n = spec.latent?.branches ?? 1;
    const layout = repeatEach(batch.layout, n);
    const fakes = generator(ctx, spec, { layout, code: batch.code });
    return { ...common, layouts: layout, fakes, fakeZero: fakes };
  }
  // latent: each sample runs once per training code (its branches), sample-major
  const n = spec.latent?.branches ?? 1;
  const layout = repeatEach(batch.layout, n);
  const pairwise = o.diversity === 'pairwise';
  const firstRows = firstPassRows(spec, o);
  const firstPass = pairwise ? slice(batch.noise, [0], [0], [firstRows]) : batch.noise;
  const noise = repeatEach(searchesNoise(spec, o) ? searchNoise(g, spec, o, batch, firstPass) : firstPass, n);
  const twoPasses = o.diversity !== 'none';
  const layouts = twoPasses ? concat([layout, layout], 0) : layout;
  const code = batch.code && (twoPasses ? concat([batch.code, batch.code], 0) : batch.code);
  const secondNoise = pairwise ? repeatEach(slice(batch.noise, [0], [firstRows], [firstRows + o.batch]), n) : zerosLike(noise);
  const fakes = generator(ctx, spec, { layout: layouts, noise: twoPasses ? concat([noise, secondNoise], 0) : noise, code });
  if (!twoPasses) return { ...common, layouts, fakes, fakeZero: fakes };
  const b = o.batch * n;
  const fakeNoise = slice(fakes, [0], [0], [b]);
  const fakeZero = slice(fakes, [0], [b], [2 * b]);
  const divLoss = diversityLoss(layout, pairwise ? sub(noise, secondNoise) : noise, fakeZero, fakeNoise, { mode: pairwise ? 'bounded' : o.diversity, lambda: o.lambda, pool: o.diversityPool });
  return { ...common, layouts, fakes, fakeZero, fakeNoise, divLoss };
}

/** The generator's loss terms (named as loss.G_<name> in train_step) and their weighted total. */
interface Objective {
  total: Tensor;
  terms: [string, Tensor][];
}

/**
 * The generator's objective. pix2pix, against a discriminator given by its parameters: GAN + λ_L1·L1 +
 * β·L_div. crn: content loss on G(l, 0) (and, weighted, on G(l, n)) + β·L_div. crn-multi: CRN's best-of-n
 * loss over its n images. β ramps in where train_step gives the step count.
 */
function generatorObjective(spec: GeneratorSpec, o: TrainingOptions, f: Forward, batch: Batch, dctx: ModelContext, step?: Tensor): Objective {
  const terms: [string, Tensor][] = [];
  let total: Tensor;
  if (spec.model === 'crn-multi') {
    const best = bestOfNLoss(o, f.fakes, batch.layout, batch.image);
    terms.push(['multi', best]);
    total = best;
  } else if (spec.model === 'latent') {
    if (f.fakeNoise && o.noiseContentWeight > 0) {
      // the noisy pass learns the same targets through the same assignment (crnContent's reason); both
      // passes go through the feature network as one batch, so the targets' features are computed once
      const both = latentLossMatrix(o, passesTogether(f.fakes, o.batch), batch);
      const n = (both.shape[1] as number) / 2;
      const zero = assignedLoss(slice(both, [1], [n], [2 * n]), batch.assignment!);
      const noisy = assignedLoss(slice(both, [1], [0], [n]), batch.assignment!);
      terms.push(['assigned', zero], ['assigned_noise', noisy]);
      total = add(zero, mul(noisy, o.noiseContentWeight));
    } else {
      total = assignedLoss(latentLossMatrix(o, f.fakeZero, batch), batch.assignment!);
      terms.push(['assigned', total]);
    }
  } else if (usesDiscriminator(spec)) {
    const gan = ganLoss(discriminator(dctx, o, f.layouts, f.fakes), true, o.gan);
    const l1 = l1Loss(f.fakeZero, f.real);
    terms.push(['gan', gan], ['l1', l1]);
    total = add(gan, mul(l1, o.l1Weight));
  } else {
    const content = crnContent(o, f, batch);
    terms.push(...content.terms);
    total = content.total;
  }
  if (f.divLoss) {
    terms.push(['div', f.divLoss]);
    total = add(total, mul(f.divLoss, diversityWeight(o, step)));
  }
  return { total, terms };
}

/**
 * crn: the content loss on G(l, 0) and, weighted by o.noiseContentWeight, on G(l, n). Without the second
 * term G(l, n) is tied to nothing but the diversity bound (measured: the noise moves the image by more than
 * λ from the first step, L_div is 0 from then on, and the noisy images are never trained). Both passes go
 * through the feature network as one batch.
 */
function crnContent(o: TrainingOptions, f: Forward, batch: Batch): Objective {
  const image = batch.image;
  const best = f.divLoss && o.diversity === 'pairwise' && o.passContent === 'best';
  if (!best && (!f.divLoss || o.noiseContentWeight === 0)) {
    const zero = meanContentLoss(o.perceptual, toUnit(f.fakeZero), image);
    return { total: zero, terms: [['content', zero]] };
  }
  const b = image.shape[0] as number;
  const [, ch, h, w] = f.fakes.shape as number[];
  const sampleMajor = passesTogether(f.fakes, b);
  if (best) {
    const better = bestOfNLoss(o, reshape(sampleMajor, [b, 2 * ch, h, w]), batch.layout, image);
    return { total: better, terms: [['content_best', better]] };
  }
  const perPass = reshape(contentLoss(o.perceptual, toUnit(sampleMajor), image), [b, 2]);
  const noisy = mean(slice(perPass, [1], [0], [1]));
  const zero = mean(slice(perPass, [1], [1], [2]));
  return { total: add(zero, mul(noisy, o.noiseContentWeight)), terms: [['content', zero], ['content_noise', noisy]] };
}

/**
 * The two passes' fakes, pass-major [G(l, n)…, G(l, 0)…] as the generator ran them, regrouped by sample
 * [2·B·k, ...] (each sample's k images of the first pass, then its k of the second), as the content losses
 * take each sample's fakes together.
 */
function passesTogether(fakes: Tensor, b: number): Tensor {
  const shape = fakes.shape as number[];
  const perSample = shape.reduce((a, d) => a * d, 1) / (2 * b);
  return reshape(transpose(reshape(fakes, [2, b, perSample]), [1, 0, 2]), shape);
}

/**
 * β, ramped in over o.betaRampSteps updates where the program has a step count (train_step); forward_loss
 * and gradients, which have none, weigh the diversity loss by the full β.
 */
function diversityWeight(o: TrainingOptions, step?: Tensor): Operand {
  if (!step || o.betaRampSteps <= 0) return o.beta;
  return mul(min(div(step, o.betaRampSteps), 1), o.beta);
}

/**
 * CRN's diversity baseline: for each class and sample,, the content loss of the best of the n images (weight 0.999)
 * plus the mean over the n images (0.001), summed over classes, averaged over the batch. fakes [B, 3n, H, W] in [-1, 1], image [B, 3, H, W] in [0, 1].
 */
export function bestOfNLoss(o: TrainingOptions, fakes: Tensor, layout: Tensor, image: Tensor): Tensor {
  const [b, c3, h, w] = fakes.shape as number[];
  const n = c3 / 3;
  const c = layout.shape[1] as number;
  const images = toUnit(reshape(fakes, [b * n, 3, h, w]));
  const perImage = reshape(classwiseContentLoss(o.perceptual, images, image, layout), [b, n, c]);
  const best = neg(reduceMax(neg(perImage), [1]));
  const perClass = add(mul(best, o.multiMinWeight), mul(reduceMean(perImage, [1]), o.multiMeanWeight));
  return mean(reduceSum(perClass, [1]));
}

/** latent: the perceptual L1 of every branch's image (one pass) against every target [B, n, 1 + k]. */
function latentLossMatrix(o: TrainingOptions, fakes: Tensor, batch: Batch): Tensor {
  const targets = batch.neighbours ? interleaveTargets(batch.image, batch.neighbours, o.batch) : batch.image;
  return pairwiseContentLoss(o.perceptual, toUnit(fakes), targets, o.batch);
}

/** [B·(1+k), 3, H, W]: each sample's own photo, then its k neighbours' photos. */
function interleaveTargets(image: Tensor, neighbours: Tensor, b: number): Tensor {
  const [, c, h, w] = image.shape as number[];
  const k = (neighbours.shape[0] as number) / b;
  return reshape(concat([reshape(image, [b, 1, c, h, w]), reshape(neighbours, [b, k, c, h, w])], 1), [b * (1 + k), c, h, w]);
}

function discriminatorObjective(o: TrainingOptions, f: Forward, batch: Batch, dctx: ModelContext): Tensor {
  const fake = ganLoss(discriminator(dctx, o, f.layouts, stopGradient(f.fakes)), false, o.gan);
  const real = ganLoss(discriminator(dctx, o, batch.layout, f.real), true, o.gan);
  return mul(add(fake, real), 0.5);
}

const ioOf = (t: Tensor, name: string, role: Role, feeds?: string): { tensor: Tensor; spec: IoSpec } => ({
  tensor: t,
  spec: { name, shape: t.shape, role, ...(feeds ? { feeds } : {}) },
});

function inputIo(g: Graph, batch: Batch, f: Forward) {
  const params = g.params.map(paramIo);
  const data = [ioOf(batch.layout, 'layout', 'data'), ioOf(batch.image, 'image', 'data')];
  for (const [name, t] of [['noise', batch.noise], ['code', batch.code], ['neighbours', batch.neighbours], ['assignment', batch.assignment]] as const) if (t) data.push(ioOf(t, name, 'data'));
  const masks = f.maskInputs.map((m, i) => ioOf(m, f.masks[i].name, 'mask'));
  return [...params, ...data, ...masks];
}

export interface TrainingPrograms {
  forwardLoss: Program;
  gradients: Program;
  trainStep: Program;
  masks: MaskSite[];
  /** latent: the loss matrix [B, n, 1 + k] at the current parameters, from which the host assigns targets. */
  lossMatrix?: Program;
}

/** latent: parameters and batch (no assignment) in, `losses` [B, n, 1 + k] out. */
function lossMatrixProgram(spec: GeneratorSpec, o: TrainingOptions): Program {
  const g = new Graph();
  const batch = declareBatch(g, spec, o, false);
  const f = forward(g, spec, o, batch);
  const losses = latentLossMatrix(o, f.fakeZero, batch);
  return { graph: g, inputs: inputIo(g, batch, f), outputs: [ioOf(losses, 'losses', 'output')] };
}

export function trainingPrograms(spec: GeneratorSpec, o: TrainingOptions): TrainingPrograms {
  // forward_loss and gradients: the generator's objective with the discriminator held fixed.
  const build = (withGrads: boolean): Program & { masks: MaskSite[] } => {
    const g = new Graph();
    const batch = declareBatch(g, spec, o);
    const f = forward(g, spec, o, batch);
    const dctx = trainingContext(g, spec.norm, o.batch);
    const { total } = generatorObjective(spec, o, f, batch, dctx);
    const inputs = inputIo(g, batch, f);
    const outputs = [ioOf(total, 'loss', 'loss')];
    if (withGrads) {
      const gParams = g.params.filter((p) => paramGroup(p) === 'G');
      gradients(total, gParams).forEach((d, i) => outputs.push(ioOf(d, `grad.${paramName(gParams[i])}`, 'grad')));
    }
    return { graph: g, inputs, outputs, masks: f.masks };
  };
  const forwardLoss = build(false);
  const lossMatrix = spec.model === 'latent' ? lossMatrixProgram(spec, o) : undefined;
  return { forwardLoss, gradients: build(true), trainStep: trainStepProgram(spec, o), masks: forwardLoss.masks, ...(lossMatrix ? { lossMatrix } : {}) };
}

/**
 * The discriminator's objective (the one train_step's D update minimises) with the generator fixed, and
 * its gradients w.r.t. D's parameters: outputs loss.D and grad.<name>. For tests and tools.
 */
export function discriminatorGradientsProgram(spec: GeneratorSpec, o: TrainingOptions): Program {
  if (!usesDiscriminator(spec)) throw new Error(`${spec.model} trains without a discriminator`);
  const g = new Graph();
  const batch = declareBatch(g, spec, o);
  const f = forward(g, spec, o, batch);
  const lossD = discriminatorObjective(o, f, batch, trainingContext(g, spec.norm, o.batch));
  const dParams = g.params.filter((p) => paramGroup(p) === 'D');
  const outputs = [ioOf(lossD, 'loss.D', 'loss')];
  gradients(lossD, dParams).forEach((d, i) => outputs.push(ioOf(d, `grad.${paramName(dParams[i])}`, 'grad')));
  return { graph: g, inputs: inputIo(g, batch, f), outputs };
}

/** One full step: the discriminator's Adam update, then the generator's against the updated D. */
function trainStepProgram(spec: GeneratorSpec, o: TrainingOptions): Program {
  const g = new Graph();
  const batch = declareBatch(g, spec, o);
  const lr = g.input('lr', []);
  const step = g.input('step', []);
  const f = forward(g, spec, o, batch);
  const dctx = trainingContext(g, spec.norm, o.batch);
  const lossD = usesDiscriminator(spec) ? discriminatorObjective(o, f, batch, dctx) : undefined;
  const gParams = g.params.filter((p) => paramGroup(p) === 'G');
  const dParams = g.params.filter((p) => paramGroup(p) === 'D');
  const opt = adam({ beta1: o.adamBeta1, beta2: o.adamBeta2 });
  const stateInputs: { tensor: Tensor; spec: IoSpec }[] = [];
  const outputs: { tensor: Tensor; spec: IoSpec }[] = [];

  const update = (params: Tensor[], grads: Tensor[]) =>
    params.map((p, i) => {
      const { name: pname, role } = paramIo(p).spec;
      const state = opt.stateNames.map((s) => {
        const t = g.input(`${s}.${pname}`, p.shape);
        stateInputs.push(ioOf(t, `${s}.${pname}`, 'state'));
        return t;
      });
      const r = opt.update(p, grads[i], state, lr, step);
      outputs.push(ioOf(r.param, `new.${pname}`, role, pname));
      r.state.forEach((s, k) => outputs.push(ioOf(s, `new.${opt.stateNames[k]}.${pname}`, 'state', `${opt.stateNames[k]}.${pname}`)));
      return r.param;
    });

  // The generator's step sees the discriminator after its update (as PyTorch's loop does: D.step() first).
  const newD = lossD ? update(dParams, gradients(lossD, dParams)) : [];
  const dAfter = new Map(dParams.map((p, i) => [p.id, newD[i]]));
  const { total, terms } = g.withSubstitutes(dAfter, () => generatorObjective(spec, o, f, batch, dctx, step));
  update(gParams, gradients(total, gParams));
  for (const u of f.bufferUpdates) {
    const { name } = paramIo(u.buffer).spec;
    outputs.push(ioOf(u.value, `new.${name}`, 'state', name));
  }
  outputs.push(ioOf(add(step, 1), 'new.step', 'step', 'step'));
  if (lossD) outputs.push(ioOf(lossD, 'loss.D', 'loss'));
  outputs.push(ioOf(total, 'loss.G', 'loss'), ...terms.map(([name, t]) => ioOf(t, `loss.G_${name}`, 'loss')));

  const inputs = [...inputIo(g, batch, f), ...stateInputs, ioOf(lr, 'lr', 'lr'), ioOf(step, 'step', 'step')];
  return { graph: g, inputs, outputs };
}

// ---- emission -----------------------------------------------------------------------------------

export interface ProgramEmitOptions {
  /** Bake parameters in as initializers with these values (inference graphs); else they are inputs. */
  paramValues?: ReadonlyMap<string, Float32Array>;
  metadata?: Record<string, string>;
}

export function emitProgram(p: Program, o: ProgramEmitOptions = {}): Uint8Array {
  return emitModel(p.graph, {
    outputs: p.outputs.map((x) => [x.spec.name, x.tensor]),
    params: o.paramValues ? 'initializers' : 'inputs',
    paramName: paramInputName,
    paramValues: o.paramValues,
    inputs: o.paramValues ? p.inputs.filter((x) => x.tensor.source.kind === 'input').map((x) => x.tensor) : p.inputs.map((x) => x.tensor),
    metadata: o.metadata,
  });
}

export function manifestEntry(p: Program) {
  return { inputs: p.inputs.map((x) => x.spec), outputs: p.outputs.map((x) => x.spec) };
}
