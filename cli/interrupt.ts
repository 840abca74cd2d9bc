// Ctrl-C during long work: the first asks the work to stop at its next safe point (after a checkpoint),
// the second quits at once.
export interface Interrupt {
  readonly requested: boolean;
  /** Stop listening (call when the work is over). */
  dispose(): void;
}

export function catchInterrupt(message: string): Interrupt {
  let requested = false;
  const onSigint = () => {
    if (requested) process.exit(130);
    requested = true;
    process.stderr.write(`\ninterrupted: ${message} (Ctrl-C again to quit at once)\n`);
  };
  process.on('SIGINT', onSigint);
  return {
    get requested() {
      return requested;
    },
    dispose: () => process.off('SIGINT', onSigint),
  };
}
