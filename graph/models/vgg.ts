// A VGG-shaped feature stack (Simonyan & Zisserman) built with the builder: 3×3 convs with ReLU in five
// blocks, 2×2 max-pools between them, laid out as torchvision's `features` module. With random weights it
// stands in for VGG-19 where only shapes and cost matter (the memory benchmark, tests); pretrained weights
// come from a user's file instead.
import { Graph, Tensor } from '../tensor.js';
import { relu } from '../ops/elementwise.js';
import { maxPool } from '../ops/pool.js';
import { convLayer } from './layers.js';
import { emitModel } from '../emit.js';
import { initParams } from '../init.js';

/** Convs per block: VGG-19 (16 convs) and VGG-16 (13). */
export const VGG_BLOCKS = { vgg19: [2, 2, 4, 4, 4], vgg16: [2, 2, 3, 3, 3] } as const;
const BLOCK_WIDTHS = [64, 128, 256, 512, 512];

/**
 * The feature stack over images x [N, 3, H, W] (already normalised), up to the last block's last ReLU (no
 * final pool). Widths are VGG's divided by `shrink` (1: the real network).
 */
export function vggFeatures(g: Graph, x: Tensor, o: { kind?: keyof typeof VGG_BLOCKS; shrink?: number } = {}): Tensor {
  const blocks = VGG_BLOCKS[o.kind ?? 'vgg19'];
  let y = x;
  blocks.forEach((convs, b) => {
    if (b > 0) y = maxPool(y, 2);
    const width = Math.max(1, Math.round(BLOCK_WIDTHS[b] / (o.shrink ?? 1)));
    for (let i = 0; i < convs; i++) {
      const fanIn = (y.shape[1] as number) * 9;
      y = relu(convLayer(g, `conv${b + 1}_${i + 1}`, y, width, 3, { pad: 1, init: { kind: 'kaiming', fanIn } }));
    }
  });
  return y;
}

/**
 * A VGG-19-shaped network over ['N', 3, H, W] with random weights, as ONNX bytes whose outputs are CRN's five
 * taps, named as torchvision's layers (conv1_2 … conv5_2: the ReLUs after the 2nd, 4th, 6th, 10th and 14th
 * convs), and the last ReLU as 'features': the stand-in for a user's VGG-19 file in tests and benchmarks.
 */
export function randomVggFile(o: { height: number; width: number; shrink: number; seed: number }): Uint8Array {
  const g = new Graph();
  const x = g.input('image', ['N', 3, o.height, o.width]);
  const last = vggFeatures(g, x, { shrink: o.shrink });
  const relus = g.nodes.filter((n) => n.op.name === 'Relu').map((n) => n.outputs[0]);
  const taps = ['conv1_2', 'conv2_2', 'conv3_2', 'conv4_2', 'conv5_2'].map((name, i) => [name, relus[[2, 4, 6, 10, 14][i] - 1]] as [string, Tensor]);
  return emitModel(g, { outputs: [...taps, ['features', last]], params: 'initializers', paramValues: initParams(g.params, o.seed) });
}
