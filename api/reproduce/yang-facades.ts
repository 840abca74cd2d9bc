// reproduce yang-facades: Yang, Liu and Cai's Table II on facades. A segmenter trained on the training
// photos scores pix2pix without and with the bounded diversity loss (the paper's β 0.1, λ 0.3, β ramped in
// over the first half of the run as the authors' code does) on the test layouts; then the trade: more
// generators at other weights β and bounds λ, each one's segmentation accuracy against its diversity, with
// the baseline as a point, and which of them stay within 0.02 of the baseline's accuracy.
import path from 'node:path';
import { ReportLayout, ReproductionReport, TableRow, measureText, writeReproductionReport } from '../../metrics/reproduction-report.js';
import { scatterSvg } from '../../metrics/plot.js';
import { writePlot } from '../../metrics/report.js';
import { TrainOptions } from '../train.js';
import { ReproduceValues, parseValues } from './options.js';
import { PaperPipeline, stageTimes, trainingLength } from './pipeline.js';
import { MeasureFeatures, ModelScores, PaperData, RunEnvironment, TrainedModel, evaluateStage, segmenterStage, trainStage } from './runners.js';
import { StageLedger } from './stages.js';
import { testLayouts, writeClassSweeps, writeSampleGrids } from './figures.js';

/** The options only this reproduction takes. */
export const YANG_ONLY = ['beta', 'lambda', 'sweepBeta', 'sweepLambda'] as const;

const DEFAULT_STEPS = 2000;
/** Accuracy within this of the baseline's counts as keeping it (the trade's question). */
export const ACCURACY_TOLERANCE = 0.02;
const SWEEP_STEPS = 7;
const GRID_LAYOUTS = 4;

/** Table II of the paper (256 px, SegNet as the segmenter). */
const PAPER_ROWS: TableRow[] = [
  { model: 'Pix2pix', accuracy: 0.464, iou: 0.103 },
  { model: 'Pix2pix+Diversity', accuracy: 0.484, iou: 0.111 },
];

interface Point {
  name: string;
  beta: number;
  lambda: number;
}

interface YangSettings {
  [key: string]: unknown;
  data: string;
  size: number;
  width: number;
  training: { steps: number } | { epochs: number };
  seed: number;
  segmenter: { steps: number; width: number };
  samples: number;
  limit?: number;
  beta: number;
  lambda: number;
  sweep: Point[];
  features?: MeasureFeatures;
  /** Each generator's train() options (the reproduction's folder and threads aside). */
  models: Record<string, TrainOptions>;
}

const pointName = (p: { beta: number; lambda: number }, main: { beta: number; lambda: number }) => (p.beta !== main.beta ? `beta-${p.beta}` : `lambda-${p.lambda}`);

function settings(o: ReproduceValues, data: PaperData): YangSettings {
  const main = { beta: o.beta, lambda: o.lambda };
  const points = [...parseValues('sweep-beta', o.sweepBeta).map((beta) => ({ beta, lambda: o.lambda })), ...parseValues('sweep-lambda', o.sweepLambda).map((lambda) => ({ beta: o.beta, lambda }))];
  // the main model is a point already; a value given twice is one point
  const sweep = points
    .filter((p) => p.beta !== main.beta || p.lambda !== main.lambda)
    .map((p) => ({ name: pointName(p, main), ...p }))
    .filter((p, i, all) => all.findIndex((q) => q.name === p.name) === i);
  const base: TrainOptions = { model: 'pix2pix', ...data.train, size: o.size, width: o.width, ...trainingLength(o, DEFAULT_STEPS), seed: o.seed };
  const bounded = (p: { beta: number; lambda: number }): TrainOptions => ({ ...base, diversity: 'bounded', beta: p.beta, lambda: String(p.lambda) });
  const models: Record<string, TrainOptions> = { pix2pix: { ...base, diversity: 'none' }, diversity: bounded(main) };
  for (const p of sweep) models[p.name] = bounded(p);
  return {
    data: data.description,
    size: Number(o.size),
    width: o.width,
    training: trainingLength(o, DEFAULT_STEPS),
    seed: o.seed,
    segmenter: { steps: o.segmenterSteps, width: o.segmenterWidth },
    samples: o.samples,
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    beta: o.beta,
    lambda: o.lambda,
    sweep,
    ...(o.features ? { features: { file: path.resolve(o.features), ...(o.featureTaps ? { taps: o.featureTaps } : {}), norm: o.featureNorm } } : {}),
    models,
  };
}

