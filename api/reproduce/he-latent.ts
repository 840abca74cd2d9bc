// reproduce he-latent: He, Schiele and Fritz's comparisons on label maps, landmarks or normal maps. Latent
// drop-out codes trained with best-of-n against the neighbours-enhanced loss, one shared network against
// separate branches, the code dropout early against late, and CRN's own multi-output model; for each,
// accuracy against the true photo (RMSE, SSIM, FSIM: best and mean of K samples from new codes), the
// feature-std diversity (Table 3's measure) over --features layers, realism by the segmenter, and accuracy
// as K grows from 1 to K. With --input landmarks or image (the paper's own inputs: heat maps, normal maps)
// the latent rows alone, with no segmenter and no crn-multi, which need label maps.
import path from 'node:path';
import { ReportLayout, ReproductionReport, TableRow, measureText, writeReproductionReport } from '../../metrics/reproduction-report.js';
import { linesSvg, scatterSvg } from '../../metrics/plot.js';
import { writePlot } from '../../metrics/report.js';
import { samplesOf } from '../../metrics/evaluate.js';
import { luma, planesFromPlanar, rmseRgb, ssim } from '../../metrics/similarity.js';
import { variationScheme } from '../../common/variation.js';
import { openSampler } from '../../runtime/open-sampler.js';
import { readGenerator } from '../../runtime/model-file.js';
import { TrainOptions } from '../train.js';
import { ReproduceValues } from './options.js';
import { PaperPipeline, stageTimes, trainingLength } from './pipeline.js';
import { ConditionScores, MeasureFeatures, ModelScores, PaperData, RunEnvironment, TrainedModel, evaluateStage, segmenterFeatures, segmenterStage, trainStage } from './runners.js';
import { StageLedger } from './stages.js';
import { testLayouts, writeSampleGrids } from './figures.js';

/** The options only this reproduction takes. */
export const HE_ONLY = ['branches', 'neighbours', 'input', 'theta'] as const;

const DEFAULT_STEPS = 500;
/** The authors' neighbour search: at most one neighbour per colour cluster (θ: --theta). */
const COLOUR_CLUSTERS = 4;
/**
 * θ unless --theta: the authors' fraction of differing cells for label maps; for normal maps and heat maps,
 * whose relative L2 distances lie closer together (docs/design.md, Inputs beyond label maps), 0.15.
 */
const THETA = { labels: 0.45, conditions: 0.15 };
/** Steps that train one branch at a time first (at most a tenth of the run). */
const WARMUP = 200;
const GRID_LAYOUTS = 3;
const GRID_SAMPLES = 3;

/** Table 3 of the paper: the std of fc5 features on LFW (the only numbers compared here). */
const PAPER_ROWS: TableRow[] = [
  { model: 'CRN', feature_std: 0.389 },
  { model: 'shared, best-of-n', feature_std: 0.523 },
  { model: 'shared, neighbours-enhanced', feature_std: 0.67 },
  { model: 'separate, best-of-n', feature_std: 0.61 },
  { model: 'separate, neighbours-enhanced', feature_std: 0.733 },
];

interface HeModel {
  name: string;
  /** The row's name, as the paper's where it has one. */
  label: string;
  /** Samples per layout: new codes for latent models; CRN's distinct images. */
  samples: number;
  train: TrainOptions;
}

/** Models fed a normal map or landmarks: no classes, so no segmenter (realism, content loss) and no crn-multi (label maps only). */
const conditioned = (s: { input: string }) => s.input !== 'labels';

interface HeSettings {
  [key: string]: unknown;
  data: string;
  input: string;
  size: number;
  width: number;
  training: { steps: number } | { epochs: number };
  seed: number;
  /** Label maps only: the segmenter stage's training (other inputs have no classes to segment). */
  segmenter?: { steps: number; width: number };
  /** The content loss of every model: the segmenter stage's encoder (label maps), else --features or pixels. */
  content: string;
  theta: number;
  samples: number;
  limit?: number;
  branches: number;
  neighbours: number;
  features?: MeasureFeatures;
  models: HeModel[];
}

/**
 * The content loss of a model fed a normal map or landmarks, as train() options: --features where given
 * (label-map models take the segmenter stage's encoder in run()), else pixels.
 */
function contentOptions(o: ReproduceValues): Partial<TrainOptions> {
  if (o.input === 'labels' || o.features === undefined) return {};
  return { features: o.features, ...(o.featureTaps ? { featureTaps: o.featureTaps } : {}), featureNorm: o.featureNorm };
}

