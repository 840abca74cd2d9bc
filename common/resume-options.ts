// --resume takes a run's options from the run itself: options given again must match, except those
// the command lets change (each with its rule). Compares the saved options with the ones given on the
// resuming command line and names each difference with both values.

/** 'any': may take any value on resume; 'more': a number that may only grow (more --steps). */
export type ResumeRule = 'any' | 'more';

export interface OptionChange {
  /** The option's name, without dashes. */
  option: string;
  saved: unknown;
  given: unknown;
  /** Why it may not change, for refused ones ('may only grow'); absent for any other refused one. */
  reason?: string;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Splits the options given on resume (only those the user typed: a default is no request to change) into
 * the changes the rules allow and those they refuse; options equal to the saved ones are neither.
 */
export function compareResumeOptions(
  saved: Readonly<Record<string, unknown>>,
  given: Readonly<Record<string, unknown>>,
  rules: Readonly<Record<string, ResumeRule>>,
): { allowed: OptionChange[]; refused: OptionChange[] } {
  const allowed: OptionChange[] = [];
  const refused: OptionChange[] = [];
  for (const [option, value] of Object.entries(given)) {
    if (value === undefined || same(saved[option], value)) continue;
    const change: OptionChange = { option, saved: saved[option], given: value };
    const rule = rules[option];
    if (rule === 'any') allowed.push(change);
    else if (rule === 'more') {
      if (typeof value === 'number' && (typeof change.saved !== 'number' || value > change.saved)) allowed.push(change);
      else refused.push({ ...change, reason: 'may only grow' });
    } else refused.push(change);
  }
  return { allowed, refused };
}

const shown = (v: unknown) => (v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

/** "--lr 0.001 (the run has 0.0002)", one per change, joined by '; ' (prefix: what comes before each name). */
export function describeOptionChanges(changes: readonly OptionChange[], prefix = '--'): string {
  return changes.map((c) => `${prefix}${c.option} ${shown(c.given)} (the run has ${shown(c.saved)}${c.reason ? `; it ${c.reason}` : ''})`).join('; ');
}
