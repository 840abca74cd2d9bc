// make bench, the knob studio: slider-to-repaint latency in headless Chromium on onnxruntime-web's WASM
// backend, for pix2pix at 64 px and 256 px (width 64), on one thread and on the page's default; beside it
// the same model's single-image inference in onnxruntime-node (native CPU) with the same threads, and
// the graph's FLOPs, which name what limits the page: the run itself (WASM's arithmetic rate against
// native), or what the page adds around it (event, ImageData, repaint). Prints figures; never fails on time. The machine is shared:
// only side-by-side ratios mean much.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readGeneratorInfo, specOf } from '../common/generator-info.js';
import { variationScheme } from '../common/variation.js';
import { countFlops } from '../graph/flops.js';
import { inferenceProgram } from '../graph/programs/index.js';
import { openSampler } from '../runtime/open-sampler.js';
import { divsyn } from '../test/helpers/cli.js';
import { inChromium, openStudio, servingStudio, setSlider, studioStatus } from '../test/helpers/studio-page.js';

const MOVES = Number(process.env.DIVSYN_BENCH_MOVES ?? 12);
const GOALS_MS: Record<number, number> = { 64: 100, 256: 1500 };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function nativeMs(file: string, threads: number): Promise<number> {
  const bytes = fs.readFileSync(file);
  const info = readGeneratorInfo(bytes);
  const spec = specOf(info);
  const runner = await openSampler(bytes, { threads });
  const layout = new Float32Array(info.classes.length * info.height * info.width).fill(0);
  layout.fill(1, 0, info.height * info.width);
  const z = variationScheme(spec).draw(1, 'bench', 0);
  const times: number[] = [];
  for (let i = -2; i < MOVES; i++) {
    const t0 = performance.now();
    await runner.generatePacked(layout, z, 1);
    if (i >= 0) times.push(performance.now() - t0);
  }
  await runner.release();
  return median(times);
}

console.log(`knob studio: slider-to-repaint latency in Chromium (WASM), median of ${MOVES} moves; ${os.availableParallelism()} cores`);
await inChromium('divsyn-bench-studio-', async (browser, dir) => {
  for (const size of [64, 256]) {
    const file = path.join(dir, `g${size}.onnx`);
    const r = divsyn('init', '--model', 'pix2pix', '--palette', 'cmp-facades', '--size', String(size), '--width', '64', '--out', file);
    if (r.status !== 0) throw new Error(r.stderr);
    await servingStudio(file, async (url) => {
      for (const threads of [1, 0]) {
        const { page, errors } = await openStudio(browser, `${url}?backend=wasm${threads ? `&threads=${threads}` : ''}`);
        const s = await studioStatus(page);
        if (s.error || errors.length) throw new Error(s.error ?? errors.join('; '));
        const first = s.timings.length;
        for (let i = -2; i < MOVES; i++) await setSlider(page, 'facade', i % 2 ? 0.7 : -0.7);
        const timings = (await studioStatus(page)).timings.slice(first + 2);
        await page.close();
        const latency = median(timings.map((t) => t.latencyMs));
        const run = median(timings.map((t) => t.runMs));
        const native = await nativeMs(file, s.threads);
        const goal = GOALS_MS[size];
        const gflop = countFlops(inferenceProgram(specOf(readGeneratorInfo(fs.readFileSync(file)))).graph) / 1e9;
        const rate = (ms: number) => `${(gflop / (ms / 1000)).toFixed(1)} GFLOP/s`;
        console.log(
          `  ${size}x${size}, width 64, WASM ${s.threads} thread${s.threads === 1 ? ' ' : 's'}: latency ${latency.toFixed(1)} ms (goal <= ${goal} ms: ${latency <= goal ? 'met' : 'missed'}), ` +
            `of which the run ${run.toFixed(1)} ms (${((100 * run) / latency).toFixed(0)}%, ${gflop.toFixed(2)} GFLOP at ${rate(run)}); onnxruntime-node ${native.toFixed(1)} ms (${rate(native)}): WASM ${(run / native).toFixed(2)}x native; ` +
            `limited by ${run >= latency / 2 ? "onnxruntime-web's WASM kernels" : 'what the page adds (events, ImageData, repaint)'}`,
        );
      }
    });
  }
});