function stages(s: YangSettings): string[] {
  return ['segmenter', 'train-pix2pix', 'train-diversity', 'eval-pix2pix', 'eval-diversity', 'figures', ...s.sweep.flatMap((p) => [`train-${p.name}`, `eval-${p.name}`])];
}

const row = (model: string, m: ModelScores): TableRow => ({
  model,
  accuracy: m.accuracy,
  iou: m.iou,
  diversity: m.diversity,
  linking: m.linking,
  l1_truth: m.l1_truth,
  ...(m.feature_std !== undefined ? { feature_std: m.feature_std } : {}),
});

async function run(ledger: StageLedger, s: YangSettings, data: PaperData, env: RunEnvironment): Promise<ReproductionReport> {
  const seg = await ledger.stage('segmenter', ({ dir }) => segmenterStage('segmenter', dir, data, { size: s.size, width: s.segmenter.width, steps: s.segmenter.steps, seed: s.seed }, env));
  const trained = async (name: string) => ledger.stage(`train-${name}`, ({ dir }) => trainStage(`train-${name}`, dir, s.models[name], env));
  const evaluated = async (name: string, model: TrainedModel) =>
    ledger.stage(`eval-${name}`, ({ dir }) => evaluateStage(dir, model.generator, seg.file, s.features, data, { samples: s.samples, limit: s.limit, seed: s.seed }, env));
  const baseline = await trained('pix2pix');
  const diverse = await trained('diversity');
  const baseScores = await evaluated('pix2pix', baseline);
  const divScores = await evaluated('diversity', diverse);
  const figures = await ledger.stage('figures', async ({ dir }) => {
    const { items } = await testLayouts(data, s.size, GRID_LAYOUTS);
    const sweeps = path.join(dir, 'fig2_sweeps.png');
    const grids = path.join(dir, 'fig6_samples.png');
    const classes = await writeClassSweeps(sweeps, diverse.generator, items[0], SWEEP_STEPS, env);
    const models = [
      { label: 'pix2pix', generator: baseline.generator, count: 2 },
      { label: '+diversity', generator: diverse.generator, count: 6 },
    ];
    await writeSampleGrids(grids, models, items, s.seed, env);
    return { sweeps: path.relative(env.root, sweeps), samples: path.relative(env.root, grids), sweep_layout: items[0].stem, sweep_classes: classes };
  });
  const points: { point: Point; scores: ModelScores }[] = [{ point: { name: 'diversity', beta: s.beta, lambda: s.lambda }, scores: divScores }];
  for (const p of s.sweep) points.push({ point: p, scores: await evaluated(p.name, await trained(p.name)) });

  const within = (m: ModelScores) => m.accuracy >= baseScores.accuracy - ACCURACY_TOLERANCE;
  const trade = [
    {
      model: 'pix2pix',
      beta: 0,
      lambda: null,
      accuracy: baseScores.accuracy,
      iou: baseScores.iou,
      diversity: baseScores.diversity,
      linking: baseScores.linking,
      accuracy_change: 0,
      within_tolerance: true,
    },
    ...points
      .sort((a, b) => a.point.beta - b.point.beta || a.point.lambda - b.point.lambda)
      .map(({ point, scores }) => ({
        model: `β ${point.beta}, λ ${point.lambda}`,
        beta: point.beta,
        lambda: point.lambda,
        accuracy: scores.accuracy,
        iou: scores.iou,
        diversity: scores.diversity,
        linking: scores.linking,
        accuracy_change: +(scores.accuracy - baseScores.accuracy).toFixed(6),
        within_tolerance: within(scores),
      })),
  ];
  const tradePlot = path.join(env.root, 'trade.png');
  await writePlot(
    tradePlot,
    scatterSvg(
      trade.map((t) => ({ label: t.model, x: t.diversity, y: t.accuracy })),
      'diversity (mean pairwise L1 between samples)',
      `segmenter pixel accuracy (${s.samples} samples per layout)`,
      'the realism-diversity trade',
      [
        { y: baseScores.accuracy, label: 'pix2pix' },
        { y: baseScores.accuracy - ACCURACY_TOLERANCE, label: `pix2pix − ${ACCURACY_TOLERANCE}` },
      ],
    ),
  );
  const report: ReproductionReport = {
    reproduction: 'yang-facades',
    title: 'Yang, Liu and Cai, Table II: realism of pix2pix with and without the diversity loss',
    data: s.data,
    table: [row('Pix2pix', baseScores), row('Pix2pix+Diversity', divScores)],
    paper: PAPER_ROWS,
    real: baseScores.real,
    trade,
    tolerance: ACCURACY_TOLERANCE,
    figures: { sweeps: figures.sweeps, samples: figures.samples, trade: 'trade.png', grid_pix2pix: baseScores.grid, grid_diversity: divScores.grid },
    settings: s,
    ...stageTimes(ledger),
  };
  writeReproductionReport(env.root, report, layout(report, s, figures.sweep_classes));
  return report;
}

