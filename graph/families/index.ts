// The model-family registry: every model kind's module, found by its kind. A kind without a family is a
// type error here, and nothing outside graph/families/ compares the kind to a string.
import { Tensor } from '../tensor.js';
import { DiversityMode } from '../losses.js';
import { ModelContext } from '../models/layers.js';
import type { GeneratorInputs } from '../programs/batch.js';
import { GeneratorSpec, ModelKind, PIXELS_ONLY, TrainingOptions, defaultLambda } from '../spec.js';
import { crnFamily } from './crn.js';
import { crnMulti } from './crn-multi.js';
import { ConditionKind, FamilyOption, ModelFamily, VariationInput } from './family.js';
import { latent } from './latent.js';
import { pix2pix } from './pix2pix.js';

export const FAMILIES: Record<ModelKind, ModelFamily> = { pix2pix, crn: crnFamily, 'crn-multi': crnMulti, latent };

export function familyOf(spec: GeneratorSpec | ModelKind): ModelFamily {
  return FAMILIES[typeof spec === 'string' ? spec : spec.model];
}

/** The generator file's per-sample inputs besides the layout, in the order the host packs them: noise, then code. */
export const variationInputs = (spec: GeneratorSpec): VariationInput[] => familyOf(spec).variationInputs(spec);

/** Whether model `kind` may be conditioned on input kind `input`. */
export const acceptsInput = (kind: ModelKind, input: ConditionKind): boolean => FAMILIES[kind].conditions.includes(input);

/** The model kinds that may be conditioned on input kind `input`. */
export const modelsTaking = (input: ConditionKind): ModelKind[] => (Object.keys(FAMILIES) as ModelKind[]).filter((k) => acceptsInput(k, input));

/** Whether the generator takes per-class noise. */
export const takesNoise = (spec: GeneratorSpec): boolean => variationInputs(spec).some((v) => v.name === 'noise');

/** Families trained against a discriminator (pix2pix); the others train on a content loss alone. */
export const usesDiscriminator = (spec: GeneratorSpec): boolean => familyOf(spec).discriminatorObjective !== undefined;

/** Whether the first pass's noise is searched (crn with a diversity loss and --noise-search K > 1). */
export const searchesNoise = (spec: GeneratorSpec, o: TrainingOptions): boolean => familyOf(spec).searchesNoise && o.diversity !== 'none' && o.noiseSearch > 1;

/** Whether the host assigns targets to the branches each step from the loss matrix (latent). */
export const assignsTargets = (spec: GeneratorSpec): boolean => familyOf(spec).lossMatrix !== undefined;

/** Whether option `option` (one that only some families take) applies to spec trained with `diversity`. */
export const optionApplies = (option: FamilyOption, spec: GeneratorSpec, diversity: DiversityMode): boolean => familyOf(spec).options[option]?.(spec, diversity) ?? false;

/** The training options: the family's defaults under the common ones, under what is given. */
export function defaultTrainingOptions(spec: GeneratorSpec, o: Partial<TrainingOptions> = {}): TrainingOptions {
  const own = familyOf(spec).defaults.options;
  const pick = <K extends keyof TrainingOptions>(key: K, fallback: TrainingOptions[K]): TrainingOptions[K] => o[key] ?? own[key] ?? fallback;
  return {
    diversity: pick('diversity', 'bounded'),
    beta: pick('beta', 0.1),
    betaRampSteps: pick('betaRampSteps', 0),
    lambda: pick('lambda', defaultLambda(spec.classes)),
    diversityPool: pick('diversityPool', 1),
    gan: pick('gan', 'vanilla'),
    l1Weight: pick('l1Weight', 100),
    batch: pick('batch', 1),
    dChannels: pick('dChannels', spec.channels),
    adamBeta1: pick('adamBeta1', 0.5),
    adamBeta2: pick('adamBeta2', 0.999),
    noiseContentWeight: pick('noiseContentWeight', 0),
    passContent: pick('passContent', 'each'),
    noiseSearch: pick('noiseSearch', 1),
    perceptual: pick('perceptual', PIXELS_ONLY),
    neighbours: pick('neighbours', 0),
    multiMinWeight: pick('multiMinWeight', 0.999),
    multiMeanWeight: pick('multiMeanWeight', 0.001),
  };
}

export type { ArchValues, BaseSpec, CodeSet, ConditionKind, FamilyOption, ModelFamily, VariationInput } from './family.js';
export { MAX_SIDE, sideBoundProblem } from './family.js';

/** The generator of spec's family (one function for the inference and the training graphs). */
export const generator = (ctx: ModelContext, spec: GeneratorSpec, x: GeneratorInputs): Tensor => familyOf(spec).generator(ctx, spec, x);
