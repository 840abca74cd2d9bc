// The loss matrix of latent-code training (He et al.): the perceptual L1 between every branch's image and
// every target (the input's own photo and its neighbours' photos), from which the host assigns targets to
// branches (train/assignment.ts); the objective is the matrix weighted by that assignment.
import { Tensor } from './tensor.js';
import { abs, add, div, mul, stopGradient, sub } from './ops/elementwise.js';
import { reduceMean, reduceSum } from './ops/reduce.js';
import { concat, reshape, slice } from './ops/shape.js';
import { importOnnx } from './import.js';
import { PerceptualSpec } from './perceptual.js';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * L[b, i, j] = Σ_l w_l · mean |φ_l(fake_{b,i}) − φ_l(target_{b,j})| (pixels included as the network's
 * input), fakes [B·n, 3, H, W] and targets [B·m, 3, H, W] in [0, 1], sample-major. Targets carry no gradient.
 */
export function pairwiseContentLoss(spec: PerceptualSpec, fakes: Tensor, targets: Tensor, batch: number): Tensor {
  const g = fakes.graph;
  const bn = fakes.shape[0] as number;
  const bm = targets.shape[0] as number;
  const [n, m] = [bn / batch, bm / batch];
  let input = concat([fakes, stopGradient(targets)], 0);
  if (spec.norm === 'imagenet') input = div(sub(input, g.constant(Float32Array.from(IMAGENET.mean), [1, 3, 1, 1])), g.constant(Float32Array.from(IMAGENET.std), [1, 3, 1, 1]));
  const layers: { weight: number; t: Tensor }[] = [{ weight: spec.pixelWeight, t: input }];
  if (spec.bytes && spec.taps.length) {
    const imported = importOnnx(g, spec.bytes, input, { outputs: spec.taps.map((t) => t.name), maxPoolAsAverage: spec.maxPoolAsAverage });
    spec.taps.forEach((tap) => layers.push({ weight: tap.weight, t: imported.outputs.get(tap.name)! }));
  }
  return layers
    .filter((l) => l.weight !== 0)
    .map(({ weight, t }) => {
      const [, ...rest] = t.shape as number[];
      const f = reshape(slice(t, [0], [0], [bn]), [batch, n, 1, ...rest]);
      const r = reshape(slice(t, [0], [bn], [bn + bm]), [batch, 1, m, ...rest]);
      return mul(reduceMean(abs(sub(f, r)), [3, 4, 5]), weight);
    })
    .reduce((s, t) => add(s, t));
}

/** Σ over branches and targets of weight · loss, averaged over the batch: weights [B, n, m] from the host. */
export function assignedLoss(losses: Tensor, weights: Tensor): Tensor {
  const b = losses.shape[0] as number;
  return div(reduceSum(mul(losses, weights)), b);
}
