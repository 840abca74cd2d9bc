// make bench, precision: fp32, fp16 and int8 files of one pix2pix generator trained briefly on the bundled
// facades (256x256, width 64), side by side in one run: img/s at batch 8 on 2 threads, runs interleaved
// so that the shared machine's drift hits all three alike; PSNR against fp32 as `divsyn export` reports
// it; and the int8 file's onnxruntime profile by op, which names what limits it. Prints figures; never
// fails on time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { train } from '../api/train.js';
import { exportGenerator } from '../api/export.js';
import { readGenerator } from '../runtime/model-file.js';
import { floatTensor, ort } from '../runtime/session.js';
import { variationScheme, packVariations, unpackVariations } from '../common/variation.js';
import { variationInputs } from '../graph/families/index.js';
import { Rng } from '../graph/index.js';

const THREADS = Number(process.env.DIVSYN_BENCH_THREADS ?? 2);
const SIZE = Number(process.env.DIVSYN_BENCH_PRECISION_SIZE ?? 256);
const WIDTH = 64;
const BATCH = 8;
const STEPS = Number(process.env.DIVSYN_BENCH_PRECISION_STEPS ?? 30);
const RUNS = 7;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function session(file: string, profileAt?: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    ...(profileAt ? { enableProfiling: true, profileFilePrefix: profileAt } : {}),
  });
}

/** Node time by op type (onnxruntime's profile events), the largest first, as shares of the total. */
function profileByOp(file: string): [string, number][] {
  const events = JSON.parse(fs.readFileSync(file, 'utf8')) as { cat: string; dur: number; args?: { op_name?: string } }[];
  const byOp = new Map<string, number>();
  for (const e of events) if (e.cat === 'Node' && e.args?.op_name) byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur);
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  return [...byOp.entries()].sort((a, b) => b[1] - a[1]).map(([op, us]) => [op, us / total]);
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'divsyn-bench-precision-'));
  try {
    console.log(`precision: pix2pix ${SIZE}x${SIZE}, width ${WIDTH}, trained ${STEPS} steps on the bundled facades; batch ${BATCH}, ${THREADS} threads`);
    await train({ model: 'pix2pix', data: 'fixture', size: String(SIZE), width: WIDTH, steps: STEPS, threads: THREADS, out: path.join(dir, 'run') });
    const fp32 = path.join(dir, 'run', 'generator.onnx');
    const files: Record<string, string> = { fp32 };
    for (const precision of ['fp16', 'int8'] as const) {
      files[precision] = path.join(dir, `${precision}.onnx`);
      const r = await exportGenerator({ model: fp32, precision, out: files[precision], threads: THREADS, batch: BATCH, measureLayouts: 0 });
      console.log(`  ${precision}: PSNR against fp32 ${r.psnr.calibration.toFixed(2)} dB on the calibration layouts, ${r.psnr.heldApart?.toFixed(2)} dB on ${r.psnr.heldApartLayouts} held-apart ones`);
    }
    const spec = readGenerator(fp32).spec;
    const scheme = variationScheme(spec);
    const rng = new Rng(7);
    const layout = new Float32Array(BATCH * spec.classes.length * SIZE * SIZE);
    for (let b = 0; b < BATCH; b++) for (let i = 0; i < SIZE * SIZE; i++) layout[(b * spec.classes.length + rng.int(spec.classes.length)) * SIZE * SIZE + i] = 1;
    const feeds: Record<string, ort.Tensor> = { layout: floatTensor(layout, [BATCH, spec.classes.length, SIZE, SIZE]) };
    const z = packVariations(Array.from({ length: BATCH }, (_, k) => scheme.draw(0, 'bench', k)));
    for (const p of unpackVariations(z, BATCH, variationInputs(spec))) feeds[p.name] = floatTensor(p.data, [BATCH, p.dim]);
    const sessions = Object.fromEntries(await Promise.all(Object.entries(files).map(async ([k, f]) => [k, await session(f)] as const)));
    const times: Record<string, number[]> = { fp32: [], fp16: [], int8: [] };
    for (let run = -1; run < RUNS; run++)
      for (const k of Object.keys(files)) {
        const t0 = performance.now();
        await sessions[k].run(feeds);
        if (run >= 0) times[k].push((performance.now() - t0) / 1000);
      }
    const rate = (k: string) => BATCH / median(times[k]);
    for (const k of Object.keys(files)) console.log(`  ${k}: ${rate(k).toFixed(2)} img/s (${(rate(k) / rate('fp32')).toFixed(2)}x fp32)`);
    for (const s of Object.values(sessions)) await s.release();
    const profiled = await session(files.int8, path.join(dir, 'int8-profile'));
    for (let i = 0; i < 3; i++) await profiled.run(feeds);
    profiled.endProfiling();
    await profiled.release();
    const profile = fs.readdirSync(dir).find((f) => f.startsWith('int8-profile'));
    if (profile)
      console.log(
        `  int8 profile (3 runs, node time by op): ${profileByOp(path.join(dir, profile))
          .slice(0, 8)
          .map(([op, share]) => `${op} ${(100 * share).toFixed(1)}%`)
          .join(', ')}`,
      );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
