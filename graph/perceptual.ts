// Perceptual (content) losses over a frozen feature network imported from ONNX bytes: CRN's content loss
// (Chen & Koltun), its class-wise form for the best-of-n loss, and He et al.'s perceptual L1. The network
// is given as bytes (graph/ does no I/O); without one, the loss falls back to pixels only.
import onnxProto from 'onnx-proto';
import { Graph, Tensor } from './tensor.js';
import { abs, div, mul, neg, sub, add, stopGradient } from './ops/elementwise.js';
import { mean, reduceMax, reduceMean, reduceSum } from './ops/reduce.js';
import { averagePool } from './ops/pool.js';
import { reshape, transpose } from './ops/shape.js';
import { matMul } from './ops/matmul.js';
import { importOnnx } from './import.js';
import { toUnit } from './losses.js';

export type FeatureNorm = 'imagenet' | 'none';
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export interface FeatureTap {
  /** ONNX value name inside the network. */
  name: string;
  weight: number;
}

export interface PerceptualSpec {
  /** The feature network's ONNX bytes; absent: pixels only. */
  bytes?: Uint8Array;
  taps: FeatureTap[];
  /** Weight of the pixel term: the network's (normalised) input, as CRN's 'input' layer. */
  pixelWeight: number;
  norm: FeatureNorm;
  /** CRN's default: the network's max-pools averaged (smoother gradients). */
  maxPoolAsAverage: boolean;
  /** What the loss runs on, for the run's report (e.g. "VGG-19 from vgg.onnx", "pixels only"). */
  description: string;
}

/** CRN's layer weights (Chen & Koltun's released code) at the ReLUs after conv1_2 … conv5_2. */
export const CRN_LAYER_WEIGHTS = [1 / 1.6, 1 / 2.3, 1 / 1.8, 1 / 2.8, 10 / 0.8];
/**
 * Those convolutions' 1-based positions among the ReLUs of VGG-19 and VGG-16, by ReLU count: the feature
 * stack alone (16, 13) or the whole classifier (18, 15; its two extra ReLUs come last).
 */
const VGG19 = [2, 4, 6, 10, 14];
const VGG16 = [2, 4, 6, 9, 12];
const VGG_RELU_INDEX: Record<number, number[]> = { 16: VGG19, 18: VGG19, 13: VGG16, 15: VGG16 };

/** The outputs of the network's activation nodes (by default Relu and LeakyRelu) in order: the natural taps. */
export function activationOutputs(bytes: Uint8Array, ops = ['Relu', 'LeakyRelu']): string[] {
  const graph = onnxProto.onnx.ModelProto.decode(bytes).graph;
  return (graph?.node ?? []).filter((n) => ops.includes(n.opType ?? '')).map((n) => n.output?.[0] ?? '');
}

/**
 * CRN's taps for a VGG-19 or VGG-16 network, or undefined when the network does not
 * have that shape (the caller then asks for explicit taps).
 */
export function vggContentTaps(bytes: Uint8Array): FeatureTap[] | undefined {
  const relus = activationOutputs(bytes);
  const index = VGG_RELU_INDEX[relus.length];
  return index?.map((k, i) => ({ name: relus[k - 1], weight: CRN_LAYER_WEIGHTS[i] }));
}

/** Images in [0, 1] as a feature network expects them: ImageNet mean and std removed, or unchanged. */
export function normaliseImage(image: Tensor, norm: FeatureNorm): Tensor {
  if (norm !== 'imagenet') return image;
  const g = image.graph;
  return div(sub(image, g.constant(Float32Array.from(IMAGENET.mean), [1, 3, 1, 1])), g.constant(Float32Array.from(IMAGENET.std), [1, 3, 1, 1]));
}

/**
 * The network's input (normalised image) and its taps for a batch of images in [0, 1]. `constants` holds
 * the network's weights as graph constants, shared by every pass that is given the same map.
 */
export function features(spec: PerceptualSpec, image: Tensor, constants: Map<string, Tensor>): { input: Tensor; taps: Tensor[] } {
  const input = normaliseImage(image, spec.norm);
  if (!spec.bytes || spec.taps.length === 0) return { input, taps: [] };
  const imported = importOnnx(image.graph, spec.bytes, input, { outputs: spec.taps.map((t) => t.name), maxPoolAsAverage: spec.maxPoolAsAverage, constants });
  return { input, taps: spec.taps.map((t) => imported.outputs.get(t.name)!) };
}

// One copy of the network's weights per graph, and the targets' features once per target tensor, however many
// losses compare with them (crn's noise search compares K candidates' images with the same photos).
const constantsOf = new WeakMap<Graph, WeakMap<PerceptualSpec, Map<string, Tensor>>>();
const targetsOf = new WeakMap<Tensor, WeakMap<PerceptualSpec, { input: Tensor; taps: Tensor[] }>>();

/** The graph's one copy of the network's weights (as constants), for every loss that uses the network. */
export function networkConstants(g: Graph, spec: PerceptualSpec): Map<string, Tensor> {
  let perSpec = constantsOf.get(g);
  if (!perSpec) constantsOf.set(g, (perSpec = new WeakMap()));
  let constants = perSpec.get(spec);
  if (!constants) perSpec.set(spec, (constants = new Map()));
  return constants;
}

