// make bench: divsyn's pix2pix training step and inference next to the PyTorch reference, in one run
// (this machine is shared and noisy: only side-by-side ratios mean anything). Prints figures; never fails
// on time.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../graph/index.js';
import { referenceDir } from '../test/helpers/reference.js';
import { countFlops } from '../graph/flops.js';
import { emitProgram, manifestEntry, trainingPrograms } from '../graph/programs/index.js';
import { GeneratorSpec } from '../graph/spec.js';
import { defaultTrainingOptions } from '../graph/families/index.js';
import { DiversityMode } from '../graph/losses.js';
import { floatTensor } from '../runtime/session.js';
import { StepRunner } from '../runtime/step-runner.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { genericPalette } from '../common/palettes.js';
import { printSideBySide, torchSideBySide } from './torch.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const reference = process.env.DIVSYN_TORCH_REFERENCE ?? path.join(referenceDir(root), 'pytorch_pix2pix.py');
const THREADS = Number(process.env.DIVSYN_BENCH_THREADS ?? 2);
const CLASSES = 12;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function torch(args: string[]): Record<string, number> | undefined {
  const r = spawnSync('/usr/bin/python3', [reference, '--classes', String(CLASSES), '--threads', String(THREADS), ...args], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`  (PyTorch reference failed: ${r.stderr.trim().split('\n').pop()})`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function spec(size: number, width: number): GeneratorSpec {
  return { model: 'pix2pix', classes: genericPalette(CLASSES), height: size, width: size, channels: width, norm: 'instance' };
}

function randomLayout(n: number, size: number, rng: Rng): Float32Array {
  const out = new Float32Array(n * CLASSES * size * size);
  for (let b = 0; b < n; b++) for (let i = 0; i < size * size; i++) out[(b * CLASSES + rng.int(CLASSES)) * size * size + i] = 1;
  return out;
}

async function trainStep(size: number, width: number, diversity: DiversityMode, steps: number) {
  const s = spec(size, width);
  const o = defaultTrainingOptions(s, { diversity });
  const p = trainingPrograms(s, o);
  const flops = countFlops(p.trainStep.graph);
  const init = initialValues(p.trainStep, 0, 2e-4);
  const runner = await StepRunner.create(emitProgram(p.trainStep), manifestEntry(p.trainStep), new Map([...init].map(([k, v]) => [k, v.value])), { threads: THREADS });
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

const fmt = (x: number, d = 3) => x.toFixed(d);

async function main() {
  console.log(`divsyn bench: ${THREADS} threads, ${CLASSES} classes, PyTorch reference ${reference}`);
  const configs: [number, number, DiversityMode, number][] = [
    [128, 32, 'none', 12],
    [128, 32, 'bounded', 12],
    [256, 64, 'none', 4],
    [256, 64, 'bounded', 4],
  ];
  for (const [size, width, diversity, steps] of configs) {
    const ours = await trainStep(size, width, diversity, steps);
    const args = ['--size', String(size), '--ngf', String(width), '--mode', 'train', '--steps', String(steps)];
    if (diversity !== 'none') args.push('--diversity');
    const ref = torch(args);
    const line = `train step ${size}x${size} width ${width} diversity ${diversity.padEnd(7)}: divsyn ${fmt(ours.seconds)} s (${fmt(ours.gflop / ours.seconds, 1)} GFLOP/s of ${fmt(ours.gflop, 1)} GFLOP)`;
    console.log(ref ? `${line}, PyTorch ${fmt(ref.seconds_per_step)} s, ratio ${fmt(ours.seconds / ref.seconds_per_step, 2)}x (target <= 1.0x)` : line);
  }
  printSideBySide(await torchSideBySide({ size: 256, width: 64, batch: 8, threads: THREADS, rounds: 6, reference }));
}

await main();
