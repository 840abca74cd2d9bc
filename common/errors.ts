// Errors the user can fix, by kind: cli/main.ts prints their message as one line and exits with their
// kind's status; library callers tell faults apart by `kind` (what to fix), not by parsing the message.

/**
 * What the user has to fix: `usage` an option, its value or an argument; `model` a model file (a generator,
 * segmenter or feature network that is missing, damaged or of the wrong kind); `data` the data or layouts
 * read (a dataset, a label map, an image, a palette); `output` where results go; `state` a run's saved
 * state (a checkpoint, run.json, a sample ledger) to continue; `interrupted` a run stopped on request after
 * a clean checkpoint.
 */
export type ErrorKind = 'usage' | 'model' | 'data' | 'output' | 'state' | 'interrupted';

const EXIT_STATUS: Record<ErrorKind, number> = { usage: 2, model: 1, data: 1, output: 1, state: 1, interrupted: 130 };

/** An error the user can fix: printed as one line; exit status 2 for a bad command line, 130 for an interrupted run, else 1. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind,
  ) {
    super(message);
    this.name = 'UserError';
  }

  get exitCode(): number {
    return EXIT_STATUS[this.kind];
  }
}

/** A bad command line or options object (an option, its value or an argument): exit status 2. */
export const usageError = (message: string) => new UserError(message, 'usage');
/** A model file that is missing, unreadable, damaged or of the wrong kind. */
export const modelError = (message: string) => new UserError(message, 'model');
/** Data or layouts that cannot be used: a dataset, a label map, an image, a palette. */
export const dataError = (message: string) => new UserError(message, 'data');
/** An output path that cannot be written. */
export const outputError = (message: string) => new UserError(message, 'output');
/** A run's saved state (checkpoint, run record, ledger) that cannot be continued. */
export const stateError = (message: string) => new UserError(message, 'state');

/** Ends a command with status 130 after a clean checkpoint (Ctrl-C); already reported, so main prints nothing. */
export class InterruptedRun extends UserError {
  constructor() {
    super('interrupted', 'interrupted');
  }
}
