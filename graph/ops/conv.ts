// 2-D convolution and transposed convolution (NCHW), with gradients in standard ONNX ops only:
// dX by the adjoint op (ConvTranspose for Conv, or at stride 1 a Conv with the flipped kernel; Conv for
// ConvTranspose), dW by im2col (Pad + k² strided Slices + Concat) and one batched MatMul, which measured
// fastest (docs/design.md#speed).
import { ConvGradientSettings, AnyOpDef, OpDef, ShapeError, Tensor, fmtShape } from '../tensor.js';
import { num } from '../shapes.js';
import { matMul } from './matmul.js';
import { reduceSum, reshape } from './broadcast.js';
import { concat, pad, reverse, slice, transpose } from './shape.js';

export interface ConvAttrs {
  strides: [number, number];
  /** [top, left, bottom, right], as ONNX orders them. */
  pads: [number, number, number, number];
  dilations: [number, number];
  group: number;
}
export interface ConvTransposeAttrs extends ConvAttrs {
  outputPadding: [number, number];
}
export type ConvOptions = Partial<{
  stride: number | [number, number];
  pad: number | [number, number, number, number];
  dilation: number | [number, number];
  group: number;
}>;

function pair(v: number | [number, number] | undefined, d: number): [number, number] {
  return v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;
}

function resolve(o: ConvOptions): ConvAttrs {
  const p = o.pad ?? 0;
  return {
    strides: pair(o.stride, 1),
    pads: typeof p === 'number' ? [p, p, p, p] : p,
    dilations: pair(o.dilation, 1),
    group: o.group ?? 1,
  };
}

// kernel_shape is left for onnxruntime to read off the weight.
function emitAttrs(a: ConvAttrs) {
  return { strides: a.strides, pads: a.pads, dilations: a.dilations, group: a.group };
}

function checkOperands(op: string, x: Tensor, w: Tensor, b: Tensor | undefined, cinPerGroup: number, cout: number, group: number) {
  if (x.rank !== 4 || w.rank !== 4) throw new ShapeError(op, `input ${fmtShape(x.shape)} and weight ${fmtShape(w.shape)} must be 4-D`);
  const cin = num(op, x.shape[1]);
  if (cin % group || cin / group !== cinPerGroup)
    throw new ShapeError(op, `input ${fmtShape(x.shape)} has ${cin} channels; weight ${fmtShape(w.shape)} with group ${group} expects ${cinPerGroup * group}`);
  if (b && (b.rank !== 1 || b.shape[0] !== cout)) throw new ShapeError(op, `bias ${fmtShape(b.shape)} does not match ${cout} output channels of weight ${fmtShape(w.shape)}`);
}

function convOut(op: string, size: number, k: number, s: number, p0: number, p1: number, d: number): number {
  const out = Math.floor((size + p0 + p1 - d * (k - 1) - 1) / s) + 1;
  if (out < 1) throw new ShapeError(op, `kernel ${k} (dilation ${d}) does not fit input extent ${size} with pads ${p0},${p1}`);
  return out;
}

/** The k² strided taps of x (padded) for a kernel sliding over an outH×outW grid, each [D0, D1, outH, outW]. */
function kernelTaps(x: Tensor, kernel: [number, number], a: ConvAttrs, outH: number, outW: number): Tensor[] {
  const [kh, kw] = kernel;
  const [sh, sw] = a.strides;
  const [dh, dw] = a.dilations;
  const xp = pad(x, [0, 0, a.pads[0], a.pads[1], 0, 0, a.pads[2], a.pads[3]]);
  const taps: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) taps.push(slice(xp, [2, 3], [i * dh, j * dw], [i * dh + (outH - 1) * sh + 1, j * dw + (outW - 1) * sw + 1], [sh, sw]));
  }
  return taps;
}

/**
 * Columns of x for a kernel sliding over an outH×outW grid: [N, C·kh·kw, outH·outW], rows ordered
 * (c, i, j) like a flattened [C, kh, kw] weight.
 */
export function im2col(x: Tensor, kernel: [number, number], a: ConvAttrs, outH: number, outW: number): Tensor {
  const [n, c] = [num('im2col', x.shape[0]), num('im2col', x.shape[1])];
  const taps = kernelTaps(x, kernel, a, outH, outW).map((t) => reshape(t, [n, c, 1, outH * outW]));
  return reshape(concat(taps, 2), [n, c * kernel[0] * kernel[1], outH * outW]);
}

