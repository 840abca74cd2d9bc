// Memory over a long sampling run: `divsyn sample` (the api's sample(), in this process, inference worker
// included) of 10,000 images at 64 px from 50 layout PNGs; the process's peak resident memory after the
// first 1,000 images and after all 10,000, which should be within 10% (memory flat however long the run).
//
//   node dist/bench/sample-memory.js [--images 10000] [--width 16] [--batch 8] [--threads 2]
import fs from 'node:fs';
import path from 'node:path';
import { initParams } from '../graph/index.js';
import { inferenceProgram } from '../graph/programs/index.js';
import { sample } from '../api/sample.js';
import { benchArgs, benchSpec } from './feeds.js';
import { sampleFolder } from './sample-end-to-end.js';

const LAYOUTS = 50;
const EARLY = 1000;

const a = benchArgs({ images: '10000' }, { size: '64', width: '16' });
const images = Number(a.images);
const spec = benchSpec(a.model, a.size, a.width);
const folder = await sampleFolder(spec, initParams(inferenceProgram(spec).graph.params, 0), LAYOUTS);
const peakMiB = () => process.resourceUsage().maxRSS / 1024;
let early: number | undefined;
try {
  const r = await sample(
    { model: folder.model, layouts: folder.layouts, out: path.join(folder.dir, 'out'), count: Math.ceil(images / LAYOUTS), batch: a.batch, threads: a.threads },
    {
      onProgress: (done) => {
        if (done >= EARLY && early === undefined) early = peakMiB();
      },
    },
  );
  const late = peakMiB();
  console.log(
    `divsyn sample, ${a.size} px ${a.model} width ${a.width}, batch ${a.batch}, ${a.threads} threads: ${r.images} images from ${LAYOUTS} layout PNGs, ${(r.images / r.seconds).toFixed(1)} img/s`,
  );
  console.log(`  peak resident memory after ${EARLY} images ${early?.toFixed(0)} MiB, after ${r.images} ${late.toFixed(0)} MiB: ${(late / early!).toFixed(3)}x (target within 1.10x)`);
} finally {
  fs.rmSync(folder.dir, { recursive: true, force: true });
}
