// Options shared by several commands, declared once (one spelling, one default, one help text), and the
// specs and checks built from them: classes, sizes, model kinds, feature networks, per-class λ.
import { ClassInfo, GeneratorSpec, INPUT_KINDS, InputKind, ModelKind, MODEL_KINDS, PASS_CONTENTS, defaultLambda } from '../graph/spec.js';
import { FAMILIES, FamilyOption, ModelFamily, familyOf, modelsTaking, optionApplies, takesNoise } from '../graph/families/index.js';
import { conditionSpec } from '../graph/condition.js';
import { DEFAULT_SIGMA, checkInputOptions, conditionGeneratorSpec } from '../train/condition-training.js';
import { FACE_POINTS } from '../fixtures/faces.js';
import { DIVERSITY_MODES, DiversityMode, GAN_MODES } from '../graph/losses.js';
import { PerceptualSpec } from '../graph/perceptual.js';
import { CODE_KINDS, trainingCodes } from '../train/codes.js';
import { NORM_KINDS } from '../graph/models/layers.js';
import { DATA_FORMATS, DIRECTIONS } from '../train/datasets.js';
import { classIndex, genericPalette, loadPalette } from '../common/palettes.js';
import { usageError } from '../common/errors.js';
import { EP_CHOICES } from '../runtime/session.js';
import { FEATURE_NORMS } from '../runtime/features.js';
import { choosePerceptual, parseTaps } from '../runtime/perceptual-file.js';
import { choice, flag, flagName, float, int, str } from './options.js';

export const threadsOption = { threads: int({ min: 1, max: 256, help: 'onnxruntime intra-op threads (default: all cores)', meta: 'T' }) };
export const epOption = { ep: choice(EP_CHOICES, { default: 'cpu', help: 'execution provider (auto tries cuda, webgpu, cpu)' }) };
export const forceOption = (what: string) => ({ force: flag({ help: what }) });

export const seedOption = (help = 'seed of the initial weights (and of data order, noise and masks when training)') => ({
  seed: int({ min: 0, max: 2 ** 32 - 1, default: 0, help, meta: 'N' }),
});

export const directionOption = {
  direction: choice(DIRECTIONS, { default: 'AtoB', help: 'pix2pix aligned folders: AtoB means A (left) is the layout (CMP Facades: BtoA)' }),
};

export const classOptions = {
  classes: int({ min: 1, max: 1024, help: 'number of classes (named class0…, built-in colours)', meta: 'C' }),
  palette: str({ help: 'class names and colours: cmp-facades, cityscapes or FILE.json', meta: 'P' }),
};

/** --data, --format, --direction: where images come from (`what` says what they are for). */
export const dataOptions = (what: string) => ({
  data: str({
    help: `${what}: 'fixture' (bundled procedural facades; with --input image the bundled heads with normal maps, with --input landmarks the bundled faces with 68 landmarks) or a dataset folder (--input image: PATH/normals/ and PATH/photos/; landmarks: PATH/landmarks/ and PATH/photos/)`,
    meta: 'PATH|fixture',
  }),
  format: choice(DATA_FORMATS, { default: 'pix2pix', help: 'dataset format of --data PATH (pairs: PATH/layouts/NAME.png + PATH/photos/NAME.jpg|png)' }),
  ...directionOption,
});

export const modelOption = { model: choice(MODEL_KINDS, { help: 'generator architecture' }) };

/** --input and --sigma: what conditions the generator (graph/condition.ts), for the commands that build one. */
export const inputOptions = {
  input: choice(INPUT_KINDS, {
    default: 'labels',
    help: `what conditions the generator: label maps; image: a normal map (RGB PNG, read as x, y, z in [-1, 1]); landmarks: one Gaussian heat map per point (.pts or "x y" files); image and landmarks: --model ${modelsTaking('image').join(' or ')}, without a diversity loss or classes`,
  }),
  sigma: float({ min: 0.01, max: 1000, help: `--input landmarks: σ of the heat maps in pixels at the model's size (default ${DEFAULT_SIGMA})`, meta: 'PX' }),
};

/** --points: the heat maps of a landmarks model built without data (init, export-training). */
export const pointsOption = {
  points: int({ min: 1, max: 4096, help: `--input landmarks: points per file, one heat map each (default ${FACE_POINTS}, the 68-point scheme)`, meta: 'K' }),
};