/** The targets' features, behind a stop on the gradient, computed once per target tensor and network. */
function targetFeatures(spec: PerceptualSpec, real: Tensor, constants: Map<string, Tensor>): { input: Tensor; taps: Tensor[] } {
  let perSpec = targetsOf.get(real);
  if (!perSpec) targetsOf.set(real, (perSpec = new WeakMap()));
  let f = perSpec.get(spec);
  if (!f) perSpec.set(spec, (f = features(spec, stopGradient(real), constants)));
  return f;
}

/**
 * |φ(fake) − φ(real)| averaged over channels, [N·k, 1, h, w], with its weight, for the pixels and each tap.
 * fakes [N·k, 3, H, W] hold k images per sample (sample-major), all compared with the sample's one real
 * image [N, 3, H, W]. The reals are targets: they pass through the network on their own, behind a stop
 * on the gradient, so the backward pass covers the fakes only (one copy of the network's weights serves
 * both passes).
 */
function layerDifferences(spec: PerceptualSpec, fakes: Tensor, real: Tensor): { weight: number; diff: Tensor }[] {
  const n = real.shape[0] as number;
  const nk = fakes.shape[0] as number;
  const k = nk / n;
  if (!Number.isInteger(k)) throw new Error(`content loss: ${nk} images for ${n} targets`);
  const constants = networkConstants(fakes.graph, spec);
  const f = features(spec, fakes, constants);
  const r = targetFeatures(spec, real, constants);
  const difference = (ft: Tensor, rt: Tensor) => {
    const [, ch, h, w] = ft.shape as number[];
    const d = sub(reshape(ft, [n, k, ch, h, w]), reshape(rt, [n, 1, ch, h, w]));
    return reshape(reduceMean(abs(d), [2]), [nk, 1, h, w]);
  };
  return [{ weight: spec.pixelWeight, diff: difference(f.input, r.input) }, ...spec.taps.map((t, i) => ({ weight: t.weight, diff: difference(f.taps[i], r.taps[i]) }))].filter((l) => l.weight !== 0);
}

/**
 * Σ_l w_l · mean |φ_l(fake) − φ_l(real)|: CRN's content loss and He et al.'s perceptual L1, per fake image
 * [N·k] (k fakes per real, see layerDifferences); images in [0, 1].
 */
export function contentLoss(spec: PerceptualSpec, fakes: Tensor, real: Tensor): Tensor {
  const nk = fakes.shape[0] as number;
  return layerDifferences(spec, fakes, real)
    .map((l) => mul(reshape(reduceMean(l.diff, [1, 2, 3]), [nk]), l.weight))
    .reduce((s, t) => add(s, t));
}

/** The same, as one scalar: the mean over images. */
export function meanContentLoss(spec: PerceptualSpec, fakes: Tensor, real: Tensor): Tensor {
  return mean(contentLoss(spec, fakes, real));
}

/**
 * Class-wise content loss [N·k, C]: for each layer, the channel-mean |Δ| times the class mask area-downsampled
 * to the layer's size, averaged over the layer's pixels (Chen's compute_error), weighted and summed.
 */
export function classwiseContentLoss(spec: PerceptualSpec, fakes: Tensor, real: Tensor, layout: Tensor): Tensor {
  const [n, c, h] = layout.shape as number[];
  const nk = fakes.shape[0] as number;
  const k = nk / n;
  return layerDifferences(spec, fakes, real)
    .map((l) => {
      const lh = l.diff.shape[2] as number;
      if (h % lh) throw new Error(`content loss: a feature map of height ${lh} does not divide the image height ${h}`);
      const lw = l.diff.shape[3] as number;
      const hw = lh * lw;
      const mask = reshape(h === lh ? layout : averagePool(layout, h / lh), [n, c, hw]);
      // Σ over pixels as a batched MatMul [n, c, hw] x [n, hw, k]: no [n, k, c, h, w] intermediate
      const perClass = transpose(matMul(mask, transpose(reshape(l.diff, [n, k, hw]), [0, 2, 1])), [0, 2, 1]);
      return mul(reshape(perClass, [nk, c]), l.weight / hw);
    })
    .reduce((s, t) => add(s, t));
}

/** The weights of CRN's best-of-n loss: per class, minWeight · the best image + meanWeight · the mean. */
export interface BestOfNWeights {
  minWeight: number;
  meanWeight: number;
}

/**
 * CRN's diversity baseline: for each class and sample, the content loss of the best of the n images (weight
 * 0.999) plus the mean over the n images (0.001), summed over classes, averaged over the batch. fakes
 * [B, 3n, H, W] in [-1, 1], image [B, 3, H, W] in [0, 1].
 */
export function bestOfNLoss(spec: PerceptualSpec, w: BestOfNWeights, fakes: Tensor, layout: Tensor, image: Tensor): Tensor {
  const [b, c3, h, wd] = fakes.shape as number[];
  const n = c3 / 3;
  const c = layout.shape[1] as number;
  const images = toUnit(reshape(fakes, [b * n, 3, h, wd]));
  const perImage = reshape(classwiseContentLoss(spec, images, image, layout), [b, n, c]);
  const best = neg(reduceMax(neg(perImage), [1]));
  const perClass = add(mul(best, w.minWeight), mul(reduceMean(perImage, [1]), w.meanWeight));
  return mean(reduceSum(perClass, [1]));
}
