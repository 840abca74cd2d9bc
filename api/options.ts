// Typed options: each operation declares its options once (type, range, default, help). The same
// declarations check an options object given to the library (optionsFromObject) and the command line
// (cli/options.ts parses flags into the same values), with provenance: which options the caller gave.
// Problems are usage errors naming the option (in its command-line spelling) and the value.
import { usageError } from '../common/errors.js';

interface Common {
  help: string;
  /** Shown in --help for the value, e.g. FILE.onnx. */
  meta?: string;
}

export interface StringOption extends Common {
  kind: 'string';
  default?: string;
}
export interface NumberOption extends Common {
  kind: 'int' | 'float';
  min?: number;
  max?: number;
  default?: number;
}
export interface FlagOption extends Common {
  kind: 'flag';
}
export interface EnumOption<C extends string = string> extends Common {
  kind: 'enum';
  choices: readonly C[];
  default?: C;
}
/** May be given several times; the values collect into a list. */
export interface ListOption extends Common {
  kind: 'list';
}

export type OptionDef = StringOption | NumberOption | FlagOption | EnumOption | ListOption;
export type OptionDefs = Record<string, OptionDef>;

export type ValueOf<D> = D extends FlagOption ? boolean : D extends NumberOption ? number : D extends EnumOption<infer C> ? C : D extends ListOption ? string[] : string;
type HasDefault<D> = D extends FlagOption | ListOption ? true : D extends { default: string | number } ? true : false;

/** The values of a command's options: options with a default (flags: false, lists: []) are always set. */
export type OptionValues<S extends OptionDefs> = { [K in keyof S as HasDefault<S[K]> extends true ? K : never]: ValueOf<S[K]> } & {
  [K in keyof S as HasDefault<S[K]> extends true ? never : K]?: ValueOf<S[K]>;
};

export interface ParsedOptions<S extends OptionDefs> {
  values: OptionValues<S>;
  /** The options the user typed (not the defaults). */
  given: ReadonlySet<keyof S & string>;
  positional: string[];
}

// Builders that keep each declaration's literal type (its choices, whether it has a default).
export const str = <O extends Omit<StringOption, 'kind'>>(o: O) => ({ kind: 'string' as const, ...o });
export const int = <O extends Omit<NumberOption, 'kind'>>(o: O) => ({ kind: 'int' as const, ...o });
export const float = <O extends Omit<NumberOption, 'kind'>>(o: O) => ({ kind: 'float' as const, ...o });
export const flag = (o: Omit<FlagOption, 'kind'>) => ({ kind: 'flag' as const, ...o });
export const list = (o: Omit<ListOption, 'kind'>) => ({ kind: 'list' as const, ...o });
export const choice = <const C extends string, O extends Omit<EnumOption<C>, 'kind' | 'choices'>>(choices: readonly C[], o: O) => ({ kind: 'enum' as const, choices, ...o });

/** CLI spelling of an option key: betaRamp -> beta-ramp. */
export const flagName = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** An options object as the library takes it: every option optional (defaults fill in), typed from the declarations. */
export type OptionsInput<S extends OptionDefs> = { [K in keyof S]?: ValueOf<S[K]> };

/** The checks of one value against its declaration, shared by options objects and the command line. */
export function checkValue(key: string, d: OptionDef, v: unknown): unknown {
  const name = flagName(key);
  switch (d.kind) {
    case 'flag':
      if (typeof v !== 'boolean') throw usageError(`option --${name} is a flag: true or false, not ${JSON.stringify(v)}`);
      return v;
    case 'string':
      if (typeof v !== 'string' || !v) throw usageError(`option --${name} needs a non-empty string, not ${JSON.stringify(v)}`);
      return v;
    case 'list':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x)) throw usageError(`option --${name} needs a list of non-empty strings, not ${JSON.stringify(v)}`);
      return v;
    case 'enum':
      if (typeof v !== 'string' || !d.choices.includes(v)) throw usageError(`option --${name}: '${String(v)}' is not one of ${d.choices.join(', ')}`);
      return v;
    case 'int':
    case 'float': {
      if (typeof v !== 'number' || !Number.isFinite(v) || (d.kind === 'int' && !Number.isInteger(v)))
        throw usageError(`option --${name}: '${String(v)}' is not ${d.kind === 'int' ? 'an integer' : 'a number'}`);
      if (d.min !== undefined && v < d.min) throw usageError(`option --${name}: ${v} is below the minimum ${d.min}`);
      if (d.max !== undefined && v > d.max) throw usageError(`option --${name}: ${v} is above the maximum ${d.max}`);
      return v;
    }
  }
}

/** The defaults of every option (flags false, lists empty). */
export function defaultValues(defs: OptionDefs): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(defs)) {
    if (d.kind === 'flag') values[k] = false;
    else if (d.kind === 'list') values[k] = [];
    else if (d.default !== undefined) values[k] = d.default;
  }
  return values;
}

/** An options object checked against the declarations, with the defaults filled in; `given`: the keys set (not undefined). */
export function optionsFromObject<S extends OptionDefs>(defs: S, input: OptionsInput<S> | Readonly<Record<string, unknown>>): ParsedOptions<S> {
  const values = defaultValues(defs);
  const given = new Set<keyof S & string>();
  for (const [key, v] of Object.entries(input)) {
    if (v === undefined) continue;
    const d = defs[key];
    if (!d) throw usageError(`unknown option '${key}' (options: ${Object.keys(defs).join(', ')})`);
    values[key] = checkValue(key, d, v);
    given.add(key);
  }
  return { values: values as OptionValues<S>, given, positional: [] };
}

/** The value of an option the command cannot do without, or a usage error naming it. */
export function need<V extends object, K extends keyof V & string>(values: V, key: K): NonNullable<V[K]> {
  const v = values[key];
  if (v === undefined || v === null) throw usageError(`option --${flagName(key)} is required`);
  return v;
}

/** A usage error for each of `keys` the user gave although it does not apply (`why`: to what it applies). */
export function refuseGiven(given: ReadonlySet<string>, keys: readonly string[], why: string): void {
  for (const k of keys) if (given.has(k)) throw usageError(`option --${flagName(k)} ${why}`);
}

/** An operation's options as the library takes them: an options object (checked here), or flags the CLI parsed already. */
export function parsedOptions<S extends OptionDefs>(defs: S, options: OptionsInput<S> | ParsedOptions<S>): ParsedOptions<S> {
  return 'values' in options && 'given' in options && options.given instanceof Set ? (options as ParsedOptions<S>) : optionsFromObject(defs, options as OptionsInput<S>);
}
