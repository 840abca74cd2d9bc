// The child of the memory bench (bench/memory.ts): one configuration in a process of its own, `node
// --expose-gc dist/bench/memory-child.js JSON`, reporting its peaks as one JSON line on stdout (and interim
// ones on stderr, which the parent keeps should it stop this process for memory). Either one bare train
// step of the configuration's graphs, or, with `whole`, the whole of `divsyn train` in this process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../graph/index.js';
import { randomVggFile } from '../graph/models/vgg.js';
import { PerceptualSpec, vggContentTaps } from '../graph/perceptual.js';
import { emitProgram, manifestEntry, trainingPrograms } from '../graph/programs/index.js';
import { GeneratorSpec } from '../graph/spec.js';
import { defaultTrainingOptions } from '../graph/families/index.js';
import { DiversityMode } from '../graph/losses.js';
import { floatTensor, ort } from '../runtime/session.js';
import { StepRunner } from '../runtime/step-runner.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { cityscapes } from '../common/palettes.js';
import { dropoutMasks } from '../train/sampling.js';
import { trainingNoise } from '../common/variation.js';
import { train } from '../api/train.js';

/** Prefix of the child's interim reports on stderr (the parent keeps the last, and does not echo them). */
export const INTERIM = '@memory-report ';

/** One configuration, as the child receives it. */
export interface ChildConfig {
  model: 'crn' | 'crn-multi';
  /** crn-multi: images per pass. */
  images?: number;
  diversity: DiversityMode;
  /** crn: candidates of the noise search (--noise-search K), with pairwise diversity and the best pass's content. */
  noiseSearch?: number;
  height: number;
  width: number;
  channels: number;
  /** VGG widths divided by this (1: VGG-19's own). */
  shrink: number;
  threads: number;
  /** At most this many steps; the second only when the first took under `secondUnder` seconds. */
  steps: number;
  secondUnder: number;
  /** onnxruntime's memory pattern (StepRunner's default: off). */
  memPattern?: boolean;
  /** onnxruntime's CPU arena (default on). */
  cpuArena?: boolean;
  /**
   * The whole of `divsyn train` (api/train.ts) in this process instead of one bare step: the fixture's
   * data (its 12 classes), the VGG-19-shaped network as a --features file, `steps` steps, the checkpoint
   * and its preview; the report's peak is the process's.
   */
  whole?: boolean;
}

/** The child's report (one JSON line on stdout). */
export interface ChildReport {
  ok: boolean;
  error?: string;
  /** Peak resident set of the whole process, KiB: max of getrusage's maxRSS and /proc VmHWM. */
  peakKiB: number;
  maxRssKiB: number;
  vmHwmKiB: number;
  /** Peak virtual size (VmPeak): what an address-space limit counts. */
  vmPeakKiB: number;
  /** VmHWM after building the graphs, after creating the session, after each step. */
  stagesKiB: { build: number; session: number; steps: number[] };
  buildSeconds: number;
  sessionSeconds: number;
  stepSeconds: number[];
  losses?: Record<string, number>;
}

export function procStatusKiB(field: string, pid: number | 'self' = 'self'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function peaks() {
  const maxRssKiB = process.resourceUsage().maxRSS;
  const vmHwmKiB = procStatusKiB('VmHWM');
  return { maxRssKiB, vmHwmKiB, vmPeakKiB: procStatusKiB('VmPeak'), peakKiB: Math.max(maxRssKiB, vmHwmKiB) };
}

const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** `divsyn train` as a user runs it, in this process: the peak is everything it holds, not one step's. */
async function wholeTrain(c: ChildConfig): Promise<ChildReport> {
  const report: ChildReport = { ok: false, peakKiB: 0, maxRssKiB: 0, vmHwmKiB: 0, vmPeakKiB: 0, stagesKiB: { build: 0, session: 0, steps: [] }, buildSeconds: 0, sessionSeconds: 0, stepSeconds: [] };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'divsyn-memory-'));
  try {
    const features = path.join(dir, 'vgg.onnx');
    fs.writeFileSync(features, randomVggFile({ height: c.height, width: c.width, shrink: c.shrink, seed: 7 }));
    const stepSeconds: number[] = [];
    const r = await train(
      {
        model: c.model,
        data: 'fixture',
        size: `${c.height}x${c.width}`,
        width: c.channels,
        ...(c.model === 'crn-multi' ? { images: c.images } : { diversity: c.diversity }),
        features,
        steps: c.steps,
        threads: c.threads,
        out: path.join(dir, 'run'),
      },
      {
        onProgress: (i) => {
          stepSeconds.push(i.stepSeconds);
          report.stagesKiB.steps.push(procStatusKiB('VmHWM'));
          process.stderr.write(`  [child] whole train: step ${i.step} in ${i.stepSeconds.toFixed(1)} s\n`);
        },
      },
    );
    Object.assign(report, { ok: true, stepSeconds, losses: r.losses });
  } catch (e) {
    report.error = (e as Error).message ?? String(e);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { ...report, ...peaks() };
}

