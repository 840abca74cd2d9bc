// Inference next to what a PyTorch user has, in one run: the reference U-Net (pytorch_pix2pix.py) with
// divsyn's weights in PyTorch eager mode (compute only), onnxruntime on its torch.onnx export, divsyn's
// graph, and `divsyn sample` end to end. The two onnxruntime sessions and PyTorch (in its own process)
// run in turn, round after round (bench/alternate.ts); the sessions' images are compared with each
// other and with PyTorch's, which shows the weights are the same.
//
//   node dist/bench/torch.js [--size 256] [--width 64] [--batch 8] [--threads 2] [--rounds 6]
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import fs from 'node:fs';
import path from 'node:path';
import { Rng, initParams } from '../graph/index.js';
import { emitProgram, inferenceProgram } from '../graph/programs/index.js';
import { createSession, type ort } from '../runtime/session.js';
import { referenceDir } from '../test/helpers/reference.js';
import { Contender, alternate, maxDifference } from './alternate.js';
import { benchArgs, benchSpec, randomFeeds } from './feeds.js';
import { repoRoot, sampleFolder, sampleRate } from './sample-end-to-end.js';
import { mallocLine, pythonEnv } from './workload.js';

export interface TorchSideBySide {
  size: number;
  width: number;
  batch: number;
  threads: number;
  /** Images per second, best round (median round). */
  eager?: [number, number];
  torchOnnx?: [number, number];
  divsyn: [number, number];
  endToEnd?: number;
  /** Median CPU seconds per image (sessions without spinning): divsyn's graph, the torch export. */
  cpuPerImage?: [number, number];
  /** Largest |difference| of divsyn's images from the torch export's, and from eager PyTorch's. */
  differences?: [number, number];
}

/**
 * The PyTorch side (bench/torch_export.py): loads the weights, exports, then times one eager batch per
 * run() in its own process, so that it runs in turn with the onnxruntime sessions. Undefined (and why,
 * printed) where it fails.
 */
