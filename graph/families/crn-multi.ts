// CRN's own diversity baseline (Chen & Koltun): n images per pass from one cascade, trained by the
// class-wise best-of-n content loss; takes no noise. The file's `code` input, one-hot [N, n], picks the image.
import { Tensor } from '../tensor.js';
import { reshape } from '../ops/shape.js';
import { matMul } from '../ops/matmul.js';
import { bestOfNLoss } from '../perceptual.js';
import { GeneratorSpec } from '../spec.js';
import { CASCADE_TRAINING, cascade, cascadeSizeProblem } from './cascade.js';
import { ModelFamily } from './family.js';

/** crn-multi's images per pass. */
function imagesOf(spec: GeneratorSpec): number {
  const n = spec.images ?? 0;
  if (!Number.isInteger(n) || n < 1) throw new Error(`crn-multi needs a positive number of images, got ${spec.images}`);
  return n;
}

/** The image chosen by a one-hot code [N, n]: Σ_u code_u · image_u, so a batch may mix choices. */
function chooseImage(all: Tensor, code: Tensor): Tensor {
  const [, c3, h, w] = all.shape;
  const n = (c3 as number) / 3;
  const flat = reshape(all, [all.shape[0], n, 3 * (h as number) * (w as number)]);
  return reshape(matMul(reshape(code, [code.shape[0], 1, n]), flat), [all.shape[0], 3, h, w]);
}

export const crnMulti: ModelFamily = {
  kind: 'crn-multi',
  conditions: ['labels'],
  defaultChannels: 1024,
  sizeProblem: (h, w, text) => cascadeSizeProblem(h, w, text, true),
  buildSpec: (base, arch) => ({ ...base, images: arch.images }),
  metadata: (spec) => ({ 'divsyn.code_dim': String(spec.images), 'divsyn.images': String(spec.images) }),
  readMetadata(base, metadata) {
    const images = Number(metadata['divsyn.images']);
    if (!(Number.isInteger(images) && images > 0)) throw new Error('crn-multi file without a valid divsyn.images');
    return { ...base, images };
  },
  variationInputs: (spec) => [{ name: 'code', dim: imagesOf(spec), values: 'one-hot', range: [0, 1], axis: 'image' }],
  generator(ctx, spec, x) {
    const all = cascade(ctx, spec, x.layout, 3 * imagesOf(spec));
    return x.code ? chooseImage(all, x.code) : all;
  },
  branches: () => 1,
  searchesNoise: false,
  objective(_spec, o, f, batch) {
    const best = bestOfNLoss(o.perceptual, { minWeight: o.multiMinWeight, meanWeight: o.multiMeanWeight }, f.fakes, batch.layout, batch.image);
    return { total: best, terms: [['multi', best]] };
  },
  fingerprint: (spec) => ({ images: spec.images }),
  contentNetwork: true,
  noiseContent: false,
  defaults: { lr: 1e-4, lrPolicy: 'constant', betaRampFraction: 0, options: { ...CASCADE_TRAINING, diversity: 'none' } },
  options: { images: () => true },
  noDiversityReason: (spec) => `crn-multi takes no noise (its diversity comes from its ${spec.images} images); leave --diversity out`,
};
