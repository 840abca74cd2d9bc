// Typed command-line options: each command declares its options once (type, range, default, help), and the
// parser gives a values object typed from that declaration, with provenance (which options the user gave).
// Help and usage lines are generated from the same declarations. Problems are usage errors (exit status 2)
// naming the option and the value.
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

type ValueOf<D> = D extends FlagOption ? boolean : D extends NumberOption ? number : D extends EnumOption<infer C> ? C : D extends ListOption ? string[] : string;
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

/** Spellings of other tools (pix2pix's options, diffusers' arguments) and the divsyn option each means. */
const FOREIGN_SPELLINGS: Record<string, string> = {
  dataroot: 'data',
  batch_size: 'batch',
  ngf: 'width',
  n_epochs: 'epochs',
  niter: 'epochs',
  load_size: 'size',
  crop_size: 'size',
  checkpoints_dir: 'out',
  results_dir: 'out',
  name: 'out',
  num_images_per_prompt: 'count',
  num_inference_steps: 'steps',
  output_dir: 'out',
  gpu_ids: 'ep',
  num_threads: 'threads',
};

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The hint for an unknown option: the divsyn spelling of a foreign one, else the nearest known name. */
export function unknownOptionHint(name: string, known: string[]): string {
  const foreign = FOREIGN_SPELLINGS[name] ?? FOREIGN_SPELLINGS[name.replace(/-/g, '_')];
  if (foreign && known.includes(foreign)) return `; divsyn calls it --${foreign}`;
  const normalised = name.replace(/_/g, '-').toLowerCase();
  if (normalised !== name && known.includes(normalised)) return `; did you mean --${normalised}?`;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(normalised, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean --${best}?` : ' (see --help)';
}

function convert(name: string, d: OptionDef, v: string): string | number {
  switch (d.kind) {
    case 'string':
    case 'list':
      if (!v) throw usageError(`option --${name} needs a non-empty value`);
      return v;
    case 'enum':
      if (!d.choices.includes(v)) throw usageError(`option --${name}: '${v}' is not one of ${d.choices.join(', ')}`);
      return v;
    case 'int':
    case 'float': {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || (d.kind === 'int' && !Number.isInteger(n))) throw usageError(`option --${name}: '${v}' is not ${d.kind === 'int' ? 'an integer' : 'a number'}`);
      if (d.min !== undefined && n < d.min) throw usageError(`option --${name}: ${v} is below the minimum ${d.min}`);
      if (d.max !== undefined && n > d.max) throw usageError(`option --${name}: ${v} is above the maximum ${d.max}`);
      return n;
    }
    case 'flag':
      throw new Error(`option --${name} is a flag`);
  }
}

export interface Positional {
  min: number;
  max: number;
  /** How the usage line names them, e.g. "FILE.onnx..." */
  names: string;
}

export const NO_POSITIONAL: Positional = { min: 0, max: 0, names: '' };

/** --name value, --name=value, --flag; `--` ends the options. */
export function parseOptions<S extends OptionDefs>(argv: readonly string[], defs: S, positional: Positional = NO_POSITIONAL): ParsedOptions<S> {
  const byFlag = new Map(Object.keys(defs).map((k) => [flagName(k), k]));
  const values: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(defs)) {
    if (d.kind === 'flag') values[k] = false;
    else if (d.kind === 'list') values[k] = [];
    else if (d.default !== undefined) values[k] = d.default;
  }
  const given = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const key = byFlag.get(name);
    if (key === undefined) throw usageError(`unknown option --${name}${unknownOptionHint(name, [...byFlag.keys()])}`);
    const d = defs[key];
    if (given.has(key) && d.kind !== 'list') throw usageError(`option --${name} is given twice`);
    given.add(key);
    if (d.kind === 'flag') {
      if (eq >= 0) throw usageError(`option --${name} takes no value`);
      values[key] = true;
      continue;
    }
    let text: string;
    if (eq >= 0) text = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw usageError(`option --${name} needs a value (${d.meta ?? d.kind})`);
      text = argv[++i];
    }
    const v = convert(name, d, text);
    values[key] = d.kind === 'list' ? [...(values[key] as string[]), v] : v;
  }
  if (rest.length < positional.min || rest.length > positional.max)
    throw usageError(positional.max === 0 ? `unexpected argument '${rest[0]}'` : `expected ${positional.names}, got ${rest.length} argument(s)`);
  return { values: values as OptionValues<S>, given, positional: rest };
}

const valueMeta = (d: OptionDef) => (d.kind === 'flag' ? '' : ` ${d.meta ?? (d.kind === 'enum' ? d.choices.join('|') : d.kind.toUpperCase())}`);

/** A usage line: the required options, then [options], then the positional arguments. */
export function usageLine(command: string, defs: OptionDefs, required: readonly string[], positional: Positional = NO_POSITIONAL): string {
  const req = required.map((k) => `--${flagName(k)}${valueMeta(defs[k])}`);
  return ['divsyn', command, ...req, '[options]', positional.names].filter(Boolean).join(' ');
}

export function formatHelp(usage: string, summary: string, defs: OptionDefs, notes: string[] = []): string {
  const lines = [`usage: ${usage}`, '', summary, ''];
  const entries = Object.entries(defs).map(([k, d]) => ({ left: `--${flagName(k)}${valueMeta(d)}`, d }));
  const width = Math.min(34, Math.max(...entries.map((e) => e.left.length)) + 2);
  for (const { left, d } of entries) {
    const def = d.kind !== 'flag' && d.kind !== 'list' && d.default !== undefined ? ` (default ${d.default})` : '';
    const text = `${d.help}${def}${d.kind === 'list' ? ' (may be repeated)' : ''}`;
    // an option longer than the column gets its help on the next line rather than run into it
    lines.push(left.length < width ? `  ${left.padEnd(width)}${text}` : `  ${left}\n  ${''.padEnd(width)}${text}`);
  }
  if (notes.length) lines.push('', ...notes);
  return lines.join('\n');
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
