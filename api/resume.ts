// Resuming takes a run's own options from the run (train: RUN/run.json; sample: its ledger): the options
// given again must match, except those the operation lets change, and the run goes on with the saved
// options plus the allowed changes, checked again against the operation's declarations.
import { usageError } from '../common/errors.js';
import { ResumeRule, compareResumeOptions, describeOptionChanges } from '../common/resume-options.js';
import { OptionDefs, ParsedOptions, flagName, optionsFromObject } from './options.js';

/** What a run records of its command line: the values of the options the user typed, but where they go. */
export function typedOptions<S extends OptionDefs>(p: ParsedOptions<S>, omit: readonly string[] = ['out', 'resume', 'force']): Record<string, unknown> {
  const values: Record<string, unknown> = p.values;
  return Object.fromEntries([...p.given].filter((k) => !omit.includes(k)).map((k) => [k, values[k]]));
}

export interface Resumed<S extends OptionDefs> {
  parsed: ParsedOptions<S>;
  /** The changes made on resume, to print. */
  notes: string[];
}

/**
 * The command's options on resume: the saved ones, with those typed again checked against `rules` (a
 * refused change is a usage error naming each option with both values). `alternatives`: groups of options
 * of which the run keeps one (--steps or --epochs): typing one replaces the saved other.
 */
export function resumeOptions<S extends OptionDefs>(
  saved: Readonly<Record<string, unknown>>,
  current: ParsedOptions<S>,
  defs: S,
  rules: Readonly<Record<string, ResumeRule>>,
  o: { alternatives?: readonly (readonly string[])[] } = {},
): Resumed<S> {
  const typed = typedOptions(current);
  const kept = { ...saved };
  for (const group of o.alternatives ?? []) if (group.some((k) => k in typed)) for (const k of group) if (!(k in typed)) delete kept[k];
  const { allowed, refused } = compareResumeOptions(kept, typed, rules);
  const named = (list: typeof allowed) => list.map((c) => ({ ...c, option: flagName(c.option) }));
  if (refused.length) throw usageError(`--resume: ${describeOptionChanges(named(refused))}; the run's other options are taken from it, so they need not be given again`);
  const notes = allowed.length ? [`resuming with ${describeOptionChanges(named(allowed))}`] : [];
  if (allowed.some((c) => c.option === 'threads' || c.option === 'ep')) notes.push('note: results equal an uninterrupted run only with the same --threads and --ep');
  // saved options the command no longer declares are left out
  const rest = Object.fromEntries(Object.entries(kept).filter(([k]) => !(k in typed) && k in defs));
  const values: Record<string, unknown> = current.values;
  const where = Object.fromEntries(['out', 'resume'].filter((k) => current.given.has(k)).map((k) => [k, values[k]]));
  return { parsed: { ...optionsFromObject(defs, { ...rest, ...typed, ...where }), positional: current.positional }, notes };
}
