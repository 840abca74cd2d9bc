// divsyn demo: api/demo.ts's demo() with the training's progress; prints the report as one JSON line.
import path from 'node:path';
import { DEMO_FILES, demo, demoOptions, demoTrainingSeconds } from '../../api/demo.js';
import { defineCommand } from '../command.js';
import { withTrainProgress } from './train.js';

export const demoCommand = defineCommand({
  name: 'demo',
  summary: `Train a small pix2pix model on the bundled facades for M minutes; write ${DEMO_FILES.join(', ')}.`,
  options: demoOptions,
  async run(parsed) {
    const report = await withTrainProgress((hooks) => demo(parsed, hooks), { seconds: demoTrainingSeconds(parsed.values), stoppedHint: '' });
    console.log(JSON.stringify(report));
    console.error(`wrote ${DEMO_FILES.map((f) => path.join(parsed.values.out, f)).join(', ')}`);
  },
});
