// divsyn sample: flags into api/sample.ts's sample(), with a progress bar and a summary line.
import { sampleResumeHelp } from '../../runtime/sample-ledger.js';
import { sample, sampleOptions } from '../../api/sample.js';
import { plural } from '../../api/common.js';
import { defineCommand } from '../command.js';
import { progressCallback } from '../progress.js';

export const sampleCommand = defineCommand({
  name: 'sample',
  summary: 'Generate K images per layout (and gradation sweeps, grids); samples.jsonl records every noise.',
  options: sampleOptions,
  required: ['model', 'layouts', 'out'],
  notes: [sampleResumeHelp],
  async run(parsed) {
    const r = await sample(parsed, {
      onLog: (m) => console.error(m),
      onProgress: progressCallback('images', 0, 'img'),
    });
    console.error(`${plural(r.images, 'image')} from ${plural(r.layouts, 'layout')} in ${r.seconds.toFixed(1)} s (${(r.images / r.seconds).toFixed(1)} img/s, ${r.ep}) in ${r.out}`);
  },
});
