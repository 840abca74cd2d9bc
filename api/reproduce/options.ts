// The options of `divsyn reproduce` (reproduce() in api/reproduce.ts), declared once for the CLI and the
// library, and the value lists they take.
import { usageError } from '../../common/errors.js';
import { DIRECTIONS } from '../../train/datasets.js';
import { INPUT_KINDS } from '../../graph/spec.js';
import { epOption, forceOption, seedOption, threadsOption } from '../common.js';
import { OptionsInput, OptionValues, choice, float, int, str } from '../options.js';

export const PAPERS = ['yang-facades', 'he-latent'] as const;
export type Paper = (typeof PAPERS)[number];

/** The condition inputs a reproduction trains on (he-latent: all of them; yang-facades: label maps). */
export const INPUTS = INPUT_KINDS;

export const reproduceOptions = {
  paper: choice(PAPERS, { help: "the paper's table to reproduce: yang-facades (Yang et al. Table II) or he-latent (He et al. Tables 1-3)" }),
  data: str({
    help: "'fixture' (the bundled procedural facades; he-latent --input image: the bundled heads, landmarks: the bundled faces) or a dataset root with train/ and test/ (or val/): pix2pix folders, or for --input image normals/ and photos/, landmarks landmarks/ and photos/",
    meta: 'PATH|fixture',
  }),
  direction: choice(DIRECTIONS, { default: 'BtoA', help: 'which half of the pix2pix pairs is the layout (CMP Facades: BtoA)' }),
  palette: str({ default: 'cmp-facades', help: 'the classes of the label maps: cmp-facades, cityscapes or FILE.json', meta: 'P' }),
  input: choice(INPUTS, { default: 'labels', help: 'he-latent: what conditions the generators: label maps, a normal map (image) or 68-point landmark heat maps (landmarks)' }),
  out: str({ help: 'the reproduction folder (run the same command again to continue it)', meta: 'DIR' }),
  size: str({ default: '64', help: 'image size S, a power of two >= 32 (the papers: 256)', meta: 'S' }),
  width: int({ min: 1, max: 4096, default: 16, help: "the generators' base width (the papers: pix2pix 64)", meta: 'W' }),
  steps: int({ min: 1, help: 'training steps per generator (default: yang-facades 2000, he-latent 500: an hour on a 2-core CPU at 64 px; the papers: 200 epochs)', meta: 'N' }),
  epochs: int({ min: 1, help: 'passes over the training data per generator, instead of --steps (the papers: 200)', meta: 'E' }),
  checkpointEvery: int({ min: 1, default: 500, help: "steps between a training's checkpoints", meta: 'N' }),
  segmenterSteps: int({ min: 1, default: 1000, help: 'training steps of the segmenter that measures realism', meta: 'N' }),
  segmenterWidth: int({ min: 1, max: 1024, default: 16, help: "the segmenter's base width", meta: 'W' }),
  samples: int({ min: 2, max: 1000, default: 32, help: "samples per test layout (the papers' protocol: 32)", meta: 'K' }),
  limit: int({ min: 1, help: 'evaluate on at most this many test layouts (default: all)', meta: 'N' }),
  beta: float({ min: 0, default: 0.1, help: "yang-facades: the diversity loss's weight (the paper's 0.1)", meta: 'B' }),
  lambda: float({ min: 0, default: 0.3, help: "yang-facades: the diversity loss's bound (the paper's 0.3)", meta: 'L' }),
  sweepBeta: str({ default: '0.001,0.003,0.01,1', help: "yang-facades: the trade's other weights β, at --lambda ('none': no β sweep)", meta: 'B,…' }),
  sweepLambda: str({ default: '0.1,0.6', help: "yang-facades: the trade's other bounds λ, at --beta ('none': no λ sweep)", meta: 'L,…' }),
  branches: int({ min: 2, max: 64, default: 8, help: 'he-latent: training codes (branches); CRN gets as many images', meta: 'N' }),
  neighbours: int({ min: 1, max: 64, default: 4, help: 'he-latent: neighbour targets per input of the neighbours-enhanced loss', meta: 'K' }),
  theta: float({
    min: 0,
    max: 1,
    help: 'he-latent: neighbours differ from an input in under this fraction of cells (label maps; default 0.45), or under this relative squared L2 distance of their normal maps or heat maps (default 0.15)',
    meta: 'T',
  }),
  features: str({ help: "the feature network of the feature-std diversity (default: the segmenter's three deepest encoder layers)", meta: 'F.onnx' }),
  featureTaps: str({ help: 'its layers, NAME=W,… (default: its outputs, or VGG conv layers)', meta: 'TAPS' }),
  featureNorm: choice(['imagenet', 'none'] as const, { default: 'imagenet', help: 'the input normalisation --features expects' }),
  ...seedOption('seed of every training and of the samples'),
  ...epOption,
  ...threadsOption,
  ...forceOption('start again in DIR (a reproduction with other settings, or a non-empty folder)'),
};

/** reproduce()'s options: the `divsyn reproduce` flags in camelCase; paper, data and out are required. */
export type ReproduceOptions = OptionsInput<typeof reproduceOptions>;
export type ReproduceValues = OptionValues<typeof reproduceOptions>;

/** A list of positive numbers, or 'none' for an empty one. */
export function parseValues(option: string, text: string): number[] {
  if (text.trim() === 'none') return [];
  return text.split(',').map((s) => {
    const x = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(x) || x < 0) throw usageError(`option --${option}: '${s}' is not a non-negative number (give V,V,… or none)`);
    return x;
  });
}