function settings(o: ReproduceValues, data: PaperData): HeSettings {
  const theta = o.theta ?? (conditioned(o) ? THETA.conditions : THETA.labels);
  const length = trainingLength(o, DEFAULT_STEPS);
  const warmup = 'steps' in length ? Math.min(WARMUP, Math.floor(length.steps / 10)) : WARMUP;
  const base: TrainOptions = { ...data.train, ...contentOptions(o), size: o.size, width: o.width, ...length, seed: o.seed };
  const latent = (sharing: 'shared' | 'separate', neighbours: boolean, split: 'early' | 'late'): TrainOptions => ({
    ...base,
    model: 'latent',
    branches: o.branches,
    sharing,
    split,
    warmup,
    ...(neighbours ? { neighbours: o.neighbours, theta, colourClusters: COLOUR_CLUSTERS } : {}),
  });
  const models: HeModel[] = [
    ...(conditioned(o) ? [] : [{ name: 'crn', label: 'CRN', samples: Math.min(o.samples, o.branches), train: { ...base, model: 'crn-multi' as const, images: o.branches } }]),
    { name: 'shared-best', label: 'shared, best-of-n', samples: o.samples, train: latent('shared', false, 'early') },
    { name: 'shared-neighbours', label: 'shared, neighbours-enhanced', samples: o.samples, train: latent('shared', true, 'early') },
    { name: 'separate-best', label: 'separate, best-of-n', samples: o.samples, train: latent('separate', false, 'early') },
    { name: 'separate-neighbours', label: 'separate, neighbours-enhanced', samples: o.samples, train: latent('separate', true, 'early') },
    { name: 'shared-neighbours-late', label: 'shared, neighbours-enhanced, late split', samples: o.samples, train: latent('shared', true, 'late') },
  ];
  return {
    data: data.description,
    input: o.input,
    size: Number(o.size),
    width: o.width,
    training: length,
    seed: o.seed,
    ...(conditioned(o) ? {} : { segmenter: { steps: o.segmenterSteps, width: o.segmenterWidth } }),
    content: !conditioned(o) ? 'the encoder of the segmenter stage (segmenter/segmenter.onnx)' : o.features ? `the --features network ${path.resolve(o.features)}` : 'pixels only',
    theta,
    samples: o.samples,
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    branches: o.branches,
    neighbours: o.neighbours,
    ...(o.features ? { features: { file: path.resolve(o.features), ...(o.featureTaps ? { taps: o.featureTaps } : {}), norm: o.featureNorm } } : {}),
    models,
  };
}

function stages(s: HeSettings): string[] {
  return [...(conditioned(s) ? [] : ['segmenter']), ...s.models.flatMap((m) => [`train-${m.name}`, `eval-${m.name}`]), 'accuracy-k', 'figures'];
}

/** K = 1, 2, 4, … up to n (and n itself). */
function counts(n: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k < n; k *= 2) ks.push(k);
  return [...ks, n];
}

interface KCurve {
  model: string;
  k: number[];
  rmse_best: number[];
  ssim_best: number[];
}

/** Best-of-K RMSE and SSIM against the true photo for K = 1, 2, 4, … samples, averaged over the test layouts. */
async function accuracyByK(model: HeModel, generator: string, data: PaperData, s: HeSettings, env: RunEnvironment): Promise<KCurve> {
  const file = path.resolve(env.root, generator);
  const { spec } = readGenerator(file);
  const { items } = await testLayouts(data, s.size, s.limit, spec.condition);
  const scheme = variationScheme(spec, { codes: 'new' });
  const ks = counts(model.samples);
  const rmseSum = new Float64Array(ks.length);
  const ssimSum = new Float64Array(ks.length);
  const g = await openSampler(file, { threads: env.threads, ep: env.ep, batch: 8 });
  try {
    const { height: h, width: w } = spec;
    const per = 3 * h * w;
    for (const it of items) {
      const images = await samplesOf(g, it, { scheme, count: model.samples, seed: s.seed });
      const photo = planesFromPlanar(it.photo, w, h);
      const photoLuma = luma(photo);
      let bestRmse = Infinity;
      let bestSsim = -Infinity;
      let next = 0;
      for (let k = 0; k < model.samples; k++) {
        const p = planesFromPlanar(images.subarray(k * per, (k + 1) * per), w, h);
        bestRmse = Math.min(bestRmse, rmseRgb(photo, p));
        bestSsim = Math.max(bestSsim, ssim(photoLuma, luma(p), w, h));
        if (k + 1 === ks[next]) {
          rmseSum[next] += bestRmse;
          ssimSum[next] += bestSsim;
          next++;
        }
      }
    }
  } finally {
    await g.release();
  }
  const n = Math.max(1, items.length);
  const mean = (v: Float64Array) => Array.from(v, (x) => +(x / n).toFixed(6));
  return { model: model.label, k: ks, rmse_best: mean(rmseSum), ssim_best: mean(ssimSum) };
}

