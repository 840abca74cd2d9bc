// Errors the user can fix, by kind: cli/main.ts prints their message as one line and exits with their status.

/** An error the user can fix: printed as one line, exit status 1 (or 2 for a bad command line). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A bad command line (an option, its value or an argument): exit status 2. */
export function usageError(message: string): UserError {
  return new UserError(message, 2);
}

/** Ends a command with status 130 after a clean checkpoint (Ctrl-C); already reported, so main prints nothing. */
export class InterruptedRun extends UserError {
  constructor() {
    super('interrupted', 130);
  }
}
