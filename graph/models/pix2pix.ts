// pix2pix networks (Isola et al.): the U-Net generator with the per-class noise channel, and the 70x70
// PatchGAN discriminator (n_layers 3). Layer order and parameter order follow
// junyanz/pytorch-CycleGAN-and-pix2pix, so weights map one to one onto the PyTorch reference.
import { Tensor } from '../tensor.js';
import { reshape } from '../ops/shape.js';
import { leakyRelu, relu, tanh } from '../ops/elementwise.js';
import { matMul } from '../ops/matmul.js';
import { Channels, eachPart, joined } from '../ops/conv-parts.js';
import { ModelContext, convBias, convLayer, convTransposeLayer, normLayer } from './layers.js';

export interface UNetOptions {
  /** Base channel count (ngf). */
  width: number;
  /** Square size S: a power of two, at least 32. */
  size: number;
  outChannels?: number;
  /** End in tanh (default, an image in [-1, 1]); false leaves raw scores (a segmenter's class logits). */
  tanh?: boolean;
}

/** log2(S) downsamplings; the U-Net needs S >= 32 (log2(S) - 5 dropout blocks: 3 at 256, 0 at 32). */
export function unetDepth(size: number): number {
  const d = Math.log2(size);
  if (!Number.isInteger(d) || d < 5) throw new Error(`the pix2pix U-Net needs a power-of-two size of at least 32, got ${size}`);
  return d;
}

interface Level {
  outer: number;
  inner: number;
  dropout: boolean;
}

function levels(width: number, depth: number, outChannels: number): Level[] {
  const w = width;
  const out: Level[] = [
    { outer: outChannels, inner: w, dropout: false },
    { outer: w, inner: 2 * w, dropout: false },
    { outer: 2 * w, inner: 4 * w, dropout: false },
    { outer: 4 * w, inner: 8 * w, dropout: false },
  ];
  for (let i = 0; i < depth - 5; i++) out.push({ outer: 8 * w, inner: 8 * w, dropout: true });
  out.push({ outer: 8 * w, inner: 8 * w, dropout: false }); // innermost
  return out;
}

/**
 * The U-Net on input x [N, Cin, S, S] (or its parts along channels); returns [N, out, S, S]: tanh output
 * in [-1, 1] unless o.tanh is false. Where the context splits concatenations, x's parts and each skip's
 * stay in parts for the convolution that takes them; otherwise they are joined first.
 */
export function unet(ctx: ModelContext, x: Channels, o: UNetOptions): Tensor {
  const g = ctx.graph;
  const spec = levels(o.width, unetDepth(o.size), o.outChannels ?? 3);
  const last = spec.length - 1;
  const transposedConv = ctx.transposedConv;
  // a concatenation stays in parts only where the context splits them
  const parts = (x: Channels): Channels => (ctx.splitConcats ? x : joined(x));
  const up = (sub: Channels, outer: number, bias: boolean) => convTransposeLayer(g, 'up', eachPart(sub, relu), outer, 4, { stride: 2, pad: 1, bias, transposedConv });
  // Parameters are named block<i>.<layer>.<weight|bias> (flat, not nested by recursion depth).
  const at = <T>(i: number, body: () => T) => g.scope(`block${i}`, body);
  // block i >= 1 on h: h joined with its up path's output (the skip)
  const inner = (i: number, h: Tensor): Channels => {
    const { outer, inner: channels, dropout } = spec[i];
    const bias = convBias(ctx);
    let d = at(i, () => convLayer(g, 'down', leakyRelu(h, 0.2), channels, 4, { stride: 2, pad: 1, bias }));
    if (i !== last) d = at(i, () => normLayer(ctx, 'downnorm', d));
    const sub = i === last ? d : inner(i + 1, d);
    let u = at(i, () => normLayer(ctx, 'upnorm', up(sub, outer, bias)));
    if (dropout) u = ctx.dropout(u, `block${i}`);
    return parts([h, u]);
  };
  const down = at(0, () => convLayer(g, 'down', parts(x), spec[0].inner, 4, { stride: 2, pad: 1, bias: convBias(ctx) }));
  const sub = inner(1, down);
  const y = at(0, () => up(sub, spec[0].outer, true));
  return o.tanh === false ? y : tanh(y);
}

/** The noise channel: each pixel of class c holds noise[c]. layout [N,C,H,W], noise [N,C] → [N,1,H,W]. */
export function noiseChannel(layout: Tensor, noise: Tensor): Tensor {
  const [n, c, h, w] = layout.shape;
  const flat = reshape(layout, [n, c, (h as number) * (w as number)]);
  const mixed = matMul(reshape(noise, [n, 1, c]), flat);
  return reshape(mixed, [n, 1, h, w]);
}

/** The pix2pix generator: U-Net over [layout one-hot, noise channel]. Output in [-1, 1]. */
export function pix2pixGenerator(ctx: ModelContext, layout: Tensor, noise: Tensor, o: UNetOptions): Tensor {
  return unet(ctx, [layout, noiseChannel(layout, noise)], o);
}

export interface PatchGanOptions {
  /** Base channel count (ndf). */
  width: number;
  layers?: number;
}

/** The PatchGAN on [condition, image]: one logit per 70x70 patch (n_layers 3). */
export function patchGan(ctx: ModelContext, x: Tensor, o: PatchGanOptions): Tensor {
  const g = ctx.graph;
  const n = o.layers ?? 3;
  let h = leakyRelu(convLayer(g, 'conv0', x, o.width, 4, { stride: 2, pad: 1 }), 0.2);
  let mult = 1;
  for (let i = 1; i <= n; i++) {
    mult = Math.min(2 ** i, 8);
    const stride = i < n ? 2 : 1;
    h = convLayer(g, `conv${i}`, h, o.width * mult, 4, { stride, pad: 1, bias: convBias(ctx) });
    h = leakyRelu(normLayer(ctx, `norm${i}`, h), 0.2);
  }
  return convLayer(g, `conv${n + 1}`, h, 1, 4, { stride: 1, pad: 1 });
}