/**
 * The same columns with the batch among them: [C·kh·kw, N·outH·outW], columns ordered (n, h, w). Taken
 * from x with its first two axes swapped (a copy k²/stride² times smaller than the columns), so that Σ_n
 * of the weight gradient is the contraction of one MatMul rather than a ReduceSum of N products.
 */
function batchFoldedIm2col(x: Tensor, kernel: [number, number], a: ConvAttrs, outH: number, outW: number): Tensor {
  const [n, c] = [num('im2col', x.shape[0]), num('im2col', x.shape[1])];
  const taps = kernelTaps(transpose(x, [1, 0, 2, 3]), kernel, a, outH, outW).map((t) => reshape(t, [c, 1, n * outH * outW]));
  return reshape(concat(taps, 1), [c * kernel[0] * kernel[1], n * outH * outW]);
}

/** Σ_n a[n] · b[n]ᵀ per group: a [N, G·Ra, P], b [N, G·Rb, P] → [G·Ra, Rb]. */
function groupedOuter(a: Tensor, b: Tensor, group: number): Tensor {
  const [n, ra, p] = a.shape.map((d) => d as number);
  const rb = b.shape[1] as number;
  const ag = reshape(a, [n, group, ra / group, p]);
  const bg = reshape(b, [n, group, rb / group, p]);
  const prod = matMul(ag, transpose(bg, [0, 1, 3, 2]));
  const summed = n === 1 ? prod : reduceSum(prod, [0], true);
  return reshape(summed, [ra, rb / group]);
}

/**
 * Σ_n a[n] · cols(b)[n]ᵀ, the weight gradient by im2col: a [N, Ra, P] (what multiplies the columns),
 * b the tensor whose columns are taken on the P = outH·outW grid; returns [Ra, Rb] per group.
 */
function im2colOuter(a: Tensor, b: Tensor, kernel: [number, number], at: ConvAttrs, outH: number, outW: number): Tensor {
  const n = num('im2col', a.shape[0]);
  if (n === 1 || at.group !== 1) return groupedOuter(a, im2col(b, kernel, at, outH, outW), at.group);
  const ra = num('im2col', a.shape[1]);
  const aFolded = reshape(transpose(reshape(a, [n, ra, outH, outW]), [1, 0, 2, 3]), [ra, n * outH * outW]);
  return matMul(aFolded, transpose(batchFoldedIm2col(b, kernel, at, outH, outW), [1, 0]));
}

/**
 * Σ_n x[n] ⋆ dy[n] as one Conv: channels become the batch and the batch the channels, and dy (dilated by
 * the stride) is the kernel. Returns [x channels, dy channels, kh, kw]. Few nodes, so it wins where a
 * layer is small and per-node overhead dominates; im2col + MatMul wins on large layers
 * (docs/design.md#speed).
 */
function correlateByConv(x: Tensor, dy: Tensor, kernel: [number, number], a: ConvAttrs, s: ConvGradientSettings): Tensor {
  // A large x is padded by the Conv itself, not copied padded beside its transpose (130 MiB at CRN's top
  // module, at the top of the step's memory); a small one is padded first, which measured faster.
  const padInConv = x.size * 4 >= s.padInConvFromBytes;
  const xp = padInConv ? x : pad(x, [0, 0, a.pads[0], a.pads[1], 0, 0, a.pads[2], a.pads[3]]);
  const r = convRaw(transpose(xp, [1, 0, 2, 3]), transpose(dy, [1, 0, 2, 3]), undefined, { strides: [1, 1], pads: padInConv ? a.pads : [0, 0, 0, 0], dilations: a.strides, group: 1 });
  const [dh, dw] = a.dilations;
  return slice(r, [2, 3], [0, 0], [dh * (kernel[0] - 1) + 1, dw * (kernel[1] - 1) + 1], [dh, dw]);
}

/**
 * How weight gradients are built: by im2col + MatMul (fastest on large layers), except by one Conv below
 * `oneConvBelowMacs` multiply-adds (few nodes: per-node overhead dominates small layers) and at most
 * `oneConvMaxWeights` weights (that Conv's result is the gradient with its first two axes swapped, and
 * onnxruntime's Transpose of a large 4-D weight is far slower than an elementwise pass over it:
 * docs/design.md#speed), or where the im2col tensor would exceed `im2colMaxBytes` (at CRN's 256x512 top module it is
 * the largest single tensor of the step, so capping it sets peak memory; the memory and time traded:
 * docs/design.md#memory). A stride-1 Conv's input gradient is a Conv with the flipped kernel where
 * ConvTranspose's column buffer would reach `flippedKernelFromBytes` (inputGradient); smaller layers keep
 * the ConvTranspose, whose form measured no slower there. A weight gradient by one Conv pads an input of
 * `padInConvFromBytes` or more inside that Conv (correlateByConv).
 */