async function child(c: ChildConfig): Promise<ChildReport> {
  if (c.whole) return wholeTrain(c);
  const say = (s: string) => process.stderr.write(`  [child] ${s}\n`);
  // what is known so far, for the parent to keep should this process be stopped later
  const interim = () => process.stderr.write(`${INTERIM}${JSON.stringify({ ...report, ...peaks() })}\n`);
  const report: ChildReport = { ok: false, peakKiB: 0, maxRssKiB: 0, vmHwmKiB: 0, vmPeakKiB: 0, stagesKiB: { build: 0, session: 0, steps: [] }, buildSeconds: 0, sessionSeconds: 0, stepSeconds: [] };
  try {
    let t0 = performance.now();
    const classes = cityscapes();
    // images: crn-multi's count (the other families ignore it)
    const spec: GeneratorSpec = { model: c.model, classes, height: c.height, width: c.width, channels: c.channels, norm: 'instance', images: c.images };
    const bytes = randomVggFile({ height: c.height, width: c.width, shrink: c.shrink, seed: 7 });
    const taps = vggContentTaps(bytes);
    if (!taps) throw new Error('the VGG-19-shaped file has no CRN taps');
    const perceptual: PerceptualSpec = { bytes, taps, pixelWeight: 1, norm: 'imagenet', maxPoolAsAverage: true, description: 'random VGG-19' };
    const search = c.noiseSearch && c.noiseSearch > 1 ? { passContent: 'best' as const, noiseSearch: c.noiseSearch } : {};
    const options = defaultTrainingOptions(spec, { perceptual, diversity: c.diversity, ...search });
    let programs: ReturnType<typeof trainingPrograms> | undefined = trainingPrograms(spec, options);
    const masks = programs.masks;
    const noiseShape = programs.trainStep.inputs.find((i) => i.spec.name === 'noise')?.spec.shape as number[] | undefined;
    const model = emitProgram(programs.trainStep);
    const manifest = manifestEntry(programs.trainStep);
    const values = new Map([...initialValues(programs.trainStep, 0, 1e-4)].map(([k, v]) => [k, v.value]));
    programs = undefined; // the builder's graphs are not part of training's memory
    gc();
    report.buildSeconds = (performance.now() - t0) / 1000;
    report.stagesKiB.build = procStatusKiB('VmHWM');
    interim();
    say(`graphs built in ${report.buildSeconds.toFixed(1)} s (train step ${(model.length / 2 ** 20).toFixed(0)} MiB), creating the session`);

    t0 = performance.now();
    const runner = await StepRunner.create(model, manifest, values, { threads: c.threads, memPattern: c.memPattern, cpuArena: c.cpuArena });
    values.clear();
    report.sessionSeconds = (performance.now() - t0) / 1000;
    report.stagesKiB.session = procStatusKiB('VmHWM');
    interim();
    say(`session in ${report.sessionSeconds.toFixed(1)} s`);

    const [h, w, ch] = [c.height, c.width, classes.length];
    const rng = new Rng(1, 'memory-bench');
    for (let step = 0; step < c.steps; step++) {
      if (step > 0 && report.stepSeconds[step - 1] >= c.secondUnder) break;
      const layout = new Float32Array(ch * h * w);
      for (let i = 0; i < h * w; i++) layout[rng.int(ch) * h * w + i] = 1;
      const feeds: Record<string, ort.Tensor> = {
        layout: floatTensor(layout, [1, ch, h, w]),
        image: floatTensor(rng.fillUniform(new Float32Array(3 * h * w)), [1, 3, h, w]),
      };
      if (noiseShape) feeds.noise = floatTensor(trainingNoise(0, step, noiseShape[0], ch), noiseShape);
      for (const [name, m] of dropoutMasks(0, step, masks)) feeds[name] = floatTensor(m, masks.find((s) => s.name === name)!.shape);
      say(`step ${step + 1}`);
      const r = await runner.step(feeds, 1e-4);
      report.stepSeconds.push(r.seconds);
      report.losses = r.losses;
      report.stagesKiB.steps.push(procStatusKiB('VmHWM'));
      interim();
      say(`step ${step + 1} in ${r.seconds.toFixed(1)} s, peak RSS so far ${(report.stagesKiB.steps[step] / 2 ** 20).toFixed(2)} GiB`);
    }
    await runner.session.session.release();
    report.ok = true;
  } catch (e) {
    report.error = (e as Error).message ?? String(e);
  }
  return { ...report, ...peaks() };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = await child(JSON.parse(process.argv[2]) as ChildConfig);
  process.stdout.write(JSON.stringify(report) + '\n');
  process.exitCode = report.ok ? 0 : 1;
}