export const archOptions = {
  size: str({ help: 'S (pix2pix, a power of two >= 32) or HxW', meta: 'S' }),
  width: int({ min: 1, max: 4096, help: `base channel count (pix2pix: ngf; CRN: of the modules below 128 px) (default: ${familyDefaults((f) => f.defaultChannels)})`, meta: 'W' }),
  norm: choice(NORM_KINDS, { default: 'instance', help: 'normalisation: affine instance norm, or batch norm with running statistics at inference' }),
  images: int({ min: 1, max: 256, default: 9, help: 'crn-multi: images per pass', meta: 'N' }),
  branches: int({ min: 1, max: 256, default: 8, help: 'latent: training codes (branches)', meta: 'N' }),
  split: choice(['early', 'late'] as const, { default: 'early', help: 'latent: code dropout early (after --split-depth) or late (before the output conv)' }),
  splitDepth: int({ min: 0, max: 16, default: 2, help: 'latent, early split: after this CRN module (0: the 4-pixel-high one)', meta: 'K' }),
  sharing: choice(['shared', 'separate'] as const, { default: 'shared', help: 'latent: one network for all codes, or the layers after the split per branch' }),
  dropRate: float({ min: 0, max: 0.99, default: 0.5, help: 'latent: channel c is kept iff z_c > r', meta: 'R' }),
  codes: choice(CODE_KINDS, { default: 'binary', help: "latent: training codes 0/1 (authors' release) or uniform (paper)" }),
  withNoise: flag({ help: 'latent: also take per-class noise (trained with the diversity loss)' }),
};

/** The families' defaults of one setting, as help texts give them: "pix2pix 0.1, crn 10, ...". */
export function familyDefaults(pick: (f: ModelFamily) => unknown): string {
  return MODEL_KINDS.map((k) => `${k} ${String(pick(FAMILIES[k]))}`).join(', ');
}

/** The training objective's options, shared by train and export-training. */
export const objectiveOptions = {
  diversity: choice(DIVERSITY_MODES, {
    help: 'diversity loss (default bounded; pairwise: the bound between two noisy passes G(l, n1), G(l, n2), weighted by |n1 - n2|; none: one pass with random noise, the baseline; crn-multi: none)',
  }),
  beta: float({ min: 0, help: `diversity loss weight (default: ${familyDefaults((f) => f.defaults.options.beta ?? 0.1)})`, meta: 'B' }),
  betaRamp: int({ min: 0, help: "steps over which β ramps in linearly from 0 (default: pix2pix half of the steps, as the authors' code; others 0, off)", meta: 'N' }),
  lambda: str({ help: 'bound λ_c: V, or V1,…,VC, or V,CLASS=V,… (default 0.3; a class named void 0)', meta: 'L' }),
  passContent: choice(PASS_CONTENTS, {
    help: "crn --diversity pairwise: the content loss on each noisy pass, or per class on the better one (best: crn-multi's loss over the two passes) (default each)",
  }),
  noiseSearch: int({
    min: 1,
    max: 64,
    meta: 'K',
    help: "crn with a diversity loss: the first pass's noise is, per class, the best of K random candidates by the class-wise content loss at the current parameters (default 1: random)",
  }),
  diversityPool: int({ min: 1, max: 256, meta: 'F', help: 'the diversity loss compares the images (and layout) average-pooled over F x F blocks (default 1: pixels)' }),
  noiseContent: float({ min: 0, help: 'crn, latent --with-noise: weight of the content (latent: assigned) loss on G(l, n) besides G(l, 0) (default 1; 0: G(l, 0) alone)', meta: 'W' }),
  ganMode: choice(GAN_MODES, { default: 'vanilla', help: 'GAN objective' }),
  ndf: int({ min: 1, max: 4096, help: 'pix2pix: discriminator base width (default: --width)', meta: 'N' }),
  batch: int({ min: 1, max: 1024, default: 1, help: 'batch size', meta: 'B' }),
};

/** The feature network of a content loss or a measure: --features, its taps and normalisation. */
export const featureNetworkOptions = {
  features: str({ help: 'feature network (VGG-19 exported from torchvision or the ONNX zoo, or any network with input [N,3,H,W])', meta: 'FILE.onnx' }),
  featureTaps: str({ help: "its layers and weights, NAME=W,… (default for VGG: conv1_2..conv5_2 with CRN's weights; other networks: their outputs)", meta: 'TAPS' }),
  featureNorm: choice(FEATURE_NORMS, { default: 'imagenet', help: 'input normalisation the feature network expects' }),
};

/** The content loss's network (crn, crn-multi, latent): --features, else --segmenter's encoder, else pixels. */
export const perceptualOptions = {
  ...featureNetworkOptions,
  keepMaxPool: flag({ help: "keep the feature network's max-pools (CRN swaps them for average pools)" }),
  segmenter: str({ help: "without --features: the content loss uses this segmenter's encoder (from divsyn train-segmenter)", meta: 'S.onnx' }),
};

