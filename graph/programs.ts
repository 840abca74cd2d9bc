// From one model function and one objective: the inference graph and the training programs
// (forward_loss, gradients, train_step) of CONTRACT.md, plus the manifest that describes them.
import { Graph, Shape, Tensor, paramGroup, paramName } from './tensor.js';
import { add, clip, mul, stopGradient } from './ops/elementwise.js';
import { concat, slice, zerosLike } from './ops/shape.js';
import { gradients } from './autodiff.js';
import { adam } from './optim.js';
import { emitModel } from './emit.js';
import { diversityLoss, ganLoss, l1Loss } from './losses.js';
import { BufferUpdate, ModelContext, MaskSite, inferenceContext, trainingContext } from './models/layers.js';
import { noiseChannel, patchGan, pix2pixGenerator } from './models/pix2pix.js';
import { crn } from './models/crn.js';
import { GeneratorSpec, TrainingOptions } from './spec.js';

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

/** The generator as one function for both graphs: image in [-1, 1]. */
export function generator(ctx: ModelContext, spec: GeneratorSpec, layout: Tensor, noise: Tensor): Tensor {
  switch (spec.model) {
    case 'pix2pix':
      if (spec.height !== spec.width) throw new Error(`pix2pix needs a square size, got ${spec.height}x${spec.width}`);
      return ctx.graph.withGroup('G', () => pix2pixGenerator(ctx, layout, noise, { width: spec.channels, size: spec.height }));
    case 'crn':
      return ctx.graph.withGroup('G', () =>
        crn(ctx, concat([layout, noiseChannel(layout, noise)], 1), { height: spec.height, width: spec.width, channels: spec.channels, outChannels: 3 }),
      );
    default:
      throw new Error(`model '${spec.model}' is not implemented yet`);
  }
}

function discriminator(ctx: ModelContext, o: TrainingOptions, layout: Tensor, image: Tensor): Tensor {
  return ctx.graph.withGroup('D', () => ctx.graph.scope('D', () => patchGan(ctx, concat([layout, image], 1), { width: o.dChannels })));
}

// ---- inference ----------------------------------------------------------------------------------

/** Inputs layout [N,C,H,W] and noise [N,C] with a symbolic batch N; output image [N,3,H,W] in [0,1]. */
export function inferenceProgram(spec: GeneratorSpec): Program {
  const g = new Graph();
  const c = spec.classes.length;
  const layout = g.input('layout', ['N', c, spec.height, spec.width]);
  const noise = g.input('noise', ['N', c]);
  const y = generator(inferenceContext(g, spec.norm), spec, layout, noise);
  // [-1, 1] to [0, 1]; clipped, since not every network ends in a tanh (CRN does not)
  const image = clip(mul(add(y, 1), 0.5), 0, 1);
  return {
    graph: g,
    inputs: [
      { tensor: layout, spec: { name: 'layout', shape: layout.shape, role: 'data' } },
      { tensor: noise, spec: { name: 'noise', shape: noise.shape, role: 'data' } },
    ],
    outputs: [{ tensor: image, spec: { name: 'image', shape: image.shape, role: 'output' } }],
  };
}

/** The generator's parameters, in creation order (for initial values). */
export function generatorParams(spec: GeneratorSpec): Tensor[] {
  return inferenceProgram(spec).graph.params;
}

// ---- training -----------------------------------------------------------------------------------

interface Batch {
  layout: Tensor;
  image: Tensor;
  noise: Tensor;
}

interface Forward {
  /** G's batch: the layouts it saw (twice with the diversity loss) and its fakes, in [-1, 1]. */
  layouts: Tensor;
  fakes: Tensor;
  /** The zero-noise pass (or the only pass), and the truth, in [-1, 1]. */
  fakeZero: Tensor;
  real: Tensor;
  divLoss?: Tensor;
  masks: MaskSite[];
  maskInputs: Tensor[];
  /** New running statistics of the generator's batch-norm layers. */
  bufferUpdates: BufferUpdate[];
}

function declareBatch(g: Graph, spec: GeneratorSpec, o: TrainingOptions): Batch {
  const c = spec.classes.length;
  const [h, w, b] = [spec.height, spec.width, o.batch];
  return { layout: g.input('layout', [b, c, h, w]), image: g.input('image', [b, 3, h, w]), noise: g.input('noise', [b, c]) };
}

/**
 * The generator's forward pass for training. With a diversity loss, G runs on (l, n) and (l, 0) as one
 * batch of two sharing one dropout mask; without, one pass with the random noise (the baseline).
 */
