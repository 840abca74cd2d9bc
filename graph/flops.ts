// Floating-point operation counts of the matrix-heavy nodes (Conv, ConvTranspose, MatMul, Gemm),
// for GFLOP/s figures in benchmarks.
import { Graph, Node } from './tensor.js';

function prod(a: readonly (number | string)[]): number {
  return a.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1), 1);
}

function nodeFlops(n: Node): number {
  const [x, w] = n.inputs;
  const y = n.outputs[0];
  switch (n.op.name) {
    case 'Conv': // 2 · |Y| · (Cin/group · kh · kw)
      return 2 * prod(y.shape) * prod(w.shape.slice(1));
    case 'ConvTranspose': // 2 · |X| · (Cout/group · kh · kw)
      return 2 * prod(x.shape) * prod(w.shape.slice(1));
    case 'MatMul':
      return 2 * prod(y.shape) * (x.shape[x.rank - 1] as number);
    case 'Gemm':
      return 2 * prod(y.shape) * (n.attrs.transA ? (x.shape[0] as number) : (x.shape[1] as number));
    default:
      return 0;
  }
}

/** FLOPs of every recorded node (gradient nodes included: build the graph first, then count). */
export function countFlops(g: Graph): number {
  return g.nodes.reduce((s, n) => s + nodeFlops(n), 0);
}