export function resolveClasses(o: { classes?: number; palette?: string }): ClassInfo[] {
  if (o.classes === undefined && o.palette === undefined) throw usageError('give --classes C or --palette P');
  if (o.palette !== undefined) {
    const classes = loadPalette(o.palette);
    if (o.classes !== undefined && o.classes !== classes.length) throw usageError(`--classes ${o.classes} does not match palette '${o.palette}' with ${classes.length} classes`);
    return classes;
  }
  return genericPalette(o.classes!);
}

/** S or HxW, checked against the family's size rule (pix2pix: a square power of two >= 32; CRN: multiples of 8). */
export function parseSize(model: ModelKind, v: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(v);
  if (!m) throw usageError(`option --size: '${v}' is not S or HxW`);
  const h = Number(m[1]);
  const w = m[2] ? Number(m[2]) : h;
  const problem = familyOf(model).sizeProblem(h, w, v);
  if (problem) throw usageError(`option --size: ${problem}`);
  return [h, w];
}

type ArchValues = { model?: ModelKind; size?: string; width?: number; seed: number; classes?: number; palette?: string } & {
  [K in 'norm' | 'images' | 'branches' | 'split' | 'splitDepth' | 'sharing' | 'dropRate' | 'codes' | 'withNoise']: (typeof archOptions)[K] extends { kind: 'flag' }
    ? boolean
    : (typeof archOptions)[K] extends { choices: readonly (infer C)[] }
      ? C
      : number;
};

/**
 * The spec of a model built without data (init, export-training): label maps as generatorSpec, or for
 * --input image|landmarks the condition (landmarks: --points heat maps of σ --sigma), its usage errors first
 * (checkInputOptions: no classes, no diversity loss).
 */
export function inputSpec(o: ArchValues & { input: InputKind; sigma?: number; points?: number; diversity?: string }, given: ReadonlySet<string>, command: string): GeneratorSpec {
  if (!o.model) throw usageError('option --model is required');
  checkInputOptions({ model: o.model, input: o.input, command, given, values: { diversity: o.diversity } });
  if (given.has('points') && o.input !== 'landmarks') throw usageError(`--points applies to --input landmarks (the heat maps' count), not --input ${o.input}`);
  if (o.input === 'labels') return generatorSpec(o);
  if (o.size === undefined) throw usageError('option --size is required');
  const [height, width] = parseSize(o.model, o.size);
  const condition = conditionSpec(o.input, { points: o.points ?? FACE_POINTS, sigma: o.sigma ?? DEFAULT_SIGMA });
  return conditionGeneratorSpec({ ...o, model: o.model, height, width, channels: o.width }, condition);
}

/** The generator's spec from --model, --size, the classes and the family's own options. */
export function generatorSpec(o: ArchValues): GeneratorSpec {
  if (!o.model) throw usageError('option --model is required');
  if (o.size === undefined) throw usageError('option --size is required');
  const [height, width] = parseSize(o.model, o.size);
  const family = familyOf(o.model);
  const base = { model: o.model, classes: resolveClasses(o), height, width, channels: o.width ?? family.defaultChannels, norm: o.norm };
  try {
    return family.buildSpec(base, {
      images: o.images,
      branches: o.branches,
      split: o.split,
      splitDepth: o.splitDepth,
      sharing: o.sharing,
      dropRate: o.dropRate,
      withNoise: o.withNoise,
      // the training codes are drawn from --seed (train/codes.ts)
      trainingCodes: (n: number, dim: number) => trainingCodes(o.seed, n, dim, o.codes, o.dropRate),
    });
  } catch (e) {
    throw usageError((e as Error).message);
  }
}

export function choosePerceptualFromOptions(
  o: { features?: string; featureTaps?: string; featureNorm: 'imagenet' | 'none'; keepMaxPool: boolean; segmenter?: string },
  spec: { height: number; width: number },
): PerceptualSpec {
  const taps = o.featureTaps === undefined ? undefined : parseTaps(o.featureTaps);
  if (taps && o.features === undefined) throw usageError('--feature-taps needs --features');
  return choosePerceptual({ features: o.features, taps, norm: o.featureNorm, keepMaxPool: o.keepMaxPool, segmenter: o.segmenter, height: spec.height, width: spec.width });
}