async function startTorch(reference: string, dir: string, config: Record<string, number>): Promise<{ run: () => Promise<number>; close: () => Promise<void> } | undefined> {
  const child = spawn('/usr/bin/python3', [path.join(repoRoot, 'bench', 'torch_export.py'), reference, dir, JSON.stringify({ ...config, serve: true })], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: pythonEnv(),
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = readline.createInterface({ input: child.stdout });
  const buffered: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let ended = false;
  lines.on('line', (l) => (waiting.length ? waiting.shift()!(l) : buffered.push(l)));
  lines.on('close', () => {
    ended = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  const next = () => (buffered.length ? Promise.resolve(buffered.shift()) : ended ? Promise.resolve(undefined) : new Promise<string | undefined>((resolve) => waiting.push(resolve)));
  const failed = () => stderr.trim().split('\n').pop();
  if ((await next()) === undefined) {
    console.log(`  (PyTorch side failed: ${failed()})`);
    return undefined;
  }
  return {
    run: async () => {
      child.stdin.write('run\n');
      const line = await next();
      if (line === undefined) throw new Error(`the PyTorch side ended: ${failed()}`);
      return Number(line);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}

const bytesOf = (f: Float32Array) => new Uint8Array(f.buffer, f.byteOffset, f.byteLength);

export async function torchSideBySide(o: { size: number; width: number; batch: number; threads: number; rounds: number; reference?: string }): Promise<TorchSideBySide> {
  const reference = o.reference ?? process.env.DIVSYN_TORCH_REFERENCE ?? path.join(referenceDir(repoRoot), 'pytorch_pix2pix.py');
  const spec = benchSpec('pix2pix', String(o.size), o.width);
  const program = inferenceProgram(spec);
  const values = initParams(program.graph.params, 0);
  const folder = await sampleFolder(spec, values, o.batch);
  const result: TorchSideBySide = { size: o.size, width: o.width, batch: o.batch, threads: o.threads, divsyn: [0, 0] };
  try {
    const rng = new Rng(1);
    const fixed = randomFeeds(spec, o.batch, rng);
    fs.writeFileSync(path.join(folder.dir, 'weights.bin'), Buffer.concat([...values.values()].map(bytesOf)));
    fs.writeFileSync(path.join(folder.dir, 'inputs.bin'), Buffer.concat([fixed.layout.data, fixed.noise.data].map((d) => bytesOf(d as Float32Array))));
    const config = { size: o.size, ngf: o.width, classes: spec.classes.length, threads: o.threads, batch: o.batch, rounds: 1 };
    const eager = await startTorch(reference, folder.dir, config);
    const sessions: Contender[] = [{ name: 'divsyn', ...(await createSession(emitProgram(program, { paramValues: values }), { threads: o.threads })) }];
    if (eager) sessions.push({ name: 'torch.onnx', ...(await createSession(path.join(folder.dir, 'torch.onnx'), { threads: o.threads })) }, { name: 'eager', run: eager.run });
    // the fixed batch first, for the values; then fresh batches
    let first = true;
    const timed = await alternate(
      sessions,
      () => {
        const f = first ? fixed : randomFeeds(spec, o.batch, rng);
        first = false;
        return f;
      },
      o.batch,
      o.rounds,
    ).finally(() => eager?.close());
    result.divsyn = [timed[0].best, timed[0].median];
    if (eager) {
      result.torchOnnx = [timed[1].best, timed[1].median];
      result.eager = [timed[2].best, timed[2].median];
      result.cpuPerImage = [timed[0].cpuPerImage, timed[1].cpuPerImage];
      // the values on the fixed batch (alternate keeps the last outputs: run the fixed batch once more)
      const [ours, theirs] = await Promise.all(sessions.slice(0, 2).map(async (s) => (await (s as { session: ort.InferenceSession }).session.run(fixed)).image.data as Float32Array));
      const eagerImages = new Float32Array(fs.readFileSync(path.join(folder.dir, 'eager.bin')).buffer.slice(0));
      result.differences = [maxDifference(ours, theirs), maxDifference(ours, eagerImages)];
    }
    for (const s of sessions) if ('session' in s) await s.session.release();
    result.endToEnd = sampleRate(folder, 8, o.batch, o.threads);
  } finally {
    fs.rmSync(folder.dir, { recursive: true, force: true });
  }
  return result;
}

const fmt = (x: number) => x.toFixed(2);
const pair = (p: [number, number]) => `${fmt(p[0])} img/s (median ${fmt(p[1])})`;

export function printSideBySide(r: TorchSideBySide): void {
  console.log(`inference ${r.size}x${r.size} width ${r.width} batch ${r.batch}, ${r.threads} threads (best round, median round; ratios of the best rounds); ${mallocLine()}:`);
  if (r.eager) console.log(`  PyTorch eager, compute only       ${pair(r.eager)}  (in its own process, in turn)`);
  if (r.torchOnnx) console.log(`  onnxruntime on the torch export   ${pair(r.torchOnnx)}`);
  console.log(`  divsyn's graph                    ${pair(r.divsyn)}`);
  if (r.torchOnnx) console.log(`  divsyn's graph / torch export: ${(r.divsyn[0] / r.torchOnnx[0]).toFixed(2)}x (median ${(r.divsyn[1] / r.torchOnnx[1]).toFixed(2)}x; target >= 1.3x)`);
  if (r.cpuPerImage)
    console.log(`  CPU s per image: divsyn ${r.cpuPerImage[0].toFixed(3)}, torch export ${r.cpuPerImage[1].toFixed(3)}: ${(r.cpuPerImage[1] / r.cpuPerImage[0]).toFixed(2)}x less work`);
  if (r.differences) console.log(`  same weights: max |divsyn - torch export| ${r.differences[0].toExponential(1)}, |divsyn - eager| ${r.differences[1].toExponential(1)}`);
  if (r.endToEnd !== undefined) {
    const note = r.eager ? `, ${(r.endToEnd / r.eager[0]).toFixed(2)}x PyTorch's compute-only (target >= 1.6x)` : '';
    console.log(`  divsyn sample end to end (${8 * r.batch} images: layout PNGs read, PNGs written): ${fmt(r.endToEnd)} img/s${note}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = benchArgs({ rounds: '6' });
  if (a.model !== 'pix2pix') throw new Error(`bench/torch.ts: the PyTorch reference is pix2pix only, not --model ${a.model}`);
  printSideBySide(await torchSideBySide({ size: Number(a.size), width: a.width, batch: a.batch, threads: a.threads, rounds: Number(a.rounds) }));
}
