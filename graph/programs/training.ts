// The training programs built from the family's generator and objective: forward_loss, gradients and
// train_step (the discriminator's Adam update, then the generator's), plus latent models' loss matrix.
import { Graph, Tensor, paramGroup, paramName } from '../tensor.js';
import { add } from '../ops/elementwise.js';
import { gradients } from '../autodiff.js';
import { adam } from '../optim.js';
import { MaskSite, trainingContext } from '../models/layers.js';
import { familyOf, usesDiscriminator } from '../families/index.js';
import { GeneratorSpec, TrainingOptions } from '../spec.js';
import { conditionInputName } from '../condition.js';
import { Batch, Forward } from './batch.js';
import { declareBatch, forward } from './forward.js';
import { discriminatorObjective, generatorObjective } from './objectives.js';
import { Program, ProgramIo, ioOf, paramIo } from './program.js';

function inputIo(g: Graph, spec: GeneratorSpec, batch: Batch, f: Forward): ProgramIo[] {
  const params = g.params.map(paramIo);
  const data = [ioOf(batch.layout, conditionInputName(spec), 'data'), ioOf(batch.image, 'image', 'data')];
  for (const [name, t] of [
    ['noise', batch.noise],
    ['code', batch.code],
    ['neighbours', batch.neighbours],
    ['assignment', batch.assignment],
  ] as const)
    if (t) data.push(ioOf(t, name, 'data'));
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

/** Parameters and batch (no assignment) in, `losses` [B, n, 1 + k] out. */
function lossMatrixProgram(spec: GeneratorSpec, o: TrainingOptions): Program | undefined {
  const matrix = familyOf(spec).lossMatrix;
  if (!matrix) return undefined;
  const g = new Graph();
  const batch = declareBatch(g, spec, o, false);
  const f = forward(g, spec, o, batch);
  return { graph: g, inputs: inputIo(g, spec, batch, f), outputs: [ioOf(matrix(o, f, batch), 'losses', 'output')] };
}

export function trainingPrograms(spec: GeneratorSpec, o: TrainingOptions): TrainingPrograms {
  // forward_loss and gradients: the generator's objective with the discriminator held fixed.
  const build = (withGrads: boolean): Program & { masks: MaskSite[] } => {
    const g = new Graph();
    const batch = declareBatch(g, spec, o);
    const f = forward(g, spec, o, batch);
    const dctx = trainingContext(g, spec.norm, o.batch);
    const { total } = generatorObjective(spec, o, f, batch, dctx);
    const inputs = inputIo(g, spec, batch, f);
    const outputs = [ioOf(total, 'loss', 'loss')];
    if (withGrads) {
      const gParams = g.params.filter((p) => paramGroup(p) === 'G');
      gradients(total, gParams).forEach((d, i) => outputs.push(ioOf(d, `grad.${paramName(gParams[i])}`, 'grad')));
    }
    return { graph: g, inputs, outputs, masks: f.masks };
  };
  const forwardLoss = build(false);
  const lossMatrix = lossMatrixProgram(spec, o);
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
  const lossD = discriminatorObjective(spec, o, f, batch, trainingContext(g, spec.norm, o.batch));
  const dParams = g.params.filter((p) => paramGroup(p) === 'D');
  const outputs = [ioOf(lossD, 'loss.D', 'loss')];
  gradients(lossD, dParams).forEach((d, i) => outputs.push(ioOf(d, `grad.${paramName(dParams[i])}`, 'grad')));
  return { graph: g, inputs: inputIo(g, spec, batch, f), outputs };
}

/** One full step: the discriminator's Adam update, then the generator's against the updated D. */
function trainStepProgram(spec: GeneratorSpec, o: TrainingOptions): Program {
  const g = new Graph();
  const batch = declareBatch(g, spec, o);
  const lr = g.input('lr', []);
  const step = g.input('step', []);
  const f = forward(g, spec, o, batch);
  const dctx = trainingContext(g, spec.norm, o.batch);
  const lossD = usesDiscriminator(spec) ? discriminatorObjective(spec, o, f, batch, dctx) : undefined;
  const gParams = g.params.filter((p) => paramGroup(p) === 'G');
  const dParams = g.params.filter((p) => paramGroup(p) === 'D');
  const opt = adam({ beta1: o.adamBeta1, beta2: o.adamBeta2 });
  const stateInputs: ProgramIo[] = [];
  const outputs: ProgramIo[] = [];

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

  const inputs = [...inputIo(g, spec, batch, f), ...stateInputs, ioOf(lr, 'lr', 'lr'), ioOf(step, 'step', 'step')];
  return { graph: g, inputs, outputs };
}
