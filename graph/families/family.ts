// What a model kind is, in one place: the contract every family module (pix2pix, crn, crn-multi, latent)
// fulfils, so that the programs, the file format, the trainer and the command line ask the family instead of
// comparing the kind to a string.
import { Graph, Tensor } from '../tensor.js';
import { DiversityMode } from '../losses.js';
import { ModelContext } from '../models/layers.js';
import { GeneratorSpec, InputKind, LrPolicy, ModelKind, TrainingOptions } from '../spec.js';
import type { Batch, Forward, GeneratorInputs, Objective } from '../programs/batch.js';

/** What conditions the generator (graph/spec.ts InputKind): label maps, a normal map, landmark heat maps. */
export type ConditionKind = InputKind;

/** A per-sample input besides the layout, in the order the host packs them into one variation vector. */
export interface VariationInput {
  name: 'noise' | 'code';
  dim: number;
  /** How its values are drawn (uniform in `range`) or chosen (one-hot: a single 1 per row). */
  values: 'uniform' | 'one-hot';
  range: [number, number];
  /** What entry c of a row is for: class c (noise), channel c at the split (latent code), image c (crn-multi). */
  axis: 'class' | 'channel' | 'image';
}

/** Fixed codes a model is sampled with (latent: its training codes), and whether new ones may be drawn. */
export interface CodeSet {
  count: number;
  fixed: (k: number) => Float32Array;
  /** New codes U[0,1]^dim may be drawn for samples (latent); else sample k uses fixed code k mod count. */
  drawsNew: boolean;
}

/** A spec before the family adds its own fields. */
export type BaseSpec = Omit<GeneratorSpec, 'images' | 'latent'>;

/** Architecture values a family may read when it builds its spec (from the command line or the API). */
export interface ArchValues {
  images: number;
  branches: number;
  split: 'early' | 'late';
  splitDepth: number;
  sharing: 'shared' | 'separate';
  dropRate: number;
  withNoise: boolean;
  /** The n training codes of dimension dim, drawn on the host (seeded) by the caller. */
  trainingCodes: (n: number, dim: number) => Float32Array;
}

/**
 * The largest side of any model, whatever its family's rule: far beyond the sizes these networks are
 * trained at, and small enough that one image and one layout fit the typed arrays and tensors the host
 * allocates (a side of 2^20 asks for more floats than a typed array can hold).
 */
export const MAX_SIDE = 4096;

/** Why H x W is too small or too large for any family (undefined when it is not). */
export function sideBoundProblem(height: number, width: number, text: string): string | undefined {
  if (height > MAX_SIDE || width > MAX_SIDE) return `each side must be at most ${MAX_SIDE}, got '${text}'`;
  return undefined;
}

/** Options that only some families take; the registry says which family takes which, and when. */
export type FamilyOption =
  | 'ndf'
  | 'noiseContent'
  | 'passContent'
  | 'noiseSearch'
  | 'images'
  | 'branches'
  | 'split'
  | 'splitDepth'
  | 'sharing'
  | 'dropRate'
  | 'codes'
  | 'withNoise'
  | 'neighbours'
  | 'theta'
  | 'colourClusters'
  | 'warmup'
  | 'codeInterp';

/** When an option applies: to this spec, trained with this diversity mode. */
export type OptionRule = (spec: GeneratorSpec, diversity: DiversityMode) => boolean;

export interface TrainingDefaults {
  lr: number;
  lrPolicy: LrPolicy;
  /** β's ramp as a fraction of the run's steps, where there is a diversity loss (0: none). */
  betaRampFraction: number;
  /** The training options this family starts from (the rest are common defaults). */
  options: Partial<TrainingOptions>;
}

export interface ModelFamily {
  kind: ModelKind;
  /** The input kinds the family's generator may be conditioned on (one per model, the spec's condition). */
  conditions: readonly ConditionKind[];
  /** Default base channel count (--width). */
  defaultChannels: number;
  /** Why H x W does not suit this family (a message naming the rule), or undefined. */
  sizeProblem: (height: number, width: number, text: string) => string | undefined;
  /** The spec with the family's own fields (crn-multi: images; latent: its code). Throws Error on bad values. */
  buildSpec: (base: BaseSpec, arch: ArchValues) => GeneratorSpec;
  /** The family's own metadata keys, and reading them back (throws Error on bad values). */
  metadata: (spec: GeneratorSpec) => Record<string, string>;
  readMetadata: (base: BaseSpec, metadata: Record<string, string>) => GeneratorSpec;

  /** The per-sample inputs besides the layout: noise, then code. */
  variationInputs: (spec: GeneratorSpec) => VariationInput[];
  /** Fixed codes to sample with, where the family has them beyond crn-multi's one-hot choice of image. */
  codeSet?: (spec: GeneratorSpec) => CodeSet;
  /**
   * The generator, one function for the inference and the training graphs: images in [-1, 1] [N, 3, H, W].
   * A family with several images per pass (crn-multi) gives them all [N, 3n, H, W] unless x.code chooses one.
   */
  generator: (ctx: ModelContext, spec: GeneratorSpec, x: GeneratorInputs) => Tensor;

  /** Runs of the generator per sample in training (latent: one per training code), sample-major. */
  branches: (spec: GeneratorSpec) => number;
  /** Training inputs of its own besides layout, image and noise (latent: codes, neighbours, assignment). */
  declareBatch?: (g: Graph, spec: GeneratorSpec, o: TrainingOptions, batch: Batch, withAssignment: boolean) => void;
  /** Whether the first pass's noise can be searched (--noise-search). */
  searchesNoise: boolean;
  /** The generator's loss terms without the diversity term. dctx: the discriminator's context, where there is one. */
  objective: (spec: GeneratorSpec, o: TrainingOptions, f: Forward, batch: Batch, dctx: ModelContext) => Objective;
  /** The discriminator's objective, for families trained against one (pix2pix). */
  discriminatorObjective?: (o: TrainingOptions, f: Forward, batch: Batch, dctx: ModelContext) => Tensor;
  /** The loss matrix [B, n, 1 + k] the host assigns targets from (latent). */
  lossMatrix?: (o: TrainingOptions, f: Forward, batch: Batch) => Tensor;
  /** The family's own fields of the resume fingerprint (what must not change across --resume). */
  fingerprint: (spec: GeneratorSpec, o: TrainingOptions) => Record<string, unknown>;
  /** Whether the objective weighs a content loss on G(l, n) (--noise-content), part of the resume fingerprint. */
  noiseContent: boolean;
  defaults: TrainingDefaults;
  /** The options only some families take that this one does, and when. */
  options: Partial<Record<FamilyOption, OptionRule>>;
  /** Whether the objective has a content loss over a feature network (--features, --segmenter). */
  contentNetwork: boolean;
  /** Why spec trains with no diversity loss only (it takes no noise), or undefined. */
  noDiversityReason?: (spec: GeneratorSpec) => string | undefined;
  /** Why spec cannot train without a diversity loss, or undefined. */
  needsDiversityReason?: (spec: GeneratorSpec) => string | undefined;
}
