// The cascaded refinement network (Chen & Koltun): modules from 4×(4·W/H) up to the output size; each
// concatenates the previous module's features (bilinear ×2, align_corners as Chen's code) with the
// layout area-downsampled to its size, then applies two 3×3 convs, each followed by layer norm (over C,
// H, W of each sample, with a per-channel scale and shift) and LeakyReLU 0.2; a final 1×1 conv maps to
// the output channels with no tanh.
import { Tensor } from '../tensor.js';
import { add, leakyRelu, mul } from '../ops/elementwise.js';
import { normalizeOver } from '../ops/norm.js';
import { averagePool } from '../ops/pool.js';
import { resize } from '../ops/resize.js';
import { concat, reshape } from '../ops/shape.js';
import { ModelContext, convLayer } from './layers.js';

export interface CrnOptions {
  height: number;
  width: number;
  /** Width of modules below 128 px of height (1024 in the paper); larger modules use half. */
  channels: number;
  outChannels: number;
  /** Height of the first module (4). */
  firstHeight?: number;
}

/** The modules' sizes, smallest first; throws where the size does not halve down to the first height. */
export function crnModuleSizes(height: number, width: number, firstHeight = 4): [number, number][] {
  const levels = Math.log2(height / firstHeight);
  if (!Number.isInteger(levels) || levels < 0 || width % 2 ** levels) throw new Error(`CRN needs a height of ${firstHeight}·2^k and a width divisible by 2^k; got ${height}x${width}`);
  return Array.from({ length: levels + 1 }, (_, i) => [firstHeight * 2 ** i, (width / 2 ** levels) * 2 ** i]);
}

/** Layer norm over C, H, W of each sample, then a per-channel scale and shift. */
function layerNormPerChannel(ctx: ModelContext, name: string, x: Tensor): Tensor {
  const g = ctx.graph;
  const c = x.shape[1] as number;
  return g.scope(name, () => {
    const scale = g.param('weight', [c], { kind: 'ones' });
    const shift = g.param('bias', [c], { kind: 'zeros' });
    return add(mul(normalizeOver(x, [1, 2, 3], 1e-5, { batchInvariant: ctx.mode === 'infer' }), reshape4(scale, c)), reshape4(shift, c));
  });
}

const reshape4 = (t: Tensor, c: number) => reshape(t, [1, c, 1, 1]);

/**
 * CRN module i over the conditioning input x (full size) and the previous module's features (absent for
 * the first): upsampled features and the area-downsampled layout, then two conv + layer norm + LeakyReLU.
 */
export function crnModule(ctx: ModelContext, i: number, x: Tensor, features: Tensor | undefined, o: CrnOptions): Tensor {
  const g = ctx.graph;
  const [h] = crnModuleSizes(o.height, o.width, o.firstHeight)[i];
  const factor = o.height / h;
  const cond = factor > 1 ? averagePool(x, factor) : x;
  const input = features ? concat([resize(features, 2, 'bilinear', 'align_corners'), cond], 1) : cond;
  const width = crnModuleWidth(h, o.channels);
  return g.scope(`module${i}`, () => {
    let y = input;
    for (const k of [1, 2]) {
      const cin = y.shape[1] as number;
      y = convLayer(g, `conv${k}`, y, width, 3, { pad: 1, init: { kind: 'kaiming', fanIn: cin * 9, gain: 1 } });
      y = leakyRelu(layerNormPerChannel(ctx, `norm${k}`, y), 0.2);
    }
    return y;
  });
}

/** The module width at height h: `channels` below 128 px, half from 128 px. */
export const crnModuleWidth = (h: number, channels: number) => (h < 128 ? channels : Math.max(1, Math.floor(channels / 2)));

/** The final 1×1 conv to the output channels (no tanh). */
export function crnOutput(ctx: ModelContext, features: Tensor, outChannels: number): Tensor {
  const g = ctx.graph;
  return g.scope('out', () => convLayer(g, 'conv', features, outChannels, 1, { init: { kind: 'kaiming', fanIn: features.shape[1] as number, gain: 1 } }));
}

/** CRN over the conditioning input x [N, Cin, H, W] (layout one-hot, and the noise channel). */
export function crn(ctx: ModelContext, x: Tensor, o: CrnOptions): Tensor {
  let features: Tensor | undefined;
  crnModuleSizes(o.height, o.width, o.firstHeight).forEach((_, i) => (features = crnModule(ctx, i, x, features, o)));
  return crnOutput(ctx, features!, o.outChannels);
}
