// Ctrl-C, SIGTERM (schedulers, systemd, container stops) and SIGHUP (a closed terminal) during long work:
// the first asks the work to stop at its next safe point (after a checkpoint), a second quits at once.
// The status is the signal's, 128 + its number: 130, 143, 129. Commands end an interrupted run with status
// 130 (InterruptedRun); for SIGTERM and SIGHUP the status is corrected on exit.
import os from 'node:os';

export interface Interrupt {
  readonly requested: boolean;
  /** Aborted on the first signal: the library's operations stop at their next safe point. */
  readonly signal: AbortSignal;
  /** Stop listening (call when the work is over). */
  dispose(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const INTERRUPTED_STATUS = 130;

const statusOf = (signal: NodeJS.Signals) => 128 + os.constants.signals[signal];

export function catchInterrupt(message: string): Interrupt {
  let requested: NodeJS.Signals | undefined;
  const controller = new AbortController();
  const correctStatus = () => {
    if (requested && process.exitCode === INTERRUPTED_STATUS) process.exitCode = statusOf(requested);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (requested) process.exit(statusOf(signal));
    requested = signal;
    controller.abort();
    const again = signal === 'SIGINT' ? 'Ctrl-C again' : `${signal} again`;
    process.stderr.write(`\n${signal === 'SIGINT' ? 'interrupted' : `${signal} received`}: ${message} (${again} to quit at once)\n`);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  // stays after dispose: the command sets its status after the work is over
  process.on('exit', correctStatus);
  return {
    get requested() {
      return requested !== undefined;
    },
    signal: controller.signal,
    dispose: () => {
      for (const s of SIGNALS) process.off(s, onSignal);
    },
  };
}
