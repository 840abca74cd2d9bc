// Which network the content loss runs on (CRN, latent models): a feature network file (VGG-19 from the
// ONNX model zoo or torchvision), else the encoder of a segmenter from `divsyn train-segmenter`, else
// pixels only. The choice is described so that the run can say which it uses.
import { FeatureNorm, FeatureTap, PerceptualSpec, activationOutputs, vggContentTaps } from '../graph/perceptual.js';
import { PIXELS_ONLY } from '../graph/spec.js';
import { modelError, usageError } from '../common/errors.js';
import { readFeatureNetwork } from './feature-file.js';
import { readSegmenter } from './segmenter-file.js';

export interface PerceptualChoice {
  /** A feature network file (--features). */
  features?: string;
  /** Taps as NAME=WEIGHT pairs (--feature-taps); default: CRN's layers for a VGG stack. */
  taps?: FeatureTap[];
  norm?: FeatureNorm;
  /** Keep the network's max-pools (CRN averages them). */
  keepMaxPool?: boolean;
  /** A segmenter file (--segmenter) whose encoder serves when no feature network is given. */
  segmenter?: string;
  /** The training size, which a segmenter of fixed size must match. */
  height: number;
  width: number;
}

/** --feature-taps NAME=W,NAME=W,…: value names of the network with their weights. */
export function parseTaps(text: string, option = '--feature-taps'): FeatureTap[] {
  return text.split(',').map((part) => {
    const m = /^(.+)=([^=]+)$/.exec(part.trim());
    const weight = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(weight)) throw usageError(`option ${option}: '${part}' is not NAME=WEIGHT`);
    return { name: m[1], weight };
  });
}

export function choosePerceptual(c: PerceptualChoice): PerceptualSpec {
  if (c.features) {
    const { bytes } = readFeatureNetwork(c.features);
    const taps = c.taps ?? vggContentTaps(bytes);
    if (!taps)
      throw modelError(`feature network '${c.features}' is not a VGG-16/19 feature stack (it has ${activationOutputs(bytes).length} ReLUs): name its layers with --feature-taps NAME=WEIGHT,…`);
    const kind = c.taps ? `${taps.length} chosen layers` : `${[16, 18].includes(activationOutputs(bytes).length) ? 'VGG-19' : 'VGG-16'} conv1_2..conv5_2 with CRN's weights`;
    return { bytes, taps, pixelWeight: 1, norm: c.norm ?? 'imagenet', maxPoolAsAverage: !c.keepMaxPool, description: `features of ${c.features} (${kind})` };
  }
  if (c.segmenter) {
    const seg = readSegmenter(c.segmenter);
    const [, , sh, sw] = seg.imageShape;
    if ((typeof sh === 'number' && sh !== c.height) || (typeof sw === 'number' && sw !== c.width))
      throw modelError(`segmenter '${c.segmenter}' takes ${sh}x${sw} images, the model makes ${c.height}x${c.width}: give --features, or a segmenter of this size`);
    // the U-Net encoder's activations: LeakyReLU in pix2pix's down path (the decoder uses ReLU)
    const encoder = activationOutputs(seg.bytes, ['LeakyRelu']);
    if (!encoder.length) throw modelError(`segmenter '${c.segmenter}' has no LeakyReLU encoder layers to take features from`);
    return {
      bytes: seg.bytes,
      taps: encoder.map((name) => ({ name, weight: 1 / encoder.length })),
      pixelWeight: 1,
      norm: 'none',
      maxPoolAsAverage: true,
      description: `the encoder of segmenter ${c.segmenter} (${encoder.length} layers)`,
    };
  }
  return PIXELS_ONLY;
}
