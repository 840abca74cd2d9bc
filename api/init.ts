// initGenerator(): an untrained generator, in the same file format as a trained one.
import fs from 'node:fs';
import path from 'node:path';
import { initParams } from '../graph/index.js';
import { generatorParams } from '../graph/programs/index.js';
import { GeneratorSpec } from '../graph/spec.js';
import { outputError } from '../common/errors.js';
import { writeGenerator } from '../runtime/model-file.js';
import { checkOutputFile } from '../common/output-paths.js';
import { archOptions, classOptions, forceOption, inputOptions, inputSpec, modelOption, pointsOption, seedOption } from './common.js';
import { OptionsInput, ParsedOptions, need, parsedOptions, str } from './options.js';

export const initOptions = {
  ...modelOption,
  ...inputOptions,
  ...pointsOption,
  ...classOptions,
  ...archOptions,
  ...seedOption(),
  out: str({ help: 'output file', meta: 'FILE.onnx' }),
  ...forceOption('overwrite an existing file'),
};

/** initGenerator()'s options: the `divsyn init` flags in camelCase; model, size and out are required. */
export type InitOptions = OptionsInput<typeof initOptions>;

/** Writes an untrained generator as `divsyn init` does. */
export async function initGenerator(options: InitOptions | ParsedOptions<typeof initOptions>): Promise<{ file: string; spec: GeneratorSpec; parameters: number }> {
  const { values: o, given } = parsedOptions(initOptions, options);
  const out = need(o, 'out');
  checkOutputFile(out);
  const spec = inputSpec(o, given, 'init');
  if (fs.existsSync(out) && !o.force) throw outputError(`'${out}' exists (use --force to overwrite it)`);
  const values = initParams(generatorParams(spec), o.seed);
  writeGenerator(out, spec, values, { seed: o.seed, trained: false });
  return { file: path.resolve(out), spec, parameters: [...values.values()].reduce((n, v) => n + v.length, 0) };
}
