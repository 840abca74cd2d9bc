// AveragePool and MaxPool (2-D, floor mode).
// AveragePool's gradient is a depthwise ConvTranspose with a ones kernel after dividing by each window's
// divisor (a host constant, so count_include_pad either way is exact); MaxPool's scatters dY through
// the argmax indices that MaxPool itself returns: a window with tied maxima gives all of its gradient to
// the first of them, as onnxruntime's index and PyTorch's max_pool2d do (ReduceMax splits ties instead,
// as PyTorch's amax does).
import { AnyOpDef, OpDef, ShapeError, Tensor, fmtShape } from '../tensor.js';
import { num } from '../shapes.js';
import { convTranspose2d } from './conv.js';
import { div } from './elementwise.js';
import { expand, reshape } from './broadcast.js';

export interface PoolAttrs {
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
  countIncludePad: boolean;
}
export type PoolOptions = Partial<{ stride: number; pad: number; countIncludePad: boolean }>;

function poolShape(op: string, x: Tensor, a: PoolAttrs): [number, number] {
  if (x.rank !== 4) throw new ShapeError(op, `expects NCHW, got ${fmtShape(x.shape)}`);
  const out = (n: number, ax: 0 | 1) => Math.floor((n + a.pads[ax] + a.pads[ax + 2] - a.kernel[ax]) / a.strides[ax]) + 1;
  const h = out(num(op, x.shape[2]), 0);
  const w = out(num(op, x.shape[3]), 1);
  if (h < 1 || w < 1) throw new ShapeError(op, `kernel ${a.kernel} does not fit ${fmtShape(x.shape)}`);
  return [h, w];
}

function onnxAttrs(a: PoolAttrs) {
  return { kernel_shape: a.kernel, strides: a.strides, pads: a.pads };
}

/** How many real (unpadded, or padded if counted) pixels each output window averages. */
function divisors(x: Tensor, a: PoolAttrs, oh: number, ow: number): Float32Array {
  const [H, W] = [x.shape[2] as number, x.shape[3] as number];
  const out = new Float32Array(oh * ow);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      if (a.countIncludePad) {
        out[i * ow + j] = a.kernel[0] * a.kernel[1];
        continue;
      }
      const h0 = i * a.strides[0] - a.pads[0];
      const w0 = j * a.strides[1] - a.pads[1];
      const hs = Math.min(h0 + a.kernel[0], H) - Math.max(h0, 0);
      const ws = Math.min(w0 + a.kernel[1], W) - Math.max(w0, 0);
      out[i * ow + j] = hs * ws;
    }
  }
  return out;
}

const AveragePoolOp: OpDef<PoolAttrs> = {
  name: 'AveragePool',
  infer([x], a) {
    return [{ dtype: 'float32', shape: [x.shape[0], x.shape[1], ...poolShape('AveragePool', x, a)] }];
  },
  emit(e, i, o, a) {
    e.node('AveragePool', i, o, { ...onnxAttrs(a), count_include_pad: +a.countIncludePad });
  },
  grad({ inputs: [x], outputs: [y], dOutputs: [dy], attrs: a }) {
    const [oh, ow] = [y.shape[2] as number, y.shape[3] as number];
    const c = x.shape[1] as number;
    const g = x.graph;
    const scaled = div(dy!, g.constant(divisors(x, a, oh, ow), [1, 1, oh, ow]));
    const ones = g.constant(new Float32Array(c * a.kernel[0] * a.kernel[1]).fill(1), [c, 1, ...a.kernel]);
    const natural = (o: number, ax: 0 | 1) => (o - 1) * a.strides[ax] - a.pads[ax] - a.pads[ax + 2] + a.kernel[ax];
    const outputPadding: [number, number] = [(x.shape[2] as number) - natural(oh, 0), (x.shape[3] as number) - natural(ow, 1)];
    return [convTranspose2d(scaled, ones, undefined, { stride: a.strides, pad: a.pads, group: c, outputPadding })];
  },
};

const MaxPoolOp: OpDef<PoolAttrs> = {
  name: 'MaxPool',
  infer([x], a) {
    const shape = [x.shape[0], x.shape[1], ...poolShape('MaxPool', x, a)];
    return [
      { dtype: 'float32', shape },
      { dtype: 'int64', shape },
    ];
  },
  emit(e, i, o, a) {
    e.node('MaxPool', i, o, onnxAttrs(a));
  },
  grad({ inputs: [x], outputs: [, indices], dOutputs: [dy] }) {
    const total = x.size;
    const zeros = expand(x.graph.scalar(0), [total]);
    const flat = scatterAdd(zeros, reshape(indices, [indices.size]), reshape(dy!, [dy!.size]));
    return [reshape(flat, x.shape)];
  },
};

const ScatterAddOp: OpDef<{}> = {
  name: 'ScatterElements',
  infer([data, idx, upd]) {
    if (data.rank !== 1 || idx.rank !== 1 || upd.rank !== 1 || idx.shape[0] !== upd.shape[0])
      throw new ShapeError('ScatterElements', `expects 1-D data, indices and updates of one length, got ${fmtShape(data.shape)}, ${fmtShape(idx.shape)}, ${fmtShape(upd.shape)}`);
    return [{ dtype: data.dtype, shape: data.shape }];
  },
  emit(e, i, o) {
    e.node('ScatterElements', i, o, { axis: 0, reduction: 'add' });
  },
};

function scatterAdd(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
  return data.graph.apply(ScatterAddOp, [data, indices, updates], {})[0];
}

function resolve(kernel: number, o: PoolOptions): PoolAttrs {
  const s = o.stride ?? kernel;
  const p = o.pad ?? 0;
  return { kernel: [kernel, kernel], strides: [s, s], pads: [p, p, p, p], countIncludePad: o.countIncludePad ?? false };
}

export function averagePool(x: Tensor, kernel: number, o: PoolOptions = {}): Tensor {
  return x.graph.apply(AveragePoolOp, [x], resolve(kernel, o))[0];
}

export function maxPool(x: Tensor, kernel: number, o: PoolOptions = {}): Tensor {
  return x.graph.apply(MaxPoolOp, [x], resolve(kernel, o))[0];
}

/** Pooling with full ONNX geometry (used by the ONNX importer). */
export function poolWith(kind: 'average' | 'max', x: Tensor, attrs: PoolAttrs): Tensor {
  return x.graph.apply(kind === 'average' ? AveragePoolOp : MaxPoolOp, [x], attrs)[0];
}

export const poolOps: readonly AnyOpDef[] = [AveragePoolOp, MaxPoolOp, ScatterAddOp];
