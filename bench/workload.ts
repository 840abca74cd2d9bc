// What the speed benches time, shared by them: the PyTorch reference run as a child process, divsyn's
// pix2pix train step (G+D, batch 1) and inference on random layouts, and a competing load (one busy
// process per core) to time them under.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initParams, Rng } from '../graph/index.js';
import { referenceDir } from '../test/helpers/reference.js';
import { countFlops } from '../graph/flops.js';
import { emitProgram, generatorParams, manifestEntry, trainingPrograms } from '../graph/programs/index.js';
import { GeneratorSpec } from '../graph/spec.js';
import { defaultTrainingOptions } from '../graph/families/index.js';
import { DiversityMode } from '../graph/losses.js';
import { generatorBytes } from '../runtime/model-file.js';
import { SessionOptions, createSession, floatTensor } from '../runtime/session.js';
import { StepRunner } from '../runtime/step-runner.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { genericPalette } from '../common/palettes.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const reference = process.env.DIVSYN_TORCH_REFERENCE ?? path.join(referenceDir(root), 'pytorch_pix2pix.py');
export const THREADS = Number(process.env.DIVSYN_BENCH_THREADS ?? 2);
export const CLASSES = 12;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

export const fmt = (x: number, d = 3) => x.toFixed(d);

/** glibc's malloc setting this bench runs under: bin/divsyn-node's (as divsyn's command line runs), a user's own, or none. */
export const mallocSetting = process.env.GLIBC_TUNABLES || undefined;

/** Which malloc setting divsyn's side ran under and PyTorch's did not, for a bench's header. */
export const mallocLine = () => (mallocSetting ? `divsyn under GLIBC_TUNABLES=${mallocSetting}, PyTorch without` : "glibc's default malloc on both sides (bin/divsyn-node not used)");

/**
 * The environment of a PyTorch child: as a PyTorch user runs it, without the bench's GLIBC_TUNABLES, unless
 * `sameMalloc` asks for the setting divsyn runs under here (a figure beside the first, not instead of it).
 */
export function pythonEnv(sameMalloc = false): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (!sameMalloc) delete env.GLIBC_TUNABLES;
  return env;
}

/** The PyTorch reference's JSON line, or undefined (said on stdout) when it fails. */
export function torch(args: string[], threads = THREADS, sameMalloc = false): Record<string, number> | undefined {
  const r = spawnSync('/usr/bin/python3', [reference, '--classes', String(CLASSES), '--threads', String(threads), ...args], { encoding: 'utf8', env: pythonEnv(sameMalloc) });
  if (r.status !== 0) {
    console.log(`  (PyTorch reference failed: ${r.stderr.trim().split('\n').pop()})`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** PyTorch's median seconds per train step (G+D, batch 1), as trainStep times divsyn's. */
export function torchTrainStep(size: number, width: number, diversity: DiversityMode, steps: number, threads = THREADS, sameMalloc = false): number | undefined {
  const args = ['--size', String(size), '--ngf', String(width), '--mode', 'train', '--steps', String(steps)];
  if (diversity !== 'none') args.push('--diversity');
  return torch(args, threads, sameMalloc)?.seconds_per_step;
}

export function spec(size: number, width: number): GeneratorSpec {
  return { model: 'pix2pix', classes: genericPalette(CLASSES), height: size, width: size, channels: width, norm: 'instance' };
}

export function randomLayout(n: number, size: number, rng: Rng): Float32Array {
  const out = new Float32Array(n * CLASSES * size * size);
  for (let b = 0; b < n; b++) for (let i = 0; i < size * size; i++) out[(b * CLASSES + rng.int(CLASSES)) * size * size + i] = 1;
  return out;
}

/** divsyn's median seconds per train step after two warm-up steps, and the step's GFLOP. */
export async function trainStep(size: number, width: number, diversity: DiversityMode, steps: number, o: SessionOptions = { threads: THREADS }) {
  const s = spec(size, width);
  const p = trainingPrograms(s, defaultTrainingOptions(s, { diversity }));
  const flops = countFlops(p.trainStep.graph);
  const init = initialValues(p.trainStep, 0, 2e-4);
  const runner = await StepRunner.create(emitProgram(p.trainStep), manifestEntry(p.trainStep), new Map([...init].map(([k, v]) => [k, v.value])), o);
  const rng = new Rng(1);
  const times: number[] = [];
  for (let i = -2; i < steps; i++) {
    const data: Record<string, ReturnType<typeof floatTensor>> = {
      layout: floatTensor(randomLayout(1, size, rng), [1, CLASSES, size, size]),
      image: floatTensor(rng.fillUniform(new Float32Array(3 * size * size)), [1, 3, size, size]),
      noise: floatTensor(rng.fillUniform(new Float32Array(CLASSES), -1, 1), [1, CLASSES]),
    };
    for (const m of p.masks)
      data[m.name] = floatTensor(
        Float32Array.from({ length: m.shape.reduce((a, b) => a * b, 1) }, () => (rng.uniform() < 0.5 ? 0 : 2)),
        m.shape,
      );
    const r = await runner.step(data, 2e-4);
    if (i >= 0) times.push(r.seconds);
  }
  await runner.session.session.release();
  return { seconds: median(times), gflop: flops / 1e9 };
}

/** divsyn's generator: images per second over `images` random layouts in batches, after one warm-up batch. */
export async function inference(size: number, width: number, batch: number, images: number, o: SessionOptions = { threads: THREADS }) {
  const s = spec(size, width);
  const bytes = generatorBytes(s, initParams(generatorParams(s), 0));
  const { session } = await createSession(bytes, o);
  const rng = new Rng(2);
  const times: number[] = [];
  for (let i = -1; i < images / batch; i++) {
    const feeds = {
      layout: floatTensor(randomLayout(batch, size, rng), [batch, CLASSES, size, size]),
      noise: floatTensor(rng.fillUniform(new Float32Array(batch * CLASSES), -1, 1), [batch, CLASSES]),
    };
    const t0 = performance.now();
    await session.run(feeds);
    if (i >= 0) times.push((performance.now() - t0) / 1000);
  }
  await session.release();
  return batch / median(times);
}

/**
 * Runs `f` while `processes` (default: one per core) busy child processes compete for the cores, as
 * another job on a shared machine would; they are stopped when `f` settles.
 */
export async function underLoad<T>(f: () => Promise<T>, processes = os.availableParallelism()): Promise<T> {
  const busy: ChildProcess[] = [];
  // each stops by itself once this process is gone (killed before its finally could run)
  const spin = `const parent = process.ppid; for (let i = 0; ; i++) if ((i & 0xffffff) === 0 && process.ppid !== parent) process.exit();`;
  for (let i = 0; i < processes; i++) busy.push(spawn(process.execPath, ['-e', spin], { stdio: 'ignore' }));
  try {
    await new Promise((r) => setTimeout(r, 300));
    return await f();
  } finally {
    for (const p of busy) p.kill('SIGKILL');
  }
}