const row = (m: HeModel, sc: ModelScores | ConditionScores): TableRow => ({
  model: m.label,
  samples: m.samples,
  feature_std: sc.feature_std,
  feature_distance: sc.feature_distance,
  diversity: sc.diversity,
  ...('accuracy' in sc ? { accuracy: sc.accuracy, iou: sc.iou } : {}),
  rmse_best: sc.rmse.best,
  rmse_mean: sc.rmse.mean,
  ssim_best: sc.ssim.best,
  ssim_mean: sc.ssim.mean,
  fsim_best: sc.fsim.best,
  fsim_mean: sc.fsim.mean,
  fsimc_best: sc.fsimc.best,
});

async function run(ledger: StageLedger, s: HeSettings, data: PaperData, env: RunEnvironment): Promise<ReproductionReport> {
  const trainSegmenter = s.segmenter;
  const seg = trainSegmenter && (await ledger.stage('segmenter', ({ dir }) => segmenterStage('segmenter', dir, data, { size: s.size, ...trainSegmenter, seed: s.seed }, env)));
  const segFile = seg && path.resolve(env.root, seg.file);
  // without a segmenter (no classes) the feature std needs --features
  const features: MeasureFeatures | undefined = s.features ?? (seg && { ...segmenterFeatures(segFile!), file: seg.file });
  const trained: TrainedModel[] = [];
  const scores: (ModelScores | ConditionScores)[] = [];
  for (const m of s.models) {
    const model = await ledger.stage(`train-${m.name}`, ({ dir }) => trainStage(`train-${m.name}`, dir, { ...m.train, ...(segFile ? { segmenter: segFile } : {}) }, env));
    trained.push(model);
    const settings = { samples: m.samples, limit: s.limit, seed: s.seed, ...(m.train.model === 'latent' ? { codes: 'new' as const } : {}) };
    scores.push(
      await ledger.stage(`eval-${m.name}`, ({ dir }) =>
        seg ? evaluateStage(dir, model.generator, seg.file, features, data, settings, env) : evaluateStage(dir, model.generator, undefined, features, data, settings, env),
      ),
    );
  }
  const curves = await ledger.stage('accuracy-k', async () => {
    const out: KCurve[] = [];
    for (let i = 0; i < s.models.length; i++) out.push(await accuracyByK(s.models[i], trained[i].generator, data, s, env));
    return out;
  });
  const figures = await ledger.stage('figures', async ({ dir }) => {
    const { items } = await testLayouts(data, s.size, GRID_LAYOUTS, readGenerator(path.resolve(env.root, trained[0].generator)).spec.condition);
    const grid = path.join(dir, 'samples.png');
    const shown = s.models.map((m, i) => ({ label: m.name, generator: trained[i].generator, count: GRID_SAMPLES }));
    await writeSampleGrids(grid, shown, items, s.seed, env);
    return { samples: path.relative(env.root, grid) };
  });
  const table = s.models.map((m, i) => row(m, scores[i]));
  await writePlot(
    path.join(env.root, 'accuracy_k.png'),
    linesSvg(
      curves.map((c) => ({ label: c.model, points: c.k.map((k, j) => ({ x: k, y: c.ssim_best[j] })) })),
      'K (samples per layout)',
      'SSIM of the best of K',
      'accuracy as K grows',
    ),
  );
  // without a segmenter: accuracy against the true photo (SSIM of the best sample) against diversity
  const [x, y] = trade(s, features);
  await writePlot(
    path.join(env.root, 'trade.png'),
    scatterSvg(
      table.map((r) => ({ label: r.model, x: Number(r[x.key]), y: Number(r[y.key]) })),
      x.label,
      y.label,
      conditioned(s) ? 'the accuracy-diversity trade' : 'the realism-diversity trade',
    ),
  );
  const report: ReproductionReport = {
    reproduction: 'he-latent',
    title: 'He, Schiele and Fritz: latent drop-out codes, best-of-n against neighbours-enhanced, shared against separate, early against late',
    data: s.data,
    table,
    // Table 3 is of LFW faces from landmarks; the label-map runs compare with it as well
    paper: s.input === 'image' ? [] : PAPER_ROWS,
    ...('real' in scores[0] ? { real: scores[0].real } : {}),
    accuracy_k: curves,
    figures: { samples: figures.samples, accuracy_k: 'accuracy_k.png', trade: 'trade.png', ...Object.fromEntries(s.models.map((m, i) => [`grid_${m.name}`, scores[i].grid])) },
    settings: s,
    ...stageTimes(ledger),
  };
  writeReproductionReport(env.root, report, layout(report, s, curves, features));
  return report;
}

