// A convolution of a channel concatenation, concat(parts, 1), as the sum of each part's convolution with
// its slice of the weight's input channels: the same products summed in another order, so equal up to
// float rounding. An inference graph built so has no Concat to copy and no reorder of the joined tensor
// into onnxruntime's blocked layout; onnxruntime accumulates each Add into the convolution before it.
// Why and where: docs/performance.md.
import { Tensor } from '../tensor.js';
import { ConvOptions, conv2d } from './conv.js';
import { add } from './elementwise.js';
import { concat, slice } from './shape.js';

/** One tensor's channels, or the parts that a Concat along channels would join. */
export type Channels = Tensor | readonly Tensor[];

export function channelCount(x: Channels): number {
  return isParts(x) ? x.reduce((n, p) => n + (p.shape[1] as number), 0) : (x.shape[1] as number);
}

function isParts(x: Channels): x is readonly Tensor[] {
  return Array.isArray(x);
}

/** x, or its first part (whose batch and spatial dimensions all parts share). */
export function firstPart(x: Channels): Tensor {
  return isParts(x) ? x[0] : x;
}

/** The tensor the parts make (one Concat), or x itself. */
export function joined(x: Channels): Tensor {
  return isParts(x) ? (x.length === 1 ? x[0] : concat([...x], 1)) : x;
}

/** f of each part, or of x (f elementwise, so the same values as f of the joined tensor). */
export function eachPart(x: Channels, f: (t: Tensor) => Tensor): Channels {
  return isParts(x) ? x.map(f) : f(x);
}

/** conv2d of the joined parts (weight [Cout, Cin, kh, kw]): one Conv per part, summed, the bias once. */
export function conv2dOfParts(x: Channels, w: Tensor, b: Tensor | undefined, o: ConvOptions): Tensor {
  if (!isParts(x) || x.length === 1) return conv2d(joined(x), w, b, o);
  let sum: Tensor | undefined;
  let from = 0;
  for (const [i, part] of x.entries()) {
    const c = part.shape[1] as number;
    const y = conv2d(part, slice(w, [1], [from], [from + c]), i === 0 ? b : undefined, o);
    sum = sum ? add(sum, y) : y;
    from += c;
  }
  return sum!;
}
