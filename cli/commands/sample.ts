// divsyn sample: flags into api/sample.ts's sample(), with a progress bar and a summary line.
import { sampleResumeHelp } from '../../runtime/sample-ledger.js';
import { sample, sampleOptions } from '../../api/sample.js';
import { plural } from '../../api/common.js';
import { defineCommand } from '../command.js';
import { progressCallback } from '../progress.js';
import { catchInterrupt } from '../interrupt.js';

export const sampleCommand = defineCommand({
  name: 'sample',
  summary: 'Generate K images per layout (and gradation sweeps, grids); samples.jsonl records every noise.',
  options: sampleOptions,
  required: ['model', 'layouts', 'out'],
  notes: [sampleResumeHelp],
  async run(parsed) {
    // a run on a queue cleans the queue up on Ctrl-C; a run here stops at once and resumes from its ledger
    const interrupt = parsed.given.has('redis') ? catchInterrupt('removing the unfinished jobs from the queue') : undefined;
    let r;
    try {
      r = await sample(parsed, {
        onLog: (m) => console.error(m),
        onProgress: progressCallback('images', 0, 'img'),
        signal: interrupt?.signal,
      });
    } finally {
      interrupt?.dispose();
    }
    console.error(`${plural(r.images, 'image')} from ${plural(r.layouts, 'layout')} in ${r.seconds.toFixed(1)} s (${(r.images / r.seconds).toFixed(1)} img/s, ${r.ep}) in ${r.out}`);
  },
});
