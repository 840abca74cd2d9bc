// The command line's side of the typed options (api/options.ts declares them): flags parsed into the same
// values an options object gives, usage lines and --help generated from the declarations, and hints for
// unknown flags.
import { usageError } from '../common/errors.js';
import { OptionDef, OptionDefs, ParsedOptions, OptionValues, checkValue, defaultValues, flagName } from '../api/options.js';

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

/** A flag's text as the value its declaration types (numbers parsed), then checked as options objects are. */
function convert(key: string, d: OptionDef, text: string): unknown {
  if (d.kind === 'int' || d.kind === 'float') {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || (d.kind === 'int' && !Number.isInteger(n)))
      throw usageError(`option --${flagName(key)}: '${text}' is not ${d.kind === 'int' ? 'an integer' : 'a number'}`);
    return checkValue(key, d, n);
  }
  if (!text) throw usageError(`option --${flagName(key)} needs a non-empty value`);
  return d.kind === 'list' ? text : checkValue(key, d, text);
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
  const values = defaultValues(defs);
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
    const v = convert(key, d, text);
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
