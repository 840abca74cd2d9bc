// Latent drop-out codes (He, Schiele, Fritz): a CRN-style generator with channel-wise dropout driven by a
// code z ∈ [0,1]^D at one depth. Channel c is kept iff z_c > r, kept channels scaled by 1/(1−r), the same
// mask at every pixel. The code is a graph input, so new codes and interpolations need no new graph.
// Early split: the dropout after module `depth`; late split: after the last module, before the 1×1 output
// conv (CRN's multi-output is its separate-parameter special case). Shared: one network for every code;
// separate: the layers after the split exist once per training code (branch).
import { Tensor } from '../tensor.js';
import { castFloat, div, equal, greater, mul, neg, sub } from '../ops/elementwise.js';
import { reduceMax, reduceSum } from '../ops/reduce.js';
import { concat, reshape, slice } from '../ops/shape.js';
import { matMul } from '../ops/matmul.js';
import { ModelContext } from './layers.js';
import { CrnOptions, crnModule, crnModuleSizes, crnModuleWidth, crnOutput } from './crn.js';

export interface LatentOptions extends CrnOptions {
  /** Module index after which the dropout sits; the module count (or more) means the late split. */
  depth: number;
  /** Drop threshold r. */
  dropRate: number;
  sharing: 'shared' | 'separate';
  /** The training codes [n, D] (separate branches: the file picks the branch of the nearest one). */
  trainCodes: Float32Array;
}

/** D, the channel count where the dropout sits. */
export function codeDim(o: Pick<LatentOptions, 'height' | 'width' | 'channels' | 'firstHeight' | 'depth'>): number {
  const sizes = crnModuleSizes(o.height, o.width, o.firstHeight);
  const at = Math.min(o.depth, sizes.length - 1);
  return crnModuleWidth(sizes[at][0], o.channels);
}

/** The channel-wise dropout of features [M, D, h, w] by codes [M, D]. */
export function codeDropout(features: Tensor, code: Tensor, r: number): Tensor {
  const [m, d] = code.shape;
  const keep = mul(castFloat(greater(code, r)), 1 / (1 - r));
  return mul(features, reshape(keep, [m, d, 1, 1]));
}

/**
 * The generator over conditioning x [M, Cin, H, W] and codes [M, D]: images [M, out, H, W].
 * `branchOf` (training, separate parameters): samples are ordered sample-major with n branches each, so
 * sample j belongs to branch j mod n. At inference separate branches are picked by the nearest training
 * code (every branch runs; a one-hot weight keeps the chosen one).
 */
export function latentGenerator(ctx: ModelContext, x: Tensor, code: Tensor, o: LatentOptions, mode: 'train' | 'infer'): Tensor {
  const sizes = crnModuleSizes(o.height, o.width, o.firstHeight);
  const split = Math.min(o.depth, sizes.length - 1);
  let features: Tensor | undefined;
  for (let i = 0; i <= split; i++) features = crnModule(ctx, i, x, features, o);
  const dropped = codeDropout(features!, code, o.dropRate);
  const after = (f: Tensor, cond: Tensor) => {
    let y = f;
    for (let i = split + 1; i < sizes.length; i++) y = crnModule(ctx, i, cond, y, o);
    return crnOutput(ctx, y, o.outChannels);
  };
  if (o.sharing === 'shared') return after(dropped, x);
  const g = ctx.graph;
  const n = o.trainCodes.length / (code.shape[1] as number);
  const branch = (i: number, f: Tensor, cond: Tensor) => g.scope(`branch${i}`, () => after(f, cond));
  if (mode === 'train') {
    // rows b·n + i belong to branch i: each branch runs on its own rows, and the results go back in order
    const m = x.shape[0] as number;
    const b = m / n;
    const rows = (t: Tensor, i: number) => {
      const [, ...rest] = t.shape as number[];
      return reshape(slice(reshape(t, [b, n, ...rest]), [1], [i], [i + 1]), [b, ...rest]);
    };
    const outs = Array.from({ length: n }, (_, i) => branch(i, rows(dropped, i), rows(x, i)));
    const [, ...rest] = outs[0].shape as number[];
    return reshape(
      concat(
        outs.map((t) => reshape(t, [b, 1, ...rest])),
        1,
      ),
      [m, ...rest],
    );
  }
  const outs = Array.from({ length: n }, (_, i) => branch(i, dropped, x));
  const [nn, out, h, w] = outs[0].shape;
  const size = (out as number) * (h as number) * (w as number);
  const d = code.shape[1] as number;
  // squared distances to the training codes [N, n]; a one-hot (ties shared) weight on the nearest
  const diff = sub(reshape(code, [nn, 1, d]), g.constant(o.trainCodes, [1, n, d]));
  const dist = reduceSum(mul(diff, diff), [2]);
  const nearest = castFloat(equal(dist, neg(reduceMax(neg(dist), [1], true))));
  const weight = div(nearest, reduceSum(nearest, [1], true));
  const stacked = concat(
    outs.map((t) => reshape(t, [nn, 1, size])),
    1,
  );
  return reshape(matMul(reshape(weight, [nn, 1, n]), stacked), [nn, out, h, w]);
}
