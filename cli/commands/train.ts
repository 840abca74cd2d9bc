// divsyn train: flags into api/train.ts's train(), with a progress bar, its messages on stderr, and Ctrl-C
// (or SIGTERM, SIGHUP) stopping the run after a checkpoint.
import { InterruptedRun } from '../../common/errors.js';
import { trainResumeHelp } from '../../train/run-record.js';
import { TrainHooks, train, trainOptions } from '../../api/train.js';
import { defineCommand } from '../command.js';
import { Progress, progressCallback } from '../progress.js';
import { catchInterrupt } from '../interrupt.js';

/** Checking more items than this shows a bar. */
const CHECK_BAR_FROM = 100;

/**
 * Runs a training (`run` passes the hooks to train()) with the command line's messages, progress bar and
 * interrupt handling. `seconds`: a time budget, shown as the bar's extent; `stoppedHint`: what follows
 * "stopped at step N" (default: how to resume).
 */
export async function withTrainProgress<T>(run: (hooks: TrainHooks) => Promise<T>, o: { seconds?: number; stoppedHint?: string } = {}): Promise<T> {
  const interrupt = catchInterrupt('writing a checkpoint');
  let bar: Progress | undefined;
  let step = 0;
  const started = performance.now();
  try {
    const result = await run({
      signal: interrupt.signal,
      onLog: (m) => console.error(m),
      onCheckProgress: progressCallback('checking', CHECK_BAR_FROM),
      // a time-boxed run (demo) shows its progress in time
      onStart: ({ startStep, totalSteps }) => (bar = o.seconds !== undefined ? new Progress('time', Math.round(o.seconds), 0, 'seconds') : new Progress('step', totalSteps, startStep)),
      onProgress: (i) => {
        step = i.step;
        const losses = Object.entries(i.losses)
          .map(([k, v]) => `${k} ${v.toFixed(3)}`)
          .join(' ');
        if (o.seconds !== undefined) bar?.update(Math.min(Math.round(o.seconds), Math.floor((performance.now() - started) / 1000)), `step ${i.step} ${losses}`);
        else bar?.update(i.step, losses);
      },
    });
    bar?.done();
    if (interrupt.requested) {
      console.error(`stopped at step ${step}${o.stoppedHint ?? '; continue with --resume'}`);
      process.exitCode = 130;
      throw new InterruptedRun();
    }
    return result;
  } finally {
    interrupt.dispose();
  }
}

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'Train a generator with the diversity loss; RUN/generator.onnx is usable at any time.',
  options: trainOptions,
  required: ['model', 'data', 'size', 'out'],
  notes: [trainResumeHelp],
  async run(parsed) {
    const r = await withTrainProgress((hooks) => train(parsed, hooks));
    console.log(`trained ${r.steps} steps in ${r.seconds.toFixed(0)} s: ${r.generator}`);
  },
});