export const defaultConvGradientSettings: Readonly<ConvGradientSettings> = Object.freeze({
  oneConvBelowMacs: 3e7,
  oneConvMaxWeights: 2 ** 16,
  im2colMaxBytes: 256 * 2 ** 20,
  flippedKernelFromBytes: 64 * 2 ** 20,
  padInConvFromBytes: 64 * 2 ** 20,
});

/** Whether dW goes by one Conv: small layers with small weights, grouped ones excluded, or an im2col tensor over the cap. */
function weightGradByConv(s: ConvGradientSettings, group: number, macs: number, colElements: number, weights: number): boolean {
  if (group !== 1) return false;
  return (macs < s.oneConvBelowMacs && weights <= s.oneConvMaxWeights) || colElements * 4 > s.im2colMaxBytes;
}

const ConvOp: OpDef<ConvAttrs> = {
  name: 'Conv',
  infer([x, w, b], a) {
    const [cout, cinG, kh, kw] = w.shape as number[];
    checkOperands('Conv', x, w, b, cinG, cout, a.group);
    if (cout % a.group) throw new ShapeError('Conv', `weight ${fmtShape(w.shape)}: ${cout} outputs not divisible by group ${a.group}`);
    const H = num('Conv', x.shape[2]);
    const W = num('Conv', x.shape[3]);
    const oh = convOut('Conv', H, kh, a.strides[0], a.pads[0], a.pads[2], a.dilations[0]);
    const ow = convOut('Conv', W, kw, a.strides[1], a.pads[1], a.pads[3], a.dilations[1]);
    return [{ dtype: 'float32', shape: [x.shape[0], cout, oh, ow] }];
  },
  emit(e, i, o, a) {
    e.node('Conv', i, o, emitAttrs(a));
  },
  grad({ inputs: [x, w, b], outputs: [y], dOutputs: [dy], attrs: a, settings }) {
    const [cout, , kh, kw] = w.shape as number[];
    const [oh, ow] = [y.shape[2] as number, y.shape[3] as number];
    const H = x.shape[2] as number;
    const W = x.shape[3] as number;
    const natural = (o: number, k: number, ax: 0 | 1) => (o - 1) * a.strides[ax] - a.pads[ax] - a.pads[ax + 2] + a.dilations[ax] * (k - 1) + 1;
    const outputPadding: [number, number] = [H - natural(oh, kh, 0), W - natural(ow, kw, 1)];
    const dx = inputGradient(dy!, w, a, outputPadding, H * W, settings.conv);
    const macs = (x.shape[0] as number) * oh * ow * (w.shape as number[]).reduce((p, d) => p * d, 1);
    if (weightGradByConv(settings.conv, a.group, macs, macs / cout, w.size)) {
      return [dx, transpose(correlateByConv(x, dy!, [kh, kw], a, settings.conv), [1, 0, 2, 3]), b && reduceSum(dy!, [0, 2, 3])];
    }
    const dyFlat = reshape(dy!, [dy!.shape[0], cout, oh * ow]);
    const dw = reshape(im2colOuter(dyFlat, x, [kh, kw], a, oh, ow), w.shape);
    return [dx, dw, b && reduceSum(dy!, [0, 2, 3])];
  },
};

/**
 * dL/dx of a convolution: the ConvTranspose of dy, or at stride 1 (ungrouped, each pad within the kernel's
 * reach) the Conv of dy with the transposed, flipped kernel, which computes the same sums, where that
 * needs much less memory on the way. onnxruntime's CPU ConvTranspose fills a column buffer of Cin·k² floats
 * per pixel of one image (700 MB at CRN's 256x512 top module, on top of the step's activations); its Conv
 * works through bounded blocks, but with a constant kernel (a frozen feature network's, whose flipped
 * kernel folds to a constant) it runs in its blocked layout, with reordered copies of dy and dx,
 * N·(Cin + Cout) floats per pixel (docs/design.md#memory).
 */
