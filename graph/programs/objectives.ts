// The objectives the training programs minimise: the generator's (its family's terms plus β·L_div, β
// ramped in where the program counts steps) and the discriminator's, for families that have one.
import { Tensor } from '../tensor.js';
import { Operand, add, div, min, mul } from '../ops/elementwise.js';
import { ModelContext } from '../models/layers.js';
import { familyOf } from '../families/index.js';
import { GeneratorSpec, TrainingOptions } from '../spec.js';
import { Batch, Forward, Objective } from './batch.js';

/**
 * β, ramped in over o.betaRampSteps updates where the program has a step count (train_step); forward_loss
 * and gradients, which have none, weigh the diversity loss by the full β.
 */
function diversityWeight(o: TrainingOptions, step?: Tensor): Operand {
  if (!step || o.betaRampSteps <= 0) return o.beta;
  return mul(min(div(step, o.betaRampSteps), 1), o.beta);
}

/** The family's loss terms (against a discriminator given by its parameters, where it has one) + β·L_div. */
export function generatorObjective(spec: GeneratorSpec, o: TrainingOptions, f: Forward, batch: Batch, dctx: ModelContext, step?: Tensor): Objective {
  const own = familyOf(spec).objective(spec, o, f, batch, dctx);
  if (!f.divLoss) return own;
  return { total: add(own.total, mul(f.divLoss, diversityWeight(o, step))), terms: [...own.terms, ['div', f.divLoss]] };
}

export function discriminatorObjective(spec: GeneratorSpec, o: TrainingOptions, f: Forward, batch: Batch, dctx: ModelContext): Tensor {
  const objective = familyOf(spec).discriminatorObjective;
  if (!objective) throw new Error(`${spec.model} trains without a discriminator`);
  return objective(o, f, batch, dctx);
}
