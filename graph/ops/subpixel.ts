// The stride-2, 4x4, pad-1 ConvTranspose (pix2pix's upsampling) as four ordinary convolutions: output
// pixel (2m + r, 2k + s) sums only the kernel taps of its phase (r, s), a 2x2 window of x, so each phase
// is a 2x2 Conv of x, and the four phase images are interleaved by two Concats. The same products summed
// in another order: equal to the ConvTranspose up to float rounding. The phase weights are Slices of the
// parameter, which onnxruntime folds into constants where the weight is an initializer (inference
// graphs), so a generator file keeps the parameter as it is. Why this form and not others:
// docs/performance.md.
import { ShapeError, Tensor, fmtShape } from '../tensor.js';
import { Channels, conv2dOfParts, firstPart } from './conv-parts.js';
import { concat, reshape, slice, transpose } from './shape.js';

/**
 * How stride-2 4x4 pad-1 transposed convolutions are built: 'convTranspose' as themselves; 'subpixel' all
 * as four phase convolutions; 'merged' all as one convolution with the four phases' output channels;
 * 'fastest' each as the form that measured fastest for its output channels (SUBPIXEL_MIN_CHANNELS).
 */
export type TransposedConvChoice = 'convTranspose' | 'subpixel' | 'merged' | 'fastest';

export type TransposedConvForm = 'convTranspose' | 'phases' | 'merged';

/**
 * Below this many output channels the four phase convolutions lose to the ConvTranspose and to the merged
 * convolution (onnxruntime's blocked Conv kernels pad output channels to blocks of 8 or 16, so four
 * 3-channel convolutions do the work of four 16-channel ones): pix2pix's last layer is merged.
 */
export const SUBPIXEL_MIN_CHANNELS = 32;

/**
 * The form of this ConvTranspose of x (weight [Cin, Cout, kh, kw], no groups) under a choice. 'fastest'
 * merges a 2x2 input's: there each phase Conv's 2x2 kernel would cover the whole input, and
 * onnxruntime-web's WebGPU Conv (1.30) then runs it as a MatMul, checking only the begin pads, so phase
 * (1, 1) (pads 0, 0, 1, 1) comes out wrong; the merged Conv pads by 1 on every side.
 */
export function transposedConvForm(choice: TransposedConvChoice, x: Channels, w: Tensor, stride: number, padding: number): TransposedConvForm {
  if (choice === 'convTranspose' || stride !== 2 || padding !== 1 || w.shape[2] !== 4 || w.shape[3] !== 4) return 'convTranspose';
  if (choice === 'subpixel') return 'phases';
  if (choice === 'merged') return 'merged';
  const [h, wd] = spatial(x);
  if (h === 2 && wd === 2) return 'merged';
  return (w.shape[1] as number) >= SUBPIXEL_MIN_CHANNELS ? 'phases' : 'merged';
}

/**
 * The Conv weight [Cout, Cin, t, t] of phase (r, s) of w [Cin, Cout, 4, 4]: its tap (i, j) is kernel tap
 * (kernelTap(r, i), kernelTap(s, j)).
 */
export function phaseWeight(w: Tensor, r: number, s: number, t: number, kernelTap: (phase: number, i: number) => number): Tensor {
  const taps = (from: Tensor, axis: number, phase: number) =>
    concat(
      Array.from({ length: t }, (_, i) => kernelTap(phase, i)).map((k) => slice(from, [axis], [k], [k + 1])),
      axis,
    );
  return transpose(taps(taps(w, 2, r), 3, s), [1, 0, 2, 3]);
}

/**
 * y[n, c, 2m + r, 2k + s] = p[r][s][n, c, m, k]: the four phase images interleaved (DepthToSpace of their
 * channel concatenation) as two Concats, columns element by element along a new last axis, then rows in
 * blocks of 2W: onnxruntime's Concat copies at several times the speed of its DepthToSpace.
 */
export function interleavePhases(p: readonly (readonly Tensor[])[]): Tensor {
  const [n, c, h, w] = p[0][0].shape as [number | string, number, number, number];
  const row = (r: number) =>
    reshape(
      concat(
        p[r].map((t) => reshape(t, [n, c, h, w, 1])),
        4,
      ),
      [n, c, h, 1, 2 * w],
    );
  return reshape(concat([row(0), row(1)], 3), [n, c, 2 * h, 2 * w]);
}

// phase r of output row 2m + r reads input rows m - 1 + r + i by kernel tap 3 - r - 2i
const phaseTap = (r: number, i: number) => 3 - r - 2 * i;

const spatial = (x: Channels): [number, number] => {
  const [, , h, w] = firstPart(x).shape;
  return [h as number, w as number];
};

/**
 * x [N, Cin, H, W] (or parts of it along channels), w [Cin, Cout, 4, 4], b [Cout] → [N, Cout, 2H, 2W],
 * as ConvTranspose(stride 2, pad 1). form 'phases': four 2x2 Convs, phase (r, s) padded by 1 - r before and
 * r after its rows (columns alike); 'merged': one 2x2 Conv with 4·Cout output channels over x padded by 1
 * all round, whose output row m + r is phase r's row m, so each phase is a Slice of it. Each Conv of parts
 * is the sum of a Conv per part (ops/conv-parts.ts).
 */
export function subpixelConvTranspose(x: Channels, w: Tensor, b: Tensor | undefined, form: 'phases' | 'merged' = 'phases'): Tensor {
  if (w.rank !== 4 || w.shape[2] !== 4 || w.shape[3] !== 4) throw new ShapeError('subpixelConvTranspose', `weight ${fmtShape(w.shape)} is not [Cin, Cout, 4, 4]`);
  const weights = [0, 1, 2, 3].map((q) => phaseWeight(w, q >> 1, q & 1, 2, phaseTap));
  if (form === 'merged') {
    const merged = conv2dOfParts(x, concat(weights, 0), b && concat([b, b, b, b], 0), { pad: 1 });
    const [h, wd] = spatial(x);
    const cout = w.shape[1] as number;
    const phase = (r: number, s: number) => slice(merged, [1, 2, 3], [(2 * r + s) * cout, r, s], [(2 * r + s + 1) * cout, r + h, s + wd]);
    return interleavePhases([
      [phase(0, 0), phase(0, 1)],
      [phase(1, 0), phase(1, 1)],
    ]);
  }
  const phase = (r: number, s: number) => conv2dOfParts(x, weights[2 * r + s], b, { pad: [1 - r, 1 - s, r, s] });
  return interleavePhases([
    [phase(0, 0), phase(0, 1)],
    [phase(1, 0), phase(1, 1)],
  ]);
}
