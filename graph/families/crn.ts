// CRN (Chen & Koltun) with Yang et al.'s per-class noise as an extra input channel: a cascade trained on a
// content loss alone (no discriminator), plus the diversity loss.
import { add, mul } from '../ops/elementwise.js';
import { concat, reshape, slice } from '../ops/shape.js';
import { mean } from '../ops/reduce.js';
import { toUnit } from '../losses.js';
import { noiseChannel } from '../models/pix2pix.js';
import { bestOfNLoss, contentLoss, meanContentLoss } from '../perceptual.js';
import { TrainingOptions } from '../spec.js';
import { Batch, Forward, Objective, passesTogether } from '../programs/batch.js';
import { CASCADE_TRAINING, cascade, cascadeSizeProblem } from './cascade.js';
import { needNoise, noiseOnly } from './noise.js';
import { ModelFamily } from './family.js';

/**
 * The content loss on G(l, 0) and, weighted by o.noiseContentWeight, on G(l, n): without the second term
 * G(l, n) is tied to nothing but the diversity bound, so the noisy images are never trained (docs/design.md,
 * "Quality on the fixture"). Both passes go through the feature network as one batch. With pairwise
 * diversity and --pass-content best, crn-multi's best-of-n over the two passes instead.
 */
function crnContent(o: TrainingOptions, f: Forward, batch: Batch): Objective {
  const image = batch.image;
  const best = f.divLoss && o.diversity === 'pairwise' && o.passContent === 'best';
  if (!best && (!f.divLoss || o.noiseContentWeight === 0)) {
    const zero = meanContentLoss(o.perceptual, toUnit(f.fakeZero), image);
    return { total: zero, terms: [['content', zero]] };
  }
  const b = image.shape[0] as number;
  const [, ch, h, w] = f.fakes.shape as number[];
  const sampleMajor = passesTogether(f.fakes, b);
  if (best) {
    const better = bestOfNLoss(o.perceptual, { minWeight: o.multiMinWeight, meanWeight: o.multiMeanWeight }, reshape(sampleMajor, [b, 2 * ch, h, w]), batch.layout, image);
    return { total: better, terms: [['content_best', better]] };
  }
  const perPass = reshape(contentLoss(o.perceptual, toUnit(sampleMajor), image), [b, 2]);
  const noisy = mean(slice(perPass, [1], [0], [1]));
  const zero = mean(slice(perPass, [1], [1], [2]));
  return {
    total: add(zero, mul(noisy, o.noiseContentWeight)),
    terms: [
      ['content', zero],
      ['content_noise', noisy],
    ],
  };
}

export const crnFamily: ModelFamily = {
  kind: 'crn',
  // the per-class noise needs classes: conditioned on a normal map or landmarks, crn is Chen & Koltun's
  // deterministic cascade (one image per input), the baseline of He et al.'s Table 3
  conditions: ['labels', 'image', 'landmarks'],
  defaultChannels: 1024,
  sizeProblem: (h, w, text) => cascadeSizeProblem(h, w, text, true),
  buildSpec: (base) => ({ ...base }),
  metadata: () => ({}),
  readMetadata: (base) => ({ ...base }),
  variationInputs: (spec) => (spec.condition ? [] : noiseOnly(spec)),
  generator: (ctx, spec, x) => cascade(ctx, spec, spec.condition ? x.layout : concat([x.layout, noiseChannel(x.layout, needNoise(spec, x))], 1), 3),
  branches: () => 1,
  searchesNoise: true,
  objective: (_spec, o, f, batch) => crnContent(o, f, batch),
  fingerprint: () => ({}),
  contentNetwork: true,
  noiseContent: true,
  defaults: { lr: 1e-4, lrPolicy: 'constant', betaRampFraction: 0, options: { ...CASCADE_TRAINING, noiseContentWeight: 1 } },
  options: {
    noiseContent: (_spec, diversity) => diversity !== 'none',
    passContent: (_spec, diversity) => diversity === 'pairwise',
    noiseSearch: (_spec, diversity) => diversity !== 'none',
  },
  noDiversityReason: (spec) => (spec.condition ? `--input ${spec.condition.kind} takes no per-class noise (it needs the classes of label maps)` : undefined),
};
