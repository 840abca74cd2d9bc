// The training loop: feeds train_step with batches, noise and dropout masks drawn on the host, writes
// log.jsonl, and checkpoints (state/, generator.onnx, preview) crash-safely; resumes exactly where it
// stopped, from the newest complete checkpoint, or from step 0 when a run was killed before its first.
import fs from 'node:fs';
import path from 'node:path';
import { emitProgram, manifestEntry, Program, trainingPrograms, TrainingPrograms } from '../graph/programs/index.js';
import { familyOf, searchesNoise } from '../graph/families/index.js';
import { GeneratorSpec, LrPolicy, TrainingOptions } from '../graph/spec.js';
import { conditionChannels, conditionInputName } from '../graph/condition.js';
import { EpChoice, createSession, floatTensor, ort } from '../runtime/session.js';
import { assignTargets } from './assignment.js';
import { StepRunner } from '../runtime/step-runner.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { generatorBytes, generatorValues } from '../runtime/model-file.js';
import { AppendFile, atomicWriteKillPoints, removeStaleTemporaries, writeFileAtomic } from '../common/files.js';
import { killPoint } from '../common/kill-points.js';
import { loadLatestState, Progress, saveState, SavedState, sha256, stateKillPoints } from './checkpoint.js';
import { readRunRecord, RunRecord, writeRunRecord } from './run-record.js';
import { stateError } from '../common/errors.js';
import { dropoutMasks, linearDecayLr } from './sampling.js';
import { trainingNoise } from '../common/variation.js';

export interface TrainingBatch {
  /** The condition: one-hot layouts [B, C, H, W], or a model's condition (graph/condition.ts) [B, K, H, W]. */
  layout: Float32Array;
  /** Photos [B, 3, H, W] in [0, 1]. */
  image: Float32Array;
  /** The items' names (latent models look their neighbours up by them). */
  stems?: string[];
}

/** Latent models (He et al.): neighbour targets and the warm-up. */
export interface LatentTraining {
  /** The k neighbours' photos of each batch item [B·k, 3, H, W], and how many of each are real (the rest pad). */
  neighbours?(stems: string[]): { photos: Float32Array; valid: number[] };
  /** Steps that train branch (step mod n) alone on the input's own photo. */
  warmupSteps: number;
}

/** Batches in the run's order, starting at a given step (so a resumed run sees the same data). */
export type OpenBatches = (startStep: number) => { next(): Promise<TrainingBatch>; epochOf(step: number): number; close?(): void };

export interface TrainConfig {
  spec: GeneratorSpec;
  options: TrainingOptions;
  seed: number;
  lr: number;
  lrPolicy: LrPolicy;
  totalSteps: number;
  /** Checkpoint every this many steps (and at the end). */
  checkpointEvery: number;
  out: string;
  resume: boolean;
  ep: EpChoice;
  threads?: number;
  /** Generator parameters to start from (fine-tuning), by parameter name. */
  initGenerator?: Map<string, Float32Array>;
  /** Extra metadata for generator.onnx (the training options used). */
  metadata: Record<string, unknown>;
  /** The command's options, kept in RUN/run.json so that --resume can take them from the run (train/run-record.ts). */
  runOptions?: Record<string, unknown>;
  /** The data's files left out as bad (--skip-bad), for run.json. */
  skippedFiles?: string[];
  latent?: LatentTraining;
}

/** The learning rate at a step: pix2pix's linear decay, constant, or He et al.'s poly (power 0.9). */
export function learningRate(policy: LrPolicy, base: number, step: number, total: number): number {
  if (policy === 'linear') return linearDecayLr(base, step, total);
  if (policy === 'poly') return base * Math.pow(Math.max(0, 1 - step / total), 0.9);
  return base;
}

export interface StepInfo {
  step: number;
  totalSteps: number;
  epoch: number;
  seconds: number;
  stepSeconds: number;
  lr: number;
  losses: Record<string, number>;
}

/** Kill points of a training run, in the order a checkpoint passes them (common/kill-points.ts). */
export const trainKillPoints: readonly string[] = [...atomicWriteKillPoints, ...stateKillPoints, 'checkpoint.generator-written'];

export interface TrainHooks {
  /** notes: what resuming repaired or had to redo (a generator file rewritten from the state, a run restarted from step 0). */
  onStart?(info: { ep: string; startStep: number; totalSteps: number; notes: string[] }): void;
  onStep?(info: StepInfo): void;
  /** Called at each checkpoint with the current generator parameters (to render a preview). */
  onCheckpoint?(params: Map<string, Float32Array>, step: number): Promise<void> | void;
  /** Polled after each step: true stops the run after a checkpoint. */
  shouldStop?(): boolean;
}

export interface TrainResult {
  steps: number;
  seconds: number;
  interrupted: boolean;
  lastLosses: Record<string, number>;
}

