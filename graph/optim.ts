// Optimizers as graph ops: each update is a handful of elementwise ONNX ops per parameter. The learning
// rate and the step count are graph inputs, so schedules live on the host.
import { Tensor } from './tensor.js';
import { add, div, exp, mul, sqrt, sub } from './ops/elementwise.js';

export interface Optimizer {
  /** Names of the per-parameter state tensors (each shaped like its parameter, zeros at start). */
  readonly stateNames: readonly string[];
  /** One update; `step` is the 1-based count of this update (float scalar). */
  update(param: Tensor, grad: Tensor, state: Tensor[], lr: Tensor, step: Tensor): { param: Tensor; state: Tensor[] };
}

export interface AdamOptions {
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 penalty added to the gradient, as torch.optim.Adam's weight_decay. */
  weightDecay: number;
}

export function adam(o: Partial<AdamOptions> = {}): Optimizer {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = o;
  // Bias corrections are shared by all parameters: computed once per graph and step tensor. As in
  // torch.optim.Adam, √c2 scales the step and ε rather than v: one elementwise pass per parameter fewer.
  const cache = new WeakMap<Tensor, { stepSize: Tensor; epsHat: Tensor }>();
  const corrections = (lr: Tensor, step: Tensor) => {
    let c = cache.get(step);
    if (!c || c.stepSize.graph !== lr.graph) {
      const c1 = sub(1, exp(mul(step, Math.log(beta1))));
      const sqrtC2 = sqrt(sub(1, exp(mul(step, Math.log(beta2)))));
      c = { stepSize: div(mul(lr, sqrtC2), c1), epsHat: mul(sqrtC2, eps) };
      cache.set(step, c);
    }
    return c;
  };
  return {
    stateNames: ['m', 'v'],
    update(param, grad, [m, v], lr, step) {
      const { stepSize, epsHat } = corrections(lr, step);
      const g = weightDecay ? add(grad, mul(param, weightDecay)) : grad;
      const m2 = add(mul(m, beta1), mul(g, 1 - beta1));
      const v2 = add(mul(v, beta2), mul(mul(g, g), 1 - beta2));
      // m̂ / (√v̂ + ε) · lr = m2 / (√v2 + ε·√c2) · lr·√c2 / c1
      const denom = add(sqrt(v2), epsHat);
      return { param: sub(param, mul(div(m2, denom), stepSize)), state: [m2, v2] };
    },
  };
}

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

export function sgd(o: Partial<SgdOptions> = {}): Optimizer {
  const { momentum = 0, weightDecay = 0 } = o;
  return {
    stateNames: momentum ? ['momentum'] : [],
    update(param, grad, state, lr) {
      const g = weightDecay ? add(grad, mul(param, weightDecay)) : grad;
      if (!momentum) return { param: sub(param, mul(g, lr)), state: [] };
      const buf = add(mul(state[0], momentum), g);
      return { param: sub(param, mul(buf, lr)), state: [buf] };
    },
  };
}
