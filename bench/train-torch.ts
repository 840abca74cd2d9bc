// make bench, second part: divsyn's pix2pix train step (G+D, batch 1, bounded diversity loss: two passes)
// next to the PyTorch reference's, side by side in one run, first on the machine as it is, then under a
// competing load that this bench starts (one busy process per core). Prints the ratios and how much the
// ratio moves under load; never fails on time. DIVSYN_BENCH_LOAD=0 skips the loaded half;
// DIVSYN_BENCH_QUICK=1 times 128x128 alone, 4 steps each. make bench runs it under bin/divsyn-node, as
// divsyn's command line runs: PyTorch is timed as its users run it, and also under the same malloc setting.
import { DiversityMode } from '../graph/losses.js';
import { THREADS, fmt, mallocLine, mallocSetting, reference, torchTrainStep, trainStep, underLoad } from './workload.js';

interface Config {
  size: number;
  width: number;
  diversity: DiversityMode;
  steps: number;
}

const CONFIGS: Config[] = [
  { size: 128, width: 32, diversity: 'bounded', steps: 10 },
  { size: 256, width: 64, diversity: 'bounded', steps: 5 },
];

const quick = process.env.DIVSYN_BENCH_QUICK === '1';

async function pair(c: Config) {
  const ours = await trainStep(c.size, c.width, c.diversity, c.steps);
  const torch = torchTrainStep(c.size, c.width, c.diversity, c.steps);
  return { ours, torch, ratio: torch === undefined ? undefined : ours.seconds / torch };
}

/** PyTorch's step under divsyn's malloc setting too: how much of the ratio the setting alone gives. */
function sameMallocLine(c: Config, ours: number): string | undefined {
  if (!mallocSetting) return undefined;
  const torch = torchTrainStep(c.size, c.width, c.diversity, c.steps, THREADS, true);
  return torch === undefined ? undefined : `  beside PyTorch under the same malloc setting: ${fmt(torch)} s, ratio ${fmt(ours / torch, 2)}x`;
}

async function main() {
  console.log(`divsyn train step vs PyTorch: ${THREADS} threads, PyTorch reference ${reference}; ${mallocLine()}`);
  const load = process.env.DIVSYN_BENCH_LOAD !== '0';
  for (const c of quick ? [{ ...CONFIGS[0], steps: 4 }] : CONFIGS) {
    const name = `train step ${c.size}x${c.size} width ${c.width} diversity ${c.diversity}`;
    const quiet = await pair(c);
    const line = `${name}: divsyn ${fmt(quiet.ours.seconds)} s (${fmt(quiet.ours.gflop / quiet.ours.seconds, 1)} GFLOP/s of ${fmt(quiet.ours.gflop, 1)} GFLOP)`;
    console.log(quiet.ratio === undefined ? line : `${line}, PyTorch ${fmt(quiet.torch!)} s, ratio ${fmt(quiet.ratio, 2)}x (target <= 0.7x)`);
    const same = sameMallocLine(c, quiet.ours.seconds);
    if (same) console.log(same);
    if (!load) continue;
    const loaded = await underLoad(() => pair(c));
    const l2 = `${name} under load: divsyn ${fmt(loaded.ours.seconds)} s`;
    if (loaded.ratio === undefined || quiet.ratio === undefined) console.log(l2);
    else console.log(`${l2}, PyTorch ${fmt(loaded.torch!)} s, ratio ${fmt(loaded.ratio, 2)}x: ${fmt(loaded.ratio / quiet.ratio, 2)}x the ratio without the load (target <= 1.2x)`);
  }
}

await main();