/** The trade's axes: the diversity measure and realism, or (no segmenter) the best sample's SSIM. */
function trade(s: HeSettings, features: MeasureFeatures | undefined): { key: string; label: string }[] {
  const x = features ? { key: 'feature_std', label: 'feature std (diversity)' } : { key: 'diversity', label: 'diversity (mean L1 between samples)' };
  return [x, conditioned(s) ? { key: 'ssim_best', label: 'SSIM of the best sample' } : { key: 'accuracy', label: 'segmenter pixel accuracy' }];
}

function layout(r: ReproductionReport, s: HeSettings, curves: KCurve[], features: MeasureFeatures | undefined): ReportLayout {
  const f = measureText;
  const real = r.real as { accuracy: number; iou: number } | undefined;
  const ks = curves[1]?.k ?? curves[0].k;
  return {
    compared: [{ key: 'feature_std', label: 'feature std' }],
    ours: [
      { key: 'samples', label: 'K' },
      { key: 'diversity', label: 'diversity' },
      ...(real ? [{ key: 'accuracy', label: 'pixel accuracy' }] : []),
      { key: 'rmse_best', label: 'RMSE best' },
      { key: 'rmse_mean', label: 'RMSE mean' },
      { key: 'ssim_best', label: 'SSIM best' },
      { key: 'ssim_mean', label: 'SSIM mean' },
      { key: 'fsim_best', label: 'FSIM best' },
      { key: 'fsim_mean', label: 'FSIM mean' },
    ],
    notes: [
      `Ours: ${s.size} px, width ${s.width}, ${'steps' in s.training ? `${s.training.steps} steps` : `${s.training.epochs} epochs`} per model, ${s.branches} branches${conditioned(s) ? '' : ` (CRN: ${s.branches} images)`}, content loss on ${s.content}, neighbours within θ ${s.theta}; ${features ? `feature std over ${features.taps ? `the layers ${features.taps} of ` : ''}${features.file}` : 'no feature std (give --features: without classes there is no segmenter to take the layers from)'}. The paper's feature std is of fc5 of a face network on LFW: compare the order of the rows, not the values.`,
      ...(real
        ? [`The segmenter on the true test photos: pixel accuracy ${f(real.accuracy)}, mean IoU ${f(real.iou)}.`]
        : [
            `--input ${s.input}: no classes, so no segmenter (no realism, no pixel accuracy) and no CRN row (crn-multi takes label maps only); the neighbours are by the conditions' relative squared L2 distance.`,
          ]),
    ],
    sections: [
      {
        title: 'Accuracy as K grows',
        note: 'Best-of-K against the true photo, K new codes (CRN: its first K images), averaged over the test layouts.',
        head: ['model', ...ks.map((k) => `SSIM K=${k}`), ...ks.map((k) => `RMSE K=${k}`)],
        rows: curves.map((c) => [
          c.model,
          ...ks.map((_, j) => (c.ssim_best[j] === undefined ? '–' : f(c.ssim_best[j]))),
          ...ks.map((_, j) => (c.rmse_best[j] === undefined ? '–' : f(c.rmse_best[j]))),
        ]),
        image: r.figures.accuracy_k,
      },
      {
        title: conditioned(s) ? 'The accuracy-diversity trade' : 'The realism-diversity trade',
        note: `Each model's ${trade(s, features)
          .map((a) => a.label)
          .reverse()
          .join(' against its ')}.`,
        image: r.figures.trade,
      },
      { title: 'Samples', note: `Rows: test layouts; columns: layout, photo, then ${GRID_SAMPLES} samples of each model (${s.models.map((m) => m.name).join(', ')}).`, image: r.figures.samples },
    ],
  };
}

export const HE_LATENT: PaperPipeline = {
  settings: settings,
  stages: (s) => stages(s as HeSettings),
  run: (ledger, s, data, env) => run(ledger, s as HeSettings, data, env),
};