/** --lambda V, V1,…,VC, or V,CLASS=V,… (a default and per-class values; a 'void' class keeps 0 unless named). */
export function parseLambda(v: string | undefined, spec: GeneratorSpec): number[] {
  const c = spec.classes.length;
  if (v === undefined) return defaultLambda(spec.classes);
  const parts = v.split(',').map((s) => s.trim());
  const num = (s: string) => {
    const x = Number(s);
    if (s === '' || !Number.isFinite(x) || x < 0) throw usageError(`option --lambda: '${s}' is not a non-negative number`);
    return x;
  };
  if (parts.length === c && parts.every((p) => !p.includes('='))) return parts.map(num);
  const plain = parts.filter((p) => !p.includes('='));
  if (plain.length > 1) throw usageError(`option --lambda: give one value, ${c} values, or a value and CLASS=V pairs; got '${v}'`);
  const out = defaultLambda(spec.classes, plain.length ? num(plain[0]) : undefined);
  for (const p of parts.filter((q) => q.includes('='))) {
    const [name, val] = p.split('=');
    out[classIndex(spec.classes, name)] = num(val);
  }
  return out;
}

/** Who takes each option that only some families take, as usage errors name them. */
const FAMILY_OPTION_TAKERS: Record<FamilyOption, string> = {
  ndf: 'pix2pix (the only model with a discriminator)',
  noiseContent: 'crn and latent --with-noise, with a diversity loss',
  passContent: 'crn with --diversity pairwise',
  noiseSearch: 'crn with a diversity loss',
  images: '--model crn-multi',
  branches: '--model latent',
  split: '--model latent',
  splitDepth: '--model latent',
  sharing: '--model latent',
  dropRate: '--model latent',
  codes: '--model latent',
  withNoise: '--model latent',
  neighbours: '--model latent',
  theta: '--model latent',
  colourClusters: '--model latent',
  warmup: '--model latent',
  codeInterp: 'a latent model',
};

const flagOf = (key: string) => `--${flagName(key)}`;

/**
 * Options that only some models use, given for another model, are usage errors, not silent no-ops. `given`:
 * the options the user typed (defaults are not checked).
 */
export function checkModelOptions(given: ReadonlySet<string>, spec: GeneratorSpec, diversity: DiversityMode | undefined): void {
  const mode = diversity ?? 'bounded';
  const withDiversity = mode !== 'none';
  const model = `--model ${spec.model}${takesNoise(spec) && !withDiversity ? ' with --diversity none' : ''}`;
  for (const option of Object.keys(FAMILY_OPTION_TAKERS) as FamilyOption[])
    if (given.has(option) && !optionApplies(option, spec, mode)) throw usageError(`${flagOf(option)} applies to ${FAMILY_OPTION_TAKERS[option]}, not ${model}`);
  for (const option of ['betaRamp', 'diversityPool'])
    if (given.has(option) && !(takesNoise(spec) && withDiversity)) throw usageError(`${flagOf(option)} applies to models trained with a diversity loss, not ${model}`);
}

/** A usage error unless option `option` (given) applies to spec; `what` names the file. */
export function checkFamilyOption(option: FamilyOption, spec: GeneratorSpec, what: string): void {
  if (!optionApplies(option, spec, 'none')) throw usageError(`option ${flagOf(option)} needs ${FAMILY_OPTION_TAKERS[option].replace(/^--model (\S+)$/, 'a $1 model')}; ${what} is ${spec.model}`);
}

/** "1 layout", "3 layouts". */
export const plural = (n: number, noun: string) => `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : /(s|x|ch|sh)$/.test(noun) ? 'es' : 's'}`;

/** The diversity mode spec trains with: none where its family takes no noise; usage errors where the choice does not suit it. */
function resolveDiversity(spec: GeneratorSpec, given: DiversityMode | undefined): DiversityMode | undefined {
  const family = familyOf(spec);
  const noDiversity = family.noDiversityReason?.(spec);
  if (noDiversity && given !== undefined && given !== 'none') throw usageError(`--diversity ${given}: ${noDiversity}`);
  const diversity = noDiversity ? 'none' : given;
  const needsDiversity = family.needsDiversityReason?.(spec);
  if (needsDiversity && diversity === 'none') throw usageError(needsDiversity);
  return diversity;
}

/** The checks every command that builds training programs makes: the diversity mode, the options given, the pool. */
export function checkTrainingOptions(spec: GeneratorSpec, o: { diversity?: DiversityMode; diversityPool?: number }, given: ReadonlySet<string>): DiversityMode | undefined {
  const diversity = resolveDiversity(spec, o.diversity);
  checkModelOptions(given, spec, diversity);
  const pool = o.diversityPool;
  if (pool && (spec.height % pool || spec.width % pool)) throw usageError(`--diversity-pool ${pool} does not divide the size ${spec.height}x${spec.width}`);
  return diversity;
}
