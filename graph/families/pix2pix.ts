// pix2pix (Isola et al.) with Yang et al.'s per-class noise: a U-Net generator trained against a PatchGAN
// discriminator with L1, plus the diversity loss.
import { Tensor } from '../tensor.js';
import { add, mul, stopGradient } from '../ops/elementwise.js';
import { concat } from '../ops/shape.js';
import { ganLoss, l1Loss } from '../losses.js';
import { ModelContext } from '../models/layers.js';
import { patchGan, pix2pixGenerator } from '../models/pix2pix.js';
import { TrainingOptions } from '../spec.js';
import { needNoise, noiseOnly } from './noise.js';
import { ModelFamily, sideBoundProblem } from './family.js';

function discriminator(ctx: ModelContext, o: TrainingOptions, layout: Tensor, image: Tensor): Tensor {
  return ctx.graph.withGroup('D', () => ctx.graph.scope('D', () => patchGan(ctx, concat([layout, image], 1), { width: o.dChannels })));
}

export const pix2pix: ModelFamily = {
  kind: 'pix2pix',
  conditions: ['labels'],
  defaultChannels: 64,
  sizeProblem: (h, w, text) => sideBoundProblem(h, w, text) ?? (h !== w || !Number.isInteger(Math.log2(h)) || h < 32 ? `pix2pix needs a square power of two of at least 32, got '${text}'` : undefined),
  buildSpec: (base) => ({ ...base }),
  metadata: () => ({}),
  readMetadata: (base) => ({ ...base }),
  variationInputs: noiseOnly,
  generator(ctx, spec, x) {
    if (spec.height !== spec.width) throw new Error(`pix2pix needs a square size, got ${spec.height}x${spec.width}`);
    return ctx.graph.withGroup('G', () => pix2pixGenerator(ctx, x.layout, needNoise(spec, x), { width: spec.channels, size: spec.height }));
  },
  branches: () => 1,
  searchesNoise: false,
  objective(_spec, o, f, _batch, dctx) {
    const gan = ganLoss(discriminator(dctx, o, f.layouts, f.fakes), true, o.gan);
    const l1 = l1Loss(f.fakeZero, f.real);
    return {
      total: add(gan, mul(l1, o.l1Weight)),
      terms: [
        ['gan', gan],
        ['l1', l1],
      ],
    };
  },
  discriminatorObjective(o, f, batch, dctx) {
    const fake = ganLoss(discriminator(dctx, o, f.layouts, stopGradient(f.fakes)), false, o.gan);
    const real = ganLoss(discriminator(dctx, o, batch.layout, f.real), true, o.gan);
    return mul(add(fake, real), 0.5);
  },
  fingerprint: () => ({}),
  contentNetwork: false,
  noiseContent: false,
  // Isola et al.: Adam 2e-4, β1 0.5, constant then linear decay; the authors' code ramps β in over half the run
  defaults: { lr: 2e-4, lrPolicy: 'linear', betaRampFraction: 0.5, options: { beta: 0.1, adamBeta1: 0.5 } },
  options: { ndf: () => true },
};
