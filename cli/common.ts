// Options and checks shared by several commands: classes, sizes, model kinds.
import { ClassInfo, GeneratorSpec, ModelKind, MODEL_KINDS, PASS_CONTENTS } from '../graph/spec.js';
import { FamilyOption, familyOf, optionApplies, takesNoise } from '../graph/families/index.js';
import { DiversityMode } from '../graph/losses.js';
import { CodeKind, trainingCodes } from '../train/codes.js';
import { NormKind } from '../graph/models/layers.js';
import { DATA_FORMATS, DIRECTIONS } from '../train/datasets.js';
import { genericPalette, loadPalette } from '../common/palettes.js';
import { OptSpec, Parsed } from './args.js';
import { usageError } from '../common/errors.js';
import { PerceptualSpec } from '../graph/perceptual.js';
import { choosePerceptual, parseTaps } from '../runtime/perceptual-file.js';

export const classOptions: OptSpec[] = [
  { name: 'classes', type: 'int', min: 1, max: 1024, help: 'number of classes (named class0…, built-in colours)', meta: 'C' },
  { name: 'palette', type: 'string', help: 'class names and colours: cmp-facades, cityscapes or FILE.json', meta: 'P' },
];

export function resolveClasses(o: Parsed): ClassInfo[] {
  const c = o.classes as number | undefined;
  const p = o.palette as string | undefined;
  if (c === undefined && p === undefined) throw usageError('give --classes C or --palette P');
  if (p !== undefined) {
    const classes = loadPalette(p);
    if (c !== undefined && c !== classes.length) throw usageError(`--classes ${c} does not match palette '${p}' with ${classes.length} classes`);
    return classes;
  }
  return genericPalette(c!);
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

export const modelOption: OptSpec = { name: 'model', type: 'enum', choices: MODEL_KINDS, help: 'generator architecture', meta: 'pix2pix|crn|crn-multi|latent' };

/** --data, --format, --direction: where images come from (`what` says what they are for). */
export function dataOptions(what: string): OptSpec[] {
  return [
    { name: 'data', type: 'string', help: `${what}: 'fixture' (bundled procedural facades) or a dataset folder`, meta: 'PATH|fixture' },
    { name: 'format', type: 'enum', choices: DATA_FORMATS, default: 'pix2pix', help: 'dataset format of --data PATH (pairs: PATH/layouts/NAME.png + PATH/photos/NAME.jpg|png)' },
    { name: 'direction', type: 'enum', choices: DIRECTIONS, default: 'AtoB', help: 'pix2pix aligned folders: AtoB means A (left) is the layout (CMP Facades: BtoA)' },
  ];
}

export const seedOption: OptSpec = {
  name: 'seed',
  type: 'int',
  min: 0,
  max: 2 ** 32 - 1,
  default: 0,
  help: 'seed of the initial weights (and of data order, noise and masks when training)',
  meta: 'N',
};

export const archOptions: OptSpec[] = [
  { name: 'size', type: 'string', help: 'S (pix2pix, a power of two >= 32) or HxW', meta: 'S' },
  { name: 'width', type: 'int', min: 1, max: 4096, help: 'base channel count (pix2pix ngf: 64; crn: modules below 128 px, 1024)', meta: 'W' },
  { name: 'norm', type: 'enum', choices: ['instance', 'batch', 'none'], default: 'instance', help: 'normalisation: affine instance norm, or batch norm with running statistics at inference' },
  { name: 'images', type: 'int', min: 1, max: 256, default: 9, help: 'crn-multi: images per pass', meta: 'N' },
  { name: 'branches', type: 'int', min: 1, max: 256, default: 8, help: 'latent: training codes (branches)', meta: 'N' },
  { name: 'split', type: 'enum', choices: ['early', 'late'], default: 'early', help: 'latent: code dropout early (after --split-depth) or late (before the output conv)' },
  { name: 'split-depth', type: 'int', min: 0, max: 16, default: 2, help: 'latent, early split: after this CRN module (0: the 4-pixel-high one)', meta: 'K' },
  { name: 'sharing', type: 'enum', choices: ['shared', 'separate'], default: 'shared', help: 'latent: one network for all codes, or the layers after the split per branch' },
  { name: 'drop-rate', type: 'float', min: 0, max: 0.99, default: 0.5, help: 'latent: channel c is kept iff z_c > r', meta: 'R' },
  { name: 'codes', type: 'enum', choices: ['binary', 'uniform'], default: 'binary', help: "latent: training codes 0/1 (authors' release) or uniform (paper)" },
  { name: 'with-noise', type: 'flag', help: 'latent: also take per-class noise (trained with the diversity loss)' },
];

export function generatorSpec(o: Parsed): GeneratorSpec {
  const model = o.model as ModelKind | undefined;
  if (!model) throw usageError('option --model is required');
  if (o.size === undefined) throw usageError('option --size is required');
  const [height, width] = parseSize(model, o.size as string);
  const family = familyOf(model);
  // pix2pix: ngf; crn and latent: the width of modules below 128 px of height
  const channels = (o.width as number | undefined) ?? family.defaultChannels;
  const base = { model, classes: resolveClasses(o), height, width, channels, norm: o.norm as NormKind };
  const seed = o.seed as number;
  try {
    return family.buildSpec(base, {
      images: o.images as number,
      branches: o.branches as number,
      split: o.split as 'early' | 'late',
      splitDepth: o['split-depth'] as number,
      sharing: o.sharing as 'shared' | 'separate',
      dropRate: o['drop-rate'] as number,
      withNoise: Boolean(o['with-noise']),
      // the training codes are drawn from --seed (train/codes.ts)
      trainingCodes: (n: number, dim: number) => trainingCodes(seed, n, dim, o.codes as CodeKind, o['drop-rate'] as number),
    });
  } catch (e) {
    throw usageError((e as Error).message);
  }
}

/** The content loss's network (crn, crn-multi): --features, else --segmenter's encoder, else pixels. */
export const perceptualOptions: OptSpec[] = [
  { name: 'features', type: 'string', help: 'feature network for the content loss (VGG-19 exported from torchvision or the ONNX zoo)', meta: 'FILE.onnx' },
  { name: 'feature-taps', type: 'string', help: "its layers and weights, NAME=W,… (default for VGG: conv1_2..conv5_2 with CRN's weights)", meta: 'TAPS' },
  { name: 'feature-norm', type: 'enum', choices: ['imagenet', 'none'], default: 'imagenet', help: 'input normalisation the feature network expects' },
  { name: 'keep-max-pool', type: 'flag', help: "keep the feature network's max-pools (CRN swaps them for average pools)" },
  { name: 'segmenter', type: 'string', help: "without --features: the content loss uses this segmenter's encoder (from divsyn train-segmenter)", meta: 'S.onnx' },
];

export function choosePerceptualFromOptions(o: Parsed, spec: GeneratorSpec): PerceptualSpec {
  const taps = o['feature-taps'] === undefined ? undefined : parseTaps(o['feature-taps'] as string);
  if (taps && o.features === undefined) throw usageError('--feature-taps needs --features');
  return choosePerceptual({
    features: o.features as string | undefined,
    taps,
    norm: o['feature-norm'] as 'imagenet' | 'none',
    keepMaxPool: Boolean(o['keep-max-pool']),
    segmenter: o.segmenter as string | undefined,
    height: spec.height,
    width: spec.width,
  });
}

export const passContentOption: OptSpec = {
  name: 'pass-content',
  type: 'enum',
  choices: PASS_CONTENTS,
  help: "crn --diversity pairwise: the content loss on each noisy pass, or per class on the better one (best: crn-multi's loss over the two passes) (default each)",
};

export const noiseSearchOption: OptSpec = {
  name: 'noise-search',
  type: 'int',
  min: 1,
  max: 64,
  meta: 'K',
  help: "crn with a diversity loss: the first pass's noise is, per class, the best of K random candidates by the class-wise content loss at the current parameters (K forward-only images per sample a step, in the training graph; default 1: random)",
};

export const diversityPoolOption: OptSpec = {
  name: 'diversity-pool',
  type: 'int',
  min: 1,
  max: 256,
  meta: 'F',
  help: 'the diversity loss compares the images (and layout) average-pooled over F x F blocks, so that fine texture alone cannot meet the bound (default 1: pixels)',
};

/** Who takes each option that only some families take, as usage errors name them. */
const FAMILY_OPTION_TAKERS: Record<FamilyOption, string> = {
  ndf: 'pix2pix (the only model with a discriminator)',
  'noise-content': 'crn and latent --with-noise, with a diversity loss',
  'pass-content': 'crn with --diversity pairwise',
  'noise-search': 'crn with a diversity loss',
  neighbours: '--model latent',
  'code-interp': 'a latent model',
};

/** Options that only some models use: naming one for another model is a usage error, not a silent no-op. */
export function checkModelOptions(o: Parsed, spec: GeneratorSpec): void {
  const diversity = (o.diversity ?? 'bounded') as DiversityMode;
  const withDiversity = diversity !== 'none';
  const model = `--model ${spec.model}${takesNoise(spec) && !withDiversity ? ' with --diversity none' : ''}`;
  const given = (option: string) => o[option] !== undefined && !(option === 'neighbours' && o[option] === 0);
  for (const option of ['ndf', 'noise-content', 'pass-content', 'noise-search', 'neighbours'] as const)
    if (given(option) && !optionApplies(option, spec, diversity)) throw usageError(`--${option} applies to ${FAMILY_OPTION_TAKERS[option]}, not ${model}`);
  const noisy = (option: string) => {
    if (o[option] !== undefined && !(takesNoise(spec) && withDiversity)) throw usageError(`--${option} applies to models trained with a diversity loss, not ${model}`);
  };
  noisy('beta-ramp');
  noisy('diversity-pool');
  const pool = o['diversity-pool'] as number | undefined;
  if (pool && (spec.height % pool || spec.width % pool)) throw usageError(`--diversity-pool ${pool} does not divide the size ${spec.height}x${spec.width}`);
}

/** A usage error unless option `option` (given) applies to spec; `what` says what the file is. */
export function checkFamilyOption(option: FamilyOption, spec: GeneratorSpec, what: string): void {
  if (!optionApplies(option, spec, 'none')) throw usageError(`option --${option} needs ${FAMILY_OPTION_TAKERS[option]}; ${what} is ${spec.model}`);
}