function initialState(cfg: TrainConfig, programs: TrainingPrograms): { values: Map<string, Float32Array>; progress: Progress } {
  const values = new Map([...initialValues(programs.trainStep, cfg.seed, cfg.lr)].map(([k, v]) => [k, v.value]));
  if (cfg.initGenerator) {
    for (const [name, v] of cfg.initGenerator) {
      const key = values.has(`param.${name}`) ? `param.${name}` : `buffer.${name}`;
      const mine = values.get(key);
      if (!mine) continue;
      if (mine.length !== v.length) throw new Error(`--init: parameter '${name}' has ${v.length} values, this model needs ${mine.length}`);
      values.set(key, v);
    }
  }
  return { values, progress: { step: 0, epoch: 0, seconds: 0, seed: cfg.seed, totalSteps: cfg.totalSteps } };
}

/** Where a resumed run starts: the newest complete checkpoint, or step 0 when the run recorded its start but none (a kill during the first). */
function resumedState(cfg: TrainConfig, programs: TrainingPrograms, record: RunRecord | undefined, notes: string[]): { values: Map<string, Float32Array>; progress: Progress } {
  const saved = loadLatestState(path.join(cfg.out, 'state'));
  const was = (saved?.progress.model as string | undefined) ?? record?.model;
  if (!saved && !record) throw stateError(`--resume: '${cfg.out}' holds no training state`);
  const seed = saved?.progress.seed ?? record?.seed;
  if (seed !== cfg.seed) throw stateError(`--resume: the run in '${cfg.out}' used --seed ${seed}, not ${cfg.seed}`);
  if (was !== undefined && was !== modelFingerprint(cfg)) throw stateError(`--resume: the run in '${cfg.out}' trained another model or loss (${was}); give the options it was started with`);
  if (!saved) {
    notes.push(`no checkpoint was complete in '${cfg.out}': training again from step 0`);
    return initialState(cfg, programs);
  }
  repairGenerator(cfg, saved, notes);
  if (saved.progress.step >= cfg.totalSteps)
    throw stateError([`the run in '${cfg.out}' is finished: ${saved.progress.step} of ${cfg.totalSteps} steps (more --steps continue it)`, ...notes].join('; '));
  return saved;
}

/** What must not change across --resume: the architecture and the objective (schedules, lr and β's ramp, may). */
function modelFingerprint(cfg: TrainConfig): string {
  const { model, height, width, channels, norm, classes, condition } = cfg.spec;
  const { diversity, beta, gan, batch, dChannels, lambda, l1Weight, perceptual } = cfg.options;
  // only where it is part of the objective (0 is the objective from before it), so older runs still resume
  const noiseContentWeight = familyOf(cfg.spec).noiseContent && diversity !== 'none' && cfg.options.noiseContentWeight ? cfg.options.noiseContentWeight : undefined;
  const diversityPool = diversity !== 'none' && cfg.options.diversityPool > 1 ? cfg.options.diversityPool : undefined;
  const passContent = diversity === 'pairwise' && cfg.options.passContent !== 'each' ? cfg.options.passContent : undefined;
  const noiseSearch = searchesNoise(cfg.spec, cfg.options) ? cfg.options.noiseSearch : undefined;
  const classNames = classes.map((c) => c.name);
  const own = familyOf(cfg.spec).fingerprint(cfg.spec, cfg.options);
  return JSON.stringify({
    model,
    size: `${height}x${width}`,
    width: channels,
    norm,
    classes: classNames,
    // absent for label maps, so their runs resume as before
    input: condition,
    ...own,
    diversity,
    beta,
    noiseContentWeight,
    passContent,
    noiseSearch,
    diversityPool,
    lambda,
    l1Weight,
    gan,
    batch,
    dChannels,
    features: perceptual.description,
  });
}

/** Keep the log lines of steps the resumed state has seen; later ones are trained again. */
function trimLog(file: string, lastStep: number): void {
  if (!fs.existsSync(file)) return;
  // a crash mid-write can leave a partial last line: it is dropped with the steps after the checkpoint
  const stepOf = (l: string) => {
    try {
      return JSON.parse(l).step as number;
    } catch {
      return Infinity;
    }
  };
  const kept = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && stepOf(l) <= lastStep);
  writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
}

/** The generator file of a checkpoint, as bytes (its checksum goes into the state). */
function checkpointGenerator(cfg: TrainConfig, carried: Map<string, Float32Array>, step: number): { params: Map<string, Float32Array>; bytes: Uint8Array } {
  const params = generatorValues(carried);
  return { params, bytes: generatorBytes(cfg.spec, params, { ...cfg.metadata, steps: step }) };
}

