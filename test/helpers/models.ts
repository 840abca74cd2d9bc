// Small ONNX models the runtime tests run: cost grows with `layers`, so a test can make runs slow enough
// to overlap (the worker pool) or fast.
import * as G from '../../graph/index.js';
import { Graph } from '../../graph/index.js';

/** x [N, 2, 8, 8] through `layers` tanh(conv 3x3) with fixed weights: output y of the same shape. */
export function convStackModel(layers = 40): Uint8Array {
  const g = new Graph();
  const x = g.input('x', ['N', 2, 8, 8]);
  const w = g.constant(
    Float32Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => Math.sin(i)),
    [2, 2, 3, 3],
  );
  let y = x;
  for (let i = 0; i < layers; i++) y = G.tanh(G.conv2d(y, w, undefined, { pad: 1 }));
  return G.emitModel(g, { outputs: [['y', y]], params: 'initializers' });
}
