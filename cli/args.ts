// A small declarative option parser: --name value, --name=value, --flag. Problems are usage errors
// (exit status 2) naming the option and the value.
import { usageError } from '../common/errors.js';

export type OptType = 'string' | 'int' | 'float' | 'flag' | 'enum';

export interface OptSpec {
  name: string;
  type: OptType;
  help: string;
  choices?: readonly string[];
  min?: number;
  max?: number;
  default?: string | number | boolean;
  /** Shown in --help for the value, e.g. FILE.onnx */
  meta?: string;
  /** May be given several times: the values collect into a list. */
  repeat?: boolean;
}

export interface Parsed {
  [name: string]: string | number | boolean | string[] | undefined;
  _: string[];
}

export function parseArgs(argv: string[], specs: OptSpec[], positional: { min: number; max: number; names: string }): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: Parsed = { _: [] };
  for (const s of specs) if (s.default !== undefined) out[s.name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      out._.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw usageError(`unknown option --${name} (see --help)`);
    if (spec.type === 'flag') {
      if (eq >= 0) throw usageError(`option --${name} takes no value`);
      out[name] = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw usageError(`option --${name} needs a value (${spec.meta ?? spec.type})`);
      value = argv[++i];
    }
    const v = convert(spec, value);
    if (spec.repeat) out[name] = [...((out[name] as string[] | undefined) ?? []), String(v)];
    else out[name] = v;
  }
  if (out._.length < positional.min || out._.length > positional.max)
    throw usageError(positional.max === 0 ? `unexpected argument '${out._[0]}'` : `expected ${positional.names}, got ${out._.length} argument(s)`);
  return out;
}

function convert(s: OptSpec, v: string): string | number {
  switch (s.type) {
    case 'string':
      if (!v) throw usageError(`option --${s.name} needs a non-empty value`);
      return v;
    case 'enum':
      if (!s.choices!.includes(v)) throw usageError(`option --${s.name}: '${v}' is not one of ${s.choices!.join(', ')}`);
      return v;
    case 'int':
    case 'float': {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || (s.type === 'int' && !Number.isInteger(n))) throw usageError(`option --${s.name}: '${v}' is not ${s.type === 'int' ? 'an integer' : 'a number'}`);
      if (s.min !== undefined && n < s.min) throw usageError(`option --${s.name}: ${v} is below the minimum ${s.min}`);
      if (s.max !== undefined && n > s.max) throw usageError(`option --${s.name}: ${v} is above the maximum ${s.max}`);
      return n;
    }
    default:
      throw new Error(`option type ${s.type}`);
  }
}

export function required<T>(o: Parsed, name: string): T {
  const v = o[name];
  if (v === undefined) throw usageError(`option --${name} is required`);
  return v as T;
}

export function formatHelp(usage: string, summary: string, specs: OptSpec[]): string {
  const lines = [`usage: ${usage}`, '', summary, ''];
  const left = (s: OptSpec) => `--${s.name}${s.type === 'flag' ? '' : ' ' + (s.meta ?? (s.choices ? s.choices.join('|') : s.type.toUpperCase()))}`;
  const width = Math.min(34, Math.max(...specs.map((s) => left(s).length)) + 2);
  for (const s of specs) {
    const def = s.default !== undefined && s.type !== 'flag' ? ` (default ${s.default})` : '';
    // an option longer than the column gets its help on the next line rather than run into it
    const l = left(s);
    lines.push(l.length < width ? `  ${l.padEnd(width)}${s.help}${def}` : `  ${l}\n  ${''.padEnd(width)}${s.help}${def}`);
  }
  return lines.join('\n');
}