function layout(r: ReproductionReport, s: YangSettings, sweepClasses: string[]): ReportLayout {
  const trade = r.trade as { model: string; accuracy: number; iou: number; diversity: number; linking?: number; accuracy_change: number; within_tolerance: boolean }[];
  const real = r.real as { accuracy: number; iou: number };
  const f = measureText;
  return {
    compared: [
      { key: 'accuracy', label: 'pixel accuracy' },
      { key: 'iou', label: 'mean IoU' },
    ],
    ours: [
      { key: 'diversity', label: 'diversity' },
      { key: 'linking', label: 'linking' },
      { key: 'l1_truth', label: 'l1_truth' },
      ...(s.features ? [{ key: 'feature_std', label: 'feature std' }] : []),
    ],
    notes: [
      `Ours: ${s.size} px, width ${s.width}, ${'steps' in s.training ? `${s.training.steps} steps` : `${s.training.epochs} epochs`} per generator, a divsyn U-Net segmenter (${s.segmenter.steps} steps) trained on the training photos; ${s.samples} samples per test layout. The paper: 256 px, 200 epochs, SegNet.`,
      `The segmenter on the true test photos: pixel accuracy ${f(real.accuracy)}, mean IoU ${f(real.iou)}.`,
    ],
    sections: [
      {
        title: 'The realism-diversity trade',
        note: `Each generator's segmentation accuracy against its diversity; within tolerance: accuracy at most ${ACCURACY_TOLERANCE} below the baseline's.`,
        head: ['model', 'pixel accuracy', 'change', 'mean IoU', 'diversity', 'linking', `within ${ACCURACY_TOLERANCE}`],
        rows: trade.map((t) => [t.model, f(t.accuracy), (t.accuracy_change >= 0 ? '+' : '') + t.accuracy_change.toFixed(3), f(t.iou), f(t.diversity), f(t.linking), t.within_tolerance ? 'yes' : 'no']),
        image: r.figures.trade,
      },
      { title: 'Fig. 2: per-class sweeps', note: `The diversity model on one test layout: each class's noise from -1 to 1, the others 0 (${sweepClasses.join(', ')}).`, image: r.figures.sweeps },
      { title: 'Fig. 6: samples', note: 'Rows: test layouts; columns: layout, photo, pix2pix samples, then the diversity model samples.', image: r.figures.samples },
    ],
  };
}

export const YANG_FACADES: PaperPipeline = {
  settings: settings,
  stages: (s) => stages(s as YangSettings),
  run: (ledger, s, data, env) => run(ledger, s as YangSettings, data, env),
};