function inputGradient(dy: Tensor, w: Tensor, a: ConvAttrs, outputPadding: [number, number], inputPixels: number, s: ConvGradientSettings): Tensor {
  const [cout, cin, kh, kw] = w.shape as number[];
  const reach = [a.dilations[0] * (kh - 1), a.dilations[1] * (kw - 1)];
  const pads = a.pads.map((p, i) => reach[i % 2] - p) as ConvAttrs['pads'];
  const stride1 = a.strides[0] === 1 && a.strides[1] === 1 && a.group === 1 && pads.every((p) => p >= 0);
  const n = dy.shape[0];
  const columnBytes = 4 * cin * kh * kw * inputPixels;
  if (!stride1 || typeof n !== 'number' || columnBytes < s.flippedKernelFromBytes || cin * kh * kw <= n * (cin + cout)) return convTransposeRaw(dy, w, undefined, { ...a, outputPadding });
  return convRaw(dy, reverse(transpose(w, [1, 0, 2, 3]), [2, 3]), undefined, { strides: [1, 1], pads, dilations: a.dilations, group: 1 });
}

const ConvTransposeOp: OpDef<ConvTransposeAttrs> = {
  name: 'ConvTranspose',
  infer([x, w, b], a) {
    const [cin, coutG, kh, kw] = w.shape as number[];
    checkOperands('ConvTranspose', x, w, b, cin / a.group, coutG * a.group, a.group);
    const H = num('ConvTranspose', x.shape[2]);
    const W = num('ConvTranspose', x.shape[3]);
    const out = (n: number, k: number, ax: 0 | 1) => (n - 1) * a.strides[ax] - a.pads[ax] - a.pads[ax + 2] + a.dilations[ax] * (k - 1) + a.outputPadding[ax] + 1;
    a.outputPadding.forEach((p, ax) => {
      if (p >= Math.max(a.strides[ax], a.dilations[ax])) throw new ShapeError('ConvTranspose', `output_padding ${p} must be below stride or dilation`);
    });
    return [{ dtype: 'float32', shape: [x.shape[0], coutG * a.group, out(H, kh, 0), out(W, kw, 1)] }];
  },
  emit(e, i, o, a) {
    e.node('ConvTranspose', i, o, { ...emitAttrs(a), output_padding: a.outputPadding });
  },
  grad({ inputs: [x, w, b], dOutputs: [dy], attrs: a, settings }) {
    const [cin, , kh, kw] = w.shape as number[];
    const [H, W] = [x.shape[2] as number, x.shape[3] as number];
    const dx = convRaw(dy!, w, undefined, a);
    const macs = (x.shape[0] as number) * H * W * (w.shape as number[]).reduce((p, d) => p * d, 1);
    if (weightGradByConv(settings.conv, a.group, macs, macs / cin, w.size)) {
      // dW[ci, co] = Σ x[n, ci] ⋆ dYpad[n, co]: the same correlation with the roles of x and dY swapped
      return [dx, transpose(correlateByConv(dy!, x, [kh, kw], a, settings.conv), [1, 0, 2, 3]), b && reduceSum(dy!, [0, 2, 3])];
    }
    // dY gathered on x's grid by the same geometry: cols[n, (co, i, j), (h, w)] = dYpad[n, co, h·s + i·d, w·s + j·d]
    const xFlat = reshape(x, [x.shape[0], cin, H * W]);
    const dw = reshape(im2colOuter(xFlat, dy!, [kh, kw], a, H, W), w.shape);
    return [dx, dw, b && reduceSum(dy!, [0, 2, 3])];
  },
};

function convRaw(x: Tensor, w: Tensor, b: Tensor | undefined, a: ConvAttrs): Tensor {
  const { strides, pads, dilations, group } = a;
  return x.graph.apply(ConvOp, b ? [x, w, b] : [x, w], { strides, pads, dilations, group })[0];
}

function convTransposeRaw(x: Tensor, w: Tensor, b: Tensor | undefined, a: ConvTransposeAttrs): Tensor {
  return x.graph.apply(ConvTransposeOp, b ? [x, w, b] : [x, w], a)[0];
}

/** Conv with weight [Cout, Cin/group, kh, kw]. */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor, o: ConvOptions = {}): Tensor {
  return convRaw(x, w, b, resolve(o));
}

/** ConvTranspose with weight [Cin, Cout/group, kh, kw]. */
export function convTranspose2d(x: Tensor, w: Tensor, b?: Tensor, o: ConvOptions & { outputPadding?: number | [number, number] } = {}): Tensor {
  return convTransposeRaw(x, w, b, { ...resolve(o), outputPadding: pair(o.outputPadding, 0) });
}

export const convOps: readonly AnyOpDef[] = [ConvOp, ConvTransposeOp];
