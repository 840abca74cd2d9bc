// Layers that own parameters: small factories over the builder's ops. A ModelContext says whether the
// graph trains or infers, so one model function serves both graphs.
import { Graph, Init, Tensor } from '../tensor.js';
import { concat } from '../ops/shape.js';
import { conv2d, convTranspose2d } from '../ops/conv.js';
import { instanceNorm } from '../ops/norm.js';
import { mul } from '../ops/elementwise.js';

export type NormKind = 'instance' | 'none';

export interface ModelContext {
  readonly graph: Graph;
  readonly mode: 'train' | 'infer';
  readonly norm: NormKind;
  /**
   * Dropout at a named site. Training: x times a mask that enters as a graph input (0 or 1/(1-p), drawn on
   * the host), shared by the passes that the batch repeats. Inference: identity (the expected value).
   */
  dropout(x: Tensor, site: string): Tensor;
}

export interface MaskSite {
  name: string;
  shape: number[];
}

/** Training context: collects one mask input per dropout site. */
export function trainingContext(graph: Graph, norm: NormKind, maskBatch: number): ModelContext & { masks: MaskSite[]; maskInputs: Tensor[] } {
  const masks: MaskSite[] = [];
  const maskInputs: Tensor[] = [];
  return {
    graph,
    mode: 'train',
    norm,
    masks,
    maskInputs,
    dropout(x, site) {
      const [n, ...rest] = x.shape as number[];
      const shape = [maskBatch, ...rest];
      const name = `mask.${site}`;
      const m = graph.input(name, shape);
      masks.push({ name, shape });
      maskInputs.push(m);
      // the passes of one sample (n = k · maskBatch) share its mask
      const tiled = concat(new Array(n / maskBatch).fill(m), 0);
      return mul(x, tiled);
    },
  };
}

export function inferenceContext(graph: Graph, norm: NormKind): ModelContext {
  return { graph, mode: 'infer', norm, dropout: (x) => x };
}

const pix2pixInit: Init = { kind: 'normal', std: 0.02 };

export interface ConvLayerOptions {
  stride?: number;
  pad?: number;
  bias?: boolean;
  init?: Init;
}

export function convLayer(g: Graph, name: string, x: Tensor, cout: number, k: number, o: ConvLayerOptions = {}): Tensor {
  const cin = x.shape[1] as number;
  return g.scope(name, () => {
    const w = g.param('weight', [cout, cin, k, k], o.init ?? pix2pixInit);
    const b = o.bias === false ? undefined : g.param('bias', [cout], { kind: 'zeros' });
    return conv2d(x, w, b, { stride: o.stride ?? 1, pad: o.pad ?? 0 });
  });
}

export function convTransposeLayer(g: Graph, name: string, x: Tensor, cout: number, k: number, o: ConvLayerOptions = {}): Tensor {
  const cin = x.shape[1] as number;
  return g.scope(name, () => {
    const w = g.param('weight', [cin, cout, k, k], o.init ?? pix2pixInit);
    const b = o.bias === false ? undefined : g.param('bias', [cout], { kind: 'zeros' });
    return convTranspose2d(x, w, b, { stride: o.stride ?? 1, pad: o.pad ?? 0 });
  });
}

/** The context's normalisation with a per-channel scale and shift (identity for 'none'). */
export function normLayer(ctx: ModelContext, name: string, x: Tensor): Tensor {
  if (ctx.norm === 'none') return x;
  const g = ctx.graph;
  const c = x.shape[1] as number;
  return g.scope(name, () => instanceNorm(x, g.param('weight', [c], { kind: 'ones' }), g.param('bias', [c], { kind: 'zeros' })));
}
