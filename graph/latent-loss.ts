// The loss matrix of latent-code training (He et al.): the perceptual L1 between every branch's image and
// every target (the input's own photo and its neighbours' photos), from which the host assigns targets to
// branches (train/assignment.ts); the objective is the matrix weighted by that assignment.
import { Tensor } from './tensor.js';
import { abs, add, div, mul, stopGradient, sub } from './ops/elementwise.js';
import { reduceMean, reduceSum } from './ops/reduce.js';
import { reshape } from './ops/shape.js';
import { PerceptualSpec, features, networkConstants } from './perceptual.js';

/**
 * L[b, i, j] = Σ_l w_l · mean |φ_l(fake_{b,i}) − φ_l(target_{b,j})| (pixels included as the network's
 * input), fakes [B·n, 3, H, W] and targets [B·m, 3, H, W] in [0, 1], sample-major. Targets pass through
 * the network on their own behind a stop on the gradient (as graph/perceptual.ts does for CRN's reals).
 */
export function pairwiseContentLoss(spec: PerceptualSpec, fakes: Tensor, targets: Tensor, batch: number): Tensor {
  const n = (fakes.shape[0] as number) / batch;
  const m = (targets.shape[0] as number) / batch;
  const constants = networkConstants(fakes.graph, spec);
  const f = features(spec, fakes, constants);
  const t = features(spec, stopGradient(targets), constants);
  const pairs = [{ weight: spec.pixelWeight, f: f.input, t: t.input }, ...spec.taps.map((tap, i) => ({ weight: tap.weight, f: f.taps[i], t: t.taps[i] }))];
  return pairs
    .filter((l) => l.weight !== 0)
    .map(({ weight, f: ft, t: tt }) => {
      const [, ...rest] = ft.shape as number[];
      const d = sub(reshape(ft, [batch, n, 1, ...rest]), reshape(tt, [batch, 1, m, ...rest]));
      return mul(reduceMean(abs(d), [3, 4, 5]), weight);
    })
    .reduce((s, x) => add(s, x));
}

/** Σ over branches and targets of weight · loss, averaged over the batch: weights [B, n, m] from the host. */
export function assignedLoss(losses: Tensor, weights: Tensor): Tensor {
  const b = losses.shape[0] as number;
  return div(reduceSum(mul(losses, weights)), b);
}
