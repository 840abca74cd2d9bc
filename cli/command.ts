// A command: its options declared once (cli/options.ts), the typed values they parse to, and what it does.
import { OptionDefs, ParsedOptions } from '../api/options.js';
import { Positional } from './options.js';

export interface Command<S extends OptionDefs = OptionDefs> {
  name: string;
  summary: string;
  options: S;
  /** Options the usage line shows as required (the run checks them with `need`). */
  required?: readonly (keyof S & string)[];
  positional?: Positional;
  /** Lines after the options in --help (e.g. which options may change on resume). */
  notes?: string[];
  run(parsed: ParsedOptions<S>): Promise<void>;
}

/** Keeps the command's option types (a Command<S> in a Command[] list would lose them). */
export function defineCommand<S extends OptionDefs>(c: Command<S>): Command {
  return c as unknown as Command;
}
