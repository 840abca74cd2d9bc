// Layers that own parameters: small factories over the builder's ops. A ModelContext says whether the
// graph trains or infers, so one model function serves both graphs.
import { Graph, Init, Tensor } from '../tensor.js';
import { concat } from '../ops/shape.js';
import { convTranspose2d } from '../ops/conv.js';
import { Channels, channelCount, conv2dOfParts, joined } from '../ops/conv-parts.js';
import { TransposedConvChoice, subpixelConvTranspose, transposedConvForm } from '../ops/subpixel.js';
import { batchNormInfer, batchNormTrain, instanceNorm } from '../ops/norm.js';
import { add, mul, stopGradient } from '../ops/elementwise.js';

export type NormKind = 'instance' | 'batch' | 'none';
export const NORM_KINDS: readonly NormKind[] = ['instance', 'batch', 'none'];

export interface ModelContext {
  readonly graph: Graph;
  readonly mode: 'train' | 'infer';
  readonly norm: NormKind;
  /**
   * Dropout at a named site. Training: x times a mask that enters as a graph input (0 or 1/(1-p), drawn on
   * the host), shared by the passes that the batch repeats. Inference: identity (the expected value).
   */
  dropout(x: Tensor, site: string): Tensor;
  /** Where batch norm reports new running statistics; absent where none are kept (inference, D). */
  readonly runningStats?: BufferUpdate[];
  /** How stride-2 transposed convolutions are built (ops/subpixel.ts); absent: as ConvTranspose. */
  readonly transposedConv?: TransposedConvChoice;
  /** Convolutions of channel concatenations as one per part, summed (ops/conv-parts.ts); absent: joined. */
  readonly splitConcats?: boolean;
}

/** A running statistic and its value after this step (batch norm in training). */
export interface BufferUpdate {
  buffer: Tensor;
  value: Tensor;
}

export interface MaskSite {
  name: string;
  shape: number[];
}

/** Training context: collects one mask input per dropout site. */
export function trainingContext(
  graph: Graph,
  norm: NormKind,
  maskBatch: number,
  o: { trackRunningStats?: boolean } = {},
): ModelContext & { masks: MaskSite[]; maskInputs: Tensor[]; bufferUpdates: BufferUpdate[] } {
  const masks: MaskSite[] = [];
  const maskInputs: Tensor[] = [];
  const bufferUpdates: BufferUpdate[] = [];
  return {
    graph,
    mode: 'train',
    norm,
    masks,
    maskInputs,
    bufferUpdates,
    // the discriminator never infers, so its running statistics are not kept
    runningStats: o.trackRunningStats ? bufferUpdates : undefined,
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

/** How an inference graph is formed where equal forms differ in speed (graph/ops/subpixel.ts). */
export interface InferenceForm {
  transposedConv?: TransposedConvChoice;
  /** Default true: see ModelContext.splitConcats. */
  splitConcats?: boolean;
}

/** The inference graph formed as the training graph's forward pass is (tests and benches compare with it). */
export const TRAINING_FORM: Readonly<InferenceForm> = Object.freeze({ transposedConv: 'convTranspose', splitConcats: false });

/** Inference context: dropout is the identity; by default the fastest equal forms. */
export function inferenceContext(graph: Graph, norm: NormKind, form: InferenceForm = {}): ModelContext {
  return { graph, mode: 'infer', norm, dropout: (x) => x, transposedConv: form.transposedConv ?? 'fastest', splitConcats: form.splitConcats ?? true };
}

const pix2pixInit: Init = { kind: 'normal', std: 0.02 };

export interface ConvLayerOptions {
  stride?: number;
  pad?: number;
  bias?: boolean;
  init?: Init;
  /** convTransposeLayer: ConvTranspose or its phase convolutions (the same values; ops/subpixel.ts). */
  transposedConv?: TransposedConvChoice;
}

/** A convolution of x; of x in parts, one convolution per part, summed (ops/conv-parts.ts). */
export function convLayer(g: Graph, name: string, x: Channels, cout: number, k: number, o: ConvLayerOptions = {}): Tensor {
  return g.scope(name, () => {
    const w = g.param('weight', [cout, channelCount(x), k, k], o.init ?? pix2pixInit);
    const b = o.bias === false ? undefined : g.param('bias', [cout], { kind: 'zeros' });
    return conv2dOfParts(x, w, b, { stride: o.stride ?? 1, pad: o.pad ?? 0 });
  });
}

/** A transposed convolution of x; of x in parts, as convLayer, where its form is phase convolutions. */
export function convTransposeLayer(g: Graph, name: string, x: Channels, cout: number, k: number, o: ConvLayerOptions = {}): Tensor {
  return g.scope(name, () => {
    const w = g.param('weight', [channelCount(x), cout, k, k], o.init ?? pix2pixInit);
    const b = o.bias === false ? undefined : g.param('bias', [cout], { kind: 'zeros' });
    const [stride, pad] = [o.stride ?? 1, o.pad ?? 0];
    const form = transposedConvForm(o.transposedConv ?? 'convTranspose', x, w, stride, pad);
    if (form !== 'convTranspose') return subpixelConvTranspose(x, w, b, form);
    return convTranspose2d(joined(x), w, b, { stride, pad });
  });
}

/** pix2pix: convolutions followed by batch norm have no bias (the norm's shift replaces it). */
export function convBias(ctx: ModelContext): boolean {
  return ctx.norm !== 'batch';
}

const BN_MOMENTUM = 0.1;

/**
 * The context's normalisation with a per-channel scale and shift: affine instance norm; batch norm with
 * batch statistics in training and running statistics at inference (momentum 0.1, unbiased running
 * variance, as PyTorch); identity for 'none'.
 */
export function normLayer(ctx: ModelContext, name: string, x: Tensor): Tensor {
  if (ctx.norm === 'none') return x;
  const g = ctx.graph;
  const c = x.shape[1] as number;
  return g.scope(name, () => {
    if (ctx.norm === 'instance') return instanceNorm(x, g.param('weight', [c], { kind: 'ones' }), g.param('bias', [c], { kind: 'zeros' }));
    const weight = g.param('weight', [c], { kind: 'normal', mean: 1, std: 0.02 });
    const bias = g.param('bias', [c], { kind: 'zeros' });
    const running = () => g.withGroup('buffer', () => ({ mean: g.param('running_mean', [c], { kind: 'zeros' }), variance: g.param('running_var', [c], { kind: 'ones' }) }));
    if (ctx.mode === 'infer') {
      const r = running();
      return batchNormInfer(x, weight, bias, r.mean, r.variance);
    }
    const bn = batchNormTrain(x, weight, bias);
    if (ctx.runningStats) {
      const r = running();
      const count = (x.shape as number[]).reduce((n, d, i) => (i === 1 ? n : n * d), 1);
      const unbiased = mul(stopGradient(bn.variance), count / Math.max(1, count - 1));
      ctx.runningStats.push(
        { buffer: r.mean, value: add(mul(r.mean, 1 - BN_MOMENTUM), mul(stopGradient(bn.mean), BN_MOMENTUM)) },
        { buffer: r.variance, value: add(mul(r.variance, 1 - BN_MOMENTUM), mul(unbiased, BN_MOMENTUM)) },
      );
    }
    return bn.y;
  });
}
