// divsyn train-segmenter: flags into api/train-segmenter.ts's trainSegmenter(), with a progress bar and
// Ctrl-C stopping it with the file as it is so far.
import { InterruptedRun } from '../../common/errors.js';
import { trainSegmenter, trainSegmenterOptions } from '../../api/train-segmenter.js';
import { defineCommand } from '../command.js';
import { Progress } from '../progress.js';
import { catchInterrupt } from '../interrupt.js';

export const trainSegmenterCommand = defineCommand({
  name: 'train-segmenter',
  summary: 'Train a U-Net segmenter (photo to classes) for the realism measures of divsyn eval.',
  options: trainSegmenterOptions,
  required: ['data', 'size', 'out'],
  async run(parsed) {
    let bar: Progress | undefined;
    const interrupt = catchInterrupt('writing the segmenter');
    try {
      const r = await trainSegmenter(parsed, {
        signal: interrupt.signal,
        onLog: (m) => console.error(m),
        onStart: ({ ep, parameters, totalSteps, size, data }) => {
          console.error(`training a ${size}x${size} segmenter (${parameters.toLocaleString('en')} parameters) on ${data} with ${ep}, ${totalSteps} steps`);
          bar = new Progress('step', totalSteps);
        },
        onProgress: (i) => bar?.update(i.step, `loss ${i.loss.toFixed(3)}`),
      });
      bar?.done();
      if (r.stopped) {
        console.error(`stopped at step ${r.steps}; the segmenter so far is in ${r.file}`);
        process.exitCode = 130;
        throw new InterruptedRun();
      }
      const held = r.heldOut ? `; on the fixture's test split: pixel accuracy ${r.heldOut.pixelAccuracy.toFixed(3)}, mean IoU ${r.heldOut.meanIoU.toFixed(3)}` : '';
      console.log(`trained ${r.steps} steps in ${r.seconds.toFixed(0)} s (loss ${r.loss.toFixed(3)}): ${r.file}${held}`);
    } finally {
      interrupt.dispose();
    }
  },
});
