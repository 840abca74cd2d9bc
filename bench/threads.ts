// make bench-threads: onnxruntime's thread settings on a shared machine. For each of intra-op spinning
// on and off and 1 or all cores' threads, divsyn's pix2pix train step (128x128, width 32, bounded
// diversity) and generator inference (256x256, width 64, batch 4), on the machine as it is and under a
// competing load this bench starts (one busy process per core), with PyTorch's train step beside them.
// The defaults (runtime/session.ts) are the settings that lose least under load. Prints figures; never
// fails on time.
import os from 'node:os';
import { SessionOptions } from '../runtime/session.js';
import { fmt, inference, mallocLine, torchTrainStep, trainStep, underLoad } from './workload.js';

const CORES = os.availableParallelism();

interface Figures {
  trainSeconds: number;
  imagesPerSecond: number;
}

async function measure(o: SessionOptions): Promise<Figures> {
  const train = await trainStep(128, 32, 'bounded', 6, o);
  return { trainSeconds: train.seconds, imagesPerSecond: await inference(256, 64, 4, 8, o) };
}

async function main() {
  console.log(`divsyn bench-threads: ${CORES} cores; load: ${CORES} busy processes; ${mallocLine()}`);
  const settings: SessionOptions[] = [];
  for (const spinning of [true, false]) for (const threads of [...new Set([1, CORES])]) settings.push({ spinning, threads });
  for (const o of settings) {
    const quiet = await measure(o);
    const loaded = await underLoad(() => measure(o));
    console.log(
      `spinning ${o.spinning ? 'on ' : 'off'} threads ${o.threads}: train step ${fmt(quiet.trainSeconds)} s, under load ${fmt(loaded.trainSeconds)} s (${fmt(loaded.trainSeconds / quiet.trainSeconds, 2)}x); ` +
        `inference ${fmt(quiet.imagesPerSecond, 2)} img/s, under load ${fmt(loaded.imagesPerSecond, 2)} img/s (${fmt(quiet.imagesPerSecond / loaded.imagesPerSecond, 2)}x slower)`,
    );
  }
  for (const threads of [...new Set([1, CORES])]) {
    const quiet = torchTrainStep(128, 32, 'bounded', 6, threads);
    const loaded = await underLoad(async () => torchTrainStep(128, 32, 'bounded', 6, threads));
    if (quiet !== undefined && loaded !== undefined) console.log(`PyTorch threads ${threads}: train step ${fmt(quiet)} s, under load ${fmt(loaded)} s (${fmt(loaded / quiet, 2)}x)`);
  }
}

await main();