/** A checkpoint's generator file that a crash left older than its state (or that was damaged since) is written again from the state. */
function repairGenerator(cfg: TrainConfig, saved: SavedState, notes: string[]): void {
  if (saved.generatorChecksum === undefined) return; // a state from before checksums
  const file = path.join(cfg.out, 'generator.onnx');
  let bytes: Uint8Array | undefined;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    bytes = undefined;
  }
  if (bytes && sha256(bytes) === saved.generatorChecksum) return;
  writeFileAtomic(file, checkpointGenerator(cfg, saved.values, saved.progress.step).bytes);
  notes.push(`'${file}' ${bytes ? 'did not match' : 'was missing from'} the checkpoint of step ${saved.progress.step}: written again from its state`);
}

/**
 * The train step's session and what the steps need of the programs. The builder's graphs, the step's
 * ONNX bytes and the initial values stay in here: once the session holds its own copies, they are
 * garbage, rather than part of the process's memory for the whole run (docs/design.md#memory).
 */
async function openStep(cfg: TrainConfig, notes: string[], record: RunRecord | undefined, beforeSession: () => void) {
  const programs = trainingPrograms(cfg.spec, cfg.options);
  const { values, progress } = cfg.resume ? resumedState(cfg, programs, record, notes) : initialState(cfg, programs);
  beforeSession();
  let ep = 'cpu';
  const runner = await StepRunner.create(emitProgram(programs.trainStep), manifestEntry(programs.trainStep), values, { ep: cfg.ep, threads: cfg.threads, onProvider: (e) => (ep = e) });
  values.clear();
  // [B, C]; [2B, C] with pairwise diversity (both passes' noises); with --noise-search K, K candidates per
  // sample for the first pass ([B·K, C] then the second pass's B rows): all uniform random
  const noiseShape = programs.trainStep.inputs.find((i) => i.spec.name === 'noise')?.spec.shape as number[] | undefined;
  const latent = programs.lossMatrix ? await latentFeeder(cfg, programs.lossMatrix) : undefined;
  return { runner, ep, progress, masks: programs.masks, noiseShape, latent };
}

export async function train(cfg: TrainConfig, openBatches: OpenBatches, hooks: TrainHooks = {}): Promise<TrainResult> {
  removeStaleTemporaries(cfg.out);
  const notes: string[] = [];
  const record = cfg.resume ? readRunRecord(cfg.out) : undefined;
  const { runner, ep, progress, masks, noiseShape, latent } = await openStep(cfg, notes, record, () =>
    writeRunRecord(cfg.out, {
      options: cfg.runOptions ?? record?.options ?? {},
      seed: cfg.seed,
      totalSteps: cfg.totalSteps,
      model: modelFingerprint(cfg),
      ...(cfg.skippedFiles?.length ? { skippedFiles: cfg.skippedFiles } : {}),
    }),
  );
  const logFile = path.join(cfg.out, 'log.jsonl');
  if (cfg.resume) trimLog(logFile, progress.step);
  const log = AppendFile.open(logFile, !cfg.resume);
  const c = cfg.spec.classes.length;
  const { height: h, width: w } = cfg.spec;
  const b = cfg.options.batch;
  const input = conditionInputName(cfg.spec);
  const k = conditionChannels(cfg.spec);
  const batches = openBatches(progress.step);
  hooks.onStart?.({ ep, startStep: progress.step, totalSteps: cfg.totalSteps, notes });

  const began = performance.now() / 1000 - progress.seconds;
  let step = progress.step;
  let lastLosses: Record<string, number> = {};
  let interrupted = false;

  // the log first, then the state (the checkpoint counts from its swap), then the files made from it
  const checkpoint = async () => {
    log.sync();
    const carried = new Map(runner.carriedNames().map((n) => [n, runner.value(n)]));
    const generator = checkpointGenerator(cfg, carried, step);
    saveState(
      path.join(cfg.out, 'state'),
      carried,
      {
        step,
        epoch: batches.epochOf(step),
        seconds: performance.now() / 1000 - began,
        seed: cfg.seed,
        totalSteps: cfg.totalSteps,
        model: modelFingerprint(cfg),
        betaRampSteps: cfg.options.betaRampSteps,
      },
      sha256(generator.bytes),
    );
    writeFileAtomic(path.join(cfg.out, 'generator.onnx'), generator.bytes);
    killPoint('checkpoint.generator-written');
    await hooks.onCheckpoint?.(generator.params, step);
  };

  try {
    let pending = step < cfg.totalSteps ? batches.next() : undefined;
    while (step < cfg.totalSteps) {
      const batch = await pending!;
      // decoding of the next batch runs while this step computes
      pending = step + 1 < cfg.totalSteps ? batches.next() : undefined;
      const feeds: Record<string, ort.Tensor> = {
        [input]: floatTensor(batch.layout, [b, k, h, w]),
        image: floatTensor(batch.image, [b, 3, h, w]),
      };
      if (noiseShape) feeds.noise = floatTensor(trainingNoise(cfg.seed, step, noiseShape[0], c), noiseShape);
      for (const [name, m] of dropoutMasks(cfg.seed, step, masks)) {
        feeds[name] = floatTensor(m, masks.find((s) => s.name === name)!.shape);
      }
      if (latent) Object.assign(feeds, await latent.feeds(batch, step, runner));
      const lr = learningRate(cfg.lrPolicy, cfg.lr, step, cfg.totalSteps);
      const r = await runner.step(feeds, lr);
      step++;
      lastLosses = r.losses;
      const info: StepInfo = { step, totalSteps: cfg.totalSteps, epoch: batches.epochOf(step - 1), seconds: performance.now() / 1000 - began, stepSeconds: r.seconds, lr, losses: r.losses };
      log.append(JSON.stringify({ step, epoch: info.epoch, seconds: +info.seconds.toFixed(3), step_seconds: +r.seconds.toFixed(4), lr, losses: r.losses }) + '\n');
      hooks.onStep?.(info);
      if (hooks.shouldStop?.()) {
        interrupted = step < cfg.totalSteps;
        break;
      }
      if (step % cfg.checkpointEvery === 0 && step < cfg.totalSteps) await checkpoint();
    }
    await checkpoint();
  } finally {
    log.close();
    batches.close?.();
    await runner.session.session.release();
    await latent?.release();
  }
  return { steps: step, seconds: performance.now() / 1000 - began, interrupted, lastLosses };
}

