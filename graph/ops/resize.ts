// Resize by an integer factor: nearest (pixel replication) and bilinear (half_pixel or align_corners).
// Bilinear resizing is A_h · X · A_wᵀ with constant interpolation matrices built here exactly as
// onnxruntime interpolates, so its gradient is A_hᵀ · dY · A_w: two MatMuls.
import { AnyOpDef, OpDef, ShapeError, Tensor, fmtShape } from '../tensor.js';
import { num } from '../shapes.js';
import { matMul } from './matmul.js';
import { reduceSum, reshape } from './broadcast.js';

export type ResizeMode = 'nearest' | 'bilinear';
export type CoordinateMode = 'half_pixel' | 'align_corners';

interface ResizeAttrs {
  factor: number;
  mode: ResizeMode;
  coordinates: CoordinateMode;
}

/** Row i of the returned [out, n] matrix holds the weights that output i takes from each input. */
export function interpolationMatrix(n: number, out: number, coordinates: CoordinateMode): Float32Array {
  const m = new Float32Array(out * n);
  for (let i = 0; i < out; i++) {
    let x = coordinates === 'align_corners' ? (out === 1 ? 0 : (i * (n - 1)) / (out - 1)) : (i + 0.5) * (n / out) - 0.5;
    x = Math.min(Math.max(x, 0), n - 1);
    const x0 = Math.floor(x);
    const x1 = Math.min(x0 + 1, n - 1);
    const t = x - x0;
    m[i * n + x0] += 1 - t;
    m[i * n + x1] += t;
  }
  return m;
}

function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
}

const ResizeOp: OpDef<ResizeAttrs> = {
  name: 'Resize',
  infer([x], a) {
    if (x.rank !== 4 || !Number.isInteger(a.factor) || a.factor < 1) throw new ShapeError('Resize', `expects NCHW and an integer factor, got ${fmtShape(x.shape)} x${a.factor}`);
    return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], num('Resize', x.shape[2]) * a.factor, num('Resize', x.shape[3]) * a.factor] }];
  },
  emit(e, [x], o, a) {
    const attrs: Record<string, string> =
      a.mode === 'nearest' ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } : { mode: 'linear', coordinate_transformation_mode: a.coordinates };
    e.node('Resize', [x, '', e.float([1, 1, a.factor, a.factor])], o, attrs);
  },
  grad({ inputs: [x], dOutputs: [dy], attrs: a }) {
    const [n, c, h, w] = x.shape as number[];
    const f = a.factor;
    if (a.mode === 'nearest') {
      const blocks = reshape(dy!, [n, c, h, f, w, f]);
      return [reduceSum(blocks, [3, 5])];
    }
    const g = x.graph;
    const ahT = g.constant(transposed(interpolationMatrix(h, h * f, a.coordinates), h * f, h), [h, h * f]);
    const aw = g.constant(interpolationMatrix(w, w * f, a.coordinates), [w * f, w]);
    return [matMul(matMul(ahT, dy!), aw)];
  },
};

export function resize(x: Tensor, factor: number, mode: ResizeMode = 'nearest', coordinates: CoordinateMode = 'half_pixel'): Tensor {
  if (factor === 1) return x;
  return x.graph.apply(ResizeOp, [x], { factor, mode, coordinates })[0];
}

export const resizeOps: readonly AnyOpDef[] = [ResizeOp];