function forward(g: Graph, spec: GeneratorSpec, o: TrainingOptions, batch: Batch): Forward {
  const ctx = trainingContext(g, spec.norm, o.batch, { trackRunningStats: true });
  const twoPasses = o.diversity !== 'none';
  const layouts = twoPasses ? concat([batch.layout, batch.layout], 0) : batch.layout;
  const fakes = generator(ctx, spec, layouts, twoPasses ? concat([batch.noise, zerosLike(batch.noise)], 0) : batch.noise);
  const common = { layouts, fakes, real: add(mul(batch.image, 2), -1), masks: ctx.masks, maskInputs: ctx.maskInputs, bufferUpdates: ctx.bufferUpdates };
  if (!twoPasses) return { ...common, fakeZero: fakes };
  const b = o.batch;
  const fakeNoise = slice(fakes, [0], [0], [b]);
  const fakeZero = slice(fakes, [0], [b], [2 * b]);
  const divLoss = diversityLoss(batch.layout, batch.noise, fakeZero, fakeNoise, { mode: o.diversity, lambda: o.lambda });
  return { ...common, fakeZero, divLoss };
}

/** The generator's objective against a discriminator given by its parameters: GAN + λ_L1·L1 + β·L_div. */
function generatorObjective(o: TrainingOptions, f: Forward, dctx: ModelContext) {
  const gan = ganLoss(discriminator(dctx, o, f.layouts, f.fakes), true, o.gan);
  const l1 = l1Loss(f.fakeZero, f.real);
  let total = add(gan, mul(l1, o.l1Weight));
  if (f.divLoss) total = add(total, mul(f.divLoss, o.beta));
  return { total, gan, l1 };
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
  const data = [ioOf(batch.layout, 'layout', 'data'), ioOf(batch.image, 'image', 'data'), ioOf(batch.noise, 'noise', 'data')];
  const masks = f.maskInputs.map((m, i) => ioOf(m, f.masks[i].name, 'mask'));
  return [...params, ...data, ...masks];
}

export interface TrainingPrograms {
  forwardLoss: Program;
  gradients: Program;
  trainStep: Program;
  masks: MaskSite[];
}

export function trainingPrograms(spec: GeneratorSpec, o: TrainingOptions): TrainingPrograms {
  // forward_loss and gradients: the generator's objective with the discriminator held fixed.
  const build = (withGrads: boolean): Program & { masks: MaskSite[] } => {
    const g = new Graph();
    const batch = declareBatch(g, spec, o);
    const f = forward(g, spec, o, batch);
    const dctx = trainingContext(g, spec.norm, o.batch);
    const { total } = generatorObjective(o, f, dctx);
    const inputs = inputIo(g, batch, f);
    const outputs = [ioOf(total, 'loss', 'loss')];
    if (withGrads) {
      const gParams = g.params.filter((p) => paramGroup(p) === 'G');
      gradients(total, gParams).forEach((d, i) => outputs.push(ioOf(d, `grad.${paramName(gParams[i])}`, 'grad')));
    }
    return { graph: g, inputs, outputs, masks: f.masks };
  };
  const forwardLoss = build(false);
  return { forwardLoss, gradients: build(true), trainStep: trainStepProgram(spec, o), masks: forwardLoss.masks };
}

/**
 * The discriminator's objective (the one train_step's D update minimises) with the generator fixed, and
 * its gradients w.r.t. D's parameters: outputs loss.D and grad.<name>. For tests and tools.
 */
export function discriminatorGradientsProgram(spec: GeneratorSpec, o: TrainingOptions): Program {
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
  const lossD = discriminatorObjective(o, f, batch, dctx);
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

  const newD = update(dParams, gradients(lossD, dParams));
  // The generator's step sees the discriminator after its update (as PyTorch's loop does: D.step() first).
  const dAfter = new Map(dParams.map((p, i) => [p.id, newD[i]]));
  const { total, gan, l1 } = g.withSubstitutes(dAfter, () => generatorObjective(o, f, dctx));
  update(gParams, gradients(total, gParams));
  for (const u of f.bufferUpdates) {
    const { name } = paramIo(u.buffer).spec;
    outputs.push(ioOf(u.value, `new.${name}`, 'state', name));
  }
  outputs.push(ioOf(add(step, 1), 'new.step', 'step', 'step'));
  outputs.push(ioOf(lossD, 'loss.D', 'loss'), ioOf(total, 'loss.G', 'loss'), ioOf(gan, 'loss.G_gan', 'loss'), ioOf(l1, 'loss.G_l1', 'loss'));
  if (f.divLoss) outputs.push(ioOf(f.divLoss, 'loss.G_div', 'loss'));

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
