// What the CRN-based families (crn, crn-multi, latent) share: the size rule of the cascade, the cascade as a
// generator, and the content loss's defaults (Chen & Koltun: Adam β1 0.9, constant learning rate).
import { Tensor } from '../tensor.js';
import { ModelContext } from '../models/layers.js';
import { crn, crnModuleSizes } from '../models/crn.js';
import { GeneratorSpec } from '../spec.js';
import { sideBoundProblem } from './family.js';

/** Each side a multiple of 8 and at least 8; with `cascade`, also sizes the cascade can reach by doubling. */
export function cascadeSizeProblem(height: number, width: number, text: string, cascade: boolean): string | undefined {
  const bound = sideBoundProblem(height, width, text);
  if (bound) return bound;
  if (height % 8 || width % 8 || height < 8 || width < 8) return `each side must be a multiple of 8, got '${text}'`;
  if (!cascade) return undefined;
  try {
    crnModuleSizes(height, width);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/** The CRN cascade on `input` with `outChannels` output channels, in the generator's parameter group. */
export function cascade(ctx: ModelContext, spec: GeneratorSpec, input: Tensor, outChannels: number): Tensor {
  return ctx.graph.withGroup('G', () => crn(ctx, input, { height: spec.height, width: spec.width, channels: spec.channels, outChannels }));
}

/** Defaults of the CRN-based families' training options (β of the bounded loss 10, Adam β1 0.9). */
export const CASCADE_TRAINING = { beta: 10, adamBeta1: 0.9 } as const;
