// divsyn train: flags into api/train.ts's train(), with a progress bar, its messages on stderr, and Ctrl-C
// (or SIGTERM, SIGHUP) stopping the run after a checkpoint.
import { InterruptedRun } from '../../common/errors.js';
import { trainResumeHelp } from '../../train/run-record.js';
import { TrainHooks, TrainResult, train, trainOptions } from '../../api/train.js';
import { ParsedOptions } from '../../api/options.js';
import { defineCommand } from '../command.js';
import { Progress } from '../progress.js';
import { catchInterrupt } from '../interrupt.js';

/** Checking more items than this shows a bar. */
const CHECK_BAR_FROM = 100;

/** train() with the command line's progress and interrupt handling; `quiet` shows nothing (demo). */
export async function trainFromCommandLine(
  parsed: ParsedOptions<typeof trainOptions>,
  o: Pick<TrainHooks, 'stopAfterSeconds' | 'nonEmptyHint'> & { quiet?: boolean; stoppedHint?: string } = {},
): Promise<TrainResult> {
  const interrupt = catchInterrupt('writing a checkpoint');
  let bar: Progress | undefined;
  let checkBar: Progress | undefined;
  const started = performance.now();
  const budget = o.stopAfterSeconds;
  try {
    const result = await train(parsed, {
      stopAfterSeconds: o.stopAfterSeconds,
      nonEmptyHint: o.nonEmptyHint,
      signal: interrupt.signal,
      onLog: o.quiet ? undefined : (m) => console.error(m),
      onCheckProgress: (done, total) => {
        if (o.quiet || total < CHECK_BAR_FROM) return;
        checkBar ??= new Progress('checking', total);
        checkBar.update(done);
      },
      onStart: ({ startStep, totalSteps }) => {
        if (o.quiet) return;
        // a time-boxed run (demo) shows its progress in time
        bar = budget !== undefined ? new Progress('time', Math.round(budget), 0, 'seconds') : new Progress('step', totalSteps, startStep);
      },
      onProgress: (i) => {
        const losses = Object.entries(i.losses)
          .map(([k, v]) => `${k} ${v.toFixed(3)}`)
          .join(' ');
        if (budget !== undefined) bar?.update(Math.min(Math.round(budget), Math.floor((performance.now() - started) / 1000)), `step ${i.step} ${losses}`);
        else bar?.update(i.step, losses);
      },
    });
    bar?.done();
    if (interrupt.requested) {
      console.error(`stopped at step ${result.steps}${o.stoppedHint ?? '; continue with --resume'}`);
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
    const r = await trainFromCommandLine(parsed);
    console.log(`trained ${r.steps} steps in ${r.seconds.toFixed(0)} s: ${r.generator}`);
  },
});
