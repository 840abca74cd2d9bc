// Trains a segmenter: the train step of graph/programs-segmenter.ts run by StepRunner on the dataset's
// photos (inputs) and one-hot layouts (targets); the segmenter file is written at checkpoints and at the end.
import { emitProgram, manifestEntry } from '../graph/programs/index.js';
import { SegmenterSpec, segmenterTrainStep } from '../graph/programs/segmenter.js';
import { generatorValues } from '../runtime/model-file.js';
import { writeSegmenter } from '../runtime/segmenter-file.js';
import { EpChoice, floatTensor } from '../runtime/session.js';
import { StepRunner } from '../runtime/step-runner.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { OpenBatches } from './trainer.js';

export interface SegmenterTrainConfig {
  spec: SegmenterSpec;
  batch: number;
  seed: number;
  lr: number;
  totalSteps: number;
  /** Write the file every this many steps (and at the end). */
  checkpointEvery: number;
  /** The segmenter file. */
  out: string;
  ep: EpChoice;
  threads?: number;
  /** Recorded in the file's divsyn.options. */
  metadata: Record<string, unknown>;
}

export interface SegmenterStepInfo {
  step: number;
  totalSteps: number;
  epoch: number;
  seconds: number;
  lr: number;
  loss: number;
}

export interface SegmenterTrainHooks {
  onStart?(info: { ep: string; parameters: number }): void;
  onStep?(info: SegmenterStepInfo): void;
  /** Polled after each step: true ends the run (the file is written first). */
  shouldStop?(): boolean;
}

/** Cosine decay to 0: short runs end on small steps, which lifts the final accuracy noticeably. */
export function cosineLr(base: number, step: number, total: number): number {
  return 0.5 * base * (1 + Math.cos((Math.PI * step) / total));
}

export async function trainSegmenter(
  cfg: SegmenterTrainConfig,
  openBatches: OpenBatches,
  hooks: SegmenterTrainHooks = {},
): Promise<{ steps: number; seconds: number; loss: number; interrupted: boolean }> {
  const program = segmenterTrainStep(cfg.spec, { batch: cfg.batch });
  const init = initialValues(program, cfg.seed, cfg.lr);
  const values = new Map([...init].map(([k, v]) => [k, v.value]));
  let ep = 'cpu';
  const runner = await StepRunner.create(emitProgram(program), manifestEntry(program), values, { ep: cfg.ep, threads: cfg.threads, onProvider: (e) => (ep = e) });
  const parameters = program.inputs.filter((i) => i.spec.role === 'param').reduce((n, i) => n + i.tensor.size, 0);
  hooks.onStart?.({ ep, parameters });
  const { size: s, classes } = cfg.spec;
  const b = cfg.batch;
  const batches = openBatches(0);
  const began = performance.now();
  let step = 0;
  let loss = NaN;
  let interrupted = false;

  const save = () => {
    const carried = new Map(
      runner
        .carriedNames()
        .filter((n) => n.startsWith('param.'))
        .map((n) => [n, runner.value(n)]),
    );
    writeSegmenter(cfg.out, cfg.spec, generatorValues(carried), { ...cfg.metadata, steps: step });
  };

  try {
    let pending = batches.next();
    while (step < cfg.totalSteps) {
      const batch = await pending;
      // the next batch decodes while this step computes
      if (step + 1 < cfg.totalSteps) pending = batches.next();
      const lr = cosineLr(cfg.lr, step, cfg.totalSteps);
      const r = await runner.step({ image: floatTensor(batch.image, [b, 3, s, s]), layout: floatTensor(batch.layout, [b, classes.length, s, s]) }, lr);
      step++;
      loss = r.losses.loss;
      hooks.onStep?.({ step, totalSteps: cfg.totalSteps, epoch: batches.epochOf(step - 1), seconds: (performance.now() - began) / 1000, lr, loss });
      if (hooks.shouldStop?.()) {
        interrupted = step < cfg.totalSteps;
        break;
      }
      if (step % cfg.checkpointEvery === 0 && step < cfg.totalSteps) save();
    }
    save();
  } finally {
    batches.close?.();
    await runner.session.session.release();
  }
  return { steps: step, seconds: (performance.now() - began) / 1000, loss, interrupted };
}