/**
 * The latent model's extra inputs for a step: the training codes (one per branch of each sample), the
 * neighbours' photos, and the assignment of targets to branches made on the host from the loss matrix at
 * the current parameters (one forward pass of its own), or branch (step mod n) alone during the warm-up.
 */
async function latentFeeder(cfg: TrainConfig, lossMatrix: Program) {
  const l = cfg.spec.latent!;
  const b = cfg.options.batch;
  const k = cfg.options.neighbours;
  const { height: h, width: w } = cfg.spec;
  const [n, d, m] = [l.branches, l.codeDim, 1 + k];
  const codes = new Float32Array(b * n * d);
  for (let i = 0; i < b; i++) codes.set(l.codes, i * n * d);
  const { session } = await createSession(emitProgram(lossMatrix), { ep: cfg.ep, threads: cfg.threads });
  const paramInputs = lossMatrix.inputs.filter((x) => x.spec.role === 'param' || x.spec.role === 'state').map((x) => x.spec);
  return {
    async feeds(batch: TrainingBatch, step: number, runner: StepRunner): Promise<Record<string, ort.Tensor>> {
      const feeds: Record<string, ort.Tensor> = { code: floatTensor(codes, [b * n, d]) };
      let valid = new Array(b).fill(0);
      if (k > 0) {
        if (!cfg.latent?.neighbours || !batch.stems) throw new Error("neighbour targets need the batch items' names and a neighbour table");
        const nb = cfg.latent.neighbours(batch.stems);
        feeds.neighbours = floatTensor(nb.photos, [b * k, 3, h, w]);
        valid = nb.valid;
      }
      const assignment = new Float32Array(b * n * m);
      if (step < (cfg.latent?.warmupSteps ?? 0)) {
        for (let i = 0; i < b; i++) assignment[(i * n + (step % n)) * m] = 1;
      } else {
        const lossFeeds: Record<string, ort.Tensor> = {
          ...feeds,
          [conditionInputName(cfg.spec)]: floatTensor(batch.layout, [b, conditionChannels(cfg.spec), h, w]),
          image: floatTensor(batch.image, [b, 3, h, w]),
        };
        for (const p of paramInputs) lossFeeds[p.name] = floatTensor(runner.value(p.name), p.shape as number[]);
        for (const x of lossMatrix.inputs)
          if (x.spec.name === 'noise') lossFeeds.noise = floatTensor(trainingNoise(cfg.seed, step, x.spec.shape[0] as number, cfg.spec.classes.length), x.spec.shape as number[]);
        const losses = (await session.run(lossFeeds)).losses.data as Float32Array;
        for (let i = 0; i < b; i++) {
          // only the input's own photo and its real neighbours take part; padding slots stay unassigned
          const targets = 1 + valid[i];
          const matrix = Array.from({ length: n }, (_, br) => Array.from(losses.subarray((i * n + br) * m, (i * n + br) * m + targets)));
          assignTargets(matrix, n, targets).forEach((br, j) => {
            if (br >= 0) assignment[(i * n + br) * m + j] = 1;
          });
        }
      }
      feeds.assignment = floatTensor(assignment, [b, n, m]);
      return feeds;
    },
    release: () => session.release(),
  };
}
